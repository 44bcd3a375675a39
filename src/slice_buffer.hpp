// slice_buffer.hpp - how much heap a generator's slice buffer takes, and when
// it changes: the policy the README documents under "Memory".
//
//   grow     a yield whose slice does not fit: to the slice or 1.5 times the
//            old capacity, whichever is more (rounded to 16), so a slice
//            that deepens a little at a time reallocates rarely.
//   shrink   a yield whose slice, and the previous yield's, each use a
//            quarter of a heap buffer or less: back to the 32 inline bytes
//            if the slice fits there, else to 1.5 times the slice. A
//            generator whose depth alternates keeps its buffer; one that
//            went deep once and stays shallow gives the excess back at its
//            second shallow yield.
//   trim     on request (cg::trim_buffers, cg_trim_buffers): every
//            suspended generator of the calling thread to exactly its slice.
//   release  when the generator finishes or is destroyed.
//
// A yield calls fit_buffer when its slice does not fit or uses a quarter of
// the buffer or less (src/trampoline.cpp: cg_core_save_slice).
#pragma once

#include <cstddef>
#include <cstdint>

namespace cg::detail {

struct Control;

/// Applies grow and shrink to a running generator about to save a slice of
/// `size` bytes (its slice_size still the previous yield's). False, having
/// changed nothing, if the buffer had to grow and could not.
bool fit_buffer(Control& generator, std::uint32_t size) noexcept;

/// Frees a heap buffer; the slice bytes are the inline ones again.
void release_heap_buffer(Control& generator) noexcept;

/// A suspended generator's buffer made exactly as large as its slice (the
/// inline bytes if it fits there). Returns the bytes given back: 0 if
/// nothing changed, also when out of memory.
std::size_t trim_buffer(Control& generator) noexcept;

/// trim_buffer for every suspended generator of the calling thread.
std::size_t trim_all_suspended() noexcept;

} // namespace cg::detail
