// parking.hpp - destroying a suspended generator from a resumer whose own
// frames reach into the generator's home.
//
// Unwinding the generator means running its frames at home, where the
// destroyer's frames now are. So those frames, [the destroyer's saved sp,
// the home's top), are parked on the heap first, the generator runs there
// until its entry ends, and the frames are put back before the
// trampoline returns to the destroyer (src/trampoline.cpp does both, with
// the stack pointer below them). Meanwhile nothing may live in the parked
// frames: the resume in progress is this heap object, not a local.
#pragma once

#include <cstddef>

#include <cg/detail/runtime.hpp>

namespace cg::detail {

struct ParkingUnwind : ResumeFrame {
    std::size_t capacity;       ///< bytes that parked() holds
    char* parked_from = nullptr; ///< the destroyer's saved sp, once parked
    std::size_t parked_size = 0; ///< bytes parked, up to the home's top

    /// The parked bytes, right after this object in its allocation.
    char* parked() noexcept { return reinterpret_cast<char*>(this + 1); }
};

} // namespace cg::detail
