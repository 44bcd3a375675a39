// reader_test.cpp - the snapshot reader on the tests' own sample file
// (sample_file.hpp): what it reads from a valid file, what it skips for a
// later format version, and how it refuses files cut short or broken field
// by field. The parser runs in this process (every cut of the file) and
// cg-dump as a program (a few cuts, every broken field).
#include <catch2/catch.hpp>

#include <algorithm>
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

/// The integer at `field` of the sample replaced by `value`.
template <class Integer>
std::string broken(const char* field, Integer value)
{
    SampleFile file = sample_file();
    return file.with(file.at(field), value);
}

} // namespace

TEST_CASE("the sample file is read as written", "[reader]")
{
    cg_dump::Snapshot snapshot = parse_snapshot(sample_file().bytes);
    CHECK(snapshot.pid == sample::pid);
    CHECK(snapshot.time_ns == sample::time_ns);
    CHECK(snapshot.executable == sample::executable);
    CHECK(snapshot.build_id == sample::build_id);
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
    CHECK(reader.registers[1] == sample::rbp);
    CHECK(reader.registers[5] == 6);
    CHECK(reader.mxcsr == 0x1f80);
    CHECK(reader.x87_control == 0x37f);
    REQUIRE(reader.frames.size() == 2);
    CHECK(reader.frames[0].pc == sample::waits_here);
    CHECK(reader.frames[0].sp == sample::slice_bottom + 8);
    CHECK(reader.frames[0].offset == 0x10);
    CHECK(reader.frames[0].function == "waits_here");
    CHECK(reader.frames[1].function == "calls_it");
    REQUIRE(reader.symbols.size() == 2);
    CHECK(reader.symbols[1].address == sample::calls_it);
    CHECK(reader.symbols[1].offset == 0x20);
    CHECK(reader.symbols[1].function == "calls_it");
    const cg_dump::Record& unstarted = first.records[1];
    CHECK(unstarted.id == 0x2000);
    CHECK(unstarted.kind == 1);
    CHECK_FALSE(unstarted.has_details());
    CHECK(unstarted.label.empty());

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

TEST_CASE("fields a later version appends to the header and to records are skipped", "[reader]")
{
    std::string later = sample_file({.header_padding = 13, .first_record_padding = 7}).bytes;
    REQUIRE(later.size() > sample_file().bytes.size());
    cg_dump::Snapshot snapshot = parse_snapshot(later);
    CHECK(snapshot.build_id == sample::build_id);
    REQUIRE(snapshot.sections.size() == 3);
    REQUIRE(snapshot.sections[0].records.size() == 2);
    CHECK(snapshot.sections[0].records[0].symbols.size() == 2);
    CHECK(snapshot.sections[0].records[0].slice.size() == sample::slice_size);
    CHECK(snapshot.sections[0].records[1].id == 0x2000);
    CHECK(snapshot.sections[2].records[0].label == "silent");
}

TEST_CASE("a file cut short is valid at a section boundary, refused with a message anywhere else", "[reader]")
{
    SampleFile file = sample_file();
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

TEST_CASE("broken fields are refused with the offset and what is wrong", "[reader]")
{
    SampleFile file = sample_file();
    std::size_t record = file.at("record_bytes");
    std::uint32_t record_bytes = 0;
    std::memcpy(&record_bytes, file.bytes.data() + record, sizeof record_bytes);
    std::uint64_t section_bytes = 0;
    std::memcpy(&section_bytes, file.bytes.data() + file.at("section_bytes"), sizeof section_bytes);
    std::string other_magic = file.bytes;
    other_magic[0] = 'X';
    std::string off = " at offset ";

    struct Case {
        const char* what;
        std::string bytes;
        std::string message;
    };
    const Case cases[] = {
        {"an empty file", "", "not a cg snapshot (no CGSNAP magic at offset 0)"},
        {"another magic", other_magic, "not a cg snapshot"},
        {"version 2", broken("version", std::uint32_t{2}),
         "header at offset 8: unsupported format version 2 (this cg-dump reads 1)"},
        {"version 0", broken("version", std::uint32_t{0}), "unsupported format version 0 (this cg-dump reads 1)"},
        {"header_bytes below the fixed header", broken("header_bytes", std::uint32_t{20}),
         "header at offset 12: header_bytes 20 is less than the smallest header's 40"},
        {"header_bytes past the end", broken("header_bytes", std::uint32_t{1} << 31),
         "truncated header at offset 12: header_bytes 2147483648 claimed"},
        {"header_bytes cutting the strings short", broken("header_bytes", std::uint32_t{40}),
         "truncated header at offset 36: executable of 15 bytes claimed, 4 bytes remain"},
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
        {"record_bytes below the smallest record", broken("record_bytes", std::uint32_t{10}),
         "section" + off + std::to_string(record) + ": record_bytes 10 is less than the smallest record's 96"},
        {"record_bytes past the section", broken("record_bytes", std::uint32_t{100'000}),
         "truncated section" + off + std::to_string(record) + ": record_bytes 100000 claimed"},
        {"record_bytes cutting its symbols short", broken("record_bytes", record_bytes - 1),
         "truncated record" + off},
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
    };
    for (const Case& broken_file : cases) {
        INFO(broken_file.what);
        std::string error = error_of(broken_file.bytes);
        INFO("the reader says: " << error);
        CHECK(error.find(broken_file.message) != std::string::npos);
        CHECK(error.find("offset") != std::string::npos);
        check_cg_dump_refuses(broken_file.bytes, broken_file.message);
    }
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
}
