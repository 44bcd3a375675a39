// runtime.hpp - what the C++ templates need from libcg. Not a public API:
// names here may change between versions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include <cg/export.h>

namespace cg::detail {

/// A generator's control block: registers, home, slice buffer, state.
/// Defined in src/control.hpp; opaque to users.
struct Control;

/// The two per-thread fields of the Itanium C++ ABI's exception-handling
/// globals (__cxa_eh_globals): the stack of caught exceptions and the count
/// of exceptions in flight. Each generator keeps its own while it runs.
struct ExceptionState {
    void* caught = nullptr;
    unsigned int uncaught = 0;
};

/// One resume in progress. It lives in the resumer's frame for the length of
/// the resume; the generator finds it through a thread-local pointer.
struct ResumeFrame {
    Control* generator;
    void* yielded;          ///< std::optional<Yield>*: where the next yield puts its value
    void* sent;             ///< Receive*: what the pending yield returns; null if Receive is void
    bool unwinding = false; ///< the generator is being destroyed: its yields throw forced_unwind
    int resumer_errno = 0;  ///< the resumer's errno, while the generator runs
    ResumeFrame* outer = nullptr;           ///< the resume that was innermost before this one
    ExceptionState resumer_exceptions = {}; ///< the resumer's, while the generator runs
    std::exception_ptr exception = {};      ///< set when an exception escapes the body
};

/// Runs the body on the generator's home: called once, by the trampoline.
using EntryFn = void (*)(Control* generator, ResumeFrame* first) noexcept;
/// Puts the yielded value into frame->yielded. `value` is the value's bits if
/// it is small and trivially copyable (see passed_by_bits), else its address.
/// May throw (a move constructor).
using DeliverFn = void (*)(ResumeFrame* frame, std::uintptr_t value);

/// What the core needs to know of a body's type, without knowing the type.
struct GeneratorOps {
    EntryFn entry;
    void (*destroy_body)(void* body) noexcept; ///< for a generator never started; null if trivial
    const std::type_info* yield_type;
    const std::type_info* receive_type;
    std::size_t body_size;  ///< bytes stored after the control block; 0 if the body is not stored
    std::size_t body_align;
    bool unwind_on_destroy; ///< run destructors of a suspended generator's frames (C++), or discard them (C)
};

CG_API Control* create(const GeneratorOps& ops, std::size_t headroom);    // throws std::bad_alloc, cg::error
CG_API void* body_of(Control* generator) noexcept;                        // where the body is stored
CG_API void free_unstarted(Control* generator) noexcept;                  // frees without touching the body
CG_API void destroy(Control* generator) noexcept;
CG_API void resume(ResumeFrame& frame);                                   // throws cg::error
CG_API ResumeFrame* suspend(Control* generator, DeliverFn deliver, std::uintptr_t value); // null: out of memory
CG_API ResumeFrame* current_frame() noexcept;
CG_API void keep_escaped_exception() noexcept; // in a catch block: hand the exception to the resumer
CG_API Control* generator_for_free_yield(const std::type_info& yield, const std::type_info& receive);
[[noreturn]] CG_API void throw_forced_unwind();
[[noreturn]] CG_API void throw_bad_alloc();

CG_API bool is_started(const Control* generator) noexcept;
CG_API bool is_finished(const Control* generator) noexcept;
CG_API std::size_t slice_size(const Control* generator) noexcept;
CG_API std::size_t buffer_capacity(const Control* generator) noexcept;

/// Small trivially copyable values travel to the resumer in a register, not
/// through their address: the yielding frame then need not keep them in
/// memory, which keeps the slice of a generator of ints at 32 bytes.
template <class Value>
inline constexpr bool passed_by_bits =
    std::is_trivially_copyable_v<std::remove_cvref_t<Value>> && sizeof(std::remove_cvref_t<Value>) <= sizeof(std::uintptr_t);

template <class Value>
std::uintptr_t pass(Value& value) noexcept
{
    if constexpr (passed_by_bits<Value>) {
        std::uintptr_t bits = 0;
        std::memcpy(&bits, std::addressof(value), sizeof(std::remove_cvref_t<Value>));
        return bits;
    } else {
        return reinterpret_cast<std::uintptr_t>(const_cast<void*>(static_cast<const volatile void*>(std::addressof(value))));
    }
}

template <class Yield, class Value>
void deliver(ResumeFrame* frame, std::uintptr_t value)
{
    auto& out = *static_cast<std::optional<Yield>*>(frame->yielded);
    if constexpr (passed_by_bits<Value>) {
        using Bits = std::remove_cvref_t<Value>;
        alignas(Bits) unsigned char storage[sizeof(Bits)];
        std::memcpy(storage, &value, sizeof(Bits));
        out.emplace(*std::launder(reinterpret_cast<Bits*>(storage)));
    } else {
        out.emplace(std::forward<Value>(*reinterpret_cast<std::remove_reference_t<Value>*>(value)));
    }
}

/// Yields `value` from the running generator and returns what the resume
/// that continues it sends. The value is constructed in the resumer's
/// std::optional only once the slice buffer is known to be large enough, so
/// a std::bad_alloc from growing it leaves `value` untouched.
template <class Yield, class Receive, class Value>
Receive yield_from(Control* generator, Value&& value)
{
    ResumeFrame* next = suspend(generator, &deliver<Yield, Value>, pass(value));
    if (next == nullptr) [[unlikely]]
        throw_bad_alloc();
    if (next->unwinding) [[unlikely]]
        throw_forced_unwind();
    if constexpr (!std::is_void_v<Receive>)
        return std::move(*static_cast<Receive*>(next->sent));
}

} // namespace cg::detail
