// inspect.hpp - seeing inside a program's generators without resuming them:
// backtraces of suspended generators, snapshots for tools/cg-dump, and the
// safe points at which threads add themselves to a snapshot.
//
// CopyGenerator::backtrace() and set_label() (copy_generator.hpp) use the
// types here; the C equivalents are in <cg.h>.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <cg/export.h>

namespace cg {

/// One frame of a backtrace, innermost first.
struct Frame {
    std::uintptr_t pc = 0;     ///< a return address (the innermost: into the code that yielded)
    std::uintptr_t sp = 0;     ///< the frame's stack pointer at pc, an address in the home
    std::uintptr_t offset = 0; ///< pc minus the start of its function
    std::string function;      ///< demangled; empty if unknown
};

struct SnapshotOptions {
    /// Besides the calling thread's generators, every other thread's: those
    /// of threads that have exited at once, those of live threads when each
    /// reaches a safe point (below). A live thread that does not within
    /// `wait` is written without details: its generators' ids, labels and
    /// states only.
    bool all_threads = false;
    std::chrono::milliseconds wait{1000};
};

/// Writes every live generator of the calling thread (see SnapshotOptions)
/// to `path`, in the format of src/snapshot_format.hpp, for cg-dump. A
/// suspended generator is written with its slice, saved registers and
/// backtrace; the others with their state. Throws std::system_error if the
/// file cannot be written, std::bad_alloc.
CG_API void snapshot(const char* path, const SnapshotOptions& options = {});

/// A safe point: if a snapshot waits for this thread (an all-threads
/// snapshot, or one asked for by signal), the thread adds its generators to
/// it now. Creating and destroying a generator are safe points too; a
/// thread that does neither for long (an event loop) calls this where it
/// waits. It costs one load when nothing is asked.
CG_API void safe_point() noexcept;

} // namespace cg
