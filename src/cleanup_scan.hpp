// cleanup_scan.hpp - whether destroying a suspended C++ generator must
// unwind its frames, or may discard them as a C generator's are.
//
// Unwinding (forced_unwind thrown from the pending yield) costs about a
// microsecond, most of it the unwinder's two phases. It is needed only if
// some frame in the slice would run code as the exception passes: a
// destructor or a catch. The unwind tables say that of each frame
// (eh_tables.hpp), and they also say where its caller's frame is: the walk
// goes from the innermost frame (the resume point) out to the entry<>'s,
// reading only the return addresses and frame pointers the tables point
// at, as an unwinder would, never a stale word of a dead slot. The one
// landing pad every slice has is its entry<>'s (GeneratorOps::entry_calls):
// its catch, and the destruction of the stored body, which a discarding
// destroy does itself. Anything the walk cannot follow means unwinding.
#pragma once

#include <cstddef>
#include <cstdint>

#include <cg/export.h>

namespace cg::detail {

struct Control;

/// Whether the frames of a suspended C++ generator of this thread can be
/// discarded: true if no frame in its slice has a landing pad for its call
/// but its entry<>'s own.
bool frames_can_be_discarded(Control& generator) noexcept;

/// How this thread's destroys of suspended C++ generators went, for tests
/// and cg-stress: frames discarded, or unwound.
struct DestroyCounts {
    std::uint64_t discarded, unwound;
};
CG_API DestroyCounts destroy_counts_of_this_thread() noexcept;
void count_destroy(bool discarded) noexcept;

} // namespace cg::detail
