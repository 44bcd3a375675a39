// allocator.hpp - every byte cg allocates goes through here (cg_set_allocator).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace cg::detail {

/// Null when out of memory.
void* allocate(std::size_t size) noexcept;
void deallocate(void* memory, std::size_t size) noexcept;

/// A pair of allocation functions, as cg_set_allocator takes them; and,
/// for malloc's, one that aligns (posix_memalign: what it returns, free
/// frees). cg_set_allocator's functions need not align: they have none.
struct Allocator {
    void* (*allocate)(std::size_t size, void* context);
    void (*deallocate)(void* memory, std::size_t size, void* context);
    void* context;
    void* (*allocate_aligned)(std::size_t size, std::size_t alignment);
};

/// The functions in force, and how many times cg_set_allocator has
/// replaced them: slabs of control blocks (control_slab.hpp) go back to
/// the functions they came from when they change.
Allocator allocator_in_force() noexcept;
extern std::atomic<std::uint32_t> allocator_change_count;
inline std::uint32_t allocator_changes() noexcept { return allocator_change_count.load(std::memory_order_acquire); }

} // namespace cg::detail
