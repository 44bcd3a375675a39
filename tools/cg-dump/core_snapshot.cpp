// core_snapshot.cpp - the generators of a core, found through the debug
// descriptor (core_snapshot.hpp, cg/debug.h).
//
// Everything read comes from a file that may be corrupt or hostile: the
// descriptor's offsets are checked before they are followed, every
// structure must be at an address of its own (which also ends cycles), their
// counts and the bytes of slices and names are bounded in proportion to the
// core's size (Walk), and a read the core cannot answer is an error naming
// what was being read.
#include "core_snapshot.hpp"

#include <cg/debug.h>

#include <cstddef>
#include <cstring>
#include <optional>
#include <iterator>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core_backtrace.hpp"
#include "describe.hpp"
#include "elf_file.hpp"
#include "frame_layout.h" // arch/<cpu>/: the CPU this cg-dump reads cores of
#include "snapshot_format.hpp"

namespace cg_dump {
namespace {

namespace format = cg::snapshot_format;

class Reader {
public:
    explicit Reader(const ProcessMemory& memory) : memory_(memory) {}

    void bytes(std::uint64_t address, void* out, std::size_t size, const std::string& what) const
    {
        if (!memory_.read(address, out, size))
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
    const ProcessMemory& memory_;
};

/// The descriptor, checked against what this reader knows and what the
/// walk will trust: every offset within a small structure.
cg_debug_descriptor_t read_descriptor(const Reader& read, std::uint64_t at)
{
    char head[16];
    read.bytes(at, head, sizeof head, "the debug descriptor");
    if (std::memcmp(head, CG_DEBUG_MAGIC, 8) != 0)
        throw ReadError("cg_debug_descriptor at " + hex(at) + " does not start with \"" CG_DEBUG_MAGIC "\"");
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
    read.bytes(at, &d, sizeof d, "the debug descriptor");

    auto small = [](std::uint64_t offset, std::uint64_t width) { return offset + width <= 4096; };
    bool sane = d.machine == cg::arch::elf_machine && d.state_bits > 0 && d.state_bits < 32 &&
                d.table_entries > 0 && d.table_entries <= (1u << 20) && d.chunk_entries > 0 &&
                d.chunk_entries <= (1u << 20) && small(d.registry_first, 8) && small(d.registry_number, 4) &&
                small(d.registry_exited, 1) && small(d.registry_labels, 8) && small(d.label_next, 8) &&
                small(d.label_generator, 8) && small(d.label_text, 8) && small(d.label_size, 4) &&
                small(d.control_status, 4) && small(d.control_ops_number, 4) && small(d.control_slice_top, 8) &&
                small(d.control_slice_size, 4) && small(d.control_heap_buffer, 1) && small(d.control_next, 8) &&
                small(d.control_inline_bytes, d.inline_capacity) && d.inline_capacity >= 12 &&
                d.page_bytes >= 4096 && d.page_bytes <= 65536 && small(d.slab_next, 8) && small(d.slab_pages, 4) &&
                small(d.slab_header_blocks, 4) && small(d.slab_page_blocks, 4) && small(d.slab_last_page_blocks, 4) &&
                small(d.slab_first_offset, 4) && small(d.slab_block_bytes, 4) &&
                d.register_count <= CG_DEBUG_MAX_REGISTERS && d.resume_sp_offset <= 4096 &&
                (d.resume_pc_register == CG_DEBUG_PC_IN_SLICE || d.resume_pc_register < d.register_count);
    for (std::uint32_t r = 0; sane && r < d.register_count; ++r) {
        const cg_debug_register_t& saved = d.registers[r];
        sane = (saved.size == 2 || saved.size == 4 || saved.size == 8) && small(d.control_registers + saved.offset, saved.size) &&
               std::memchr(saved.name, '\0', sizeof saved.name) != nullptr && saved.name[0] != '\0';
    }
    if (!sane)
        throw ReadError("the debug descriptor at " + hex(at) + " is corrupt (machine " +
                        elf::machine_name(d.machine) + ")");
    if (d.resume_pc_register != CG_DEBUG_PC_IN_SLICE && d.registers[d.resume_pc_register].size != 8)
        throw ReadError("the debug descriptor's resume pc register is not 8 bytes");
    return d;
}

/// Calls `visit` for each non-zero address of a table of `count`, read a
/// block at a time.
template <class Visit>
void for_each_entry(const Reader& read, std::uint64_t table, std::uint64_t count, const std::string& what, Visit visit)
{
    std::uint64_t block[512];
    for (std::uint64_t at = 0; at < count; at += std::size(block)) {
        std::uint64_t n = std::min<std::uint64_t>(std::size(block), count - at);
        read.bytes(table + at * 8, block, n * 8, what);
        for (std::uint64_t i = 0; i < n; ++i)
            if (block[i] != 0)
                visit(block[i]);
    }
}

/// One walk of the registries. A hostile core must not make it take more
/// memory than in proportion to the core's size: structures are counted
/// (each at a distinct address, as in a real process, which also ends
/// cycles), and slices and names are paid for from a budget.
struct Walk {
    const GeneratorSource& source;
    const Reader& read;
    const cg_debug_descriptor_t& d;
    std::size_t limit;  // of registries, labels and generators each: a control block is larger than 64 bytes
    std::uint64_t left; // bytes of slices and of names still allowed
    std::unordered_set<std::uint64_t> chunks, registries, labels, generators, slabs;
    // The generators in the slabs, by the thread their status names.
    std::unordered_map<std::uint32_t, std::vector<std::uint64_t>> in_slabs;

    /// Whether `bytes` more may be held; if so they are spent.
    bool afford(std::uint64_t bytes)
    {
        if (bytes > left)
            return false;
        left -= bytes;
        return true;
    }
};

/// Labels of one registry, by generator.
std::unordered_map<std::uint64_t, std::string> read_labels(Walk& walk, std::uint64_t registry)
{
    const cg_debug_descriptor_t& d = walk.d;
    const Reader& read = walk.read;
    std::unordered_map<std::uint64_t, std::string> labels;
    for (std::uint64_t entry = read.address(registry + d.registry_labels, "a registry's labels"); entry != 0;
         entry = read.address(entry + d.label_next, "a label")) {
        if (!walk.labels.insert(entry).second || walk.labels.size() > walk.limit)
            throw ReadError("the labels of the registry at " + hex(registry) + " do not end (a cycle at " +
                            hex(entry) + ")");
        std::uint64_t generator = read.address(entry + d.label_generator, "a label");
        std::uint64_t text = read.address(entry + d.label_text, "a label");
        std::uint32_t size = read.value<std::uint32_t>(entry + d.label_size, "a label");
        std::size_t kept = std::min<std::size_t>(size, format::max_string_bytes);
        if (!walk.afford(kept))
            throw ReadError("the labels add up to more than the core could hold");
        std::string label(kept, '\0');
        read.bytes(text, label.data(), label.size(), "the text of a label");
        labels[generator] = std::move(label);
    }
    return labels;
}

/// The core thread whose stack holds a running generator's frames: the
/// one whose sp is nearest below the generator's home top.
std::string where_running(const std::vector<CoreThread>& threads, std::uint64_t home_top)
{
    const CoreThread* on = nullptr;
    for (const CoreThread& thread : threads)
        if (thread.sp <= home_top && home_top - thread.sp < (std::uint64_t{1} << 30) &&
            (on == nullptr || thread.sp > on->sp))
            on = &thread;
    std::string below = "its frames are on the stack below " + hex(home_top);
    return on == nullptr ? below : "runs on LWP " + std::to_string(on->tid) + ": " + below;
}

Record read_generator(Walk& walk, std::uint64_t g, const std::unordered_map<std::uint64_t, std::string>& labels)
{
    const cg_debug_descriptor_t& d = walk.d;
    const Reader& read = walk.read;
    std::string what = "generator " + hex(g);
    Record record;
    record.id = g;
    std::uint32_t status = read.value<std::uint32_t>(g + d.control_status, what);
    record.state = static_cast<std::uint8_t>(status & ((1u << d.state_bits) - 1));
    std::uint32_t ops_number = read.value<std::uint32_t>(g + d.control_ops_number, what) & d.ops_number_mask;
    record.kind = static_cast<std::uint8_t>(ops_number == d.c_ops_number ? format::Kind::c : format::Kind::cpp);
    if (auto label = labels.find(g); label != labels.end())
        record.label = label->second;
    constexpr std::uint8_t suspended = 1, running = 2;
    if (record.state == running)
        record.where = where_running(walk.source.threads, read.address(g + d.control_slice_top, what));
    if (record.state != suspended)
        return record;

    record.slice_top = read.address(g + d.control_slice_top, what);
    std::uint32_t slice_size = read.value<std::uint32_t>(g + d.control_slice_size, what);
    std::uint64_t buffer = g + d.control_inline_bytes; // the slice's bytes, or a heap buffer's address
    bool on_heap = read.value<std::uint8_t>(g + d.control_heap_buffer, what) != 0;
    record.capacity = on_heap ? read.value<std::uint32_t>(buffer + 8, what) : d.inline_capacity;
    if (slice_size > format::max_slice_bytes || slice_size > record.capacity || slice_size < 8 ||
        record.slice_top < slice_size)
        throw ReadError(what + " claims a slice of " + std::to_string(slice_size) + " bytes below " +
                        hex(record.slice_top) + " in a buffer of " + std::to_string(record.capacity));
    if (!walk.afford(slice_size))
        throw ReadError(what + ": its slice of " + std::to_string(slice_size) +
                        " bytes and those before it add up to more than the core could hold");
    if (on_heap)
        buffer = read.address(buffer, what);
    record.slice.resize(slice_size);
    read.bytes(buffer, record.slice.data(), slice_size, "the slice of " + what);

    SuspendedStack stack;
    stack.bottom = record.slice_bottom();
    stack.top = record.slice_top;
    stack.slice = &record.slice;
    stack.entry_return = walk.source.entry_return;
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
    record.frames = unwind_suspended(walk.source.memory, stack);

    // Every word of the slice that points into code, named, as the
    // library's snapshots do (while the budget lasts).
    for (std::size_t at = 0; at + 8 <= record.slice.size(); at += 8) {
        Symbol symbol;
        symbol.address = little_endian(std::string_view(record.slice).substr(at, 8));
        if (!name_code_address(walk.source.memory, symbol.address, symbol.function, symbol.offset))
            continue;
        if (!walk.afford(sizeof symbol + symbol.function.size()))
            break;
        record.symbols.push_back(std::move(symbol));
    }
    return record;
}

/// Every slab's blocks that hold a generator, into walk.in_slabs.
void read_slabs(Walk& walk)
{
    const cg_debug_descriptor_t& d = walk.d;
    const Reader& read = walk.read;
    for (std::uint64_t s = read.address(reinterpret_cast<std::uintptr_t>(d.slab_list), "the list of slabs"); s != 0;
         s = read.address(s + d.slab_next, "slab " + hex(s))) {
        std::string what = "slab " + hex(s);
        if (!walk.slabs.insert(s).second || walk.slabs.size() > walk.limit)
            throw ReadError("the slabs do not end (a cycle at " + hex(s) + ")");
        auto pages = read.value<std::uint32_t>(s + d.slab_pages, what);
        auto header_blocks = read.value<std::uint32_t>(s + d.slab_header_blocks, what);
        auto page_blocks = read.value<std::uint32_t>(s + d.slab_page_blocks, what);
        auto last_page_blocks = read.value<std::uint32_t>(s + d.slab_last_page_blocks, what);
        auto first_offset = read.value<std::uint32_t>(s + d.slab_first_offset, what);
        auto block_bytes = read.value<std::uint32_t>(s + d.slab_block_bytes, what);
        if (pages == 0 || pages > 64 || block_bytes < 64 || page_blocks > 64 || header_blocks > page_blocks ||
            last_page_blocks > page_blocks || first_offset + std::uint64_t{page_blocks} * block_bytes > d.page_bytes)
            throw ReadError(what + " is corrupt: " + std::to_string(pages) + " pages of " +
                            std::to_string(page_blocks) + " blocks of " + std::to_string(block_bytes) + " bytes");
        for (std::uint32_t page = 0; page < pages; ++page) {
            std::uint32_t blocks = page + 1 < pages ? page_blocks : last_page_blocks;
            for (std::uint32_t index = page == 0 ? header_blocks : 0; index < blocks; ++index) {
                std::uint64_t g = s + std::uint64_t{page} * d.page_bytes + first_offset + std::uint64_t{index} * block_bytes;
                auto status = read.value<std::uint32_t>(g + d.control_status, what);
                if (status == d.free_status)
                    continue;
                if (!walk.generators.insert(g).second || walk.generators.size() > walk.limit)
                    throw ReadError(what + " overlaps another at " + hex(g));
                walk.in_slabs[status >> d.state_bits].push_back(g);
            }
        }
    }
}

Section read_registry(Walk& walk, std::uint64_t registry)
{
    const cg_debug_descriptor_t& d = walk.d;
    Section section;
    section.thread = walk.read.value<std::uint32_t>(registry + d.registry_number, "a registry");
    bool exited = walk.read.value<std::uint8_t>(registry + d.registry_exited, "a registry") != 0;
    section.flags = format::section_complete | (exited ? format::section_thread_exited : 0);
    auto labels = read_labels(walk, registry);
    for (std::uint64_t g = walk.read.address(registry + d.registry_first, "a registry"); g != 0;
         g = walk.read.address(g - d.control_next, "generator " + hex(g))) {
        if (!walk.generators.insert(g).second || walk.generators.size() > walk.limit)
            throw ReadError("the generators of thread " + std::to_string(section.thread) +
                            " do not end (a cycle at " + hex(g) + ")");
        section.records.push_back(read_generator(walk, g, labels));
    }
    if (auto found = walk.in_slabs.find(section.thread); found != walk.in_slabs.end())
        for (std::uint64_t g : found->second)
            section.records.push_back(read_generator(walk, g, labels));
    return section;
}

} // namespace

void read_generators(const GeneratorSource& source, Snapshot& snapshot)
{
    Reader read(source.memory);
    cg_debug_descriptor_t d = read_descriptor(read, source.descriptor);
    for (std::uint32_t r = 0; r < d.register_count; ++r)
        snapshot.register_names.emplace_back(d.registers[r].name);
    Walk walk{source, read, d, source.bytes / 64 + 16, 2 * source.bytes + (1u << 20), {}, {}, {}, {}, {}, {}};
    read_slabs(walk);
    // Both levels of the table in pieces: their sizes come from the
    // descriptor, their memory from the core.
    for_each_entry(read, reinterpret_cast<std::uintptr_t>(d.registry_table), d.table_entries, "the registry table",
                   [&](std::uint64_t chunk) {
                       if (!walk.chunks.insert(chunk).second)
                           throw ReadError("the registry table names the chunk at " + hex(chunk) + " twice");
                       for_each_entry(read, chunk, d.chunk_entries, "a chunk of the registry table",
                                      [&](std::uint64_t registry) {
                                          if (!walk.registries.insert(registry).second ||
                                              walk.registries.size() > walk.limit)
                                              throw ReadError("the registry table names the registry at " +
                                                              hex(registry) + " twice");
                                          snapshot.sections.push_back(read_registry(walk, registry));
                                      });
                   });
}

Snapshot snapshot_from_core(const ProcessImage& image, std::int64_t time_ns)
{
    const CoreImage& core = image.core();
    if (core.machine != cg::arch::elf_machine)
        throw ReadError("the core is of a program for " + elf::machine_name(core.machine) +
                        "; this cg-dump reads cores of " + cg::arch::name +
                        " programs only (use the cg-dump built for that CPU)");
    std::optional<std::uint64_t> descriptor = image.symbol_address("cg_debug_descriptor");
    if (!descriptor) {
        std::string message = "no cg_debug_descriptor in the program or the libraries it mapped: it does not "
                              "use cg, or a cg without the debug descriptor";
        if (!image.missing_files().empty())
            message += " (files the core names but that are not here: " + image.missing_files().front() +
                       (image.missing_files().size() > 1 ? " and others" : "") + ")";
        throw ReadError(message);
    }

    Snapshot snapshot;
    snapshot.source = "core";
    snapshot.version = format::version;
    snapshot.pid = core.pid;
    snapshot.time_ns = time_ns;
    if (const MappedModule* program = image.main_program()) {
        snapshot.executable = program->path;
        snapshot.build_id = program->object->build_id;
    }
    snapshot.architecture = cg::arch::name;
    read_generators({image, *descriptor, image.symbol_address("cg_arch_entry_return").value_or(0), core.threads,
                     image.core_bytes().size()},
                    snapshot);
    return snapshot;
}

} // namespace cg_dump
