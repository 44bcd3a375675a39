/*
 * cg/debug.h - the debug descriptor: how a debugger, or cg-dump reading a
 * core file, finds every generator of a process with nothing but its memory
 * and its ELF files (no debug info, no help from the process).
 *
 * libcg exports one object, `cg_debug_descriptor`, found by its symbol as
 * the dynamic linker's `_r_debug` is. It says where the registries are and
 * the offset of every field a reader needs. The library fills it at compile
 * time (src/debug_descriptor.cpp checks every offset against the real
 * structures) and never writes it afterwards: it costs resume and yield
 * nothing. Any change of layout bumps CG_DEBUG_VERSION.
 *
 * Every integer is in the process's byte order (little-endian on the CPUs
 * cg runs on) and every address is 8 bytes (cg is for 64-bit CPUs); the
 * layout below is fixed by static_asserts there too. Reading, version 3:
 *
 *   for i in [0, table_entries):        chunk  = u64 at registry_table + 8*i
 *     if chunk != 0, for j in [0, chunk_entries):
 *                                       registry = u64 at chunk + 8*j
 *       if registry != 0: one thread's registry. Its thread number is the
 *       u32 at registry + registry_number; the u8 at registry +
 *       registry_exited is 1 once that thread has exited. Its generators
 *       are those whose owner thread (below) is that number: the control
 *       blocks in the slabs whose status says so, and those too large for a
 *       slab, which it lists:
 *         g = u64 at registry + registry_first; then g = u64 at g - control_next
 *       its labels, a list in no order:
 *         l = u64 at registry + registry_labels; then l = u64 at l + label_next
 *         each naming the generator at u64 l + label_generator, its text
 *         u32 l + label_size bytes at u64 l + label_text.
 *
 *   The slabs, of every thread, each a run of pages of page_bytes:
 *     s = u64 at slab_list; then s = u64 at s + slab_next
 *     for p in [0, u32 at s + slab_pages):
 *       for k in [p == 0 ? u32 at s + slab_header_blocks : 0,
 *                 p is the last ? u32 at s + slab_last_page_blocks : u32 at s + slab_page_blocks):
 *         g = s + p * page_bytes + u32 at s + slab_first_offset + k * u32 at s + slab_block_bytes
 *         is a control block; it holds a generator unless its status is free_status
 *
 *   A generator g (its control block; its id in cg-dump and snapshots is g):
 *     status     u32 at g + control_status: state = status & ((1 << state_bits) - 1)
 *                (0 not started, 1 suspended, 2 running, 3 finished),
 *                owner thread = status >> state_bits
 *     kind       (u32 at g + control_ops_number) & ops_number_mask == c_ops_number:
 *                made by cg_create (C), else a cg::CopyGenerator (C++)
 *   and when suspended:
 *     slice_top  u64 at g + control_slice_top: the slice is the stack range
 *                [slice_top - slice_size, slice_top) of the thread that
 *                resumes it (its "home"), saved in the buffer below
 *     slice_size u32 at g + control_slice_size
 *     buffer     if the u8 at g + control_heap_buffer is 0, the slice's bytes
 *                are at g + control_inline_bytes (inline_capacity of them);
 *                else the u64 there is the address of a heap buffer holding
 *                them, and the u32 after it the heap buffer's capacity
 *     registers  at g + control_registers + registers[k].offset, each
 *                registers[k].size bytes, named, with its DWARF number
 *                (-1 if the unwinder has none for it)
 *     resume pc  if resume_pc_register is CG_DEBUG_PC_IN_SLICE, the u64 at the
 *                slice's lowest address; else registers[resume_pc_register]
 *     resume sp  the slice's lowest address + resume_sp_offset
 *
 * A running generator's frames are on its thread's stack, in use, below
 * the u64 at g + control_slice_top; its control block holds nothing of
 * them.
 */
#ifndef CG_DEBUG_H
#define CG_DEBUG_H

#include <stdint.h>

#include <cg/export.h>

#define CG_DEBUG_MAGIC "cg-debug" /* 8 bytes, no terminator in the descriptor */
#define CG_DEBUG_VERSION 3
#define CG_DEBUG_MAX_REGISTERS 24
#define CG_DEBUG_PC_IN_SLICE 0xffff

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cg_debug_register {
    char name[12];  /* NUL-padded */
    int16_t dwarf;  /* the DWARF register number, -1 for none */
    uint16_t offset; /* from the control block's registers */
    uint16_t size;   /* bytes: 2, 4 or 8 */
    uint16_t reserved;
} cg_debug_register_t;

typedef struct cg_debug_descriptor_s {
    char magic[8];         /* CG_DEBUG_MAGIC */
    uint32_t version;      /* CG_DEBUG_VERSION */
    uint32_t size;         /* bytes of this structure */
    uint16_t machine;      /* the ELF e_machine of the CPU: 62 x86-64, 183 AArch64 */
    uint16_t state_bits;   /* of the status word */
    uint32_t table_entries;
    const void* registry_table; /* table_entries chunk addresses */
    uint32_t chunk_entries;  /* registry addresses per chunk */
    /* A registry. */
    uint16_t registry_first;
    uint16_t registry_number;
    uint16_t registry_exited;
    uint16_t registry_labels;
    /* A label. */
    uint16_t label_next;
    uint16_t label_generator;
    uint16_t label_text;
    uint16_t label_size;
    /* A control block. */
    uint16_t control_status;
    uint16_t control_ops_number; /* version 3: a number, no longer an address */
    uint16_t control_slice_top;
    uint16_t control_slice_size;
    uint16_t control_heap_buffer; /* version 3: a flag, no longer the capacity */
    uint16_t control_registers;
    uint16_t control_inline_bytes;
    uint16_t control_next; /* before the control block: g - control_next */
    uint32_t inline_capacity;
    uint32_t c_ops_number;    /* version 3 (2: the C operations' address) */
    uint32_t ops_number_mask; /* of the u32 at control_ops_number */
    /* The saved registers and where a suspended generator continues. */
    uint16_t resume_pc_register; /* an index into registers, or CG_DEBUG_PC_IN_SLICE */
    uint16_t resume_sp_offset;
    uint32_t register_count;
    cg_debug_register_t registers[CG_DEBUG_MAX_REGISTERS];
    /* The slabs (version 2). */
    const void* slab_list; /* the address of the first slab's address */
    uint32_t page_bytes;
    uint32_t free_status; /* the status of a control block that holds no generator */
    uint16_t slab_next;
    uint16_t slab_pages;
    uint16_t slab_header_blocks;
    uint16_t slab_page_blocks;
    uint16_t slab_last_page_blocks;
    uint16_t slab_first_offset;
    uint16_t slab_block_bytes;
    uint16_t slab_reserved;
} cg_debug_descriptor_t;

CG_API extern const cg_debug_descriptor_t cg_debug_descriptor;

#ifdef __cplusplus
}
#endif

#endif /* CG_DEBUG_H */
