// allocator.hpp - every byte cg allocates goes through here (cg_set_allocator).
#pragma once

#include <cstddef>

namespace cg::detail {

/// Null when out of memory.
void* allocate(std::size_t size) noexcept;
void deallocate(void* memory, std::size_t size) noexcept;

} // namespace cg::detail
