// snapshot_reader.cpp - parsing a snapshot file (snapshot_reader.hpp).
//
// Every read goes through a Cursor, which knows the part of the file it
// reads (the header, a section, a record) and where that part ends: a
// length inside a record cannot reach past the record, nor a record past its
// section. A length or count is checked against what remains before
// anything is allocated for it.
#include "snapshot_reader.hpp"

#include <cstdio>
#include <cstring>
#include <string>
#include <type_traits>

#include "snapshot_format.hpp"

namespace cg_dump {
namespace {

namespace format = cg::snapshot_format;

/// The header with empty strings: magic, version, header_bytes, pid,
/// time_ns and the two string lengths.
constexpr std::size_t smallest_header_bytes = sizeof format::magic + 4 + 4 + 8 + 8 + 4 + 4;

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
        Integer value; // little-endian in the file, as on amd64; unaligned, hence memcpy
        std::memcpy(&value, file_.data() + offset_, sizeof value);
        offset_ += sizeof value;
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

/// The fields of a record after record_bytes; a later version's additions
/// at its end are left in `in` unread.
Record read_record_fields(Cursor& in)
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
    for (std::uint64_t& value : record.registers)
        value = in.integer<std::uint64_t>("registers");
    record.mxcsr = in.integer<std::uint32_t>("mxcsr");
    record.x87_control = in.integer<std::uint16_t>("x87_control");
    in.integer<std::uint16_t>("unused");
    record.slice = in.bytes(slice_size, "slice", format::max_slice_bytes);

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

Section read_section(Cursor& file)
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
    if (std::uint64_t{generator_count} * format::smallest_record_bytes > section_bytes)
        file.fail_at(count_at, "generator_count " + std::to_string(generator_count) + " needs at least " +
                                   std::to_string(std::uint64_t{generator_count} * format::smallest_record_bytes) +
                                   " bytes, section_bytes is " + std::to_string(section_bytes));

    section.records.reserve(generator_count);
    for (std::uint32_t i = 0; i < generator_count; ++i) {
        std::size_t record_at = records.offset();
        auto record_bytes = records.integer<std::uint32_t>("record_bytes");
        constexpr std::size_t smallest = format::smallest_record_bytes - sizeof record_bytes;
        if (record_bytes < smallest)
            records.fail_at(record_at, "record_bytes " + std::to_string(record_bytes) +
                                           " is less than the smallest record's " + std::to_string(smallest));
        Cursor record = records.part(record_bytes, "record", record_at, "record_bytes");
        section.records.push_back(read_record_fields(record));
    }
    if (records.remaining() != 0)
        file.fail_at(bytes_at, "section_bytes " + std::to_string(section_bytes) + " leaves " +
                                   std::to_string(records.remaining()) + " bytes after its records (generator_count " +
                                   std::to_string(generator_count) + ")");
    return section;
}

} // namespace

bool Record::has_details() const noexcept { return (flags & format::record_details) != 0; }

bool Section::complete() const noexcept { return (flags & format::section_complete) != 0; }

bool Section::thread_exited() const noexcept { return (flags & format::section_thread_exited) != 0; }

Snapshot parse_snapshot(std::string_view bytes)
{
    if (bytes.size() < sizeof format::magic || std::memcmp(bytes.data(), format::magic, sizeof format::magic) != 0)
        throw ReadError("not a cg snapshot (no CGSNAP magic at offset 0)");
    Cursor file(bytes, sizeof format::magic, bytes.size(), "header");
    std::size_t version_at = file.offset();
    auto version = file.integer<std::uint32_t>("version");
    if (version != format::version)
        file.fail_at(version_at, "unsupported format version " + std::to_string(version) + " (this cg-dump reads " +
                                     std::to_string(format::version) + ")");
    std::size_t header_bytes_at = file.offset();
    auto header_bytes = file.integer<std::uint32_t>("header_bytes");
    if (header_bytes < smallest_header_bytes)
        file.fail_at(header_bytes_at, "header_bytes " + std::to_string(header_bytes) +
                                          " is less than the smallest header's " +
                                          std::to_string(smallest_header_bytes));
    if (header_bytes > bytes.size())
        file.fail_at(header_bytes_at,
                     "header_bytes " + std::to_string(header_bytes) + " claimed, the file has " +
                         std::to_string(bytes.size()) + " bytes",
                     true);
    // header_bytes counts from the start of the file, of which this
    // cursor has read the first 16.
    Cursor header = file.part(header_bytes - file.offset(), "header", header_bytes_at, "header_bytes");

    Snapshot snapshot;
    snapshot.pid = header.integer<std::uint64_t>("pid");
    snapshot.time_ns = header.integer<std::int64_t>("time_ns");
    snapshot.executable = header.string("executable");
    snapshot.build_id = header.string("build_id");
    // Fields a later version adds to the header are skipped with it.

    Cursor sections(bytes, header_bytes, bytes.size(), "section");
    while (sections.remaining() > 0)
        snapshot.sections.push_back(read_section(sections));
    return snapshot;
}

} // namespace cg_dump
