// control_cache.hpp - control blocks kept for reuse, per thread.
//
// Programs destroy generators and create others of the same types all the
// time (a server's handlers, one per request). A control block a thread
// frees is kept, up to `kept_per_size` of each size, and its next create
// of that size takes it back: no call to the allocator. Blocks of sizes
// from sizeof(Control) to sizeof(Control) + 8 * (kept_sizes - 1) bytes
// are kept (a body of up to 120 bytes stored after the control block);
// larger ones always go to the allocator.
//
// The kept blocks go back to the allocator they came from when the thread
// exits, when cg::trim_buffers() is called on it, and when
// cg_set_allocator replaces the functions (at the thread's next create or
// destroy).
#pragma once

#include <cstddef>
#include <cstdint>

#include <cg/export.h>

namespace cg::detail {

inline constexpr std::size_t kept_sizes = 16;
inline constexpr std::size_t kept_per_size = 8;

/// A control block of `size` bytes (control_size); null when out of memory.
void* allocate_control(std::size_t size) noexcept;
/// Frees a block allocate_control gave, for `size` bytes: kept, or given
/// back to the allocator.
void deallocate_control(void* block, std::size_t size) noexcept;

/// Gives the calling thread's kept blocks back to the allocator; returns
/// their bytes. Exported for the tests, which count allocations.
CG_API std::size_t give_back_kept_controls() noexcept;

/// What the calling thread's creates and destroys did, for tests and
/// cg-stress: blocks taken from the cache (reused) or from the allocator
/// (allocated), blocks kept, given back because that size's place was full
/// (overflowed), and blocks too large to keep (uncached, both ways).
struct ControlCacheCounts {
    std::uint64_t reused, allocated, kept, overflowed, uncached;
};
CG_API ControlCacheCounts control_cache_counts_of_this_thread() noexcept;

} // namespace cg::detail
