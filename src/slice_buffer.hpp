// slice_buffer.hpp - how much heap a generator's slice buffer takes, and when
// it changes: the policy the README documents under "Memory".
//
//   grow     a yield whose slice does not fit: to the slice or 1.5 times the
//            old capacity, whichever is more (rounded to 16), so a slice
//            that deepens a little at a time reallocates rarely.
//   shrink   a yield whose slice, and the previous yield's, each use a
//            quarter of a heap buffer or less: to 1.5 times the slice, or
//            back to the 32 inline bytes if it fits there. A generator
//            whose depth alternates keeps its buffer; one that went deep
//            once and stays shallow gives the excess back at its second
//            shallow yield.
//   trim     on request (cg::trim_buffers, cg_trim_buffers): every
//            suspended generator of the calling thread to exactly its slice.
//   release  when the generator finishes or is destroyed.
//
// The trampoline decides when to grow or shrink (cg_arch_suspend) and calls
// cg_core_resize_slice_buffer, which decides by how much.
#pragma once

#include <cstddef>

namespace cg::detail {

struct Control;

/// Frees a heap buffer; the slice bytes are the inline ones again.
void release_heap_buffer(Control& generator) noexcept;

/// A suspended generator's buffer made exactly as large as its slice (the
/// inline bytes if it fits there). Returns the bytes given back: 0 if
/// nothing changed, also when out of memory.
std::size_t trim_buffer(Control& generator) noexcept;

/// trim_buffer for every suspended generator of the calling thread.
std::size_t trim_all_suspended() noexcept;

} // namespace cg::detail
