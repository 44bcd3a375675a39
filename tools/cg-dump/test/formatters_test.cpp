// formatters_test.cpp - cg-dump's output modes on the tests' sample files
// (sample_file.hpp), whose every word is known: what each mode shows, that
// version 1 shows as version 2, that a snapshot from aarch64 shows its own
// registers and frames, and that a hostile label reaches neither the
// terminal nor JSON unescaped.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>

#include "describe.hpp"
#include "formatters.hpp"
#include "run_program.hpp"
#include "sample_file.hpp"
#include "snapshot_reader.hpp"

namespace {

using cg_dump_test::Encoder;
using cg_dump_test::Writer;

/// What `print` writes for the sample file of `writer`.
template <class Print, class... Arguments>
std::string output_for(Writer writer, Print print, Arguments... arguments)
{
    std::ostringstream out;
    print(out, cg_dump::parse_snapshot(cg_dump_test::sample_file({.writer = writer}).bytes), arguments...);
    return out.str();
}

/// The same for the default sample, amd64's in format version 2.
template <class Print, class... Arguments>
std::string output_of(Print print, Arguments... arguments)
{
    return output_for(Writer::x86_64, print, arguments...);
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// The line of `text` that contains `part`.
std::string line_with(const std::string& text, const std::string& part)
{
    std::size_t at = text.find(part);
    if (at == std::string::npos)
        return "";
    std::size_t begin = text.rfind('\n', at) + 1; // npos + 1 == 0: the first line
    return text.substr(begin, text.find('\n', at) - begin);
}

} // namespace

TEST_CASE("the summary: the header, each thread's status, a line per generator", "[formatters]")
{
    std::string summary = output_of(cg_dump::print_summary);
    CAPTURE(summary);
    CHECK(has(summary, "snapshot of pid 4242 at 2023-11-14T22:13:20.123456789Z\n"));
    CHECK(has(summary, "executable  /usr/bin/sample\n"));
    CHECK(has(summary, "build id    00112233445566778899aabbccddeeff00112233\n"));
    CHECK(has(summary, "arch        x86_64\n"));
    CHECK(has(summary, "4 generators in 3 threads\n"));
    CHECK(has(summary, "thread 1: 2 generators, complete\n"));
    CHECK(has(summary, "thread 2: 1 generator, exited, complete\n"));
    CHECK(has(summary, "thread 3: 1 generator, no answer, metadata only\n"));
    CHECK(has(summary, "id      thread  label"));
    // The label column is as wide as the widest, 0x3000's escaped label.
    CHECK(line_with(summary, "0x1000") ==
          "0x1000       1  reader                suspended       48        64       2  waits_here");
    CHECK(line_with(summary, "0x2000") ==
          "0x2000       1                        not-started      -         -       -  -");
    CHECK(has(line_with(summary, "0x3000"), R"(tab\x09here \xff end)"));
    CHECK(has(line_with(summary, "0x4000"), "silent"));
}

TEST_CASE("backtraces: each frame under its generator", "[formatters]")
{
    std::string backtraces = output_of(cg_dump::print_backtraces);
    CAPTURE(backtraces);
    CHECK(has(backtraces, "0x1000       1  reader"));
    CHECK(has(backtraces, "\n    #0 0x401010 waits_here+0x10 (sp 0x7ffd00000fd8)\n"
                          "    #1 0x402020 calls_it+0x20 (sp 0x7ffd00000ff0)\n0x2000"));
}

TEST_CASE("the hex dump reads each word of the slice", "[formatters]")
{
    std::string dump = output_of(cg_dump::print_hex, std::uint64_t{0x1000});
    CAPTURE(dump);
    CHECK(has(dump, "generator 0x1000 \"reader\": suspended c++, thread 1\n"));
    CHECK(has(dump, "slice [0x7ffd00000fd0, 0x7ffd00001000): 48 bytes, capacity 64\n"));
    CHECK(has(dump, "\nresumes at pc 0x401010 waits_here+0x10, sp 0x7ffd00000fd8"
                    " -> slice+0x8 (frame #0 waits_here)\n"));
    // Every register by the file's name, in the file's order.
    CHECK(has(dump, "saved registers (control block):\n"
                    "  register     value\n"
                    "  rbx          0x0000000000000001\n"
                    "  rbp          0x00007ffd00000ff0  -> slice+0x20 (frame #1 calls_it)\n"
                    "  r12          0x0000000000000003\n"
                    "  r13          0x0000000000000004\n"
                    "  r14          0x0000000000000005\n"
                    "  r15          0x0000000000000006\n"
                    "  mxcsr        0x0000000000001f80\n"
                    "  x87_control  0x000000000000037f\n\n"));
    CHECK(line_with(dump, "0x7ffd00000fd0  ") ==
          "  0x7ffd00000fd0  0x0000000000401010  -      the yield's return address -> waits_here+0x10");
    CHECK(has(dump, "  frame #0 waits_here (sp 0x7ffd00000fd8)\n"));
    CHECK(has(line_with(dump, "0x7ffd00000fd8  "), "#0     -> slice+0x28 (frame #1 calls_it)"));
    CHECK(has(line_with(dump, "0x7ffd00000fe0  "), "-> this generator's control block"));
    CHECK(has(line_with(dump, "0x7ffd00000fe8  "), "#0     return address -> calls_it+0x20 (frame #1)"));
    CHECK(has(dump, "  frame #1 calls_it (sp 0x7ffd00000ff0)\n"));
    CHECK(has(line_with(dump, "0x7ffd00000ff8  "), "0x0000000123456789  #1"));

    std::string partial = output_of(cg_dump::print_hex, std::uint64_t{0x3000});
    CAPTURE(partial);
    CHECK(has(line_with(partial, "  0x7ffd00001ffb  "), "0x1111111111        -      the slice's last 5 bytes"));
    CHECK(has(output_of(cg_dump::print_hex, std::uint64_t{0x4000}), "no details"));

    std::ostringstream nothing;
    CHECK(cg_dump::print_hex(nothing, cg_dump::parse_snapshot(cg_dump_test::sample_file().bytes), 0x5000) == 0);
    CHECK(nothing.str().empty());
}

TEST_CASE("stats: the histogram of slice sizes, the totals, the capacity not in use", "[formatters]")
{
    std::string stats = output_of(cg_dump::print_stats);
    CAPTURE(stats);
    CHECK(has(stats, "generators: 4 (1 not-started, 3 suspended) in 3 threads\n"));
    CHECK(has(line_with(stats, "8 - 15"), "1  ########################################"));   // the 13 bytes
    CHECK(has(line_with(stats, "32 - 63"), "1  ########################################")); // the 48 bytes
    CHECK(has(line_with(stats, "16 - 31"), "0"));
    CHECK(has(line_with(stats, "slice bytes   "), " 61"));
    CHECK(has(line_with(stats, "capacity    "), " 80"));
    CHECK(has(line_with(stats, "capacity not in use"), " 19  23.8%")); // 64 - 48 + 16 - 13
    CHECK(has(line_with(stats, "mean slice"), " 30"));
    CHECK(has(line_with(stats, "largest slice"), " 48"));
    CHECK(has(line_with(stats, "waits_here"), "1"));
}

TEST_CASE("JSON: every field, escaped", "[formatters]")
{
    std::string json = output_of(cg_dump::print_json);
    CAPTURE(json);
    CHECK(has(json, "\"format_version\": 2,"));
    CHECK(has(json, "\"pid\": 4242,"));
    CHECK(has(json, "\"architecture\": \"x86_64\","));
    CHECK(has(json, "\"resume_pc\": \"0x401010\",\n"
                    "          \"resume_sp\": \"0x7ffd00000fd8\",\n"
                    "          \"registers\": {\n"
                    "            \"rbx\": \"0x1\",\n"
                    "            \"rbp\": \"0x7ffd00000ff0\",\n"
                    "            \"r12\": \"0x3\",\n"
                    "            \"r13\": \"0x4\",\n"
                    "            \"r14\": \"0x5\",\n"
                    "            \"r15\": \"0x6\",\n"
                    "            \"mxcsr\": \"0x1f80\",\n"
                    "            \"x87_control\": \"0x37f\"\n"
                    "          },"));
    CHECK(has(json, "\"time\": \"2023-11-14T22:13:20.123456789Z\","));
    CHECK(has(json, "\"label\": \"tab\\u0009here \\u00ff end\","));
    CHECK(has(json, "\"slice\": \"1010400000000000"));
    CHECK(has(json, "\"function\": \"calls_it\""));
    CHECK(has(json, "\"complete\": false,"));
    std::optional<bool> valid = cg_dump_test::valid_json(json);
    if (!valid)
        WARN("no python3: the JSON is not checked for validity");
    CHECK(valid.value_or(true));
}

TEST_CASE("where a generator waits: the innermost frame outside cg's own yield path", "[formatters]")
{
    cg_dump::Record record;
    record.flags = 1; // details
    auto frame = [](const char* function) { return cg_dump::Frame{0x401000, 0x7ffd0000, 0x10, function}; };
    record.frames = {frame("cg::detail::suspend"), frame("void cg::Yielder<int, void>::yield<int&>(int&)"),
                     frame("waits_inside(cg::Yielder<int, void>&)"), frame("void cg::detail::entry<main::{lambda}>()")};
    CHECK(cg_dump::waiting_function(record) == "waits_inside(cg::Yielder<int, void>&)");
    record.frames = {frame("cg_yield"), frame("fib"), frame("cg::detail::(anonymous namespace)::c_entry")};
    CHECK(cg_dump::waiting_function(record) == "fib");
    // An optimized cg_yield tail-calls the trampoline and leaves no frame.
    record.frames = {frame("cg_arch_suspend_receiving"), frame("fib"),
                     frame("cg::detail::(anonymous namespace)::c_entry")};
    CHECK(cg_dump::waiting_function(record) == "fib");
    record.frames = {frame("void cg::detail::entry<main::{lambda}>()")}; // nothing else: that one
    CHECK(cg_dump::waiting_function(record) == "void cg::detail::entry<main::{lambda}>()");
    record.frames.clear();
    CHECK(cg_dump::waiting_function(record) == "-");
}

TEST_CASE("version 1 shows as version 2 does", "[formatters]")
{
    CHECK(output_for(Writer::x86_64_v1, cg_dump::print_summary) == output_of(cg_dump::print_summary));
    CHECK(output_for(Writer::x86_64_v1, cg_dump::print_backtraces) == output_of(cg_dump::print_backtraces));
    CHECK(output_for(Writer::x86_64_v1, cg_dump::print_stats) == output_of(cg_dump::print_stats));
    for (std::uint64_t id : {0x1000, 0x3000}) {
        INFO("--hex " << id);
        CHECK(output_for(Writer::x86_64_v1, cg_dump::print_hex, id) == output_of(cg_dump::print_hex, id));
    }
    std::string json = output_for(Writer::x86_64_v1, cg_dump::print_json);
    std::string version = "\"format_version\": 1,";
    REQUIRE(has(json, version));
    CHECK(json.replace(json.find(version), version.size(), "\"format_version\": 2,") ==
          output_of(cg_dump::print_json));
}

TEST_CASE("a snapshot from aarch64, shown on this machine by cg-dump", "[formatters]")
{
    cg_dump_test::TemporaryFile file(cg_dump_test::sample_file({.writer = Writer::aarch64}).bytes);

    cg_dump_test::Run summary = cg_dump_test::run_cg_dump({file.path()});
    CAPTURE(summary.out, summary.err);
    REQUIRE(summary.exit_code == 0);
    CHECK(has(summary.out, "arch        aarch64\n"));
    CHECK(line_with(summary.out, "0x1000") ==
          "0x1000       1  reader                suspended       48        64       2  waits_here");

    cg_dump_test::Run backtraces = cg_dump_test::run_cg_dump({"--backtrace", file.path()});
    CAPTURE(backtraces.out);
    REQUIRE(backtraces.exit_code == 0);
    CHECK(has(backtraces.out, "\n    #0 0x401010 waits_here+0x10 (sp 0x7ffd00000fd0)\n"
                              "    #1 0x402020 calls_it+0x20 (sp 0x7ffd00000ff0)\n0x2000"));

    cg_dump_test::Run stats = cg_dump_test::run_cg_dump({"--stats", file.path()});
    CAPTURE(stats.out);
    REQUIRE(stats.exit_code == 0);
    CHECK(has(stats.out, "generators: 4 (1 not-started, 3 suspended) in 3 threads\n"));
    CHECK(has(line_with(stats.out, "capacity not in use"), " 19  23.8%"));

    cg_dump_test::Run hex = cg_dump_test::run_cg_dump({"--hex", "0x1000", file.path()});
    CAPTURE(hex.out);
    REQUIRE(hex.exit_code == 0);
    // The resume point comes from x30 and sp, not from the slice.
    CHECK(has(hex.out, "\nresumes at pc 0x401010 waits_here+0x10, sp 0x7ffd00000fd0"
                       " -> slice+0x0 (frame #0 waits_here)\n"));
    CHECK(has(hex.out, "saved registers (control block):\n"
                       "  register  value\n"
                       "  x19       0x0000000000000019\n"
                       "  x20       0x0000000000000020\n"
                       "  x21       0x0000000000000021\n"
                       "  x22       0x0000000000000022\n"
                       "  x23       0x0000000000000023\n"
                       "  x24       0x0000000000000024\n"
                       "  x25       0x0000000000000025\n"
                       "  x26       0x0000000000000026\n"
                       "  x27       0x0000000000000027\n"
                       "  x28       0x0000000000000028\n"
                       "  x29       0x00007ffd00000fd0  -> slice+0x0 (frame #0 waits_here)\n"
                       "  x30       0x0000000000401010  code address waits_here+0x10\n"
                       "  sp        0x00007ffd00000fd0  -> slice+0x0 (frame #0 waits_here)\n"
                       "  d8        0x3ff0000000000000\n"
                       "  d9        0x4000000000000000\n"
                       "  d10       0x4008000000000000\n"
                       "  d11       0x4010000000000000\n"
                       "  d12       0x4014000000000000\n"
                       "  d13       0x4018000000000000\n"
                       "  d14       0x401c000000000000\n"
                       "  d15       0x4020000000000000\n"
                       "  fpcr      0x0000000002000000\n\n"));
    // The slice begins with waits_here's frame record, not with a return
    // address; the return address into calls_it is the record's second
    // word, not the word below calls_it's sp (as amd64's would be).
    CHECK_FALSE(has(hex.out, "the yield's return address"));
    CHECK(line_with(hex.out, "  0x7ffd00000fd0  ") ==
          "  0x7ffd00000fd0  0x00007ffd00000ff0  #0     -> slice+0x20 (frame #1 calls_it)");
    CHECK(line_with(hex.out, "  0x7ffd00000fd8  ") ==
          "  0x7ffd00000fd8  0x0000000000402020  #0     return address -> calls_it+0x20 (frame #1)");
    CHECK(line_with(hex.out, "  0x7ffd00000fe8  ") == "  0x7ffd00000fe8  0x0000000000000000  #0");

    cg_dump_test::Run json = cg_dump_test::run_cg_dump({"--json", file.path()});
    CAPTURE(json.out);
    REQUIRE(json.exit_code == 0);
    CHECK(has(json.out, "\"architecture\": \"aarch64\","));
    CHECK(has(json.out, "\"resume_pc\": \"0x401010\",\n"
                        "          \"resume_sp\": \"0x7ffd00000fd0\",\n"
                        "          \"registers\": {\n"
                        "            \"x19\": \"0x19\",\n"
                        "            \"x20\": \"0x20\",\n"
                        "            \"x21\": \"0x21\",\n"
                        "            \"x22\": \"0x22\",\n"
                        "            \"x23\": \"0x23\",\n"
                        "            \"x24\": \"0x24\",\n"
                        "            \"x25\": \"0x25\",\n"
                        "            \"x26\": \"0x26\",\n"
                        "            \"x27\": \"0x27\",\n"
                        "            \"x28\": \"0x28\",\n"
                        "            \"x29\": \"0x7ffd00000fd0\",\n"
                        "            \"x30\": \"0x401010\",\n"
                        "            \"sp\": \"0x7ffd00000fd0\",\n"
                        "            \"d8\": \"0x3ff0000000000000\",\n"
                        "            \"d9\": \"0x4000000000000000\",\n"
                        "            \"d10\": \"0x4008000000000000\",\n"
                        "            \"d11\": \"0x4010000000000000\",\n"
                        "            \"d12\": \"0x4014000000000000\",\n"
                        "            \"d13\": \"0x4018000000000000\",\n"
                        "            \"d14\": \"0x401c000000000000\",\n"
                        "            \"d15\": \"0x4020000000000000\",\n"
                        "            \"fpcr\": \"0x2000000\"\n"
                        "          },"));
    std::optional<bool> valid = cg_dump_test::valid_json(json.out);
    if (!valid)
        WARN("no python3: the JSON is not checked for validity");
    CHECK(valid.value_or(true));
}

TEST_CASE("where a call does not push its return address, a word equal to a frame's pc is one", "[formatters]")
{
    // A riscv64 generator yielding in leaf, called by recurse twice, called
    // by outer. Each callee keeps its caller's return address at its sp + 8
    // (above its saved frame pointer), not below its caller's sp.
    constexpr std::uint64_t bottom = 0x10000, leaf = 0x5008, recurse = 0x6010, outer = 0x7020;
    cg_dump::Snapshot snapshot;
    snapshot.version = 2;
    snapshot.architecture = "riscv64";
    snapshot.register_names = {"ra", "sp", "s0"};
    cg_dump::Section& section = snapshot.sections.emplace_back();
    cg_dump::Record& record = section.records.emplace_back();
    record.id = 0x1000;
    record.state = 1;
    record.flags = 1; // details
    record.resume_pc = leaf;
    record.resume_sp = bottom;
    record.registers = {leaf, bottom, bottom + 0x18};
    record.frames = {{leaf, bottom, 0x8, "leaf"},
                     {recurse, bottom + 0x18, 0x10, "recurse"},
                     {recurse, bottom + 0x30, 0x10, "recurse"},
                     {outer, bottom + 0x48, 0x20, "outer"}};
    Encoder slice;
    for (std::uint64_t word : {bottom + 0x18, recurse, std::uint64_t{0x1234}, // leaf's frame
                               bottom + 0x30, recurse, std::uint64_t{0},      // recurse's
                               bottom + 0x48, outer, std::uint64_t{0},        // recurse's
                               recurse})                                      // outer's: a stale copy
        slice.put(word);
    record.slice = slice.bytes();
    record.slice_top = bottom + record.slice.size();

    auto hex_dump = [&snapshot] {
        std::ostringstream out;
        cg_dump::print_hex(out, snapshot, 0x1000);
        return out.str();
    };
    std::string dump = hex_dump();
    INFO(dump);
    CHECK(has(dump, "\nresumes at pc 0x5008 leaf+0x8, sp 0x10000 -> slice+0x0 (frame #0 leaf)\n"));
    CHECK(has(line_with(dump, "  ra "), "0x0000000000005008  code address leaf+0x8"));
    CHECK(has(line_with(dump, "  s0 "), "0x0000000000010018  -> slice+0x18 (frame #1 recurse)"));
    // The lowest word is not the resume pc: not the yield's return address.
    CHECK(line_with(dump, "  0x10000  ") == "  0x10000  0x0000000000010018  #0     -> slice+0x18 (frame #1 recurse)");
    // Each return address of recurse belongs to the frame its callee called.
    CHECK(has(line_with(dump, "  0x10008  "), "#0     return address -> recurse+0x10 (frame #1)"));
    CHECK(has(line_with(dump, "  0x10020  "), "#1     return address -> recurse+0x10 (frame #2)"));
    CHECK(has(line_with(dump, "  0x10038  "), "#2     return address -> outer+0x20 (frame #3)"));
    // Called by nothing in frame #3: the innermost frame with that pc.
    CHECK(has(line_with(dump, "  0x10048  "), "#3     return address -> recurse+0x10 (frame #1)"));
    CHECK(line_with(dump, "  0x10010  ") == "  0x10010  0x0000000000001234  #0");

    // Were the lowest word the resume pc, it would be the yield's.
    Encoder resume;
    resume.put(leaf);
    record.slice.replace(0, 8, resume.bytes());
    CHECK(has(line_with(hex_dump(), "  0x10000  "), "the yield's return address -> leaf+0x8"));

    // The same words read as amd64's: the return addresses are the words
    // below each frame's sp, where there are none here, and the lowest word
    // is the yield's whatever it holds.
    snapshot.architecture = "x86_64";
    std::string as_amd64 = hex_dump();
    INFO(as_amd64);
    CHECK(has(line_with(as_amd64, "  0x10000  "), "the yield's return address"));
    CHECK(has(line_with(as_amd64, "  0x10008  "), "#0     code address recurse+0x10"));
    CHECK_FALSE(has(as_amd64, "  return address ->"));

    // An architecture this cg-dump does not know is shown, escaped.
    snapshot.architecture = "risc\x1b[2Jv";
    std::ostringstream summary;
    cg_dump::print_summary(summary, snapshot);
    CHECK(has(summary.str(), "arch        risc\\x1b[2Jv\n"));
}
