// control.hpp - the control block of a generator, and its invariants.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <cg/detail/runtime.hpp>

#include "frame_layout.h" // arch/<cpu>/: offsets shared with the trampoline

namespace cg::detail {

// A generator's life:
//
//   state         owner      slice_top / headroom     slice_size  buffer
//   not_started   unowned    headroom (bytes)         0           inline, unused
//   running       thread #   slice top (its home)     stale       stale
//   suspended     thread #   slice top                bytes       holds the slice
//   finished      thread #   slice top (dead home)    0           inline, unused
//
// Owner and state share one word, `status` = owner << 2 | state, so that the
// resume fast path checks both with one compare. Only the owning thread
// writes a started generator's fields; any thread may read `status` to
// refuse a resume that is not its own.
enum class State : std::uint32_t { not_started = 0, suspended = 1, running = 2, finished = 3 };

inline constexpr std::uint32_t state_bits = 2;
inline constexpr std::uint32_t state_mask = (1u << state_bits) - 1;
/// The owner of a generator no thread has started. Thread numbers stay below.
inline constexpr std::uint32_t unowned = (1u << (32 - state_bits)) - 1;

constexpr std::uint32_t status_of(std::uint32_t owner, State state) noexcept
{
    return owner << state_bits | static_cast<std::uint32_t>(state);
}

struct Control {
    cg_arch_registers registers; // the suspended generator's callee-saved state (arch/)
    union {
        char* slice_top;      // once started: the home's top minus the link frame
        std::size_t headroom; // before: how far below the first resumer the home goes
    };
    const GeneratorOps* ops;
    std::uint32_t slice_size; // bytes of the saved slice
    std::uint32_t capacity;   // bytes the buffer holds: inline up to CG_INLINE_BUFFER_SIZE
    std::uint32_t status;     // status_of(owner, state)
    int saved_errno;          // the generator's errno while it is suspended
    // The slice bytes while they fit here; then a pointer to a heap buffer.
    alignas(8) unsigned char buffer[CG_INLINE_BUFFER_SIZE];
    // The body follows, if it is stored (GeneratorOps::body_size).
};

// Every offset the trampoline uses, checked.
static_assert(offsetof(Control, registers) + offsetof(cg_arch_registers, rbx) == CG_CONTROL_RBX);
static_assert(offsetof(Control, registers) + offsetof(cg_arch_registers, rbp) == CG_CONTROL_RBP);
static_assert(offsetof(Control, registers) + offsetof(cg_arch_registers, r12) == CG_CONTROL_R12);
static_assert(offsetof(Control, registers) + offsetof(cg_arch_registers, r13) == CG_CONTROL_R13);
static_assert(offsetof(Control, registers) + offsetof(cg_arch_registers, r14) == CG_CONTROL_R14);
static_assert(offsetof(Control, registers) + offsetof(cg_arch_registers, r15) == CG_CONTROL_R15);
static_assert(offsetof(Control, registers) + offsetof(cg_arch_registers, mxcsr) == CG_CONTROL_MXCSR);
static_assert(offsetof(Control, registers) + offsetof(cg_arch_registers, x87_control) == CG_CONTROL_X87CW);
static_assert(sizeof(cg_arch_registers) == CG_ARCH_REGISTERS_SIZE);
static_assert(offsetof(Control, slice_top) == CG_CONTROL_SLICE_TOP);
static_assert(offsetof(Control, slice_size) == CG_CONTROL_SLICE_SIZE);
static_assert(offsetof(Control, capacity) == CG_CONTROL_CAPACITY);
static_assert(offsetof(Control, buffer) == CG_CONTROL_BUFFER);
static_assert(sizeof(Control::buffer) >= sizeof(char*), "the inline bytes must hold a buffer pointer");
static_assert(CG_INLINE_BUFFER_SIZE % 16 == 0, "slices are multiples of 16 bytes");
static_assert(sizeof(Control) == CG_CONTROL_BUFFER + CG_INLINE_BUFFER_SIZE, "the body follows the inline bytes");

inline constexpr std::size_t inline_capacity = CG_INLINE_BUFFER_SIZE;

/// The status word, read from any thread. Relaxed: the owner part is
/// written once, at the start, and a thread only acts on finding its own
/// number there; the state part is only read by the owner.
inline std::uint32_t status_of(const Control& generator) noexcept
{
    return std::atomic_ref<std::uint32_t>(const_cast<std::uint32_t&>(generator.status))
        .load(std::memory_order_relaxed);
}

inline std::uint32_t owner_of(const Control& generator) noexcept { return status_of(generator) >> state_bits; }

inline State state_of(const Control& generator) noexcept { return State(status_of(generator) & state_mask); }

/// Only the owning thread changes the state.
inline void set_state(Control& generator, State state) noexcept
{
    std::atomic_ref<std::uint32_t>(generator.status)
        .store((status_of(generator) & ~state_mask) | static_cast<std::uint32_t>(state), std::memory_order_relaxed);
}

/// Makes `thread` the owner of a generator nobody has started, now running.
/// False if another thread got there first.
inline bool claim_owner(Control& generator, std::uint32_t thread) noexcept
{
    std::uint32_t unclaimed = status_of(unowned, State::not_started);
    return std::atomic_ref<std::uint32_t>(generator.status)
        .compare_exchange_strong(unclaimed, status_of(thread, State::running), std::memory_order_relaxed);
}

inline bool has_heap_buffer(const Control& generator) noexcept { return generator.capacity > inline_capacity; }

/// Where the slice bytes are: the inline bytes, or the heap buffer they name.
inline char* slice_buffer(Control& generator) noexcept
{
    if (!has_heap_buffer(generator))
        return reinterpret_cast<char*>(generator.buffer);
    char* heap;
    std::memcpy(&heap, generator.buffer, sizeof heap);
    return heap;
}

inline void set_heap_buffer(Control& generator, char* heap, std::uint32_t capacity) noexcept
{
    std::memcpy(generator.buffer, &heap, sizeof heap);
    generator.capacity = capacity;
}

/// The home's top: the link frame sits just below it, the slice below that.
inline char* home_top(const Control& generator) noexcept { return generator.slice_top + CG_LINK_SIZE; }

/// Bytes from the control block's start to the stored body.
inline std::size_t body_offset(const GeneratorOps& ops) noexcept
{
    return (sizeof(Control) + ops.body_align - 1) / ops.body_align * ops.body_align;
}

/// Bytes of the control block's allocation.
inline std::size_t control_size(const GeneratorOps& ops) noexcept
{
    return ops.body_size == 0 ? sizeof(Control) : body_offset(ops) + ops.body_size;
}

} // namespace cg::detail
