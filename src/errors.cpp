// errors.cpp - error types, messages, and fatal errors.
#include "errors.hpp"

#include <cxxabi.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include <cg.h>
#include <cg/copy_generator.hpp>
#include <cg/error.hpp>

#include "thread_state.hpp"

namespace cg {

error::error(errc code, const std::string& message) : std::runtime_error(message), code_(code) {}
error::~error() = default;

resume_depth_error::resume_depth_error(const std::string& message, std::size_t resume_depth, std::size_t home_depth)
    : error(errc::too_deep, message), resume_depth_(resume_depth), home_depth_(home_depth)
{
}
resume_depth_error::~resume_depth_error() = default;

const char* describe(errc code) noexcept { return cg_strerror(static_cast<int>(code)); }

} // namespace cg

extern "C" const char* cg_strerror(int status)
{
    switch (status) {
    case CG_OK: return "success";
    case CG_ERUNNING: return "the generator is running";
    case CG_EFINISHED: return "the generator has finished";
    case CG_ETOODEEP: return "resumed from deeper in the stack than the generator's home";
    case CG_ETHREAD: return "resumed on a thread that does not own the generator";
    case CG_EOUTSIDE: return "yield outside any generator";
    case CG_ETYPE: return "the running generator does not yield or receive this type";
    case CG_ENOMEM: return "out of memory";
    case CG_EINVAL: return "invalid argument";
    case CG_EEXCEPTION: return "an exception escaped the generator's function";
    case CG_EUNAVAILABLE: return "backtraces need libunwind (Debian package libunwind8), which could not be loaded";
    case CG_EIO: return "the snapshot could not be written";
    default: return "unknown cg status";
    }
}

namespace cg::detail {

void fatal(const std::string& message) noexcept
{
    std::string line = "cg: " + message + "\n";
    // write(2), not stdio: this may run where stdio's locks are held.
    const char* rest = line.data();
    std::size_t left = line.size();
    while (left > 0) {
        ssize_t written = ::write(STDERR_FILENO, rest, left);
        if (written <= 0)
            break;
        rest += written;
        left -= static_cast<std::size_t>(written);
    }
    std::abort();
}

std::string type_name(const std::type_info& type)
{
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> demangled(abi::__cxa_demangle(type.name(), nullptr, nullptr, &status),
                                                    std::free);
    return status == 0 && demangled ? std::string(demangled.get()) : std::string(type.name());
}

void throw_empty_generator()
{
    throw error(errc::invalid_argument, "cannot resume an empty generator (it was moved from)");
}

void throw_not_resumable(const Control& generator)
{
    if (state_of(generator) == State::running)
        throw error(errc::running, "cannot resume a generator that is running: it is resuming itself, "
                                   "or a cycle of generators resumes it");
    throw error(errc::finished, "cannot resume a generator that has finished");
}

void throw_wrong_thread(const Control& generator, std::uint32_t thread)
{
    std::string here = thread == 0 ? "a thread that has started no generator" : "thread #" + std::to_string(thread);
    throw error(errc::wrong_thread, "cannot resume the generator on " + here + ": it was started on thread #" +
                                        std::to_string(owner_of(generator)) +
                                        ", whose stack holds its home; resume it there");
}

void throw_out_of_thread_numbers()
{
    throw error(errc::wrong_thread, "this thread cannot own generators: the " + std::to_string(unowned - 1) +
                                        " thread numbers cg gives out are used up");
}

void throw_too_deep(const Control& generator, const char* resumer_sp)
{
    const char* top = thread_stack_top();
    const char* home = home_top(generator);
    std::size_t resume_depth = top ? static_cast<std::size_t>(top - resumer_sp) : 0;
    std::size_t home_depth = top ? static_cast<std::size_t>(top - home) : 0;
    std::string message =
        "cannot resume the generator from here: this resume reaches " + std::to_string(resume_depth) +
        " bytes deep into the thread's stack, but the generator's home begins " + std::to_string(home_depth) +
        " bytes deep, and its frames would overwrite the " + std::to_string(home - resumer_sp) +
        " bytes in between; resume it from a call site at most " + std::to_string(home_depth) +
        " bytes deep, or create it with more headroom (cg::Options::headroom)";
    throw resume_depth_error(message, resume_depth, home_depth);
}

void throw_yield_outside(const ResumeFrame* innermost)
{
    if (innermost == nullptr)
        throw error(errc::outside_generator, "yield outside any generator");
    throw error(errc::outside_generator, "yield through the handle of a generator that is not the innermost "
                                         "running one: yield only from the generator's own body");
}

void throw_wrong_type(const GeneratorOps& ops, const std::type_info& yield, const std::type_info& receive)
{
    std::string message = "cg::yield of a " + type_name(yield);
    if (receive != typeid(void))
        message += " receiving a " + type_name(receive);
    message += ", but the running generator yields " + type_name(*ops.yield_type);
    if (*ops.receive_type != typeid(void))
        message += " and receives " + type_name(*ops.receive_type);
    throw error(errc::wrong_type, message);
}

void throw_bad_headroom(std::size_t headroom)
{
    throw error(errc::invalid_argument, "headroom of " + std::to_string(headroom) + " bytes is more than the " +
                                            std::to_string(cg::max_headroom) + " allowed");
}

} // namespace cg::detail
