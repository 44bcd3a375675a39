// trampoline.cpp - the core's side of a switch (src/trampoline.h): what the
// trampoline calls, always with the stack pointer below every byte the call
// writes, between saving one side's registers and loading the other's.
//
// Debug builds check the invariants a stack-copying switch lives by before
// every copy: the slice lies in its home (below the link frame, a multiple
// of 16 bytes), the buffer holds it, and this code's own frame lies below
// every stack byte it reads or writes.
#include <algorithm>
#include <cstdint>
#include <string>

#include "control.hpp"
#include "errors.hpp"
#include "parking.hpp"
#include "sanitizers.hpp"
#include "slice_buffer.hpp"
#include "slice_copy.hpp"

namespace cg::detail {
namespace {

#ifdef NDEBUG
#define CG_INVARIANT(condition, what) ((void)0)
#else
#define CG_INVARIANT(condition, what) ((condition) ? (void)0 : invariant_broken(what))
[[noreturn, gnu::cold]] void invariant_broken(const char* what) noexcept
{
    fatal(std::string("internal error: ") + what);
}
#endif

/// The stack pointer of the trampoline's call into this code: the frames
/// of this code lie below it.
#define CG_CALLER_SP() static_cast<const char*>(__builtin_dwarf_cfa())

[[maybe_unused]] bool slice_in_home(const Control& generator, const char* bottom) noexcept
{
    std::uintptr_t size = static_cast<std::uintptr_t>(generator.head.slice_top - bottom);
    return bottom < generator.head.slice_top && size % 16 == 0 && size <= UINT32_MAX;
}

/// Moves the resumer's frames that reach into the home, [resumer_sp, home
/// top), to the heap: allowed only for a destroy that brought room for them
/// (generator.cpp: unwind). False, having done nothing, otherwise.
bool park_resumer_frames(Control& generator, char* resumer_sp) noexcept
{
    ResumeFrame& frame = *this_thread.current;
    if (frame.purpose != ResumeFrame::Purpose::unwind_parking)
        return false;
    auto& parking = static_cast<ParkingUnwind&>(frame);
    std::size_t size = static_cast<std::size_t>(home_top(generator) - resumer_sp);
    if (size > parking.capacity)
        return false;
    copy_stack_bytes(parking.parked(), resumer_sp, size);
    parking.parked_from = resumer_sp;
    parking.parked_size = size;
    // The generator runs where they were: their poison must not stay.
    char* lowest = std::min(resumer_sp, slice_bottom(generator));
    forget_stack_poison(lowest, static_cast<std::size_t>(home_top(generator) - lowest));
    return true;
}

[[gnu::noinline]] char* save_slice_slowly(Control& generator, char* bottom, std::uint32_t size, ResumeFrame& frame)
{
    ControlHead& head = generator.head;
    if (std::uint32_t capacity = capacity_of(generator); size > capacity || std::uint64_t{size} * 4 <= capacity)
        if (!fit_buffer(generator, size))
            return nullptr; // out of memory: nothing has changed
    CG_INVARIANT(size <= capacity_of(generator), "the slice buffer does not hold the slice");
    if (frame.deliver != nullptr)
        frame.deliver(&frame, frame.value); // may throw: nothing has changed yet
    copy_stack_bytes(slice_buffer(generator), bottom, size);
    head.slice_size = size;
    forget_stack_poison(bottom, static_cast<std::size_t>(home_top(generator) - bottom));
    return reinterpret_cast<char*>(link_of(generator).resumer_sp);
}

[[gnu::noinline]] bool restore_slice_slowly(Control& generator, char* resumer_sp) noexcept
{
    if (resumer_sp < home_top(generator) && !park_resumer_frames(generator, resumer_sp))
        return false; // too deep: nothing has changed
    copy_stack_bytes(slice_bottom(generator), slice_buffer(generator), generator.head.slice_size);
    return true;
}

} // namespace
} // namespace cg::detail

using namespace cg::detail;

// The trampoline copies the inline case itself (trampoline.h), unless told
// otherwise here. A slice that needs no buffer policy and no delivery takes
// the first branch of each function below: for a slice below 512 bytes,
// no call and no register saved.

const unsigned char cg_core_copies_every_slice = []() noexcept -> unsigned char {
#ifdef NDEBUG
    return poison_to_forget(); // ASan: every yield must clear the home's poison
#else
    return 1; // debug builds check the invariants before every copy
#endif
}();

char* cg_core_save_slice(Control* generator, char* bottom, ResumeFrame* resume)
{
    ControlHead& head = generator->head;
    CG_INVARIANT(state_of(*generator) == State::running, "a generator that is not running yields");
    CG_INVARIANT(slice_in_home(*generator, bottom), "a slice to save does not lie in its home");
    CG_INVARIANT(CG_CALLER_SP() <= bottom, "saving a slice from above the stack pointer");
    auto size = static_cast<std::uint32_t>(head.slice_top - bottom);
    ResumeFrame& frame = *resume;
    std::uint32_t capacity = capacity_of(*generator);
    if (size > capacity || std::uint64_t{size} * 4 <= capacity || frame.deliver != nullptr ||
        poison_to_forget()) [[unlikely]]
        return save_slice_slowly(*generator, bottom, size, frame);
    copy_stack_bytes(slice_buffer(*generator), bottom, size);
    head.slice_size = size;
    return reinterpret_cast<char*>(link_of(*generator).resumer_sp);
}

bool cg_core_restore_slice(Control* generator, char* resumer_sp) noexcept
{
    char* bottom = slice_bottom(*generator);
    CG_INVARIANT(state_of(*generator) == State::running, "resuming a generator that is not running");
    CG_INVARIANT(generator->head.slice_size > 0 && slice_in_home(*generator, bottom),
                 "a slice to restore does not lie in its home");
    CG_INVARIANT(generator->head.slice_size <= capacity_of(*generator), "the slice buffer does not hold the slice");
    CG_INVARIANT(CG_CALLER_SP() <= bottom && CG_CALLER_SP() <= resumer_sp, "restoring a slice above the stack pointer");
    if (resumer_sp < home_top(*generator)) [[unlikely]]
        return restore_slice_slowly(*generator, resumer_sp);
    copy_stack_bytes(bottom, slice_buffer(*generator), generator->head.slice_size);
    return true;
}

void cg_core_entry_returned() noexcept
{
    ResumeFrame& frame = *this_thread.current;
    if (frame.purpose != ResumeFrame::Purpose::unwind_parking)
        return;
    auto& parking = static_cast<ParkingUnwind&>(frame);
    if (parking.parked_size == 0)
        return;
    CG_INVARIANT(CG_CALLER_SP() <= parking.parked_from, "putting parked frames back above the stack pointer");
    copy_stack_bytes(parking.parked_from, parking.parked(), parking.parked_size);
    forget_stack_poison(parking.parked_from, parking.parked_size);
}
