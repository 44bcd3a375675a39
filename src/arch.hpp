// arch.hpp - the routines each arch/<cpu>/ folder provides (switch.S) that
// only the library calls.
// Their contracts are written above each routine in arch/amd64/switch.S.
#pragma once

#include <cstddef>
#include <cstdint>

#include <cg/detail/runtime.hpp>

#include "frame_layout.h"

namespace cg::detail {

/// Where a resumer whose frames reach into a generator's home parks them
/// while the generator is unwound (cg_arch_resume_displaced).
struct DisplacedArea {
    std::size_t capacity; // bytes available after this header
    char* resumer_sp;     // set by the trampoline
    std::size_t size;     // set by the trampoline: bytes parked
    std::size_t unused;
    char* bytes() noexcept { return reinterpret_cast<char*>(this) + CG_DISPLACED_BYTES; }
};

static_assert(offsetof(DisplacedArea, capacity) == CG_DISPLACED_CAPACITY);
static_assert(offsetof(DisplacedArea, resumer_sp) == CG_DISPLACED_SP);
static_assert(offsetof(DisplacedArea, size) == CG_DISPLACED_SIZE);
static_assert(sizeof(DisplacedArea) == CG_DISPLACED_BYTES);

// cg_arch_start, cg_arch_resume and cg_arch_yield are declared in
// cg/detail/runtime.hpp: the inline hot path calls them.
extern "C" {
#define CG_ARCH_ROUTINE __attribute__((visibility("hidden")))
CG_ARCH_ROUTINE SwitchResult cg_arch_resume_displaced(Control* generator, ResumeFrame* frame, DisplacedArea* area);

/// What cg_arch_yield does once it has found and checked the frame; the
/// library's slow path calls it directly.
CG_ARCH_ROUTINE ResumeFrame* cg_arch_suspend(Control* generator, DeliverFn deliver, std::uintptr_t value,
                                             ResumeFrame* frame);

/// The return address in every home's link frame: where the generator's
/// entry returns (into cg_arch_start). Its frames end below it.
CG_ARCH_ROUTINE extern const char cg_arch_entry_return[];

// Called by cg_arch_suspend when the slice does not fit the buffer, or uses
// little of it (src/slice_buffer.hpp): resizes the buffer for a slice of
// `size` bytes. Changes nothing when out of memory.
CG_ARCH_ROUTINE void cg_core_resize_slice_buffer(Control* generator, std::size_t size) noexcept;

// Where cg_arch_yield jumps for a yield it does not take itself: an error
// (throws cg::error), a generator being unwound (throws forced_unwind), or
// one holding caught exceptions (yields keeping them).
CG_ARCH_ROUTINE ResumeFrame* cg_core_suspend_slow(Control* generator, DeliverFn deliver, std::uintptr_t value);
#undef CG_ARCH_ROUTINE
}

} // namespace cg::detail
