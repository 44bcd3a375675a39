// core_snapshot.cpp - the generators of a core, found through the debug
// descriptor (core_snapshot.hpp, cg/debug.h).
//
// Everything read comes from a file that may be corrupt or hostile: every
// count is bounded (generators by the bytes the core holds, labels and
// slices by the limits of the snapshot format), lists are checked for
// cycles, and a read the core cannot answer is an error naming what was
// being read.
#include "core_snapshot.hpp"

#include <cg/debug.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core_backtrace.hpp"
#include "describe.hpp"
#include "frame_layout.h" // arch/<cpu>/: the CPU this cg-dump reads cores of
#include "snapshot_format.hpp"

namespace cg_dump {
namespace {

namespace format = cg::snapshot_format;

class Reader {
public:
    explicit Reader(const ProcessImage& image) : image_(image) {}

    void bytes(std::uint64_t address, void* out, std::size_t size, const std::string& what) const
    {
        if (!image_.read(address, out, size))
            throw ReadError(what + " at " + hex(address) + " (" + std::to_string(size) +
                            " bytes) is not in the core nor in the files it maps");
    }
    template <class Integer>
    Integer value(std::uint64_t address, const std::string& what) const
    {
        Integer result;
        bytes(address, &result, sizeof result, what);
        return result;
    }
    std::uint64_t address(std::uint64_t at, const std::string& what) const { return value<std::uint64_t>(at, what); }

private:
    const ProcessImage& image_;
};

std::string name_of_machine(unsigned machine)
{
    switch (machine) {
    case 62:
        return "x86_64";
    case 183:
        return "aarch64";
    default:
        return "e_machine " + std::to_string(machine);
    }
}

/// The descriptor, checked against what this reader knows and what the
/// walk will trust: every offset within a small structure.
cg_debug_descriptor_t read_descriptor(const ProcessImage& image, const Reader& read)
{
    auto found = image.symbol_address("cg_debug_descriptor");
    if (!found) {
        std::string message = "no cg_debug_descriptor in the program or the libraries it mapped: it does not "
                              "use cg, or a cg without the debug descriptor";
        if (!image.missing_files().empty())
            message += " (files the core names but that are not here: " + image.missing_files().front() +
                       (image.missing_files().size() > 1 ? " and others" : "") + ")";
        throw ReadError(message);
    }
    char head[16];
    read.bytes(*found, head, sizeof head, "the debug descriptor");
    if (std::memcmp(head, CG_DEBUG_MAGIC, 8) != 0)
        throw ReadError("cg_debug_descriptor at " + hex(*found) + " does not start with \"" CG_DEBUG_MAGIC "\"");
    std::uint32_t version, size;
    std::memcpy(&version, head + 8, 4);
    std::memcpy(&size, head + 12, 4);
    if (version != CG_DEBUG_VERSION)
        throw ReadError("the program's cg has debug descriptor version " + std::to_string(version) +
                        "; this cg-dump reads version " + std::to_string(CG_DEBUG_VERSION));
    cg_debug_descriptor_t d;
    if (size != sizeof d)
        throw ReadError("the debug descriptor has " + std::to_string(size) + " bytes, version " +
                        std::to_string(version) + " has " + std::to_string(sizeof d));
    read.bytes(*found, &d, sizeof d, "the debug descriptor");

    auto small = [](unsigned offset, unsigned width) { return offset + width <= 4096; };
    bool sane = d.machine == cg::arch::elf_machine && d.state_bits > 0 && d.state_bits < 32 &&
                d.table_entries > 0 && d.table_entries <= (1u << 20) && d.chunk_entries > 0 &&
                d.chunk_entries <= (1u << 20) && small(d.registry_first, 8) && small(d.registry_number, 4) &&
                small(d.registry_exited, 1) && small(d.registry_labels, 8) && small(d.label_next, 8) &&
                small(d.label_generator, 8) && small(d.label_text, 8) && small(d.label_size, 4) &&
                small(d.control_status, 4) && small(d.control_ops, 8) && small(d.control_slice_top, 8) &&
                small(d.control_slice_size, 4) && small(d.control_capacity, 4) && small(d.control_next, 8) &&
                small(d.control_inline_bytes, d.inline_capacity) && d.inline_capacity >= 8 &&
                d.register_count <= CG_DEBUG_MAX_REGISTERS && d.resume_sp_offset <= 4096 &&
                (d.resume_pc_register == CG_DEBUG_PC_IN_SLICE || d.resume_pc_register < d.register_count);
    for (std::uint32_t r = 0; sane && r < d.register_count; ++r) {
        const cg_debug_register_t& saved = d.registers[r];
        sane = (saved.size == 2 || saved.size == 4 || saved.size == 8) && small(d.control_registers + saved.offset, saved.size) &&
               std::memchr(saved.name, '\0', sizeof saved.name) != nullptr && saved.name[0] != '\0';
    }
    if (!sane)
        throw ReadError("the debug descriptor at " + hex(*found) + " is corrupt (for " +
                        name_of_machine(d.machine) + ")");
    if (d.resume_pc_register != CG_DEBUG_PC_IN_SLICE && d.registers[d.resume_pc_register].size != 8)
        throw ReadError("the debug descriptor's resume pc register is not 8 bytes");
    return d;
}

/// Labels of one registry, by generator.
std::unordered_map<std::uint64_t, std::string> read_labels(const Reader& read, const cg_debug_descriptor_t& d,
                                                           std::uint64_t registry, std::size_t limit)
{
    std::unordered_map<std::uint64_t, std::string> labels;
    std::unordered_set<std::uint64_t> seen;
    for (std::uint64_t entry = read.address(registry + d.registry_labels, "a registry's labels"); entry != 0;
         entry = read.address(entry + d.label_next, "a label")) {
        if (!seen.insert(entry).second || seen.size() > limit)
            throw ReadError("the labels of the registry at " + hex(registry) + " do not end (a cycle at " +
                            hex(entry) + ")");
        std::uint64_t generator = read.address(entry + d.label_generator, "a label");
        std::uint64_t text = read.address(entry + d.label_text, "a label");
        std::uint32_t size = read.value<std::uint32_t>(entry + d.label_size, "a label");
        std::string label(std::min<std::size_t>(size, format::max_string_bytes), '\0');
        read.bytes(text, label.data(), label.size(), "the text of a label");
        labels[generator] = std::move(label);
    }
    return labels;
}

/// The core thread whose stack holds a running generator's frames: the
/// one whose sp is nearest below the generator's home top.
std::string where_running(const ProcessImage& image, std::uint64_t home_top)
{
    const CoreThread* on = nullptr;
    for (const CoreThread& thread : image.core().threads)
        if (thread.sp <= home_top && home_top - thread.sp < (std::uint64_t{1} << 30) &&
            (on == nullptr || thread.sp > on->sp))
            on = &thread;
    std::string below = "its frames are on the stack below " + hex(home_top);
    return on == nullptr ? below : "runs on LWP " + std::to_string(on->tid) + ": " + below;
}

struct Walk {
    const ProcessImage& image;
    const Reader& read;
    const cg_debug_descriptor_t& d;
    std::uint64_t entry_return;
    std::unordered_set<std::uint64_t> seen; // generators, against cycles
    std::size_t limit;                       // of generators, from the core's size
};

Record read_generator(Walk& walk, std::uint64_t g, const std::unordered_map<std::uint64_t, std::string>& labels)
{
    const cg_debug_descriptor_t& d = walk.d;
    const Reader& read = walk.read;
    std::string what = "generator " + hex(g);
    Record record;
    record.id = g;
    std::uint32_t status = read.value<std::uint32_t>(g + d.control_status, what);
    record.state = static_cast<std::uint8_t>(status & ((1u << d.state_bits) - 1));
    record.kind = static_cast<std::uint8_t>(read.address(g + d.control_ops, what) ==
                                                    reinterpret_cast<std::uintptr_t>(d.c_generator_ops)
                                                ? format::Kind::c
                                                : format::Kind::cpp);
    if (auto label = labels.find(g); label != labels.end())
        record.label = label->second;
    constexpr std::uint8_t suspended = 1, running = 2;
    if (record.state == running)
        record.where = where_running(walk.image, read.address(g + d.control_slice_top, what));
    if (record.state != suspended)
        return record;

    record.slice_top = read.address(g + d.control_slice_top, what);
    std::uint32_t slice_size = read.value<std::uint32_t>(g + d.control_slice_size, what);
    record.capacity = read.value<std::uint32_t>(g + d.control_capacity, what);
    if (slice_size > format::max_slice_bytes || slice_size > record.capacity || slice_size < 8 ||
        record.slice_top < slice_size)
        throw ReadError(what + " claims a slice of " + std::to_string(slice_size) + " bytes below " +
                        hex(record.slice_top) + " in a buffer of " + std::to_string(record.capacity));
    std::uint64_t buffer = g + d.control_inline_bytes;
    if (record.capacity > d.inline_capacity)
        buffer = read.address(buffer, what);
    record.slice.resize(slice_size);
    read.bytes(buffer, record.slice.data(), slice_size, "the slice of " + what);

    SuspendedStack stack;
    stack.bottom = record.slice_bottom();
    stack.top = record.slice_top;
    stack.slice = &record.slice;
    stack.entry_return = walk.entry_return;
    for (std::uint32_t r = 0; r < d.register_count; ++r) {
        const cg_debug_register_t& saved = d.registers[r];
        std::uint64_t value = 0;
        read.bytes(g + d.control_registers + saved.offset, &value, saved.size, what);
        record.registers.push_back(value);
        if (saved.dwarf >= 0)
            stack.registers.emplace_back(saved.dwarf, value);
    }
    record.resume_pc = d.resume_pc_register == CG_DEBUG_PC_IN_SLICE ? little_endian(record.slice.substr(0, 8))
                                                                     : record.registers[d.resume_pc_register];
    record.resume_sp = stack.bottom + d.resume_sp_offset;
    stack.pc = record.resume_pc;
    stack.sp = record.resume_sp;
    record.flags = format::record_details;
    record.frames = unwind_suspended(walk.image, stack);

    // Every word of the slice that points into code, named, as the
    // library's snapshots do.
    for (std::size_t at = 0; at + 8 <= record.slice.size(); at += 8) {
        Symbol symbol;
        symbol.address = little_endian(std::string_view(record.slice).substr(at, 8));
        const ProcessImage::Module* module = walk.image.module_at(symbol.address);
        if (module != nullptr && name_code_address(walk.image, symbol.address, symbol.function, symbol.offset))
            record.symbols.push_back(std::move(symbol));
    }
    return record;
}

Section read_registry(Walk& walk, std::uint64_t registry)
{
    const cg_debug_descriptor_t& d = walk.d;
    Section section;
    section.thread = walk.read.value<std::uint32_t>(registry + d.registry_number, "a registry");
    bool exited = walk.read.value<std::uint8_t>(registry + d.registry_exited, "a registry") != 0;
    section.flags = format::section_complete | (exited ? format::section_thread_exited : 0);
    auto labels = read_labels(walk.read, d, registry, walk.limit);
    for (std::uint64_t g = walk.read.address(registry + d.registry_first, "a registry"); g != 0;
         g = walk.read.address(g + d.control_next, "generator " + hex(g))) {
        if (!walk.seen.insert(g).second || walk.seen.size() > walk.limit)
            throw ReadError("the generators of thread " + std::to_string(section.thread) +
                            " do not end (a cycle at " + hex(g) + ")");
        section.records.push_back(read_generator(walk, g, labels));
    }
    return section;
}

} // namespace

Snapshot snapshot_from_core(const ProcessImage& image, std::int64_t time_ns)
{
    const CoreImage& core = image.core();
    if (core.machine != cg::arch::elf_machine)
        throw ReadError("the program ran on " + name_of_machine(core.machine) + "; this cg-dump reads cores of " +
                        cg::arch::name + " programs (use the cg-dump built for that CPU)");
    Reader read(image);
    cg_debug_descriptor_t d = read_descriptor(image, read);

    Snapshot snapshot;
    snapshot.source = "core";
    snapshot.version = format::version;
    snapshot.pid = core.pid;
    snapshot.time_ns = time_ns;
    if (const ProcessImage::Module* program = image.main_program()) {
        snapshot.executable = program->path;
        snapshot.build_id = program->object->build_id;
    }
    snapshot.architecture = cg::arch::name;
    for (std::uint32_t r = 0; r < d.register_count; ++r)
        snapshot.register_names.emplace_back(d.registers[r].name);

    // A control block is larger than 16 bytes and must be in the core.
    Walk walk{image, read, d, image.symbol_address("cg_arch_entry_return").value_or(0), {},
              image.core_bytes().size() / 16 + 1};
    std::vector<std::uint64_t> chunks(d.table_entries);
    read.bytes(reinterpret_cast<std::uintptr_t>(d.registry_table), chunks.data(), chunks.size() * 8,
               "the registry table");
    std::vector<std::uint64_t> registries(d.chunk_entries);
    for (std::uint64_t chunk : chunks) {
        if (chunk == 0)
            continue;
        read.bytes(chunk, registries.data(), registries.size() * 8, "a chunk of the registry table");
        for (std::uint64_t registry : registries)
            if (registry != 0)
                snapshot.sections.push_back(read_registry(walk, registry));
    }
    return snapshot;
}

} // namespace cg_dump
