// thread_state.cpp - per-thread state: numbers, exception globals, stack top.
#include "thread_state.hpp"

#include <cxxabi.h>
#include <pthread.h>

#include <atomic>
#include <cerrno>


namespace cg::detail {

constinit thread_local ThreadState this_thread __attribute__((tls_model("initial-exec"))) = {};


namespace {
// Thread numbers are never reused, so a generator owned by a thread that has
// exited is never taken for one of a new thread that got the same stack.
std::atomic<std::uint32_t> next_thread_number{1};
} // namespace

ThreadState& numbered_thread() noexcept
{
    if (this_thread.number == 0) {
        // The first two fields of __cxa_eh_globals are fixed by the Itanium
        // C++ ABI: the caught-exception stack and the uncaught count.
        this_thread.exceptions = reinterpret_cast<ExceptionState*>(abi::__cxa_get_globals());
        this_thread.error_number = &errno;
        std::uint32_t number = next_thread_number.load(std::memory_order_relaxed);
        do
            if (number >= unowned)
                return this_thread; // out of numbers: stays 0
        while (!next_thread_number.compare_exchange_weak(number, number + 1, std::memory_order_relaxed));
        this_thread.number = number;
    }
    return this_thread;
}

char* thread_stack_top() noexcept
{
    pthread_attr_t attributes;
    if (pthread_getattr_np(pthread_self(), &attributes) != 0)
        return nullptr;
    void* lowest = nullptr;
    std::size_t size = 0;
    int failed = pthread_attr_getstack(&attributes, &lowest, &size);
    pthread_attr_destroy(&attributes);
    return failed ? nullptr : static_cast<char*>(lowest) + size;
}

} // namespace cg::detail
