// reader_test.cpp - the snapshot reader on the tests' own sample files
// (sample_file.hpp), as amd64 writes them in format versions 2 and 1 and as
// aarch64 writes them: what it reads from a valid file, that both versions
// read the same, what it skips for a later format version, and how it
// refuses files cut short or broken field by field. The parser runs in this
// process (every cut of the file) and cg-dump as a program (a few cuts,
// every broken field).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "run_program.hpp"
#include "sample_file.hpp"
#include "snapshot_reader.hpp"

using cg_dump::parse_snapshot;
using cg_dump::ReadError;
using cg_dump_test::sample_file;
using cg_dump_test::SampleFile;
using cg_dump_test::TemporaryFile;
using cg_dump_test::Writer;
namespace sample = cg_dump_test::sample;

namespace {

/// The parser's error for `bytes`; "" if they parse.
std::string error_of(const std::string& bytes)
{
    try {
        parse_snapshot(bytes);
        return "";
    } catch (const ReadError& error) {
        return error.what();
    }
}

/// cg-dump on `bytes` fails as bad input and says `message` about the file.
void check_cg_dump_refuses(const std::string& bytes, const std::string& message)
{
    TemporaryFile file(bytes);
    cg_dump_test::Run run = cg_dump_test::run_cg_dump({file.path()});
    CHECK(run.exit_code == 1);
    CHECK(run.out.empty());
    CHECK(run.err.rfind("cg-dump: " + file.path() + ": ", 0) == 0);
    CHECK(run.err.find(message) != std::string::npos);
}

/// The integer at `field` of the sample (of `writer`) replaced by `value`.
template <class Integer>
std::string broken(const char* field, Integer value, Writer writer = Writer::x86_64)
{
    SampleFile file = sample_file({.writer = writer});
    return file.with(file.at(field), value);
}

const char* writer_name(Writer writer)
{
    switch (writer) {
    case Writer::x86_64:
        return "x86_64, version 2";
    case Writer::x86_64_v1:
        return "x86_64, version 1";
    case Writer::aarch64:
        return "aarch64";
    }
    return "?";
}

/// Every field of two parsed snapshots but the format version is the same.
void check_same_contents(const cg_dump::Snapshot& a, const cg_dump::Snapshot& b)
{
    CHECK(a.pid == b.pid);
    CHECK(a.time_ns == b.time_ns);
    CHECK(a.executable == b.executable);
    CHECK(a.build_id == b.build_id);
    CHECK(a.architecture == b.architecture);
    CHECK(a.register_names == b.register_names);
    REQUIRE(a.sections.size() == b.sections.size());
    for (std::size_t s = 0; s < a.sections.size(); ++s) {
        INFO("section " << s);
        CHECK(a.sections[s].thread == b.sections[s].thread);
        CHECK(a.sections[s].flags == b.sections[s].flags);
        REQUIRE(a.sections[s].records.size() == b.sections[s].records.size());
        for (std::size_t r = 0; r < a.sections[s].records.size(); ++r) {
            INFO("record " << r);
            const cg_dump::Record& x = a.sections[s].records[r];
            const cg_dump::Record& y = b.sections[s].records[r];
            CHECK(x.id == y.id);
            CHECK(x.state == y.state);
            CHECK(x.kind == y.kind);
            CHECK(x.flags == y.flags);
            CHECK(x.label == y.label);
            CHECK(x.slice_top == y.slice_top);
            CHECK(x.capacity == y.capacity);
            CHECK(x.resume_pc == y.resume_pc);
            CHECK(x.resume_sp == y.resume_sp);
            CHECK(x.registers == y.registers);
            CHECK(x.slice == y.slice);
            REQUIRE(x.frames.size() == y.frames.size());
            for (std::size_t f = 0; f < x.frames.size(); ++f) {
                CHECK(x.frames[f].pc == y.frames[f].pc);
                CHECK(x.frames[f].sp == y.frames[f].sp);
                CHECK(x.frames[f].offset == y.frames[f].offset);
                CHECK(x.frames[f].function == y.frames[f].function);
            }
            REQUIRE(x.symbols.size() == y.symbols.size());
            for (std::size_t i = 0; i < x.symbols.size(); ++i) {
                CHECK(x.symbols[i].address == y.symbols[i].address);
                CHECK(x.symbols[i].offset == y.symbols[i].offset);
                CHECK(x.symbols[i].function == y.symbols[i].function);
            }
        }
    }
}

} // namespace

TEST_CASE("the sample file is read as written", "[reader]")
{
    Writer writer = GENERATE(Writer::x86_64, Writer::x86_64_v1, Writer::aarch64);
    INFO(writer_name(writer));
    cg_dump::Snapshot snapshot = parse_snapshot(sample_file({.writer = writer}).bytes);
    CHECK(snapshot.version == (writer == Writer::x86_64_v1 ? 1u : 2u));
    CHECK(snapshot.pid == sample::pid);
    CHECK(snapshot.time_ns == sample::time_ns);
    CHECK(snapshot.executable == sample::executable);
    CHECK(snapshot.build_id == sample::build_id);
    bool aarch64 = writer == Writer::aarch64;
    CHECK(snapshot.architecture == (aarch64 ? "aarch64" : "x86_64"));
    CHECK(snapshot.register_names == (aarch64 ? sample::aarch64_registers : sample::x86_64_registers));
    REQUIRE(snapshot.sections.size() == 3);

    const cg_dump::Section& first = snapshot.sections[0];
    CHECK(first.thread == 1);
    CHECK(first.complete());
    CHECK_FALSE(first.thread_exited());
    REQUIRE(first.records.size() == 2);
    const cg_dump::Record& reader = first.records[0];
    CHECK(reader.id == 0x1000);
    CHECK(reader.state == 1);
    CHECK(reader.kind == 0);
    CHECK(reader.has_details());
    CHECK(reader.label == "reader");
    CHECK(reader.slice_top == sample::slice_top);
    CHECK(reader.slice.size() == sample::slice_size);
    CHECK(reader.slice_bottom() == sample::slice_bottom);
    CHECK(reader.capacity == sample::capacity);
    CHECK(reader.resume_pc == sample::waits_here);
    REQUIRE(reader.registers.size() == snapshot.register_names.size());
    if (aarch64) {
        CHECK(reader.resume_sp == sample::slice_bottom);
        CHECK(reader.registers[0] == 0x19);  // x19
        CHECK(reader.registers[10] == sample::x29);
        CHECK(reader.registers[11] == sample::waits_here); // x30
        CHECK(reader.registers[12] == sample::slice_bottom); // sp
        CHECK(reader.registers[13] == sample::d8);
        CHECK(reader.registers[20] == sample::d15);
        CHECK(reader.registers[21] == sample::fpcr);
    } else {
        CHECK(reader.resume_sp == sample::slice_bottom + 8);
        CHECK(reader.registers[0] == 1); // rbx
        CHECK(reader.registers[1] == sample::rbp);
        CHECK(reader.registers[5] == 6); // r15
        CHECK(reader.registers[6] == sample::mxcsr);
        CHECK(reader.registers[7] == sample::x87_control);
    }
    REQUIRE(reader.frames.size() == 2);
    CHECK(reader.frames[0].pc == sample::waits_here);
    CHECK(reader.frames[0].sp == reader.resume_sp);
    CHECK(reader.frames[0].offset == 0x10);
    CHECK(reader.frames[0].function == "waits_here");
    CHECK(reader.frames[1].function == "calls_it");
    REQUIRE_FALSE(reader.symbols.empty());
    CHECK(reader.symbols.back().address == sample::calls_it);
    CHECK(reader.symbols.back().offset == 0x20);
    CHECK(reader.symbols.back().function == "calls_it");
    const cg_dump::Record& unstarted = first.records[1];
    CHECK(unstarted.id == 0x2000);
    CHECK(unstarted.kind == 1);
    CHECK_FALSE(unstarted.has_details());
    CHECK(unstarted.label.empty());
    // Without details every register is there, and 0.
    CHECK(unstarted.registers == std::vector<std::uint64_t>(snapshot.register_names.size(), 0));
    CHECK(unstarted.resume_pc == 0);
    CHECK(unstarted.resume_sp == 0);

    const cg_dump::Section& exited = snapshot.sections[1];
    CHECK(exited.thread_exited());
    CHECK(exited.complete());
    REQUIRE(exited.records.size() == 1);
    CHECK(exited.records[0].label == sample::odd_label);
    CHECK(exited.records[0].slice.size() == sample::exited_slice_size);

    const cg_dump::Section& silent = snapshot.sections[2];
    CHECK_FALSE(silent.complete());
    REQUIRE(silent.records.size() == 1);
    CHECK(silent.records[0].label == "silent");
    CHECK_FALSE(silent.records[0].has_details());
}

TEST_CASE("version 1 reads as version 2 says the same", "[reader]")
{
    SECTION("the same generators, the same contents")
    {
        cg_dump::Snapshot v1 = parse_snapshot(sample_file({.writer = Writer::x86_64_v1}).bytes);
        cg_dump::Snapshot v2 = parse_snapshot(sample_file({.writer = Writer::x86_64}).bytes);
        CHECK(v1.version == 1);
        CHECK(v2.version == 2);
        check_same_contents(v1, v2);
    }
    SECTION("a slice shorter than a word has no return address to resume at")
    {
        cg_dump::Snapshot v1 = parse_snapshot(sample_file({.writer = Writer::x86_64_v1, .exited_slice_size = 5}).bytes);
        const cg_dump::Record& exited = v1.sections.at(1).records.at(0);
        REQUIRE(exited.slice.size() == 5);
        CHECK(exited.resume_pc == 0);
        CHECK(exited.resume_sp == sample::exited_slice_top - 5 + 8);
    }
    SECTION("mxcsr and x87_control are widened, the unused u16 is not a register")
    {
        SampleFile file = sample_file({.writer = Writer::x86_64_v1});
        // The reader's mxcsr (a u32) and x87_control (a u16) lie 6 words
        // after capacity, that is before the slice: 4 + 2 + 2 bytes.
        std::size_t unused_at = file.at("slice") - 2;
        cg_dump::Snapshot snapshot = parse_snapshot(file.with(unused_at, std::uint16_t{0xffff}));
        const cg_dump::Record& reader = snapshot.sections[0].records[0];
        CHECK(reader.registers.size() == 8);
        CHECK(reader.registers[6] == sample::mxcsr);
        CHECK(reader.registers[7] == sample::x87_control);
    }
}

TEST_CASE("fields a later version appends to the header and to records are skipped", "[reader]")
{
    Writer writer = GENERATE(Writer::x86_64, Writer::x86_64_v1, Writer::aarch64);
    INFO(writer_name(writer));
    std::string later = sample_file({.writer = writer, .header_padding = 13, .first_record_padding = 7}).bytes;
    REQUIRE(later.size() > sample_file({.writer = writer}).bytes.size());
    cg_dump::Snapshot snapshot = parse_snapshot(later);
    CHECK(snapshot.build_id == sample::build_id);
    CHECK(snapshot.register_names.size() == (writer == Writer::aarch64 ? 22u : 8u));
    REQUIRE(snapshot.sections.size() == 3);
    REQUIRE(snapshot.sections[0].records.size() == 2);
    CHECK_FALSE(snapshot.sections[0].records[0].symbols.empty());
    CHECK(snapshot.sections[0].records[0].slice.size() == sample::slice_size);
    CHECK(snapshot.sections[0].records[1].id == 0x2000);
    CHECK(snapshot.sections[2].records[0].label == "silent");
}

TEST_CASE("a file cut short is valid at a section boundary, refused with a message anywhere else", "[reader]")
{
    Writer writer = GENERATE(Writer::x86_64, Writer::x86_64_v1, Writer::aarch64);
    INFO(writer_name(writer));
    SampleFile file = sample_file({.writer = writer});
    for (std::size_t length = 0; length <= file.bytes.size(); ++length) {
        INFO("cut at " << length);
        std::string error = error_of(file.bytes.substr(0, length));
        auto boundary = std::find(file.boundaries.begin(), file.boundaries.end(), length);
        if (boundary != file.boundaries.end()) {
            REQUIRE(error.empty());
            auto sections = static_cast<std::size_t>(boundary - file.boundaries.begin());
            CHECK(parse_snapshot(file.bytes.substr(0, length)).sections.size() == sections);
        } else if (length < 8) {
            REQUIRE(error == "not a cg snapshot (no CGSNAP magic at offset 0)");
        } else {
            REQUIRE(error.rfind("truncated ", 0) == 0);
            CHECK(error.find(" at offset ") != std::string::npos);
        }
    }
    // The same through the program, at a few places: in the magic, the
    // header, a section header, a record's slice.
    check_cg_dump_refuses(file.bytes.substr(0, 5), "not a cg snapshot");
    check_cg_dump_refuses(file.bytes.substr(0, file.at("executable") + 6),
                          "truncated header at offset 12: header_bytes");
    check_cg_dump_refuses(file.bytes.substr(0, file.at("tag") + 10),
                          "truncated section at offset " + std::to_string(file.at("tag")) + ": section header needs");
    check_cg_dump_refuses(file.bytes.substr(0, file.at("slice") + 20), "truncated section at offset");
}

namespace {

struct BrokenFile {
    const char* what;
    std::string bytes;
    std::string message; ///< what the error says, offset included
};

void check_refused(const std::vector<BrokenFile>& files)
{
    for (const BrokenFile& broken_file : files) {
        INFO(broken_file.what);
        std::string error = error_of(broken_file.bytes);
        INFO("the reader says: " << error);
        CHECK(error.find(broken_file.message) != std::string::npos);
        CHECK(error.find("offset") != std::string::npos);
        check_cg_dump_refuses(broken_file.bytes, broken_file.message);
    }
}

std::uint64_t integer_at(const SampleFile& file, const char* field, std::size_t bytes)
{
    return cg_dump::little_endian(std::string_view(file.bytes).substr(file.at(field), bytes));
}

} // namespace

TEST_CASE("broken fields are refused with the offset and what is wrong", "[reader]")
{
    SampleFile file = sample_file();
    std::size_t record = file.at("record_bytes");
    std::uint64_t record_bytes = integer_at(file, "record_bytes", 4);
    std::uint64_t section_bytes = integer_at(file, "section_bytes", 8);
    std::string other_magic = file.bytes;
    other_magic[0] = 'X';
    std::string off = " at offset ";

    check_refused({
        {"an empty file", "", "not a cg snapshot (no CGSNAP magic at offset 0)"},
        {"another magic", other_magic, "not a cg snapshot"},
        {"version 3", broken("version", std::uint32_t{3}),
         "header at offset 8: unsupported format version 3 (this cg-dump reads versions 1 to 2)"},
        {"version 0", broken("version", std::uint32_t{0}), "unsupported format version 0 (this cg-dump reads"},
        {"header_bytes below the fixed header", broken("header_bytes", std::uint32_t{20}),
         "header at offset 12: header_bytes 20 is less than the smallest header's 48"},
        {"header_bytes past the end", broken("header_bytes", std::uint32_t{1} << 31),
         "truncated header at offset 12: header_bytes 2147483648 claimed"},
        {"header_bytes cutting the strings short", broken("header_bytes", std::uint32_t{48}),
         "truncated header at offset 36: executable of 15 bytes claimed, 12 bytes remain"},
        {"an executable of 4 GiB", broken("executable", ~std::uint32_t{0}),
         "truncated header" + off + std::to_string(file.at("executable") + 4) + ": executable of 4294967295 bytes"},
        {"an unknown section tag", broken("tag", std::uint32_t{0x58585858}),
         "section" + off + std::to_string(file.at("tag")) + ": unknown section tag 0x58585858"},
        {"generator_count of 4 G", broken("generator_count", ~std::uint32_t{0}),
         "section" + off + std::to_string(file.at("generator_count")) + ": generator_count 4294967295 needs at least"},
        {"a generator more than there are", broken("generator_count", std::uint32_t{3}),
         "truncated section" + off + std::to_string(file.at("section_bytes") + 8 + section_bytes) +
             ": record_bytes needs 4 bytes, 0 bytes remain"},
        {"a generator less than there are", broken("generator_count", std::uint32_t{1}),
         "section" + off + std::to_string(file.at("section_bytes")) + ": section_bytes " +
             std::to_string(section_bytes) + " leaves"},
        {"section_bytes past the end", broken("section_bytes", std::uint64_t{1} << 40),
         "truncated section" + off + std::to_string(file.at("section_bytes")) +
             ": section_bytes 1099511627776 claimed"},
        {"section_bytes cutting the last record short", broken("section_bytes", section_bytes - 1),
         "truncated section" + off},
        {"record_bytes past the section", broken("record_bytes", std::uint32_t{100'000}),
         "truncated section" + off + std::to_string(record) + ": record_bytes 100000 claimed"},
        {"record_bytes cutting its symbols short",
         broken("record_bytes", static_cast<std::uint32_t>(record_bytes - 1)), "truncated record" + off},
        {"a label of 4 GiB", broken("label", ~std::uint32_t{0}),
         "truncated record" + off + std::to_string(file.at("label") + 4) + ": label of 4294967295 bytes claimed"},
        {"a slice of 4 GiB", broken("slice_size", std::uint32_t{4'000'000'000}),
         "truncated record" + off + std::to_string(file.at("slice")) + ": slice of 4000000000 bytes claimed"},
        {"frame_count of 4 G", broken("frame_count", ~std::uint32_t{0}),
         "truncated record" + off + std::to_string(file.at("frame_count")) +
             ": frame_count 4294967295 claims at least 120259084260 bytes"},
        {"a function name of 4 GiB", broken("function", ~std::uint32_t{0}),
         "truncated record" + off + std::to_string(file.at("function") + 4) + ": frame function of 4294967295 bytes"},
        {"symbol_count of 4 G", broken("symbol_count", ~std::uint32_t{0}),
         "truncated record" + off + std::to_string(file.at("symbol_count")) + ": symbol_count 4294967295 claims"},
    });
}

TEST_CASE("broken fields of version 2's register list are refused with the offset", "[reader]")
{
    Writer writer = GENERATE(Writer::x86_64, Writer::aarch64);
    INFO(writer_name(writer));
    SampleFile file = sample_file({.writer = writer});
    std::size_t registers = writer == Writer::aarch64 ? 22 : 8;
    std::size_t names_at = file.at("register_name");
    std::size_t names_end = file.boundaries[0]; // the header's end
    std::size_t last_name_length = (writer == Writer::aarch64 ? sample::aarch64_registers : sample::x86_64_registers)
                                       .back()
                                       .size();
    std::size_t count_at = file.at("register_count");
    std::size_t record = file.at("record_bytes");
    std::uint64_t section_bytes = integer_at(file, "section_bytes", 8);
    // 60 bytes besides the strings, slice, frames and symbols, 8 per register.
    std::uint64_t smallest_record = 60 + 8 * registers;
    std::string off = " at offset ";

    // The second name ("rbp", "x20") made the first's.
    std::string repeated = file.bytes;
    std::memcpy(repeated.data() + names_at + 4 + 3 + 4, repeated.data() + names_at + 4, 3);
    // The first record's label long enough that record_bytes has room for
    // its registers, but cut in the middle of them.
    SampleFile labeled = sample_file({.writer = writer, .first_label = std::string(200, 'x')});
    std::size_t cut_registers_at = labeled.at("registers") + 8 * (registers / 2) + 4;
    std::string cut_registers =
        labeled.with(labeled.at("record_bytes"),
                     static_cast<std::uint32_t>(cut_registers_at - labeled.at("record_bytes") - 4));

    check_refused({
        {"an architecture of 4 GiB", file.with(file.at("architecture"), ~std::uint32_t{0}),
         "truncated header" + off + std::to_string(file.at("architecture") + 4) +
             ": architecture of 4294967295 bytes claimed"},
        {"register_count of 4 G", file.with(count_at, ~std::uint32_t{0}),
         "truncated header" + off + std::to_string(count_at) +
             ": register_count 4294967295 claims at least 17179869180 bytes"},
        {"a register more than named", file.with(count_at, static_cast<std::uint32_t>(registers + 1)),
         "truncated header" + off + std::to_string(names_end) + ": register name needs 4 bytes, 0 bytes remain"},
        {"header_bytes cutting the last name short",
         file.with(file.at("header_bytes"), static_cast<std::uint32_t>(names_end - 1)),
         "truncated header" + off + std::to_string(names_end - last_name_length) + ": register name of " +
             std::to_string(last_name_length) + " bytes claimed, " + std::to_string(last_name_length - 1) +
             " bytes remain"},
        {"header_bytes leaving no room for the names", file.with(file.at("header_bytes"),
                                                                 static_cast<std::uint32_t>(names_at + 4)),
         "truncated header" + off + std::to_string(count_at) + ": register_count " + std::to_string(registers) +
             " claims at least " + std::to_string(4 * registers) + " bytes, 4 bytes remain"},
        {"a name longer than the header", file.with(names_at, std::uint32_t{1000}),
         "truncated header" + off + std::to_string(names_at + 4) + ": register name of 1000 bytes claimed"},
        {"an empty name", file.with(names_at, std::uint32_t{0}),
         "header" + off + std::to_string(names_at) + ": register name 0 is empty"},
        {"a name twice", repeated,
         "header" + off + std::to_string(names_at + 7) + ": register name 1 repeats register name 0"},
        {"header_bytes below version 2's fixed header", file.with(file.at("header_bytes"), std::uint32_t{44}),
         "header at offset 12: header_bytes 44 is less than the smallest header's 48"},
        {"record_bytes too short for the registers",
         file.with(record, static_cast<std::uint32_t>(smallest_record - 4 - 8)),
         "section" + off + std::to_string(record) + ": record_bytes " + std::to_string(smallest_record - 12) +
             " is less than the smallest record's " + std::to_string(smallest_record - 4) + " (with " +
             std::to_string(registers) + " registers)"},
        {"more generators than section_bytes has room for with their registers",
         file.with(file.at("generator_count"), static_cast<std::uint32_t>(section_bytes / smallest_record + 1)),
         "section" + off + std::to_string(file.at("generator_count")) + ": generator_count " +
             std::to_string(section_bytes / smallest_record + 1) + " needs at least " +
             std::to_string((section_bytes / smallest_record + 1) * smallest_record) + " bytes"},
        {"record_bytes ending among the registers", cut_registers,
         "truncated record" + off + std::to_string(cut_registers_at - 4) + ": registers needs 8 bytes, 4 bytes remain"},
    });
    // Without the registers that many generators would fit: the check
    // above counts them.
    CHECK((section_bytes / smallest_record + 1) * 60 <= section_bytes);
}

TEST_CASE("broken fields of version 1 are refused with the offset", "[reader]")
{
    SampleFile file = sample_file({.writer = Writer::x86_64_v1});
    std::size_t record = file.at("record_bytes");
    // The first record's label long enough that record_bytes may end in the
    // middle of mxcsr, the u32 two words before the slice.
    SampleFile labeled = sample_file({.writer = Writer::x86_64_v1, .first_label = std::string(200, 'x')});
    std::size_t mxcsr_at = labeled.at("slice") - 8;
    std::string cut_mxcsr = labeled.with(labeled.at("record_bytes"),
                                         static_cast<std::uint32_t>(mxcsr_at + 2 - labeled.at("record_bytes") - 4));
    check_refused({
        {"header_bytes below version 1's fixed header", file.with(file.at("header_bytes"), std::uint32_t{20}),
         "header at offset 12: header_bytes 20 is less than the smallest header's 40"},
        {"header_bytes cutting the strings short", file.with(file.at("header_bytes"), std::uint32_t{40}),
         "truncated header at offset 36: executable of 15 bytes claimed, 4 bytes remain"},
        {"record_bytes below the smallest record", file.with(record, std::uint32_t{10}),
         "section at offset " + std::to_string(record) + ": record_bytes 10 is less than the smallest record's 96"},
        {"record_bytes ending in mxcsr", cut_mxcsr,
         "truncated record at offset " + std::to_string(mxcsr_at) + ": mxcsr needs 4 bytes, 2 bytes remain"},
    });
}

TEST_CASE("the limits of the format are enforced where the bytes are there", "[reader]")
{
    SECTION("a label longer than max_string_bytes")
    {
        std::string error = error_of(sample_file({.first_label = std::string(4097, 'x')}).bytes);
        CHECK(error.find(": label of 4097 bytes exceeds the limit of 4096") != std::string::npos);
    }
    SECTION("more frames than max_frames")
    {
        SampleFile file = sample_file({.first_record_padding = 1025 * 28});
        std::string error = error_of(file.with(file.at("frame_count"), std::uint32_t{1025}));
        CHECK(error == "record at offset " + std::to_string(file.at("frame_count")) +
                           ": frame_count 1025 exceeds the limit of 1024");
    }
    SECTION("more symbols than the slice has words")
    {
        SampleFile file = sample_file({.first_record_padding = 1000});
        std::string error = error_of(file.with(file.at("symbol_count"), std::uint32_t{sample::slice_size / 8 + 1}));
        CHECK(error.find(": symbol_count 7 exceeds the limit of 6") != std::string::npos);
    }
    SECTION("a slice larger than max_slice_bytes")
    {
        std::uint32_t too_large = (64u << 20) + 1;
        SampleFile file = sample_file({.first_record_padding = too_large});
        std::string error = error_of(file.with(file.at("slice_size"), too_large));
        CHECK(error.find(": slice of 67108865 bytes exceeds the limit of 67108864") != std::string::npos);
    }
    SECTION("more registers than max_registers")
    {
        SampleFile file = sample_file({.writer = Writer::aarch64, .header_padding = 65 * 4});
        std::string error = error_of(file.with(file.at("register_count"), std::uint32_t{65}));
        CHECK(error == "header at offset " + std::to_string(file.at("register_count")) +
                           ": register_count 65 exceeds the limit of 64");
        // 64 is within it: what fails then is the 23rd name, read from the padding.
        error = error_of(file.with(file.at("register_count"), std::uint32_t{64}));
        CHECK(error.find("register name of 1515870810 bytes claimed") != std::string::npos);
    }
}
