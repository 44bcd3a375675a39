// memcheck.hpp - telling valgrind's memcheck that bytes read out of a saved
// slice for inspection are meant to be read.
//
// A slice is a copy of stack memory: it holds padding and locals not written
// yet, and a saved register may never have been set. Running the generator
// never branches on those bytes, but a backtrace or a snapshot reads every
// word of the slice as data (looking for return addresses, writing it to a
// file), which memcheck would report as a use of uninitialised values. Such
// reads mark their own copies defined; the generator's buffer keeps its
// state, so memcheck still checks the generator's code.
//
// Free control blocks in their slabs, and those a thread keeps for reuse
// (control_slab.hpp), are marked as freed memory would be, so that
// memcheck still reports their use.
// Those marks are on a hot path: they are made only when the program runs
// under valgrind, found once (a client request's stores and its magic
// sequence cost about 2 ns each, measured on a create and a destroy).
#pragma once

#include <cstddef>

// CG_HAVE_MEMCHECK: set by meson.build, when valgrind's header is there.
#if CG_HAVE_MEMCHECK
#include <valgrind/memcheck.h>
#endif

namespace cg::detail {

/// Marks [bytes, bytes + size) defined for memcheck; nothing outside
/// valgrind (the client request is a few instructions that do nothing).
inline void mark_inspected(const void* bytes, std::size_t size)
{
#if CG_HAVE_MEMCHECK
    (void)VALGRIND_MAKE_MEM_DEFINED(bytes, size);
#else
    (void)bytes;
    (void)size;
#endif
}

/// Whether the program runs under valgrind: asked (a client request), and
/// as remembered at the library's load.
#if CG_HAVE_MEMCHECK
inline bool running_under_valgrind() noexcept { return RUNNING_ON_VALGRIND != 0; }
inline const bool under_valgrind = running_under_valgrind();
#else
inline bool running_under_valgrind() noexcept { return false; }
inline constexpr bool under_valgrind = false;
#endif

/// Marks [bytes, bytes + size) unaddressable for memcheck, as freed memory is.
inline void mark_unusable(const void* bytes, std::size_t size)
{
#if CG_HAVE_MEMCHECK
    if (under_valgrind) [[unlikely]]
        (void)VALGRIND_MAKE_MEM_NOACCESS(bytes, size);
#else
    (void)bytes;
    (void)size;
#endif
}

/// Marks [bytes, bytes + size) addressable and undefined for memcheck, as
/// memory just allocated is.
inline void mark_allocated(const void* bytes, std::size_t size)
{
#if CG_HAVE_MEMCHECK
    if (under_valgrind) [[unlikely]]
        (void)VALGRIND_MAKE_MEM_UNDEFINED(bytes, size);
#else
    (void)bytes;
    (void)size;
#endif
}

} // namespace cg::detail
