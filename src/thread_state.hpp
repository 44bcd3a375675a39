// thread_state.hpp - what cg keeps per thread.
#pragma once

#include <cstdint>

#include <cg/detail/runtime.hpp>

namespace cg::detail {

struct ThreadState {
    ResumeFrame* current;       // the innermost resume in progress on this thread, or null
    ExceptionState* exceptions; // this thread's __cxa_eh_globals; set with `number`
    int* error_number;          // this thread's errno; set with `number`
    std::uint32_t number;       // 0 until the thread first starts a generator
};

// initial-exec: every access is one %fs-relative instruction, no call; the
// cost is a few bytes of static TLS, which a library loaded at start-up (or
// dlopen'ed while glibc's surplus lasts) can have. constinit: no TLS wrapper.
extern constinit thread_local ThreadState this_thread __attribute__((tls_model("initial-exec")));

/// this_thread, with its number, exception globals and errno set. Its
/// number stays 0 if the numbers ran out (after 2^30 - 2 threads started
/// generators): such a thread cannot own a generator.
ThreadState& numbered_thread() noexcept;

/// The highest address of the calling thread's stack, or null if unknown.
char* thread_stack_top() noexcept;

} // namespace cg::detail
