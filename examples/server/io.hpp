// io.hpp - an epoll loop in which every socket is served by a CopyGenerator
// written as straight-line code: when a read or a write would block, the
// generator yields what it waits for, and the loop resumes it once epoll
// says the socket is ready. Used by line_server.cpp and load_client.cpp.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <string_view>
#include <vector>

#include <cg/copy_generator.hpp>

namespace demo {

/// What a task waits for when it yields: its socket, or (parked) the
/// program's say-so, Loop::wake_parked().
enum class Wait : unsigned char { readable, writable, parked };

using Task = cg::CopyGenerator<Wait>;
using Yield = cg::Yielder<Wait>;

/// Reads what is there (at most `size` bytes), yielding until something
/// is: the byte count, 0 at the end of the stream, -1 on an error.
ssize_t read_some(Yield& y, int fd, char* data, std::size_t size);

/// Writes all of `data`, yielding while the socket's buffer is full. False
/// on an error (the peer went away).
bool write_all(Yield& y, int fd, std::string_view data);

/// Reads a socket line by line. Its buffer lives in the reading task's
/// frame: a suspended task keeps its partly received line in its slice.
class LineReader {
public:
    static constexpr std::size_t max_line = 120;

    /// The next line, without its '\n'; empty at the end of the stream or
    /// on an error (a line longer than max_line is one).
    std::string_view next(Yield& y, int fd);

private:
    char buffer_[max_line + 1];
    unsigned char begin_ = 0, end_ = 0; // [begin_, end_) is received and not yet returned
};

/// Serves sockets with tasks until stopped or none is left.
class Loop {
public:
    /// Room for descriptors below `max_fds`.
    explicit Loop(std::size_t max_fds);
    ~Loop();
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;

    /// Serves `fd` with `task`, which first runs once fd is ready for
    /// `first`. The loop closes fd when the task returns.
    void add(int fd, Task task, Wait first);

    /// Runs until stop() or until no task is left, calling `between` after
    /// each round of events.
    void run(const std::function<void()>& between = {});
    void stop() { stopped_ = true; }
    /// Every task that yielded Wait::parked is resumed in the next round.
    void wake_parked();

    /// Tasks being served.
    std::size_t size() const { return live_; }
    /// Calls visit(fd, task) for every suspended task (not the one running).
    template <class Visit>
    void for_each_suspended(Visit&& visit) const
    {
        for (std::size_t fd = 0; fd < tasks_.size(); ++fd)
            if (tasks_[fd].slice_size() > 0) // only a suspended task has a slice
                visit(static_cast<int>(fd), tasks_[fd]);
    }

private:
    void watch(int fd, Wait wait);
    void resume(int fd);

    int epoll_;
    bool stopped_ = false;
    std::size_t live_ = 0;
    std::vector<Task> tasks_;                  // by descriptor; sized once, never moved
    std::vector<unsigned char> watching_;      // by descriptor: 0, or 1 + the Wait registered
    std::vector<int> parked_;
    std::vector<int> woken_; // parked, to be resumed in the next round
};

/// Raises the soft limit on open files to at least `wanted` (up to the
/// hard limit); returns the limit now in force.
std::size_t raise_open_files_limit(std::size_t wanted);

/// This process's resident memory in bytes (/proc/self/statm).
std::size_t resident_bytes();

} // namespace demo
