// core_of_child.hpp - real cores for the tests and for fuzz.sh's seeds: of
// a child forked from this process, written by gdb's gcore (the kernel's
// core_pattern may send a crashing process's core anywhere), and a copy of
// a core reduced to its headers and notes.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace cg_dump_test {

/// A child forked from this process, waiting in pause() until this goes:
/// then it is killed and reaped. It lets any process trace it (under
/// Yama's ptrace_scope 1 only its parent could, not gcore), and dies with
/// its parent.
class PausedChild {
public:
    PausedChild();
    ~PausedChild();
    PausedChild(const PausedChild&) = delete;
    PausedChild& operator=(const PausedChild&) = delete;

    pid_t pid() const noexcept { return pid_; }

private:
    pid_t pid_ = -1;
};

/// Writes a core of process `pid` to `path` with gcore (found on PATH).
/// "" if it did, else why not ("gcore is not installed", or how it failed).
std::string write_core_with_gcore(pid_t pid, const std::string& path);

/// A copy of `core` without the memory it holds: each program header keeps
/// its addresses but holds no bytes of the file (p_filesz 0), the notes
/// are kept, the section headers left out. Small (the notes), and a reader
/// of it must find code and read-only data in the mapped files. Throws
/// std::runtime_error for what it does not handle (PN_XNUM).
std::string without_memory(std::string_view core);

} // namespace cg_dump_test
