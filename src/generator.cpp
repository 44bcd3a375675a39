// generator.cpp - creating, resuming, suspending and destroying generators.
//
// The hot path is resume() on the resumer's side and suspend() on the
// generator's side. Both read only this thread's state and the generator's
// own fields: no lock, no atomic read-modify-write.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <new>

#include <cg/copy_generator.hpp>

#include "allocator.hpp"
#include "arch.hpp"
#include "control.hpp"
#include "errors.hpp"
#include "sanitizers.hpp"
#include "thread_state.hpp"

namespace cg::detail {
namespace {

// Around every switch into a generator: the resumer's exception state is set
// aside, the generator runs with its own (empty, unless its pending yield
// restores one it kept), and its frame becomes the innermost resume.
inline void enter(ThreadState& thread, ResumeFrame& frame) noexcept
{
    frame.outer = thread.current;
    frame.resumer_exceptions = *thread.exceptions;
    *thread.exceptions = {};
    thread.current = &frame;
}

inline void leave(ThreadState& thread, ResumeFrame& frame) noexcept
{
    *thread.exceptions = frame.resumer_exceptions;
    thread.current = frame.outer;
}

/// The part of the home the slice and the link frame occupy.
inline void forget_home_poison(const Control& generator) noexcept
{
    forget_stack_poison(generator.slice_top - generator.slice_size, generator.slice_size + CG_LINK_SIZE);
}

void release_heap_buffer(Control& generator) noexcept
{
    if (has_heap_buffer(generator)) {
        deallocate(slice_buffer(generator), generator.capacity);
        generator.capacity = inline_capacity;
    }
}

void free_control(Control& generator) noexcept
{
    std::size_t size = control_size(*generator.ops);
    generator.~Control();
    deallocate(&generator, size);
}

/// After the generator yielded or finished and the resumer runs again.
inline void settle(Control& generator, std::uintptr_t status) noexcept
{
    forget_home_poison(generator);
    if (status == CG_SWITCH_FINISHED) [[unlikely]] {
        generator.state = State::finished;
        generator.slice_size = 0;
        release_heap_buffer(generator);
    } else {
        generator.state = State::suspended;
    }
}

void start(ThreadState& thread, ResumeFrame& frame)
{
    Control& generator = *frame.generator;
    // Only a race between two threads starting the same generator fails here.
    if (!claim_owner(generator, thread.number))
        throw_wrong_thread(generator, thread.number);
    std::size_t headroom = generator.headroom;
    enter(thread, frame);
    generator.state = State::running;
    SwitchResult result = cg_arch_start(&generator, &frame, generator.ops->entry, headroom);
    leave(thread, frame);
    settle(generator, result.status);
}

[[gnu::noinline]] void resume_slow(ResumeFrame& frame)
{
    Control* generator = frame.generator;
    if (generator == nullptr)
        throw_empty_generator();
    ThreadState& thread = numbered_thread();
    std::uint32_t owner = owner_of(*generator);
    if (owner == unowned)
        return start(thread, frame);
    if (owner != thread.number)
        throw_wrong_thread(*generator, thread.number);
    throw_not_resumable(*generator);
}

// Its saved exception state lives in this frame, so inside the slice: a
// generator that yields inside a catch block (or while unwinding) costs its
// own stack, not every generator a field. Not inlined, not a tail call.
[[gnu::noinline]] ResumeFrame* suspend_keeping_exceptions(ThreadState& thread, Control* generator, ResumeFrame* frame,
                                                          DeliverFn deliver, std::uintptr_t value)
{
    ExceptionState own = *thread.exceptions;
    ResumeFrame* next = cg_arch_yield(generator, frame, deliver, value);
    if (next != nullptr)
        *thread.exceptions = own; // resumed: the resumer left an empty state
    return next;
}

/// A resumer whose own frames reach into the home destroys a suspended
/// generator: park those frames, unwind, put them back. The ResumeFrame then
/// lives on the heap, since the resumer's stack is parked.
SwitchResult unwind_displaced(ThreadState& thread, Control& generator, const char* resumer_sp) noexcept
{
    struct DisplacedUnwind {
        ResumeFrame frame;
        alignas(16) DisplacedArea area;
    };
    for (;;) {
        // A little more than reported: the call below may sit a little deeper.
        std::size_t parked = static_cast<std::size_t>(home_top(generator) - resumer_sp);
        std::size_t capacity = (parked + 256 + 63) / 64 * 64;
        std::size_t size = sizeof(DisplacedUnwind) + capacity;
        void* memory = allocate(size);
        if (memory == nullptr)
            fatal("out of memory destroying a suspended generator from deeper than its home");
        auto* displaced = ::new (memory)
            DisplacedUnwind{ResumeFrame{&generator, nullptr, nullptr, true}, DisplacedArea{capacity, nullptr, 0, 0}};
        enter(thread, displaced->frame);
        generator.state = State::running;
        forget_home_poison(generator);
        SwitchResult result = cg_arch_resume_displaced(&generator, &displaced->frame, &displaced->area);
        leave(thread, displaced->frame);
        if (result.status != CG_SWITCH_TOO_DEEP)
            forget_stack_poison(displaced->area.resumer_sp, displaced->area.size);
        displaced->~DisplacedUnwind();
        deallocate(memory, size);
        if (result.status != CG_SWITCH_TOO_DEEP)
            return result;
        resumer_sp = result.stack_pointer;
    }
}

/// Runs the destructors of a suspended generator's frames: resumes it with
/// `unwinding` set, so its pending yield throws forced_unwind, which its
/// entry catches before returning.
void unwind(ThreadState& thread, Control& generator) noexcept
{
    ResumeFrame frame{&generator, nullptr, nullptr, true};
    enter(thread, frame);
    generator.state = State::running;
    forget_home_poison(generator);
    SwitchResult result = cg_arch_resume(&generator, &frame);
    leave(thread, frame);
    if (result.status == CG_SWITCH_TOO_DEEP)
        result = unwind_displaced(thread, generator, result.stack_pointer);
    if (result.status != CG_SWITCH_FINISHED)
        fatal("internal error: a generator being unwound suspended itself");
    settle(generator, result.status);
}

} // namespace

Control* create(const GeneratorOps& ops, std::size_t headroom)
{
    if (headroom > max_headroom)
        throw_bad_headroom(headroom);
    void* memory = allocate(control_size(ops));
    if (memory == nullptr)
        throw std::bad_alloc();
    Control* generator = ::new (memory) Control;
    generator->headroom = headroom;
    generator->ops = &ops;
    generator->slice_size = 0;
    generator->capacity = inline_capacity;
    generator->state = State::not_started;
    generator->owner = unowned;
    return generator;
}

void* body_of(Control* generator) noexcept { return reinterpret_cast<char*>(generator) + body_offset(*generator->ops); }

void free_unstarted(Control* generator) noexcept { free_control(*generator); }

void destroy(Control* generator) noexcept
{
    Control& g = *generator;
    std::uint32_t owner = owner_of(g);
    if (owner == unowned) {
        if (g.ops->destroy_body != nullptr)
            g.ops->destroy_body(body_of(&g));
        return free_control(g);
    }
    // Reading the state of another thread's generator is only sound if the
    // program handed it over with synchronization, as it must anyway.
    bool needs_unwinding = g.state != State::finished && g.ops->unwind_on_destroy;
    if (needs_unwinding && owner != this_thread.number)
        fatal("destroying a started generator on a thread that does not own it: its frames can only be "
              "unwound on thread #" +
              std::to_string(owner) + ", whose stack holds its home");
    if (g.state == State::running)
        fatal("destroying a running generator: from inside itself, or from a generator it resumed");
    if (needs_unwinding)
        unwind(this_thread, g);
    release_heap_buffer(g);
    free_control(g);
}

void resume(ResumeFrame& frame)
{
    Control* generator = frame.generator;
    ThreadState& thread = this_thread;
    // A started generator's owner is never 0 and a new thread's number is,
    // so a thread that has started nothing always takes the slow path.
    if (generator == nullptr || owner_of(*generator) != thread.number || generator->state != State::suspended)
        [[unlikely]] return resume_slow(frame);
    Control& g = *generator;
    enter(thread, frame);
    g.state = State::running;
    forget_home_poison(g);
    SwitchResult result = cg_arch_resume(&g, &frame);
    leave(thread, frame);
    if (result.status == CG_SWITCH_TOO_DEEP) [[unlikely]] {
        g.state = State::suspended;
        throw_too_deep(g, result.stack_pointer);
    }
    settle(g, result.status);
}

ResumeFrame* suspend(Control* generator, DeliverFn deliver, std::uintptr_t value)
{
    ThreadState& thread = this_thread;
    ResumeFrame* frame = thread.current;
    if (frame == nullptr || frame->generator != generator) [[unlikely]]
        throw_yield_outside(generator, frame);
    if (frame->unwinding) [[unlikely]]
        throw forced_unwind{};
    if (thread.exceptions->caught != nullptr || thread.exceptions->uncaught != 0) [[unlikely]]
        return suspend_keeping_exceptions(thread, generator, frame, deliver, value);
    // A tail call: the slice then starts at the caller's return address.
    return cg_arch_yield(generator, frame, deliver, value);
}

ResumeFrame* current_frame() noexcept { return this_thread.current; }

void keep_escaped_exception() noexcept { this_thread.current->exception = std::current_exception(); }

Control* generator_for_free_yield(const std::type_info& yield, const std::type_info& receive)
{
    ResumeFrame* frame = this_thread.current;
    if (frame == nullptr)
        throw_yield_outside(nullptr, nullptr);
    const GeneratorOps& ops = *frame->generator->ops;
    if (*ops.yield_type != yield || *ops.receive_type != receive)
        throw_wrong_type(ops, yield, receive);
    return frame->generator;
}

void throw_forced_unwind() { throw forced_unwind{}; }

void throw_bad_alloc() { throw std::bad_alloc(); }

bool is_started(const Control* generator) noexcept { return owner_of(*generator) != unowned; }

bool is_finished(const Control* generator) noexcept { return generator->state == State::finished; }

std::size_t slice_size(const Control* generator) noexcept
{
    return generator->state == State::suspended ? generator->slice_size : 0;
}

std::size_t buffer_capacity(const Control* generator) noexcept { return generator->capacity; }


bool cg_core_grow_slice_buffer(Control* generator, std::size_t size) noexcept
{
    Control& g = *generator;
    // By half again, so a slice that deepens a little at a time reallocates
    // rarely; rounded to 16, the granularity of both slices and malloc.
    std::size_t wanted = std::max<std::size_t>(size, std::size_t{g.capacity} + g.capacity / 2);
    wanted = (wanted + 15) / 16 * 16;
    if (wanted > std::numeric_limits<std::uint32_t>::max())
        return false;
    void* heap = allocate(wanted);
    if (heap == nullptr)
        return false;
    release_heap_buffer(g); // it holds nothing while the generator runs
    set_heap_buffer(g, static_cast<char*>(heap), static_cast<std::uint32_t>(wanted));
    return true;
}

} // namespace cg::detail
