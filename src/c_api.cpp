// c_api.cpp - the C API (cg.h) on top of the C++ core.
//
// A C generator is a generator of uintptr_t receiving uintptr_t whose body
// calls fun(arg1, arg2) and delivers its return value as the last value.
// cg_yield is cg::yield<uintptr_t>(uintptr_t), so it also works inside a C++
// CopyGenerator<uintptr_t, uintptr_t>.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <system_error>
#include <vector>
#include <new>
#include <optional>
#include <string>

#include <cg.h>
#include <cg/copy_generator.hpp>

#include "control.hpp"
#include "errors.hpp"
#include "ops_table.hpp"
#include "sanitizers.hpp"

struct cg_generator; // only ever a cg::detail::Control

namespace cg::detail {
namespace {

using CFunction = std::uintptr_t (*)(std::uintptr_t, std::uintptr_t);

struct CBody {
    CFunction function;
    std::uintptr_t arg1;
    std::uintptr_t arg2;
};

void c_entry(Control* generator, ResumeFrame*) noexcept
{
    // By reference: the body stays in the control block, out of the slice.
    const CBody& body = *static_cast<const CBody*>(body_of(generator));
    try {
        std::uintptr_t result = body.function(body.arg1, body.arg2);
        *static_cast<std::optional<std::uintptr_t>*>(current_frame()->yielded) = result;
    } catch (const forced_unwind&) {
    } catch (...) {
        keep_escaped_exception();
    }
#if CG_ENTRY_RETURNS
    finish_entry_before_return();
#else
    finish_entry();
#endif
}

} // namespace

namespace {
constinit std::uint32_t c_ops_number_kept = c_ops_number; // numbered from the start (ops_table.cpp)
} // namespace

// C frames have no destructors: a suspended C generator is discarded, never
// unwound, so it can be destroyed from any depth and any thread.
constexpr GeneratorOps c_ops = {
    &c_entry, nullptr, &typeid(std::uintptr_t), &typeid(std::uintptr_t), sizeof(CBody), alignof(CBody), false, nullptr,
    &c_ops_number_kept,
};

namespace {

Control* control(cg_t* co) noexcept { return reinterpret_cast<Control*>(co); }
const Control* control(const cg_t* co) noexcept { return reinterpret_cast<const Control*>(co); }

/// Resumes co; returns a status, and on CG_OK the value in *result. On an
/// error, `failed(message)` is called first (cg_invoke's aborts): the
/// message is built only then, not on every resume.
template <class Failed>
CG_HOT_PATH int checked_resume(cg_t* co, std::uintptr_t value, std::uintptr_t* result, Failed failed)
{
    if (co == nullptr) [[unlikely]] {
        failed("null generator");
        return CG_EINVAL;
    }
    std::optional<std::uintptr_t> out; // where the body's return value goes
    ResumeFrame frame{control(co), &out, &value};
    std::uintptr_t yielded;
    try {
        if (resume(frame, yielded)) [[likely]] {
            if (result)
                *result = yielded;
            return CG_OK;
        }
    } catch (const error& e) {
        failed(e.what());
        return static_cast<int>(e.code());
    }
    if (frame.exception) [[unlikely]] {
        failed("an exception escaped the generator's function");
        return CG_EEXCEPTION;
    }
    if (result)
        *result = out.value_or(0);
    return CG_OK;
}

[[noreturn, gnu::noinline, gnu::cold]] void invoke_failed(const char* message)
{
    fatal(std::string("cg_invoke: ") + message);
}

/// The generator cg_yield yields from: the innermost on this thread, if it
/// yields and receives uintptr_t; else null. A C generator is known by its
/// ops at once; only a C++ generator's types are compared. Not inlined: the
/// comparison would put saved registers into cg_yield's frame, which is in
/// the slice.
[[gnu::noinline]] Control* yield_target() noexcept
{
    ResumeFrame* frame = this_thread.current;
    if (frame == nullptr)
        return nullptr;
    const ControlHead& head = frame->generator->head;
    if (ops_number_of(head) != c_ops_number && (*ops_of(head).yield_type != typeid(std::uintptr_t) ||
                                                *ops_of(head).receive_type != typeid(std::uintptr_t)))
        return nullptr;
    return frame->generator;
}

/// The resume a C generator's cg_yield hands its value to directly: the
/// innermost one on this thread, if it runs a C generator (never unwound:
/// c_ops) and the yield is suspend's common case; else null, and cg_yield
/// takes the general path. Inline, unlike yield_target: cg_yield ends in a
/// tail call, so no register it saves is in the slice.
inline ResumeFrame* c_generator_frame() noexcept
{
    ResumeFrame* frame = this_thread.current;
    if (frame == nullptr || ops_number_of(frame->generator->head) != c_ops_number ||
        !suspends_directly(frame, frame->generator))
        return nullptr;
    return frame;
}

/// Why yield_target() found none.
int yield_target_status() noexcept { return current_frame() == nullptr ? CG_EOUTSIDE : CG_ETYPE; }

/// Yields `value` from `generator`; returns the ResumeFrame of the resume
/// that continues it, or null when the slice buffer could not grow.
/// forced_unwind passes through: a C++ generator of uintptr_t is being
/// destroyed.
inline ResumeFrame* yield_uintptr(Control* generator, std::uintptr_t value)
{
    ResumeFrame* next = suspend(generator, nullptr, value); // by bits
    if (next != nullptr && next->unwinding()) [[unlikely]]
        throw_forced_unwind();
    return next;
}

[[noreturn, gnu::noinline, gnu::cold]] void yield_failed(int status)
{
    fatal(std::string("cg_yield: ") + (status == CG_ENOMEM ? "out of memory growing the slice buffer"
                                                               : cg_strerror(status)));
}

[[noreturn, gnu::cold]] void yield_found_no_room() { yield_failed(CG_ENOMEM); }

/// cg_yield for any generator of uintptr_t (a C++ one too), or misuse.
[[gnu::noinline]] std::uintptr_t yield_generally(std::uintptr_t value)
{
    Control* generator = yield_target();
    if (generator == nullptr) [[unlikely]]
        yield_failed(yield_target_status());
    ResumeFrame* next = yield_uintptr(generator, value);
    if (next == nullptr) [[unlikely]]
        yield_failed(CG_ENOMEM);
    return *static_cast<std::uintptr_t*>(next->sent);
}

} // namespace
} // namespace cg::detail

using namespace cg::detail;

extern "C" {

cg_t* cg_create(void* fun, uintptr_t arg1, uintptr_t arg2)
{
    if (fun == nullptr)
        return nullptr;
    try {
        // The C functions it runs are compiled with ASan if the program runs
        // under it.
        Control* generator = create(c_ops, poison_to_forget() ? asan_headroom : plain_headroom);
        ::new (body_of(generator)) CBody{reinterpret_cast<CFunction>(fun), arg1, arg2};
        return reinterpret_cast<cg_t*>(generator);
    } catch (const std::bad_alloc&) {
        return nullptr;
    }
}

int cg_set_headroom(cg_t* co, size_t bytes)
{
    if (co == nullptr || bytes > cg::max_headroom)
        return CG_EINVAL;
    Control& generator = *control(co);
    if (state_of(generator) != State::not_started)
        return CG_ERUNNING;
    generator.head.headroom = bytes;
    return CG_OK;
}

uintptr_t cg_invoke(cg_t* co, uintptr_t value)
{
    std::uintptr_t result = 0;
    checked_resume(co, value, &result, &invoke_failed);
    // A tail call: the trampoline returns to our caller itself (trampoline.h).
    return cg_arch_return_value(result);
}

int cg_resume(cg_t* co, uintptr_t value, uintptr_t* result)
{
    int status = checked_resume(co, value, result, [](const char*) noexcept {});
    return cg_arch_return_status(status); // a tail call, as in cg_invoke
}

uintptr_t cg_yield(void*, uintptr_t value)
{
    ResumeFrame* frame = c_generator_frame();
    if (frame == nullptr) [[unlikely]]
        return yield_generally(value);
    frame->deliver = nullptr; // the value travels as bits
    frame->value = value;
    // A tail call: when resumed, the trampoline returns the word received
    // to our caller itself (trampoline.h).
    return cg_arch_suspend_receiving(frame->generator, frame, &yield_found_no_room);
}

int cg_try_yield(uintptr_t value, uintptr_t* received)
{
    Control* generator = yield_target();
    if (generator == nullptr)
        return yield_target_status();
    ResumeFrame* next = yield_uintptr(generator, value);
    if (next == nullptr)
        return CG_ENOMEM;
    if (received != nullptr)
        *received = *static_cast<std::uintptr_t*>(next->sent);
    return CG_OK;
}

uintptr_t cg_is_done(cg_t* co) { return co != nullptr && is_finished(control(co)) ? 1 : 0; }

size_t cg_slice_size(const cg_t* co) { return co == nullptr ? 0 : slice_size(control(co)); }

size_t cg_buffer_capacity(const cg_t* co) { return co == nullptr ? 0 : buffer_capacity(control(co)); }

size_t cg_trim_buffers(void) { return cg::trim_buffers(); }

int cg_set_label(cg_t* co, const char* label)
{
    if (co == nullptr)
        return CG_EINVAL;
    try {
        set_label(control(co), label == nullptr ? std::string_view() : std::string_view(label));
        return CG_OK;
    } catch (const std::bad_alloc&) {
        return CG_ENOMEM;
    }
}

size_t cg_get_label(const cg_t* co, char* buffer, size_t size)
{
    std::string text;
    try {
        if (co != nullptr)
            text = label(control(co));
    } catch (const std::bad_alloc&) {
        text.clear();
    }
    if (size > 0) {
        std::size_t copied = std::min(text.size(), size - 1);
        std::memcpy(buffer, text.data(), copied);
        buffer[copied] = '\0';
    }
    return text.size();
}

int cg_backtrace(const cg_t* co, cg_frame* frames, int capacity)
{
    if (co == nullptr || capacity < 0 || (frames == nullptr && capacity > 0))
        return -CG_EINVAL;
    try {
        std::vector<cg::Frame> found = backtrace(control(co));
        int count = static_cast<int>(std::min<std::size_t>(found.size(), static_cast<std::size_t>(capacity)));
        for (int i = 0; i < count; ++i) {
            const cg::Frame& frame = found[static_cast<std::size_t>(i)];
            frames[i].pc = frame.pc;
            frames[i].sp = frame.sp;
            frames[i].offset = frame.offset;
            std::size_t length = std::min(frame.function.size(), sizeof frames[i].function - 1);
            std::memcpy(frames[i].function, frame.function.data(), length);
            frames[i].function[length] = '\0';
        }
        return static_cast<int>(found.size());
    } catch (const cg::error& e) {
        return -static_cast<int>(e.code());
    } catch (const std::bad_alloc&) {
        return -CG_ENOMEM;
    }
}

namespace {

int snapshot_status(const char* path, const cg::SnapshotOptions& options)
{
    if (path == nullptr)
        return CG_EINVAL;
    try {
        cg::snapshot(path, options);
        return CG_OK;
    } catch (const std::system_error& e) {
        errno = e.code().value();
        return CG_EIO;
    } catch (const std::bad_alloc&) {
        return CG_ENOMEM;
    }
}

} // namespace

int cg_snapshot(const char* path) { return snapshot_status(path, {}); }

int cg_snapshot_all_threads(const char* path, int wait_ms)
{
    return snapshot_status(path, {.all_threads = true, .wait = std::chrono::milliseconds(std::max(wait_ms, 0))});
}

void cg_safe_point(void) { cg::safe_point(); }

void cg_destroy(cg_t* co)
{
    if (co != nullptr)
        destroy(control(co));
}

} // extern "C"
