// error.hpp - the errors cg reports to C++ callers.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include <cg/export.h>

namespace cg {

/// What went wrong. The numbers are the C API's CG_E* status codes.
enum class errc : int {
    running = 1,           ///< resumed while running: from inside itself, or by a cycle of generators
    finished = 2,          ///< resumed after its body returned
    too_deep = 3,          ///< resumed from deeper in the stack than its home's top (see resume_depth_error)
    wrong_thread = 4,      ///< resumed on a thread other than the one whose stack holds its home
    outside_generator = 5, ///< yield outside any generator, or through the handle of a generator
                           ///< that is not the innermost one running
    wrong_type = 6,        ///< cg::yield with a value or receive type the running generator does not have
    no_memory = 7,         ///< C API only; C++ reports std::bad_alloc
    invalid_argument = 8,  ///< an empty (moved-from) generator, or an option out of range
    exception = 9,         ///< C API only: an exception escaped the generator's function
    unavailable = 10,      ///< needs what this machine lacks: libunwind (libunwind8) for backtraces
    io = 11,               ///< C API only: a snapshot could not be written (see errno); C++
                           ///< reports std::system_error
};

/// A static text for a code (the same as cg_strerror).
CG_API const char* describe(errc code) noexcept;

/// Every misuse cg detects is reported as a cg::error (or a class derived
/// from it) whose what() says what happened. The generator involved is left
/// exactly as it was.
class CG_API error : public std::runtime_error {
public:
    error(errc code, const std::string& message);
    ~error() override;

    errc code() const noexcept { return code_; }

private:
    errc code_;
};

/// A resume from deeper in the stack than the generator's home top: the
/// generator's frames would overwrite the resumer's live frames. Depths are
/// bytes between the top of the thread's stack and the address in question.
class CG_API resume_depth_error : public error {
public:
    resume_depth_error(const std::string& message, std::size_t resume_depth, std::size_t home_depth);
    ~resume_depth_error() override;

    /// How deep the resumer's stack reached, counting what the resume itself pushes.
    std::size_t resume_depth() const noexcept { return resume_depth_; }
    /// How deep the generator's home top is: resumes must stay at or above it.
    std::size_t home_depth() const noexcept { return home_depth_; }

private:
    std::size_t resume_depth_;
    std::size_t home_depth_;
};

/// Thrown from the pending yield of a suspended generator that is being
/// destroyed, to run the destructors of its frames. A body that catches it
/// with catch (...) must rethrow it; a yield while it propagates throws it
/// again. It is not derived from std::exception on purpose.
struct forced_unwind {};

} // namespace cg
