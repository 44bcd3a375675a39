// c_api.cpp - the C API (cg.h) on top of the C++ core.
//
// A C generator is a generator of uintptr_t receiving uintptr_t whose body
// calls fun(arg1, arg2) and delivers its return value as the last value.
// cg_yield is cg::yield<uintptr_t>(uintptr_t), so it also works inside a C++
// CopyGenerator<uintptr_t, uintptr_t>.
#include <cstdint>
#include <new>
#include <optional>
#include <string>

#include <cg.h>
#include <cg/copy_generator.hpp>

#include "control.hpp"
#include "errors.hpp"

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
}

// C frames have no destructors: a suspended C generator is discarded, never
// unwound, so it can be destroyed from any depth and any thread.
constexpr GeneratorOps c_ops = {
    &c_entry, nullptr, &typeid(std::uintptr_t), &typeid(std::uintptr_t), sizeof(CBody), alignof(CBody), false,
};

Control* control(cg_t* co) noexcept { return reinterpret_cast<Control*>(co); }
const Control* control(const cg_t* co) noexcept { return reinterpret_cast<const Control*>(co); }

/// Resumes co; returns a status, and on CG_OK the value in *result.
int checked_resume(cg_t* co, std::uintptr_t value, std::uintptr_t* result, std::string* message)
{
    if (co == nullptr) {
        if (message)
            *message = "null generator";
        return CG_EINVAL;
    }
    std::optional<std::uintptr_t> out;
    ResumeFrame frame{control(co), &out, &value};
    try {
        resume(frame);
    } catch (const error& e) {
        if (message)
            *message = e.what();
        return static_cast<int>(e.code());
    }
    if (frame.exception) {
        if (message)
            *message = "an exception escaped the generator's function";
        return CG_EEXCEPTION;
    }
    if (result)
        *result = out.value_or(0);
    return CG_OK;
}

int checked_yield(std::uintptr_t value, std::uintptr_t* received, std::string* message)
{
    try {
        Control* generator = generator_for_free_yield(typeid(std::uintptr_t), typeid(std::uintptr_t));
        std::uintptr_t in = yield_from<std::uintptr_t, std::uintptr_t>(generator, value);
        if (received)
            *received = in;
        return CG_OK;
    } catch (const error& e) {
        if (message)
            *message = e.what();
        return static_cast<int>(e.code());
    } catch (const std::bad_alloc&) {
        if (message)
            *message = "out of memory growing the slice buffer";
        return CG_ENOMEM;
    }
    // forced_unwind passes: a C++ generator of uintptr_t is being destroyed.
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
        Control* generator = create(c_ops, cg::default_headroom);
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
    if (owner_of(generator) != unowned)
        return CG_ERUNNING;
    generator.headroom = bytes;
    return CG_OK;
}

uintptr_t cg_invoke(cg_t* co, uintptr_t value)
{
    std::uintptr_t result = 0;
    std::string message;
    if (checked_resume(co, value, &result, &message) != CG_OK)
        fatal("cg_invoke: " + message);
    return result;
}

int cg_resume(cg_t* co, uintptr_t value, uintptr_t* result) { return checked_resume(co, value, result, nullptr); }

uintptr_t cg_yield(void*, uintptr_t value)
{
    std::uintptr_t received = 0;
    std::string message;
    if (checked_yield(value, &received, &message) != CG_OK)
        fatal("cg_yield: " + message);
    return received;
}

int cg_try_yield(uintptr_t value, uintptr_t* received) { return checked_yield(value, received, nullptr); }

uintptr_t cg_is_done(cg_t* co) { return co != nullptr && is_finished(control(co)) ? 1 : 0; }

size_t cg_slice_size(const cg_t* co) { return co == nullptr ? 0 : slice_size(control(co)); }

void cg_destroy(cg_t* co)
{
    if (co != nullptr)
        destroy(control(co));
}

} // extern "C"
