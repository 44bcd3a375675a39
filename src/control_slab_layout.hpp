// control_slab_layout.hpp - the header of a slab of control blocks: kept by
// control_slab.cpp, and described to debuggers by debug_descriptor.cpp,
// since the slabs are where a reader of a core file finds most generators
// (cg/debug.h).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "allocator.hpp"
#include "control.hpp"
#include "spin_lock.hpp"

namespace cg::detail {

/// Bytes of a slab's page: the larger, the less is lost at their ends, but
/// each page's blocks have one 64-bit word of free bits. 8 KiB if the bare
/// control blocks fit a word (aarch64: 31 of 256 bytes, 248 lost), else 4
/// KiB (amd64: 36 of 112, 56 lost).
constexpr std::uintptr_t page_bytes = (8192 - 8) / sizeof(Control) <= 64 ? 8192 : 4096;
static_assert((page_bytes - 8) / sizeof(Control) <= 64, "a page's blocks have one word of free bits");
/// A size's slabs grow from 8 KiB to 64 KiB: 8, 16, 32, then 64. Not from
/// one page of 4 KiB: glibc's posix_memalign places 4 KiB-aligned requests
/// a page apart (measured, glibc 2.36), 8 KiB-aligned ones right after the
/// one before.
constexpr std::size_t first_slab_bytes = 8192;
constexpr std::size_t full_pages = 65536 / page_bytes;
constexpr std::size_t page_words = full_pages + 1; // and a partial page at the end

/// Which of its size's lists a slab the owner holds is on.
enum class Listed : std::uint8_t { current, partial, full };

struct Slab {
    // What a create or a destroy by the owner reads and writes, first: in
    // the header's first cache line, beside the word every page starts with.
    Slab* const self = this;          // the word every page starts with
    std::atomic<std::uint64_t> owner; // the owning SlabSet's id; 0 once orphaned (written under the lock)
    const std::uint32_t block_bytes;
    const std::uint32_t first_offset;
    const std::uint32_t reciprocal; // ceil(2^32 / block_bytes): a division as a multiplication
    // The owner's while it owns the slab; under the lock once orphaned.
    std::uint32_t used = 0;       // blocks taken, not freed by the owner
    std::uint32_t free_count = 0; // bits set in free_bits
    std::uint32_t hint = 0;       // pages below it have no free bit
    Listed listed = Listed::current;
    std::uint64_t free_bits[page_words] = {};
    Slab* previous = nullptr; // in its size's list (partial or full)
    Slab* next = nullptr;
    // Fixed when made: where the blocks are (what a walk of all blocks
    // reads, cg/debug.h), and where the slab came from.
    const std::uint32_t pages;
    std::uint32_t header_blocks = 0;    // of page 0's blocks, those the header covers
    std::uint32_t page_blocks = 0;      // blocks in a page
    std::uint32_t last_page_blocks = 0; // in the last page, which may be partial
    void* const memory;                 // the allocation
    const std::size_t memory_bytes;
    const Allocator from;
    // Under all_slabs_lock (control_slab.cpp): every slab of every thread.
    Slab* all_previous = nullptr;
    Slab* all_next = nullptr;
    // Under the lock.
    SpinLock lock;
    std::atomic<Slab*>* owner_stack;  // while owned: the owner's stack of slabs with blocks returned
    Slab* next_returned = nullptr;    // in that stack
    std::uint32_t returned_count = 0; // blocks other threads freed, not collected yet
    std::uint32_t live = 0;           // once orphaned: blocks not freed yet
    std::uint64_t returned[page_words] = {};

    Slab(void* allocation, std::size_t bytes, const Allocator& allocator, std::uint32_t block, std::uint32_t offset,
         std::uint32_t page_count, std::atomic<Slab*>* returned_stack, std::uint64_t owner_id) noexcept
        : owner(owner_id), block_bytes(block), first_offset(offset),
          reciprocal(static_cast<std::uint32_t>(((std::uint64_t{1} << 32) + block - 1) / block)), pages(page_count),
          memory(allocation), memory_bytes(bytes), from(allocator), owner_stack(returned_stack)
    {
    }
    Slab(const Slab&) = delete;
    Slab& operator=(const Slab&) = delete;

    char* page(std::uint32_t index) noexcept { return reinterpret_cast<char*>(this) + index * page_bytes; }
    char* block(std::uint32_t page_index, std::uint32_t index) noexcept
    {
        return page(page_index) + first_offset + index * block_bytes;
    }
};
static_assert(sizeof(Slab) <= page_bytes / 8, "the header leaves most of page 0 to blocks");
static_assert(page_bytes % alignof(Slab) == 0);

/// The first of every slab (all_next links the others), for walks and
/// debuggers.
extern Slab* all_slabs;

} // namespace cg::detail
