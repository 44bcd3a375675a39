// systems.hpp - the generators cg-bench compares, each with the same
// minimal interface: a generator of int made from a body, and next().
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdlib>
#include <exception>
#include <optional>
#include <utility>

#include <boost/context/fiber.hpp>
#include <boost/context/fixedsize_stack.hpp>

namespace cg_bench {

/// A minimal C++20 generator<T>: the stackless baseline.
template <class T>
class Cpp20Generator {
public:
    struct promise_type {
        T value{};
        Cpp20Generator get_return_object()
        {
            return Cpp20Generator(std::coroutine_handle<promise_type>::from_promise(*this));
        }
        std::suspend_always initial_suspend() noexcept { return {}; }
        std::suspend_always final_suspend() noexcept { return {}; }
        std::suspend_always yield_value(T v) noexcept
        {
            value = std::move(v);
            return {};
        }
        void return_void() noexcept {}
        void unhandled_exception() noexcept { std::terminate(); }
    };

    explicit Cpp20Generator(std::coroutine_handle<promise_type> handle) noexcept : handle_(handle) {}
    Cpp20Generator(Cpp20Generator&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
    Cpp20Generator& operator=(Cpp20Generator&& other) noexcept
    {
        std::swap(handle_, other.handle_);
        return *this;
    }
    ~Cpp20Generator()
    {
        if (handle_)
            handle_.destroy();
    }

    std::optional<T> next()
    {
        handle_.resume();
        if (handle_.done())
            return std::nullopt;
        return std::move(handle_.promise().value);
    }

private:
    std::coroutine_handle<promise_type> handle_;
};

/// The smallest stack on which a Boost.Context fiber works here, destruction
/// included: destroying a suspended fiber throws its forced_unwind exception,
/// and the unwinder needs the stack. 5.5 KiB was the least that did, with
/// fixedsize_stack (malloc); 6 KiB leaves a little margin.
inline constexpr std::size_t boost_smallest_stack = 6 * 1024;

/// A Boost.Context fiber used as a generator of T: the stackful baseline.
template <class T>
class BoostGenerator {
public:
    template <class Body>
    explicit BoostGenerator(Body body, std::size_t stack = boost_smallest_stack)
        : fiber_(std::allocator_arg, boost::context::fixedsize_stack(stack),
                 [this, body](boost::context::fiber&& caller) mutable {
                     caller_ = std::move(caller);
                     body(*this);
                     done_ = true;
                     return std::move(caller_);
                 })
    {
    }
    BoostGenerator(BoostGenerator&&) = delete; // the body holds `this`

    /// Called by the body.
    void yield(T v)
    {
        value_ = std::move(v);
        caller_ = std::move(caller_).resume();
    }

    std::optional<T> next()
    {
        fiber_ = std::move(fiber_).resume();
        if (done_)
            return std::nullopt;
        return std::move(value_);
    }

private:
    boost::context::fiber fiber_;
    boost::context::fiber caller_;
    T value_{};
    bool done_ = false;
};

} // namespace cg_bench
