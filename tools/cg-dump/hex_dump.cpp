// hex_dump.cpp - cg-dump --hex (formatters.hpp): one generator's resume
// point, saved registers and slice, a line per word, each word placed in its
// frame and read as what it most likely is: a return address, a code
// address, a pointer into the slice itself.
//
// The slice is as the generator left it at the yield. Frame #i (innermost
// first) has stack pointer sp_i at its pc_i, and spans [sp_i, sp_i+1), the
// outermost up to slice_top. Where a return address lies depends on the CPU
// the snapshot was written on (the file's architecture, not this one's):
//
// - x86_64: the call that left frame #i pushed pc_i just below sp_i, so the
//   word at sp_i - 8 is frame #i's return address; for frame #0 that is the
//   slice's lowest word, the yield's return address.
// - elsewhere (aarch64, riscv64: the call leaves it in a register, the link
//   register, which the callee saves where its prologue decides): a word
//   equal to pc_i, i >= 1, is taken for frame #i's return address, and the
//   lowest word for the yield's only if it is the resume pc.
#include <algorithm>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "describe.hpp"
#include "escaping.hpp"
#include "formatters.hpp"
#include "table.hpp"

namespace cg_dump {
namespace {

constexpr std::size_t word_bytes = 8;
constexpr std::size_t no_frame = static_cast<std::size_t>(-1);

/// Whether a call on `architecture` pushes its return address on the stack.
bool call_pushes_return_address(const std::string& architecture) { return architecture == "x86_64"; }

/// What the record tells about the addresses of its slice and the code
/// addresses in it. The record may be hostile: frames in any order, with
/// any sp, and a slice that wraps around the address space.
class SliceMap {
public:
    SliceMap(const Record& record, const std::string& architecture)
        : record_(record), call_pushes_return_address_(call_pushes_return_address(architecture))
    {
        for (std::size_t i = 0; i < record.frames.size(); ++i)
            frames_by_sp_.emplace_back(record.frames[i].sp, i);
        std::stable_sort(frames_by_sp_.begin(), frames_by_sp_.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        // The writer named each code word of the slice; a frame's pc is
        // named by the frame. The first name of an address wins.
        for (const Symbol& symbol : record.symbols)
            code_names_.emplace(symbol.address, function_and_offset(symbol.function, symbol.offset));
        for (const Frame& frame : record.frames)
            code_names_.emplace(frame.pc, function_and_offset(frame.function, frame.offset));
        // The innermost frame with each pc wins (recursion repeats pcs).
        for (std::size_t i = 1; i < record.frames.size(); ++i)
            frames_by_pc_.emplace(record.frames[i].pc, i);
    }

    bool in_slice(std::uint64_t address) const noexcept
    {
        return address - record_.slice_bottom() < record_.slice.size();
    }

    /// The frame whose span holds `address` (one of the slice), or no_frame
    /// below the innermost frame.
    std::size_t frame_of(std::uint64_t address) const
    {
        auto after = std::upper_bound(frames_by_sp_.begin(), frames_by_sp_.end(), address,
                                      [](std::uint64_t value, const auto& frame) { return value < frame.first; });
        return after == frames_by_sp_.begin() ? no_frame : std::prev(after)->second;
    }

    /// "#1 calls_down", or "-" for no_frame.
    std::string frame_name(std::size_t frame) const
    {
        if (frame == no_frame)
            return "-";
        const std::string& function = record_.frames[frame].function;
        return "#" + std::to_string(frame) + " " + (function.empty() ? "??" : printable(function));
    }

    /// The function and offset of a code address, "" if it is not one the
    /// record names.
    std::string code_name(std::uint64_t value) const
    {
        auto found = code_names_.find(value);
        return found == code_names_.end() ? std::string() : found->second;
    }

    /// A value that points into the slice: "-> slice+0x60 (frame #1 calls_down)".
    std::string pointer(std::uint64_t value) const
    {
        std::uint64_t offset = value - record_.slice_bottom();
        std::size_t frame = frame_of(value);
        return "-> slice+" + hex(offset) + (frame == no_frame ? "" : " (frame " + frame_name(frame) + ")");
    }

    /// What a register's value is, as far as the record tells: a code
    /// address or a pointer into the slice.
    std::string value_annotation(std::uint64_t value) const
    {
        std::string code = code_name(value);
        return !code.empty() ? "code address " + code : in_slice(value) ? pointer(value) : "";
    }

    /// What the word `value` at `address` is, as far as the record tells.
    std::string annotation(std::uint64_t address, std::uint64_t value) const
    {
        std::string code = code_name(value);
        if (address == record_.slice_bottom() && (call_pushes_return_address_ || value == record_.resume_pc))
            return "the yield's return address" + (code.empty() ? "" : " -> " + code);
        std::size_t frame = returns_to(address, value);
        if (frame != no_frame)
            return "return address -> " + code + " (frame #" + std::to_string(frame) + ")";
        if (!code.empty())
            return "code address " + code;
        if (in_slice(value))
            return pointer(value);
        if (value == record_.id)
            return "-> this generator's control block";
        return "";
    }

private:
    /// The frame whose return address the word `value` at `address` is,
    /// or no_frame.
    std::size_t returns_to(std::uint64_t address, std::uint64_t value) const
    {
        if (call_pushes_return_address_) {
            std::size_t frame = frame_of(address + word_bytes);
            return frame != no_frame && record_.frames[frame].sp == address + word_bytes &&
                           record_.frames[frame].pc == value
                       ? frame
                       : no_frame;
        }
        // The callee saves its caller's return address in its own frame:
        // of frames with the same pc, the one called by the frame that
        // holds the word.
        std::size_t callee = frame_of(address);
        if (callee != no_frame && callee + 1 < record_.frames.size() && record_.frames[callee + 1].pc == value)
            return callee + 1;
        auto frame = frames_by_pc_.find(value);
        return frame == frames_by_pc_.end() ? no_frame : frame->second;
    }

    const Record& record_;
    bool call_pushes_return_address_;
    std::vector<std::pair<std::uint64_t, std::size_t>> frames_by_sp_; // (sp, index), lowest sp first
    std::unordered_map<std::uint64_t, std::string> code_names_;
    std::unordered_map<std::uint64_t, std::size_t> frames_by_pc_; // pc -> the innermost frame #i >= 1 with it
};

/// "resumes at pc 0x401010 waits_here+0x10, sp 0x7ffd00000fd8 -> slice+0x8
/// (frame #0 waits_here)".
void print_resume_point(std::ostream& out, const Record& record, const SliceMap& map)
{
    std::string code = map.code_name(record.resume_pc);
    out << "resumes at pc " << hex(record.resume_pc) << (code.empty() ? "" : " " + code) << ", sp "
        << hex(record.resume_sp) << (map.in_slice(record.resume_sp) ? " " + map.pointer(record.resume_sp) : "")
        << '\n';
}

/// Every register the record holds, by the name the file gives it.
void print_registers(std::ostream& out, const std::vector<std::string>& names, const Record& record,
                     const SliceMap& map)
{
    using Align = Table::Align;
    Table table({{"register", Align::left}, {"value", Align::left}, {"", Align::left}}, 2);
    for (std::size_t i = 0; i < std::min(names.size(), record.registers.size()); ++i) {
        std::uint64_t value = record.registers[i];
        table.add({printable(names[i]), hex_word(value), map.value_annotation(value)});
    }
    out << "saved registers (control block):\n";
    table.print(out);
}

void print_slice(std::ostream& out, const Record& record, const SliceMap& map)
{
    using Align = Table::Align;
    Table table({{"address", Align::left}, {"value", Align::left}, {"frame", Align::left}, {"", Align::left}}, 2);
    std::vector<std::size_t> frame_of_row;
    std::uint64_t bottom = record.slice_bottom();
    for (std::size_t at = 0; at < record.slice.size(); at += word_bytes) {
        std::size_t bytes = std::min(word_bytes, record.slice.size() - at);
        // A partial last word: its bytes, the first the least significant.
        std::uint64_t value = little_endian(std::string_view(record.slice).substr(at, bytes));
        std::uint64_t address = bottom + at;
        std::size_t frame = map.frame_of(address);
        std::string word = hex_word(value);
        std::string annotation;
        if (bytes < word_bytes) {
            word = "0x" + word.substr(word.size() - 2 * bytes);
            annotation = "the slice's last " + std::to_string(bytes) + " bytes";
        } else {
            annotation = map.annotation(address, value);
        }
        table.add({hex(address), word, frame == no_frame ? "-" : "#" + std::to_string(frame), annotation});
        frame_of_row.push_back(frame);
    }

    out << "slice, lowest address first:\n";
    table.print_heading(out);
    for (std::size_t row = 0; row < table.rows(); ++row) {
        // Each frame is named where its words begin.
        std::size_t frame = frame_of_row[row];
        if (frame != no_frame && (row == 0 || frame_of_row[row - 1] != frame))
            out << "  frame " << map.frame_name(frame) << " (sp " << hex(record.frames[frame].sp) << ")\n";
        table.print_row(out, row);
    }
}

void print_generator(std::ostream& out, const Snapshot& snapshot, const Section& section, const Record& record)
{
    out << "generator " << hex(record.id) << " \"" << printable(record.label) << "\": " << state_name(record.state)
        << ' ' << kind_name(record.kind) << ", thread " << section.thread << '\n';
    if (!record.has_details()) {
        out << "no details: a snapshot has a generator's slice and registers only if it was suspended and its "
               "thread answered\n";
        return;
    }
    out << "slice [" << hex(record.slice_bottom()) << ", " << hex(record.slice_top) << "): " << record.slice.size()
        << " bytes, capacity " << record.capacity << '\n';
    SliceMap map(record, snapshot.architecture);
    print_resume_point(out, record, map);
    out << '\n';
    print_registers(out, snapshot.register_names, record, map);
    out << '\n';
    print_slice(out, record, map);
}

} // namespace

std::size_t print_hex(std::ostream& out, const Snapshot& snapshot, std::uint64_t id)
{
    std::size_t found = 0;
    for (const Section& section : snapshot.sections)
        for (const Record& record : section.records)
            if (record.id == id) {
                if (found++ > 0)
                    out << '\n';
                print_generator(out, snapshot, section, record);
            }
    return found;
}

} // namespace cg_dump
