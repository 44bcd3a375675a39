// generator.cpp - creating and destroying generators, and the cold paths of
// resume and yield. The hot paths are inline (cg/detail/runtime.hpp): a
// resume of a suspended generator, a yield of the innermost one, each with
// its bookkeeping. They read only this thread's state and the generator's
// own fields: no lock, no atomic read-modify-write.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <new>

#include <cg/copy_generator.hpp>

#include "allocator.hpp"
#include "cleanup_scan.hpp"
#include "control.hpp"
#include "control_slab.hpp"
#include "errors.hpp"
#include "ops_table.hpp"
#include "parking.hpp"
#include "registry.hpp"
#include "sanitizers.hpp"
#include "slice_buffer.hpp"
#include "snapshot_requests.hpp"
#include "thread_state.hpp"

namespace cg::detail {
namespace {

/// Out of the registry, then its memory freed; `size`: control_size. The
/// registry first: a snapshot of its owner may be reading the slice buffer
/// (of a suspended C generator destroyed on another thread).
void free_control(Control& generator, std::size_t size) noexcept
{
    remove_from_registry(generator, size);
    if (has_heap_buffer(generator)) [[unlikely]]
        release_heap_buffer(generator);
    generator.~Control();
    deallocate_control(&generator, size);
}

/// A generator whose frames are all gone, or all but its entry's end
/// (finish_entry): no slice, and no heap buffer.
void after_finish(Control& generator) noexcept
{
    generator.head.slice_size = 0;
    if (has_heap_buffer(generator)) [[unlikely]]
        release_heap_buffer(generator);
}

// Its saved exception state lives in this frame, so inside the slice: a
// generator that yields inside a catch block costs its own stack, not every
// generator a field. Not inlined, not a tail call.
[[gnu::noinline]] ResumeFrame* suspend_keeping_exceptions(Control* generator, ResumeFrame* frame, DeliverFn deliver,
                                                          std::uintptr_t value)
{
    ExceptionState own = std::exchange(*this_thread.exceptions, ExceptionState{}); // a generator leaves none (enter)
    frame->deliver = deliver;
    frame->value = value;
    ResumeFrame* next = cg_arch_suspend(generator, frame);
    *this_thread.exceptions = own; // resumed, with none; or not suspended at all
    return next;
}

/// One switch into a suspended generator being destroyed, from the library.
SwitchResult resume_to_unwind(ResumeFrame& frame) noexcept
{
    ControlHead& head = *head_of(frame.generator);
    enter(frame, head, status_of(this_thread.number, State::running));
    SwitchResult result = cg_arch_resume(frame.generator, &frame);
    leave(frame, head, status_of(this_thread.number, state_after(result.status)));
    return result;
}

/// Runs the destructors of a suspended generator's frames: resumes it to
/// unwind, so that its pending yield throws forced_unwind, which its entry
/// catches before it ends. If the destroyer's own frames reach into the
/// home, they are parked meanwhile (parking.hpp): the resume in progress
/// then lives on the heap with room for them.
void unwind(Control& generator) noexcept
{
    ResumeFrame frame{&generator, nullptr, nullptr, ResumeFrame::Purpose::unwind};
    SwitchResult result = resume_to_unwind(frame);
    while (result.status == switch_too_deep) {
        // A little more than reported: the call below may sit a little deeper.
        auto parked = static_cast<std::size_t>(home_top(generator) - reinterpret_cast<char*>(result.payload));
        std::size_t capacity = (parked + 256 + 63) / 64 * 64;
        std::size_t size = sizeof(ParkingUnwind) + capacity;
        void* memory = allocate(size);
        if (memory == nullptr)
            fatal("out of memory destroying a suspended generator from deeper than its home");
        auto* parking = ::new (memory)
            ParkingUnwind{ResumeFrame{&generator, nullptr, nullptr, ResumeFrame::Purpose::unwind_parking}, capacity};
        result = resume_to_unwind(*parking);
        parking->~ParkingUnwind();
        deallocate(memory, size);
    }
    if (result.status != switch_finished)
        fatal("internal error: a generator being unwound did not finish");
}

/// Destroys a suspended generator whose frames have nothing to clean up
/// (cleanup_scan.hpp) without unwinding them: what its entry<>'s landing
/// pads would do, the stored body's destruction, is done here.
void discard(Control& generator, const GeneratorOps& ops) noexcept
{
    if (ops.destroy_body != nullptr)
        ops.destroy_body(body_of(&generator));
    after_finish(generator);
}

/// destroy, for a generator started and not finished, or never started
/// with a stored body to destroy.
[[gnu::noinline]] void destroy_slowly(Control& g, State state, const GeneratorOps& ops) noexcept
{
    if (state == State::not_started) {
        ops.destroy_body(body_of(&g));
        return free_control(g, control_size(ops));
    }
    std::uint32_t owner = owner_of(g);
    bool needs_unwinding = ops.unwind_on_destroy; // started, not finished
    if (needs_unwinding && owner != this_thread.number)
        fatal("destroying a started generator on a thread that does not own it: its frames can only be "
              "unwound on thread #" +
              std::to_string(owner) + ", whose stack holds its home");
    if (state == State::running)
        fatal("destroying a running generator: from inside itself, or from a generator it resumed");
    if (needs_unwinding) {
        bool discarded = frames_can_be_discarded(g);
        count_destroy(discarded);
        if (discarded)
            discard(g, ops);
        else
            unwind(g);
    }
    free_control(g, control_size(ops));
}

/// claim_for_start, in all but the case it handles itself.
[[gnu::noinline]] std::size_t claim_for_start_slowly(ResumeFrame& frame)
{
    Control* generator = frame.generator;
    if (generator == nullptr)
        throw_empty_generator();
    std::uint32_t here = this_thread.number;    // 0 if this thread has started no generator
    std::uint32_t owner = owner_of(*generator); // the creator, if not started
    bool started = state_of(*generator) != State::not_started;
    if (started && owner != here)
        throw_wrong_thread(*generator, here);
    if (started)
        throw_not_resumable(*generator);
    ThreadState& thread = thread_for_generators(); // or throws
    // A generator its creator starts stays where it is: enter() makes it
    // running, and no other thread may use it meanwhile (that would be a
    // data race on the generator, as any unsynchronized use from two
    // threads is). Another thread claims it with a compare-and-swap of its
    // status, which two such threads racing to start it cannot both win.
    if (owner != thread.number) {
        if (!claim_owner(*generator, owner, thread.number))
            throw_wrong_thread(*generator, thread.number);
        move_to_this_thread(*generator, owner);
    }
    turn_off_fake_stacks();
    generator->head.saved_errno = *thread.error_number; // it starts with its resumer's
    return generator->head.headroom;
}

} // namespace

Control* create(const GeneratorOps& ops, std::size_t headroom)
{
    if (headroom > max_headroom)
        throw_bad_headroom(headroom);
    if (snapshot_wanted())
        act_at_safe_point();
    std::uint32_t creator = thread_for_generators().number;
    std::uint32_t number = number_of(ops);
    std::size_t size = control_size(ops);
    void* memory = allocate_control(size);
    if (memory == nullptr)
        throw std::bad_alloc();
    Control* generator = ::new (memory) Control;
    generator->head.saved_errno = 0;
    generator->head.headroom = headroom;
    generator->head.slice_size = 0;
    set_ops_number(generator->head, number); // and the slice bytes inline
    enter_in_registry(*generator, status_of(creator, State::not_started), size); // its status, last
    return generator;
}

void* body_of(Control* generator) noexcept
{
    return reinterpret_cast<char*>(generator) + body_offset(ops_of(generator->head));
}

void free_unstarted(Control* generator) noexcept { free_control(*generator, control_size(ops_of(generator->head))); }

void destroy(Control* generator) noexcept
{
    if (snapshot_wanted())
        act_at_safe_point();
    Control& g = *generator;
    // Reading the status of another thread's generator is only sound if the
    // program handed it over with synchronization, as it must anyway.
    State state = state_of(g);
    const GeneratorOps& ops = ops_of(g.head);
    // The common ends: nothing to unwind or destroy, nothing to check.
    if (state == State::finished || (state == State::not_started && ops.destroy_body == nullptr)) [[likely]]
        return free_control(g, control_size(ops));
    destroy_slowly(g, state, ops);
}

std::size_t claim_for_start(ResumeFrame& frame)
{
    // The common first resume calls nothing: by the thread that created the
    // generator (which has its registry: it is not exiting), in a program
    // without ASan (whose fake stacks claim_for_start_slowly turns off).
    Control* generator = frame.generator;
    if (generator == nullptr || status_of(generator->head) != status_of(this_thread.number, State::not_started) ||
        this_thread_registry == nullptr || fake_stacks_possible()) [[unlikely]]
        return claim_for_start_slowly(frame);
    generator->head.saved_errno = *this_thread.error_number; // it starts with its resumer's
    return generator->head.headroom;
}

void throw_resume_too_deep(const ResumeFrame& frame, std::uintptr_t resumer_sp)
{
    throw_too_deep(*frame.generator, reinterpret_cast<char*>(resumer_sp));
}

ResumeFrame* suspend_slowly(Control* generator, DeliverFn deliver, std::uintptr_t value)
{
    ResumeFrame* frame = this_thread.current;
    if (frame == nullptr || frame->generator != generator)
        throw_yield_outside(frame);
    if (frame->unwinding())
        throw forced_unwind{};
    return suspend_keeping_exceptions(generator, frame, deliver, value);
}

ResumeFrame* current_frame() noexcept { return this_thread.current; }

// finish_entry never returns, in a library built with any instrumentation
// too: none may pair its entry with a return (TSan's shadow call stack,
// -finstrument-functions) or poison its frame (ASan). (Clang keeps TSan's
// entry and exit records under no_sanitize; its attribute for none is
// another.)
#if defined(__clang__) && defined(__has_attribute)
#if __has_attribute(disable_sanitizer_instrumentation)
#define CG_UNINSTRUMENTED __attribute__((disable_sanitizer_instrumentation, no_instrument_function))
#endif
#endif
#ifndef CG_UNINSTRUMENTED
#define CG_UNINSTRUMENTED __attribute__((no_sanitize("address", "thread"), no_instrument_function))
#endif

CG_UNINSTRUMENTED void finish_entry() noexcept
{
    Control* generator = this_thread.current->generator;
    after_finish(*generator); // on its home still, whose frames are all gone but its entry's
    cg_arch_finish(generator);
}

void finish_entry_before_return() noexcept { after_finish(*this_thread.current->generator); }

void keep_escaped_exception() noexcept { this_thread.current->exception = std::current_exception(); }

Control* generator_for_free_yield(const std::type_info& yield, const std::type_info& receive)
{
    ResumeFrame* frame = this_thread.current;
    if (frame == nullptr)
        throw_yield_outside(nullptr);
    const GeneratorOps& ops = ops_of(frame->generator->head);
    if (*ops.yield_type != yield || *ops.receive_type != receive)
        throw_wrong_type(ops, yield, receive);
    return frame->generator;
}

void note_entry_call(std::uintptr_t* where)
{
    __atomic_store_n(where, reinterpret_cast<std::uintptr_t>(__builtin_return_address(0)), __ATOMIC_RELAXED);
}

void throw_forced_unwind() { throw forced_unwind{}; }

void throw_bad_alloc() { throw std::bad_alloc(); }

bool is_started(const Control* generator) noexcept { return state_of(*generator) != State::not_started; }

bool is_finished(const Control* generator) noexcept { return state_of(*generator) == State::finished; }

std::size_t slice_size(const Control* generator) noexcept
{
    return state_of(*generator) == State::suspended ? generator->head.slice_size : 0;
}

std::size_t buffer_capacity(const Control* generator) noexcept { return capacity_of(*generator); }

} // namespace cg::detail
