// cleanup_scan.hpp - whether destroying a suspended C++ generator must
// unwind its frames, or may discard them as a C generator's are.
//
// Unwinding (forced_unwind thrown from the pending yield) costs about a
// microsecond, most of it the unwinder's two phases. It is needed only if
// some frame in the slice would run code as the exception passes: a
// destructor or a catch. A frame's return address says that, through the
// unwind tables (eh_tables.hpp); every return address of the slice's frames
// is one of the slice's words (or, on aarch64, the saved x30), so checking
// every word, return address or not, misses none. Words that are data
// only make the answer more cautious. The one landing pad every slice has
// is its entry<>'s (GeneratorOps::entry_calls): its catch, and the
// destruction of the stored body, which a discarding destroy does itself.
#pragma once

#include <cstddef>
#include <cstdint>

#include <cg/export.h>

namespace cg::detail {

struct Control;

/// Slices larger than this are unwound without looking: the look costs a
/// few nanoseconds a word.
inline constexpr std::size_t largest_scanned_slice = 2048;

/// Whether the frames of a suspended C++ generator of this thread can be
/// discarded: true if no frame in its slice has a landing pad for its call
/// but its entry<>'s own.
bool frames_can_be_discarded(Control& generator) noexcept;

/// How this thread's destroys of suspended C++ generators went, for tests
/// and cg-stress: discarded, unwound with landing pads found, unwound
/// unexamined (slice larger than largest_scanned_slice).
struct DestroyCounts {
    std::uint64_t discarded, unwound, unwound_unexamined;
};
CG_API DestroyCounts destroy_counts_of_this_thread() noexcept;
void count_destroy(bool discarded, std::size_t slice_size) noexcept;

} // namespace cg::detail
