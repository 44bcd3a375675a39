// debug_descriptor.cpp - the debug descriptor (cg/debug.h): the offsets of
// the registries, labels and control blocks, computed from the structures
// themselves at compile time. It is constant data: nothing on the hot paths
// writes it or anything only it needs.
#include <cg/debug.h>

#include <cstddef>
#include <iterator>
#include <type_traits>

#include "control.hpp"
#include "control_slab.hpp"
#include "control_slab_layout.hpp"
#include "ops_table.hpp"
#include "registry_layout.hpp"

namespace cg::detail {
namespace {

// A reader follows these with offsetof's numbers: they must mean the same
// in every translation unit and to a reader without the C++ headers.
static_assert(std::is_standard_layout_v<Registry> && std::is_standard_layout_v<LabelEntry> &&
              std::is_standard_layout_v<ControlHead> && std::is_standard_layout_v<Control> &&
              std::is_standard_layout_v<Chunk> && std::is_standard_layout_v<Slab>);
static_assert(offsetof(Chunk, entries) == 0 && sizeof(Chunk) == chunk_size * 8, "a chunk is its addresses");
static_assert(sizeof(void*) == 8 && sizeof(std::atomic<Registry*>) == 8 && sizeof(std::atomic<Chunk*>) == 8,
              "cg/debug.h: every address is 8 bytes");
static_assert(sizeof(Registry::orphaned) == 1 && sizeof(Registry::number) == 4);
static_assert(sizeof(LabelEntry::size) == 4);
static_assert(sizeof(Slab::all_next) == 8 && sizeof(Slab::pages) == 4 && sizeof(Slab::header_blocks) == 4 &&
              sizeof(Slab::page_blocks) == 4 && sizeof(Slab::last_page_blocks) == 4 &&
              sizeof(Slab::first_offset) == 4 && sizeof(Slab::block_bytes) == 4);
static_assert(unslabbed_prefix == sizeof(RegistryLinks) && offsetof(RegistryLinks, next) == 8);
static_assert(sizeof(ControlHead::status) == 4 && sizeof(ControlHead::slice_size) == 4 &&
              sizeof(ControlHead::ops_number) == 3 && sizeof(ControlHead::heap_buffer) == 1 &&
              ops_number_bits == 24 && offsetof(ControlHead, heap_buffer) == offsetof(ControlHead, ops_number) + 3);
static_assert(CG_HEAP_BUFFER_ADDRESS == 0 && CG_HEAP_BUFFER_CAPACITY == 8, "cg/debug.h: a heap buffer in the inline bytes");
static_assert(std::size(arch::saved_registers) <= CG_DEBUG_MAX_REGISTERS);
static_assert(arch::resume_pc_register < static_cast<int>(std::size(arch::saved_registers)));

// The descriptor's own layout, which readers hard-code (tools/gdb/libcg-gdb.py's
// struct formats; cg-dump reads the version and size before the rest):
// changing any of it is a new CG_DEBUG_VERSION.
static_assert(CG_DEBUG_VERSION == 3, "the layout below is version 3's");
static_assert(offsetof(cg_debug_descriptor_t, version) == 8 && offsetof(cg_debug_descriptor_t, size) == 12 &&
              offsetof(cg_debug_descriptor_t, machine) == 16 && offsetof(cg_debug_descriptor_t, state_bits) == 18 &&
              offsetof(cg_debug_descriptor_t, table_entries) == 20 &&
              offsetof(cg_debug_descriptor_t, registry_table) == 24 &&
              offsetof(cg_debug_descriptor_t, chunk_entries) == 32 &&
              offsetof(cg_debug_descriptor_t, registry_first) == 36 &&
              offsetof(cg_debug_descriptor_t, control_next) == 66 &&
              offsetof(cg_debug_descriptor_t, inline_capacity) == 68 &&
              offsetof(cg_debug_descriptor_t, c_ops_number) == 72 &&
              offsetof(cg_debug_descriptor_t, ops_number_mask) == 76 &&
              offsetof(cg_debug_descriptor_t, resume_pc_register) == 80 &&
              offsetof(cg_debug_descriptor_t, resume_sp_offset) == 82 &&
              offsetof(cg_debug_descriptor_t, register_count) == 84 &&
              offsetof(cg_debug_descriptor_t, registers) == 88 && offsetof(cg_debug_descriptor_t, slab_list) == 568 &&
              offsetof(cg_debug_descriptor_t, page_bytes) == 576 &&
              offsetof(cg_debug_descriptor_t, free_status) == 580 &&
              offsetof(cg_debug_descriptor_t, slab_next) == 584 &&
              offsetof(cg_debug_descriptor_t, slab_reserved) == 598 && sizeof(cg_debug_descriptor_t) == 600);
// The sixteen 2-byte offsets from registry_first to control_next are adjacent.
static_assert(offsetof(cg_debug_descriptor_t, control_next) - offsetof(cg_debug_descriptor_t, registry_first) == 15 * 2);
static_assert(offsetof(cg_debug_register_t, dwarf) == 12 && offsetof(cg_debug_register_t, offset) == 14 &&
              offsetof(cg_debug_register_t, size) == 16 && sizeof(cg_debug_register_t) == 20);

constexpr std::uint16_t at(std::size_t offset) { return static_cast<std::uint16_t>(offset); }

constexpr cg_debug_descriptor_t describe()
{
    cg_debug_descriptor_t d{};
    for (std::size_t i = 0; i < sizeof d.magic; ++i)
        d.magic[i] = CG_DEBUG_MAGIC[i];
    d.version = CG_DEBUG_VERSION;
    d.size = sizeof d;
    d.machine = arch::elf_machine;
    d.state_bits = state_bits;
    d.table_entries = chunk_size;
    d.registry_table = registry_table;
    d.chunk_entries = chunk_size;
    d.registry_first = at(offsetof(Registry, first));
    d.registry_number = at(offsetof(Registry, number));
    d.registry_exited = at(offsetof(Registry, orphaned));
    d.registry_labels = at(offsetof(Registry, labels));
    d.label_next = at(offsetof(LabelEntry, next));
    d.label_generator = at(offsetof(LabelEntry, generator));
    d.label_text = at(offsetof(LabelEntry, text));
    d.label_size = at(offsetof(LabelEntry, size));
    d.control_status = at(offsetof(Control, head) + offsetof(ControlHead, status));
    d.control_ops_number = at(offsetof(Control, head) + offsetof(ControlHead, ops_number));
    d.control_slice_top = at(offsetof(Control, head) + offsetof(ControlHead, slice_top));
    d.control_slice_size = at(offsetof(Control, head) + offsetof(ControlHead, slice_size));
    d.control_heap_buffer = at(offsetof(Control, head) + offsetof(ControlHead, heap_buffer));
    d.control_registers = at(offsetof(Control, registers));
    d.control_inline_bytes = at(offsetof(Control, buffer));
    d.control_next = at(unslabbed_prefix - offsetof(RegistryLinks, next));
    d.inline_capacity = inline_capacity;
    d.c_ops_number = c_ops_number;
    d.ops_number_mask = (std::uint32_t{1} << ops_number_bits) - 1;
    d.resume_pc_register = arch::resume_pc_register < 0 ? CG_DEBUG_PC_IN_SLICE : at(arch::resume_pc_register);
    d.resume_sp_offset = at(arch::resume_sp_offset);
    d.register_count = std::size(arch::saved_registers);
    for (std::size_t r = 0; r < std::size(arch::saved_registers); ++r) {
        const arch::SavedRegister& saved = arch::saved_registers[r];
        cg_debug_register_t& out = d.registers[r];
        for (std::size_t i = 0; saved.name[i] != '\0' && i + 1 < sizeof out.name; ++i)
            out.name[i] = saved.name[i];
        out.dwarf = static_cast<std::int16_t>(saved.dwarf);
        out.offset = at(saved.offset);
        out.size = at(saved.size);
    }
    d.slab_list = &all_slabs;
    d.page_bytes = page_bytes;
    d.free_status = free_status;
    d.slab_next = at(offsetof(Slab, all_next));
    d.slab_pages = at(offsetof(Slab, pages));
    d.slab_header_blocks = at(offsetof(Slab, header_blocks));
    d.slab_page_blocks = at(offsetof(Slab, page_blocks));
    d.slab_last_page_blocks = at(offsetof(Slab, last_page_blocks));
    d.slab_first_offset = at(offsetof(Slab, first_offset));
    d.slab_block_bytes = at(offsetof(Slab, block_bytes));
    return d;
}

} // namespace
} // namespace cg::detail

extern "C" constinit const cg_debug_descriptor_t cg_debug_descriptor = cg::detail::describe();
