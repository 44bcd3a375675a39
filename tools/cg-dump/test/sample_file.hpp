// sample_file.hpp - snapshot files made by the tests themselves: an encoder
// written from the format's comment in src/snapshot_format.hpp, not from
// the library's writer (src/snapshot.cpp), so that the reader is checked
// against the format and not against the writer's reading of it. The sample
// it makes is valid, in format version 2 or 1, as an amd64 or an aarch64
// program would write it; the tests break it field by field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace cg_dump_test {

/// Overwrites the integer at `at` of `bytes`, little-endian.
template <class Integer>
void overwrite(std::string& bytes, std::size_t at, Integer value)
{
    static_assert(std::is_integral_v<Integer>);
    std::memcpy(bytes.data() + at, &value, sizeof value); // amd64 is little-endian, as the format
}

/// Appends little-endian fields, and remembers where named ones begin.
class Encoder {
public:
    template <class Integer>
    void put(Integer value)
    {
        bytes_.append(sizeof value, '\0');
        overwrite(bytes_, bytes_.size() - sizeof value, value);
    }

    /// A u32 length, then the bytes.
    void string(std::string_view text)
    {
        put(static_cast<std::uint32_t>(text.size()));
        bytes_.append(text);
    }

    void raw(std::string_view bytes) { bytes_.append(bytes); }

    /// Names the offset the next field will have; the first use of a name
    /// counts.
    void mark(const std::string& field) { fields_.emplace(field, bytes_.size()); }

    std::size_t size() const noexcept { return bytes_.size(); }
    const std::string& bytes() const noexcept { return bytes_; }
    const std::map<std::string, std::size_t>& fields() const noexcept { return fields_; }

    /// Overwrites the integer at `at`: a length known once what it measures
    /// is written, or a field a test breaks.
    template <class Integer>
    void patch(std::size_t at, Integer value)
    {
        overwrite(bytes_, at, value);
    }

private:
    std::string bytes_;
    std::map<std::string, std::size_t> fields_;
};

/// The program the sample is as if from.
enum class Writer {
    x86_64,    ///< format version 2, on amd64 (as this library writes it there)
    x86_64_v1, ///< format version 1 (which only amd64 wrote): the same generators
    aarch64,   ///< format version 2, on aarch64: its registers, its frames' layout
};

/// What the sample may have besides its fixed contents.
struct SampleOptions {
    Writer writer = Writer::x86_64;
    /// Room a later format version might take, which the reader must skip:
    /// bytes after build_id (counted in header_bytes) and after the first
    /// record's symbols (counted in its record_bytes). The tests of limits
    /// use the latter too: the room that a count too large claims.
    std::size_t header_padding = 0;
    std::size_t first_record_padding = 0;
    std::string first_label = "reader"; ///< generator 0x1000's
    std::uint32_t exited_slice_size = 13; ///< generator 0x3000's
};

/// A valid snapshot with the same contents every time, described by the
/// constants below. Thread 1 (complete): generator 0x1000 suspended with
/// details (labeled "reader", two frames, named code words in its slice) and
/// generator 0x2000 not started (C, no label). Thread 2 (exited, complete):
/// generator 0x3000 suspended, a 13-byte slice, no frames, a label with a
/// tab and an invalid UTF-8 byte. Thread 3 (did not answer): generator
/// 0x4000 "silent", no details. Only generator 0x1000's registers, resume
/// point and slice depend on the writer's CPU.
struct SampleFile {
    std::string bytes;
    /// Where the first of each named field begins: "version",
    /// "header_bytes", "executable", "tag", "generator_count",
    /// "section_bytes", "record_bytes", "label", "slice_size", "slice",
    /// "frame_count", "function", "symbol_count"; in version 2 also
    /// "architecture", "register_count", "register_name", "resume_pc",
    /// "registers".
    std::map<std::string, std::size_t> fields;
    /// The lengths at which the file may be cut and still be valid: after
    /// the header, after each section.
    std::vector<std::size_t> boundaries;

    std::size_t at(const std::string& field) const { return fields.at(field); }
    /// The sample with the integer at `at` replaced.
    template <class Integer>
    std::string with(std::size_t at, Integer value) const
    {
        std::string copy = bytes;
        overwrite(copy, at, value);
        return copy;
    }
};

SampleFile sample_file(const SampleOptions& options = {});

namespace sample {
inline constexpr std::uint64_t pid = 4242;
inline constexpr std::int64_t time_ns = 1'700'000'000'123'456'789; // 2023-11-14T22:13:20.123456789Z
inline constexpr const char* executable = "/usr/bin/sample";
inline constexpr const char* build_id = "00112233445566778899aabbccddeeff00112233";
inline constexpr std::uint64_t slice_top = 0x7ffd0000'1000;
inline constexpr std::uint32_t slice_size = 48;
inline constexpr std::uint32_t capacity = 64;
inline constexpr std::uint64_t slice_bottom = slice_top - slice_size;
inline constexpr std::uint64_t waits_here = 0x401010; // frame #0's pc: the resume pc
inline constexpr std::uint64_t calls_it = 0x402020;   // frame #1's pc, a return address in the slice
inline constexpr std::uint32_t exited_slice_size = 13;
inline constexpr std::uint64_t exited_slice_top = 0x7ffd0000'2000;
inline const std::string odd_label = "tab\there \xff end"; // a control character and invalid UTF-8

// On amd64 the yield's call pushed waits_here at the slice's bottom, and
// calls_it is at slice+0x18, below frame #1's sp.
inline const std::vector<std::string> x86_64_registers = {"rbx", "rbp", "r12",   "r13",
                                                          "r14", "r15", "mxcsr", "x87_control"};
inline constexpr std::uint64_t rbp = slice_bottom + 32; // points into the slice: frame #1
inline constexpr std::uint32_t mxcsr = 0x1f80;
inline constexpr std::uint16_t x87_control = 0x37f;

// On aarch64 the yield's call left waits_here in x30, and sp at the slice's
// bottom; waits_here's frame record (x29, x30) is the slice's first two
// words, so calls_it is at slice+0x8.
inline const std::vector<std::string> aarch64_registers = {
    "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "x29",
    "x30", "sp",  "d8",  "d9",  "d10", "d11", "d12", "d13", "d14", "d15", "fpcr"};
inline constexpr std::uint64_t x29 = slice_bottom;        // waits_here's frame record
inline constexpr std::uint64_t d8 = 0x3ff0000000000000;   // 1.0
inline constexpr std::uint64_t d15 = 0x4020000000000000;  // 8.0
inline constexpr std::uint64_t fpcr = 0x02000000;         // default NaN mode
} // namespace sample

} // namespace cg_dump_test
