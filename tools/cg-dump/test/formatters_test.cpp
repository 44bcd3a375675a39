// formatters_test.cpp - cg-dump's output modes on the tests' sample file
// (sample_file.hpp), whose every word is known: what each mode shows, and
// that a hostile label reaches neither the terminal nor JSON unescaped.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>

#include "describe.hpp"
#include "formatters.hpp"
#include "run_program.hpp"
#include "sample_file.hpp"
#include "snapshot_reader.hpp"

namespace {

template <class Print, class... Arguments>
std::string output_of(Print print, Arguments... arguments)
{
    std::ostringstream out;
    print(out, cg_dump::parse_snapshot(cg_dump_test::sample_file().bytes), arguments...);
    return out.str();
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
    CHECK(has(dump, "saved registers (control block):\n"));
    CHECK(has(line_with(dump, "  rbp "), "0x00007ffd00000ff0  -> slice+0x20 (frame #1 calls_it)"));
    CHECK(has(line_with(dump, "  mxcsr"), "0x1f80"));
    CHECK(has(line_with(dump, "  x87 cw"), "0x37f"));
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
    CHECK(has(json, "\"pid\": 4242,"));
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
    record.frames = {frame("void cg::detail::entry<main::{lambda}>()")}; // nothing else: that one
    CHECK(cg_dump::waiting_function(record) == "void cg::detail::entry<main::{lambda}>()");
    record.frames.clear();
    CHECK(cg_dump::waiting_function(record) == "-");
}
