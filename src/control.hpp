// control.hpp - the control block of a generator: the portable head the
// inline hot path reads (ControlHead, in cg/detail/runtime.hpp), then what
// only the library and the trampoline touch.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <cg/detail/runtime.hpp>

#include "frame_layout.h" // arch/<cpu>/: the saved registers, the link frame
#include "registry.hpp"
#include "trampoline.h"

namespace cg::detail {

/// Bytes of slice kept in the control block itself: a slice that fits
/// costs no allocation of its own.
inline constexpr std::size_t inline_capacity = CG_INLINE_CAPACITY;

struct Control {
    ControlHead head;
    cg_arch_registers registers; // the suspended generator's callee-saved state (arch/)
    // The slice bytes while they fit here; then a pointer to a heap buffer.
    alignas(8) unsigned char buffer[inline_capacity];
    // The body follows, if it is stored (GeneratorOps::body_size).
};

/// The status of a control block that holds no generator (free in its
/// slab, or kept for a create): no thread has the number `unowned`. Walks
/// of every block (registry.hpp) skip those.
inline constexpr std::uint32_t free_status = status_of(unowned, State::finished);

// What the trampoline reads and returns (trampoline.h), checked.
static_assert(offsetof(Control, head) + offsetof(ControlHead, slice_top) == CG_CONTROL_SLICE_TOP);
static_assert(offsetof(Control, head) + offsetof(ControlHead, slice_size) == CG_CONTROL_SLICE_SIZE &&
              sizeof(ControlHead::slice_size) == 4);
static_assert(offsetof(Control, head) + offsetof(ControlHead, heap_buffer) == CG_CONTROL_HEAP_BUFFER &&
              sizeof(ControlHead::heap_buffer) == 1);
static_assert(offsetof(Control, registers) == CG_CONTROL_REGISTERS);
static_assert(offsetof(Control, buffer) == CG_CONTROL_INLINE_BYTES);
static_assert(offsetof(ResumeFrame, deliver) == CG_FRAME_DELIVER);
static_assert(offsetof(ResumeFrame, sent) == CG_FRAME_SENT);
static_assert(CG_SWITCH_YIELDED == switch_yielded && CG_SWITCH_FINISHED == switch_finished &&
              CG_SWITCH_TOO_DEEP == switch_too_deep);
static_assert(CG_HEAP_BUFFER_ADDRESS == 0 && CG_HEAP_BUFFER_CAPACITY == sizeof(char*) &&
                  sizeof(Control::buffer) >= sizeof(char*) + sizeof(std::uint32_t),
              "the inline bytes must hold a heap buffer's address and capacity");
static_assert(inline_capacity % 16 == 0, "slices are multiples of 16 bytes");
static_assert(CG_SMALL_SLICE >= inline_capacity && CG_SMALL_SLICE <= 64,
              "the trampoline copies every slice the inline bytes hold, and at most 64 bytes");

/// The operations of the generators cg_create makes (c_api.cpp): a
/// generator with them is a C one.
extern const GeneratorOps c_ops;

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

inline bool has_heap_buffer(const Control& generator) noexcept { return generator.head.heap_buffer != 0; }

/// Where the slice bytes are: the inline bytes, or the heap buffer they name.
inline char* slice_buffer(Control& generator) noexcept
{
    if (!has_heap_buffer(generator))
        return reinterpret_cast<char*>(generator.buffer);
    char* heap;
    std::memcpy(&heap, generator.buffer + CG_HEAP_BUFFER_ADDRESS, sizeof heap);
    return heap;
}

/// Bytes the slice buffer holds: the inline bytes', or the heap buffer's,
/// which the inline bytes keep beside its address.
inline std::uint32_t capacity_of(const Control& generator) noexcept
{
    if (!has_heap_buffer(generator))
        return inline_capacity;
    std::uint32_t capacity;
    std::memcpy(&capacity, generator.buffer + CG_HEAP_BUFFER_CAPACITY, sizeof capacity);
    return capacity;
}

inline void set_heap_buffer(Control& generator, char* heap, std::uint32_t capacity) noexcept
{
    std::memcpy(generator.buffer + CG_HEAP_BUFFER_ADDRESS, &heap, sizeof heap);
    std::memcpy(generator.buffer + CG_HEAP_BUFFER_CAPACITY, &capacity, sizeof capacity);
    generator.head.heap_buffer = 1;
}

/// The slice bytes go back into the inline bytes.
inline void set_inline_buffer(Control& generator) noexcept { generator.head.heap_buffer = 0; }

/// The link frame the trampoline keeps at the top of a started generator's
/// home, just above its slice (arch/<cpu>/frame_layout.h).
inline cg_arch_link& link_of(const Control& generator) noexcept
{
    return *reinterpret_cast<cg_arch_link*>(generator.head.slice_top);
}

/// The home's top: the link frame sits just below it, the slice below that.
inline char* home_top(const Control& generator) noexcept { return generator.head.slice_top + sizeof(cg_arch_link); }

/// The lowest address of the saved slice, when it is at home.
inline char* slice_bottom(const Control& generator) noexcept
{
    return generator.head.slice_top - generator.head.slice_size;
}

/// Bytes from the control block's start to the stored body (an alignment
/// is a power of two: a mask, not a division).
inline std::size_t body_offset(const GeneratorOps& ops) noexcept
{
    return (sizeof(Control) + ops.body_align - 1) & ~(ops.body_align - 1);
}

/// Bytes of the control block's allocation.
inline std::size_t control_size(const GeneratorOps& ops) noexcept
{
    return ops.body_size == 0 ? sizeof(Control) : body_offset(ops) + ops.body_size;
}

} // namespace cg::detail
