// allocator.hpp - every byte cg allocates goes through here (cg_set_allocator).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace cg::detail {

/// Null when out of memory.
void* allocate(std::size_t size) noexcept;
void deallocate(void* memory, std::size_t size) noexcept;

/// A pair of allocation functions, as cg_set_allocator takes them.
struct Allocator {
    void* (*allocate)(std::size_t size, void* context);
    void (*deallocate)(void* memory, std::size_t size, void* context);
    void* context;
};

/// The functions in force, and how many times cg_set_allocator has
/// replaced them: memory kept for reuse (control_cache.hpp) goes back to
/// the functions it came from when they change.
Allocator allocator_in_force() noexcept;
extern std::atomic<std::uint32_t> allocator_change_count;
inline std::uint32_t allocator_changes() noexcept { return allocator_change_count.load(std::memory_order_acquire); }

} // namespace cg::detail
