// thread_state.hpp - what cg keeps per thread (ThreadState, this_thread:
// cg/detail/runtime.hpp, where the inline hot path reads them).
#pragma once

#include <cg/detail/runtime.hpp>

namespace cg::detail {

/// this_thread, with its number, exception globals and errno set. Its
/// number stays 0 if the numbers ran out (after 2^30 - 2 threads started
/// generators): such a thread cannot own a generator.
ThreadState& numbered_thread() noexcept;

/// The highest address of the calling thread's stack, or null if unknown.
char* thread_stack_top() noexcept;

} // namespace cg::detail
