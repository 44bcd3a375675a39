// control.hpp - the control block of a generator: the portable head the
// inline hot path reads (ControlHead, in cg/detail/runtime.hpp), then what
// only the library and the trampoline touch.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <cg/detail/runtime.hpp>

#include "frame_layout.h" // arch/<cpu>/: offsets shared with the trampoline
#include "registry.hpp"

namespace cg::detail {

struct Control {
    ControlHead head;
    cg_arch_registers registers; // the suspended generator's callee-saved state (arch/)
    // The slice bytes while they fit here; then a pointer to a heap buffer.
    alignas(8) unsigned char buffer[CG_INLINE_BUFFER_SIZE];
    RegistryLinks links; // in the registry of the thread its status names (registry.hpp)
    // The body follows, if it is stored (GeneratorOps::body_size).
};

// Every offset the trampoline uses, checked.
static_assert(offsetof(Control, head) + offsetof(ControlHead, slice_top) == CG_CONTROL_SLICE_TOP);
static_assert(offsetof(Control, head) + offsetof(ControlHead, slice_size) == CG_CONTROL_SLICE_SIZE);
static_assert(offsetof(Control, head) + offsetof(ControlHead, capacity) == CG_CONTROL_CAPACITY);
static_assert(sizeof(ControlHead) == CG_CONTROL_HEAD_SIZE);
static_assert(offsetof(Control, registers) == CG_CONTROL_REGISTERS);
static_assert(offsetof(Control, registers) + offsetof(cg_arch_registers, rbx) == CG_CONTROL_RBX);
static_assert(offsetof(Control, registers) + offsetof(cg_arch_registers, rbp) == CG_CONTROL_RBP);
static_assert(offsetof(Control, registers) + offsetof(cg_arch_registers, r12) == CG_CONTROL_R12);
static_assert(offsetof(Control, registers) + offsetof(cg_arch_registers, r13) == CG_CONTROL_R13);
static_assert(offsetof(Control, registers) + offsetof(cg_arch_registers, r14) == CG_CONTROL_R14);
static_assert(offsetof(Control, registers) + offsetof(cg_arch_registers, r15) == CG_CONTROL_R15);
static_assert(offsetof(Control, registers) + offsetof(cg_arch_registers, mxcsr) == CG_CONTROL_MXCSR);
static_assert(offsetof(Control, registers) + offsetof(cg_arch_registers, x87_control) == CG_CONTROL_X87CW);
static_assert(sizeof(cg_arch_registers) == CG_ARCH_REGISTERS_SIZE);
static_assert(offsetof(Control, buffer) == CG_CONTROL_BUFFER);
static_assert(sizeof(Control::buffer) >= sizeof(char*), "the inline bytes must hold a buffer pointer");
static_assert(CG_INLINE_BUFFER_SIZE % 16 == 0, "slices are multiples of 16 bytes");
static_assert(offsetof(Control, links) == CG_CONTROL_BUFFER + CG_INLINE_BUFFER_SIZE, "the links follow the inline bytes");
static_assert(CG_LINK_SIZE == link_frame_size);
static_assert(offsetof(Control, head) + offsetof(ControlHead, status) == CG_CONTROL_STATUS);
static_assert(offsetof(Control, head) + offsetof(ControlHead, saved_errno) == CG_CONTROL_SAVED_ERRNO);
static_assert(offsetof(ThreadState, current) == CG_THREAD_CURRENT);
static_assert(offsetof(ThreadState, exceptions) == CG_THREAD_EXCEPTIONS);
static_assert(offsetof(ThreadState, error_number) == CG_THREAD_ERRNO);
static_assert(offsetof(ThreadState, number) == CG_THREAD_NUMBER && sizeof(ThreadState::number) == 4);
static_assert(offsetof(ResumeFrame, generator) == CG_FRAME_GENERATOR);
static_assert(offsetof(ResumeFrame, unwinding) == CG_FRAME_UNWINDING && sizeof(ResumeFrame::unwinding) == 1);
static_assert(offsetof(ResumeFrame, resumer_errno) == CG_FRAME_RESUMER_ERRNO);
static_assert(offsetof(ResumeFrame, outer) == CG_FRAME_OUTER);
static_assert(offsetof(ResumeFrame, resumer_exceptions) == CG_FRAME_RESUMER_EXCEPTIONS);
static_assert(offsetof(ExceptionState, caught) == CG_EXCEPTIONS_CAUGHT);
static_assert(offsetof(ExceptionState, uncaught) == CG_EXCEPTIONS_UNCAUGHT && sizeof(ExceptionState::uncaught) == 4);
static_assert(static_cast<int>(State::suspended) == CG_STATE_SUSPENDED &&
              static_cast<int>(State::running) == CG_STATE_RUNNING &&
              static_cast<int>(State::finished) == CG_STATE_FINISHED);
static_assert(CG_SWITCH_YIELDED == switch_yielded && CG_SWITCH_FINISHED == switch_finished &&
              CG_SWITCH_TOO_DEEP == switch_too_deep && CG_SWITCH_NOT_SUSPENDED == switch_not_suspended);

inline constexpr std::size_t inline_capacity = CG_INLINE_BUFFER_SIZE;

inline std::uint32_t owner_of(const Control& generator) noexcept { return status_of(generator.head) >> state_bits; }

inline State state_of(const Control& generator) noexcept { return State(status_of(generator.head) & state_mask); }

/// Makes `thread` the owner of a generator nobody has started (its status
/// naming the thread that created it, `creator`), now running. False if
/// another thread got there first.
inline bool claim_owner(Control& generator, std::uint32_t creator, std::uint32_t thread) noexcept
{
    std::uint32_t unclaimed = status_of(creator, State::not_started);
    return std::atomic_ref<std::uint32_t>(generator.head.status)
        .compare_exchange_strong(unclaimed, status_of(thread, State::running), std::memory_order_relaxed);
}

inline bool has_heap_buffer(const Control& generator) noexcept { return generator.head.capacity > inline_capacity; }

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
    generator.head.capacity = capacity;
}

/// The home's top: the link frame sits just below it, the slice below that.
inline char* home_top(const Control& generator) noexcept { return generator.head.slice_top + CG_LINK_SIZE; }

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
