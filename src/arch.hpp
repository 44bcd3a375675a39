// arch.hpp - the routines each arch/<cpu>/ folder provides (switch.S).
// Their contracts are written above each routine in arch/amd64/switch.S.
#pragma once

#include <cstddef>
#include <cstdint>

#include <cg/detail/runtime.hpp>

#include "frame_layout.h"

namespace cg::detail {

/// What cg_arch_start and cg_arch_resume return: a CG_SWITCH_* status and,
/// for CG_SWITCH_TOO_DEEP, how low the resumer's stack would have reached.
struct SwitchResult {
    std::uintptr_t status;
    char* stack_pointer;
};

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

extern "C" {
#define CG_ARCH_ROUTINE __attribute__((visibility("hidden")))
CG_ARCH_ROUTINE SwitchResult cg_arch_start(Control* generator, ResumeFrame* frame, EntryFn entry,
                                           std::size_t headroom);
CG_ARCH_ROUTINE SwitchResult cg_arch_resume(Control* generator, ResumeFrame* frame);
CG_ARCH_ROUTINE ResumeFrame* cg_arch_yield(Control* generator, ResumeFrame* frame, DeliverFn deliver,
                                           std::uintptr_t value);
CG_ARCH_ROUTINE SwitchResult cg_arch_resume_displaced(Control* generator, ResumeFrame* frame, DisplacedArea* area);

// Called by cg_arch_yield when the slice does not fit the buffer: grows it to
// hold `size` bytes. False, changing nothing, when out of memory.
CG_ARCH_ROUTINE bool cg_core_grow_slice_buffer(Control* generator, std::size_t size) noexcept;
#undef CG_ARCH_ROUTINE
}

} // namespace cg::detail
