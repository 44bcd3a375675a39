// control_slab.hpp - control blocks carved from per-thread slabs.
//
// A suspended minimal generator is its control block and little else, so
// what each block costs beyond its own bytes counts: malloc adds a header
// of 8 bytes to every block and rounds it to 16 (112 -> 128 bytes on
// amd64). A thread instead carves the blocks it creates from slabs of its
// own: runs of pages (control_slab_layout.hpp), each holding as many blocks of one size as fit
// after a word that names the slab (the first page also holds the slab's
// header). Blocks of sizes from sizeof(Control) to sizeof(Control) + 8 *
// (slab_classes - 1) bytes come from slabs (a body of up to 120 bytes
// stored after the control block); larger ones always go to the
// allocator.
//
// A thread keeps the last 8 blocks of each size it freed for its next
// creates of that size; the others go back to their slabs. Any thread may
// free a block. The thread that owns its slab frees it with a few plain
// stores; another thread hands it back under the slab's lock (and puts
// the slab on the owner's stack of slabs to visit), and the owner collects
// what was handed back when it runs out of free blocks. A
// slab whose last block its owner frees goes back to the allocator it came
// from, unless blocks are being carved from it; one that is empty after a
// collection stays for the next blocks of its size; every slab that holds
// no block goes back at cg::trim_buffers(), which first returns the kept
// blocks to their slabs. At the owner's exit, and when cg_set_allocator
// replaces the functions, its kept blocks go back and its slabs are
// orphaned: each goes back then if it holds no block, else at the free of
// its last.
//
// Free blocks are poisoned for ASan and unaddressable for valgrind, as
// freed memory is: a use of a destroyed generator's memory is reported.
#pragma once

#include <cstddef>
#include <cstdint>

#include <cg/export.h>

namespace cg::detail {

struct Control;

inline constexpr std::size_t slab_classes = 16;

/// A control block of `size` bytes (control_size), aligned to 16 bytes if
/// its size is a multiple of 16 (a body aligned to 16 after it), to 8
/// otherwise; null when out of memory.
void* allocate_control(std::size_t size) noexcept;
/// Frees a block allocate_control gave, for `size` bytes. Any thread.
void deallocate_control(void* block, std::size_t size) noexcept;

/// A control block too large for a slab comes from the allocator with
/// these bytes before it: the links of the list its registry keeps of such
/// blocks (registry.hpp); it finds the others by walking the slabs.
inline constexpr std::size_t unslabbed_prefix = 16;
/// Whether a control block of `size` bytes (control_size) comes from a
/// slab, `bare` being sizeof(Control) (a multiple of 8): slabs hold the
/// sizes from it up, in steps of 8.
constexpr bool in_slab(std::size_t size, std::size_t bare) noexcept { return size <= bare + 8 * (slab_classes - 1); }

/// Calls visit(generator, context) for every block of every slab whose
/// status is not free_status (control.hpp): every generator whose control
/// block is in a slab, of any thread, and blocks being made or given up
/// by their threads meanwhile (the statuses are read atomically, and a
/// block whose status names a thread is that thread's generator as long as
/// its registry is locked: registry.cpp). Slabs are neither made nor given
/// back during the walk: `visit` must not wait for what a thread making or
/// giving back a slab may hold (the dynamic loader's lock, in a library's
/// constructor or destructor: snapshot.cpp collects, then writes).
void for_each_slab_generator(void (*visit)(Control& generator, void* context), void* context);

/// Gives the calling thread's kept blocks back to their slabs, and its
/// slabs that hold no block back to the allocator; returns their bytes.
/// Exported for the tests, which count allocations.
CG_API std::size_t give_back_kept_controls() noexcept;

/// What the calling thread's creates and destroys did, for tests and
/// cg-stress: blocks taken from those it keeps (reused) and from its
/// slabs (taken); slabs made; blocks it kept; blocks it
/// freed into its own slabs (freed_here) and into another thread's or an
/// orphaned slab (freed_elsewhere); blocks it collected that others had
/// freed into its slabs; slabs it gave back; and blocks too large for a
/// slab (unslabbed, both ways).
struct ControlSlabCounts {
    std::uint64_t reused, taken, slabs_made, kept, freed_here, freed_elsewhere, collected, slabs_given_back,
        unslabbed;
};
CG_API ControlSlabCounts control_slab_counts_of_this_thread() noexcept;

/// Bytes of a slab's page; those a slab of `pages` pages asks of
/// cg_set_allocator's functions (malloc's are asked for whole pages less 8,
/// aligned). Exported for the tests.
CG_API std::size_t slab_page_bytes() noexcept;
CG_API std::size_t slab_bytes(std::size_t pages) noexcept;

} // namespace cg::detail
