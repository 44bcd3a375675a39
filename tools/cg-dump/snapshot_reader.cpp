// snapshot_reader.cpp - parsing a snapshot file (snapshot_reader.hpp).
//
// Every read goes through a Cursor, which knows the part of the file it
// reads (the header, a section, a record) and where that part ends: a
// length inside a record cannot reach past the record, nor a record past its
// section. A length or count is checked against what remains before
// anything is allocated for it.
//
// The two versions differ in the header (version 2 names the architecture
// and the registers) and in the records' fixed fields (version 1 has amd64's
// registers and no resume point); parse_snapshot and read_record_fields
// tell them apart, and what they return is the same for both.
#include "snapshot_reader.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "snapshot_format.hpp"

namespace cg_dump {
namespace {

namespace format = cg::snapshot_format;

constexpr std::uint32_t oldest_version = 1;

/// The header with empty strings: magic, version, header_bytes, pid,
/// time_ns and the two string lengths; version 2 adds the architecture's
/// length and register_count.
constexpr std::size_t smallest_header_bytes_v1 = sizeof format::magic + 4 + 4 + 8 + 8 + 4 + 4;
constexpr std::size_t smallest_header_bytes = smallest_header_bytes_v1 + 4 + 4;

/// What version 1 records held in place of the register list, by the names
/// the version 2 writer gives them on amd64.
const char* const v1_register_names[] = {"rbx", "rbp", "r12", "r13", "r14", "r15", "mxcsr", "x87_control"};
constexpr std::size_t v1_word_registers = 6; // rbx..r15; then u32 mxcsr, u16 x87_control, u16 unused
constexpr std::size_t word_bytes = 8;

/// What every record of a file holds besides its strings, slice, frames
/// and symbols, as the file's header says.
struct RecordLayout {
    std::uint32_t version;
    std::size_t register_count;
    /// Of a record with empty strings, no slice, no frames and no symbols,
    /// record_bytes included.
    std::size_t smallest_bytes;
};

RecordLayout record_layout(const Snapshot& snapshot)
{
    if (snapshot.version == 1)
        return {1, std::size(v1_register_names), format::smallest_record_bytes_v1};
    std::size_t count = snapshot.register_names.size(); // at most max_registers: no overflow
    return {snapshot.version, count, format::smallest_record_bytes + word_bytes * count};
}

/// Reads one part of the file, [offset, end), front to back.
class Cursor {
public:
    Cursor(std::string_view file, std::size_t offset, std::size_t end, const char* part) noexcept
        : file_(file), offset_(offset), end_(end), part_(part)
    {
    }

    std::size_t offset() const noexcept { return offset_; }
    std::size_t remaining() const noexcept { return end_ - offset_; }

    template <class Integer>
    Integer integer(const char* field)
    {
        static_assert(std::is_integral_v<Integer>);
        if (sizeof(Integer) > remaining())
            fail_truncated(field + (" needs " + std::to_string(sizeof(Integer)) + " bytes"));
        auto value = static_cast<Integer>(little_endian(file_.substr(offset_, sizeof(Integer))));
        offset_ += sizeof(Integer);
        return value;
    }

    /// The next `count` bytes, which must remain, and at most `limit` of
    /// them (checked second: the first thing wrong with a length that
    /// reaches past the end is that it does).
    std::string bytes(std::size_t count, const char* field, std::size_t limit)
    {
        if (count > remaining())
            fail_truncated(field + (" of " + std::to_string(count) + " bytes claimed"));
        if (count > limit)
            fail_at(offset_, field + (" of " + std::to_string(count) + " bytes exceeds the limit of ") +
                                 std::to_string(limit));
        std::string copy(file_.substr(offset_, count));
        offset_ += count;
        return copy;
    }

    /// A u32 length and that many bytes.
    std::string string(const char* field)
    {
        auto length = integer<std::uint32_t>(field);
        return bytes(length, field, format::max_string_bytes);
    }

    /// A u32 count of items of at least `smallest_item_bytes` each: all of
    /// them must fit in what remains, and there may be `limit` at the most.
    std::uint32_t count(const char* field, std::size_t smallest_item_bytes, std::size_t limit)
    {
        std::size_t at = offset_;
        auto count = integer<std::uint32_t>(field);
        std::uint64_t smallest = std::uint64_t{count} * smallest_item_bytes; // < 2^32 * 2^32: no overflow
        if (smallest > remaining())
            fail_at(at,
                    field + (" " + std::to_string(count) + " claims at least " + std::to_string(smallest) +
                             " bytes, " + remaining_text()),
                    true);
        if (count > limit)
            fail_at(at, field + (" " + std::to_string(count) + " exceeds the limit of ") + std::to_string(limit));
        return count;
    }

    /// The next `length` bytes as a part of their own, which this cursor
    /// then skips; `length_at` is where the length was read from.
    Cursor part(std::uint64_t length, const char* part, std::size_t length_at, const char* length_field)
    {
        if (length > remaining())
            fail_at(length_at, length_field + (" " + std::to_string(length) + " claimed, ") + remaining_text(),
                    true);
        Cursor inner(file_, offset_, offset_ + static_cast<std::size_t>(length), part);
        offset_ += static_cast<std::size_t>(length);
        return inner;
    }

    [[noreturn]] void fail_at(std::size_t at, const std::string& why, bool truncated = false) const
    {
        throw ReadError((truncated ? "truncated " : "") + std::string(part_) + " at offset " + std::to_string(at) +
                        ": " + why);
    }

private:
    [[noreturn]] void fail_truncated(const std::string& claim) const
    {
        fail_at(offset_, claim + ", " + remaining_text(), true);
    }

    std::string remaining_text() const { return std::to_string(remaining()) + " bytes remain"; }

    std::string_view file_;
    std::size_t offset_;
    std::size_t end_;
    const char* part_;
};

Frame read_frame(Cursor& in)
{
    Frame frame;
    frame.pc = in.integer<std::uint64_t>("frame pc");
    frame.sp = in.integer<std::uint64_t>("frame sp");
    frame.offset = in.integer<std::uint64_t>("frame offset");
    frame.function = in.string("frame function");
    return frame;
}

Symbol read_symbol(Cursor& in)
{
    Symbol symbol;
    symbol.address = in.integer<std::uint64_t>("symbol address");
    symbol.offset = in.integer<std::uint64_t>("symbol offset");
    symbol.function = in.string("symbol function");
    return symbol;
}

/// Version 1's registers: rbx..r15, mxcsr and x87_control, each widened to
/// a word as version 2 stores them.
void read_v1_registers(Cursor& in, Record& record)
{
    record.registers.reserve(std::size(v1_register_names));
    for (std::size_t i = 0; i < v1_word_registers; ++i)
        record.registers.push_back(in.integer<std::uint64_t>("registers"));
    record.registers.push_back(in.integer<std::uint32_t>("mxcsr"));
    record.registers.push_back(in.integer<std::uint16_t>("x87_control"));
    in.integer<std::uint16_t>("unused");
}

/// Where a version 1 record's generator resumes. The file says nothing: it
/// was written on amd64, where the yield's call pushed its return address,
/// which the slice begins with, and sp was just above it. Without details
/// the fields are 0, as version 2 writes them.
void derive_v1_resume_point(Record& record)
{
    if (!record.has_details())
        return;
    if (record.slice.size() >= word_bytes)
        record.resume_pc = little_endian(std::string_view(record.slice).substr(0, word_bytes));
    record.resume_sp = record.slice_bottom() + word_bytes;
}

/// The fields of a record after record_bytes; a later version's additions
/// at its end are left in `in` unread.
Record read_record_fields(Cursor& in, const RecordLayout& layout)
{
    Record record;
    record.id = in.integer<std::uint64_t>("id");
    record.state = in.integer<std::uint8_t>("state");
    record.kind = in.integer<std::uint8_t>("kind");
    record.flags = in.integer<std::uint16_t>("flags");
    record.label = in.string("label");
    record.slice_top = in.integer<std::uint64_t>("slice_top");
    auto slice_size = in.integer<std::uint32_t>("slice_size");
    record.capacity = in.integer<std::uint32_t>("capacity");
    if (layout.version == 1) {
        read_v1_registers(in, record);
    } else {
        record.resume_pc = in.integer<std::uint64_t>("resume_pc");
        record.resume_sp = in.integer<std::uint64_t>("resume_sp");
        // record_bytes has room for them all (read_section): at most
        // max_registers words are reserved.
        record.registers.reserve(layout.register_count);
        for (std::size_t i = 0; i < layout.register_count; ++i)
            record.registers.push_back(in.integer<std::uint64_t>("registers"));
    }
    record.slice = in.bytes(slice_size, "slice", format::max_slice_bytes);
    if (layout.version == 1)
        derive_v1_resume_point(record);

    std::uint32_t frames = in.count("frame_count", format::smallest_frame_bytes, format::max_frames);
    record.frames.reserve(frames);
    for (std::uint32_t i = 0; i < frames; ++i)
        record.frames.push_back(read_frame(in));

    // The writer names at most one code address per whole word of the slice.
    std::uint32_t symbols = in.count("symbol_count", format::smallest_symbol_bytes, record.slice.size() / 8);
    record.symbols.reserve(symbols);
    for (std::uint32_t i = 0; i < symbols; ++i)
        record.symbols.push_back(read_symbol(in));
    return record;
}

Section read_section(Cursor& file, const RecordLayout& layout)
{
    std::size_t start = file.offset();
    if (file.remaining() < format::section_header_bytes)
        file.fail_at(start,
                     "section header needs " + std::to_string(format::section_header_bytes) + " bytes, " +
                         std::to_string(file.remaining()) + " bytes remain",
                     true);
    auto tag = file.integer<std::uint32_t>("tag");
    if (tag != format::section_tag) {
        char hex[16];
        std::snprintf(hex, sizeof hex, "0x%08x", tag);
        file.fail_at(start, std::string("unknown section tag ") + hex + " (expected THRD)");
    }
    Section section;
    section.thread = file.integer<std::uint32_t>("thread");
    section.flags = file.integer<std::uint32_t>("flags");
    std::size_t count_at = file.offset();
    auto generator_count = file.integer<std::uint32_t>("generator_count");
    std::size_t bytes_at = file.offset();
    auto section_bytes = file.integer<std::uint64_t>("section_bytes");
    Cursor records = file.part(section_bytes, "section", bytes_at, "section_bytes");
    // < 2^32 * (smallest_record_bytes + 8 * max_registers): no overflow.
    std::uint64_t smallest_records = std::uint64_t{generator_count} * layout.smallest_bytes;
    if (smallest_records > section_bytes)
        file.fail_at(count_at, "generator_count " + std::to_string(generator_count) + " needs at least " +
                                   std::to_string(smallest_records) + " bytes, section_bytes is " +
                                   std::to_string(section_bytes));

    section.records.reserve(generator_count);
    for (std::uint32_t i = 0; i < generator_count; ++i) {
        std::size_t record_at = records.offset();
        auto record_bytes = records.integer<std::uint32_t>("record_bytes");
        std::size_t smallest = layout.smallest_bytes - sizeof record_bytes;
        if (record_bytes < smallest) {
            std::string with_registers =
                layout.version == 1 ? "" : " (with " + std::to_string(layout.register_count) + " registers)";
            records.fail_at(record_at, "record_bytes " + std::to_string(record_bytes) +
                                           " is less than the smallest record's " + std::to_string(smallest) +
                                           with_registers);
        }
        Cursor record = records.part(record_bytes, "record", record_at, "record_bytes");
        section.records.push_back(read_record_fields(record, layout));
    }
    if (records.remaining() != 0)
        file.fail_at(bytes_at, "section_bytes " + std::to_string(section_bytes) + " leaves " +
                                   std::to_string(records.remaining()) + " bytes after its records (generator_count " +
                                   std::to_string(generator_count) + ")");
    return section;
}

/// Version 2's register_count and names.
std::vector<std::string> read_register_names(Cursor& header)
{
    // A name takes its u32 length at least.
    std::uint32_t count = header.count("register_count", sizeof(std::uint32_t), format::max_registers);
    std::vector<std::string> names;
    names.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        std::size_t name_at = header.offset();
        std::string name = header.string("register name");
        // A record's registers are told apart by their names (JSON keys
        // them by name): an empty or repeated one names nothing.
        if (name.empty())
            header.fail_at(name_at, "register name " + std::to_string(i) + " is empty");
        auto same = std::find(names.begin(), names.end(), name);
        if (same != names.end())
            header.fail_at(name_at, "register name " + std::to_string(i) + " repeats register name " +
                                        std::to_string(same - names.begin()));
        names.push_back(std::move(name));
    }
    return names;
}

} // namespace

bool Record::has_details() const noexcept { return (flags & format::record_details) != 0; }

bool Section::complete() const noexcept { return (flags & format::section_complete) != 0; }

bool Section::thread_exited() const noexcept { return (flags & format::section_thread_exited) != 0; }

std::uint64_t little_endian(std::string_view bytes) noexcept
{
    std::uint64_t value = 0;
    for (std::size_t i = std::min(bytes.size(), sizeof value); i-- > 0;)
        value = value << 8 | static_cast<unsigned char>(bytes[i]);
    return value;
}

Snapshot parse_snapshot(std::string_view bytes)
{
    if (bytes.size() < sizeof format::magic || std::memcmp(bytes.data(), format::magic, sizeof format::magic) != 0)
        throw ReadError("not a cg snapshot (no CGSNAP magic at offset 0)");
    Cursor file(bytes, sizeof format::magic, bytes.size(), "header");
    std::size_t version_at = file.offset();
    auto version = file.integer<std::uint32_t>("version");
    if (version < oldest_version || version > format::version)
        file.fail_at(version_at, "unsupported format version " + std::to_string(version) +
                                     " (this cg-dump reads versions " + std::to_string(oldest_version) + " to " +
                                     std::to_string(format::version) + ")");
    std::size_t header_bytes_at = file.offset();
    auto header_bytes = file.integer<std::uint32_t>("header_bytes");
    std::size_t smallest = version == 1 ? smallest_header_bytes_v1 : smallest_header_bytes;
    if (header_bytes < smallest)
        file.fail_at(header_bytes_at, "header_bytes " + std::to_string(header_bytes) +
                                          " is less than the smallest header's " + std::to_string(smallest));
    if (header_bytes > bytes.size())
        file.fail_at(header_bytes_at,
                     "header_bytes " + std::to_string(header_bytes) + " claimed, the file has " +
                         std::to_string(bytes.size()) + " bytes",
                     true);
    // header_bytes counts from the start of the file, of which this
    // cursor has read the first 16.
    Cursor header = file.part(header_bytes - file.offset(), "header", header_bytes_at, "header_bytes");

    Snapshot snapshot;
    snapshot.version = version;
    snapshot.pid = header.integer<std::uint64_t>("pid");
    snapshot.time_ns = header.integer<std::int64_t>("time_ns");
    snapshot.executable = header.string("executable");
    snapshot.build_id = header.string("build_id");
    if (version == 1) {
        snapshot.architecture = "x86_64";
        snapshot.register_names.assign(std::begin(v1_register_names), std::end(v1_register_names));
    } else {
        snapshot.architecture = header.string("architecture");
        snapshot.register_names = read_register_names(header);
    }
    // Fields a later version adds to the header are skipped with it.

    RecordLayout layout = record_layout(snapshot);
    Cursor sections(bytes, header_bytes, bytes.size(), "section");
    while (sections.remaining() > 0)
        snapshot.sections.push_back(read_section(sections, layout));
    return snapshot;
}

} // namespace cg_dump
