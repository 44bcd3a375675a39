// io.cpp - the epoll loop and the blocking-looking I/O of its tasks.
#include "io.hpp"

#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include <cg/inspect.hpp>

namespace demo {

ssize_t read_some(Yield& y, int fd, char* data, std::size_t size)
{
    for (;;) {
        ssize_t n = ::read(fd, data, size);
        if (n >= 0)
            return n;
        if (errno == EAGAIN)
            y.yield(Wait::readable);
        else if (errno != EINTR)
            return -1;
    }
}

bool write_all(Yield& y, int fd, std::string_view data)
{
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n >= 0)
            data.remove_prefix(static_cast<std::size_t>(n));
        else if (errno == EAGAIN)
            y.yield(Wait::writable);
        else if (errno != EINTR)
            return false;
    }
    return true;
}

std::string_view LineReader::next(Yield& y, int fd)
{
    for (;;) {
        char* first = buffer_ + begin_;
        if (void* newline = std::memchr(first, '\n', static_cast<std::size_t>(end_ - begin_))) {
            std::size_t length = static_cast<std::size_t>(static_cast<char*>(newline) - first);
            begin_ = static_cast<unsigned char>(begin_ + length + 1);
            return {first, length};
        }
        // Keep the partial line at the front, then read after it.
        std::memmove(buffer_, first, static_cast<std::size_t>(end_ - begin_));
        end_ = static_cast<unsigned char>(end_ - begin_);
        begin_ = 0;
        if (end_ == sizeof buffer_)
            return {}; // too long
        ssize_t n = read_some(y, fd, buffer_ + end_, sizeof buffer_ - end_);
        if (n <= 0)
            return {};
        end_ = static_cast<unsigned char>(end_ + n);
    }
}

Loop::Loop(std::size_t max_fds) : epoll_(::epoll_create1(EPOLL_CLOEXEC)), tasks_(max_fds), watching_(max_fds)
{
    if (epoll_ < 0)
        throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
}

Loop::~Loop()
{
    for (std::size_t fd = 0; fd < tasks_.size(); ++fd)
        if (watching_[fd] != 0)
            ::close(static_cast<int>(fd));
    ::close(epoll_);
}

void Loop::add(int fd, Task task, Wait first)
{
    auto slot = static_cast<std::size_t>(fd);
    if (slot >= tasks_.size())
        throw std::runtime_error("descriptor " + std::to_string(fd) + " is beyond the loop's room");
    tasks_[slot] = std::move(task);
    ++live_;
    watch(fd, first);
}

void Loop::watch(int fd, Wait wait)
{
    auto slot = static_cast<std::size_t>(fd);
    unsigned char wanted = static_cast<unsigned char>(1 + static_cast<int>(wait));
    if (wait == Wait::parked)
        parked_.push_back(fd);
    if (watching_[slot] == wanted)
        return;
    epoll_event event{};
    event.events = wait == Wait::readable ? EPOLLIN : wait == Wait::writable ? EPOLLOUT : 0u;
    event.data.fd = fd;
    if (::epoll_ctl(epoll_, watching_[slot] == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &event) != 0)
        throw std::runtime_error(std::string("epoll_ctl: ") + std::strerror(errno));
    watching_[slot] = wanted;
}

void Loop::resume(int fd)
{
    auto slot = static_cast<std::size_t>(fd);
    // Every resume comes from this line, and resume() is only called from
    // run(): so every resume of a task comes from the depth of its first,
    // as cg requires (the home lies just below).
    std::optional<Wait> wait = tasks_[slot].next();
    if (wait) {
        watch(fd, *wait);
        return;
    }
    tasks_[slot] = {};
    watching_[slot] = 0;
    ::close(fd); // also takes it out of the epoll set
    --live_;
}

void Loop::wake_parked()
{
    woken_.insert(woken_.end(), parked_.begin(), parked_.end());
    parked_.clear();
}

void Loop::run(const std::function<void()>& between)
{
    epoll_event events[256];
    while (!stopped_ && live_ > 0) {
        int n = ::epoll_wait(epoll_, events, 256, 100);
        if (n < 0 && errno != EINTR)
            throw std::runtime_error(std::string("epoll_wait: ") + std::strerror(errno));
        for (int i = 0; i < n; ++i)
            if (watching_[static_cast<std::size_t>(events[i].data.fd)] != 0) // not closed this round
                resume(events[i].data.fd);
        std::vector<int> woken;
        woken.swap(woken_);
        for (int fd : woken)
            resume(fd);
        if (between)
            between();
        cg::safe_point(); // where a snapshot asked for by signal is written
    }
}

std::size_t raise_open_files_limit(std::size_t wanted)
{
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur < wanted) {
        limit.rlim_cur = std::min<rlim_t>(wanted, limit.rlim_max);
        ::setrlimit(RLIMIT_NOFILE, &limit);
        ::getrlimit(RLIMIT_NOFILE, &limit);
    }
    return limit.rlim_cur;
}

std::size_t resident_bytes()
{
    long pages = 0, resident = 0;
    if (FILE* statm = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(statm, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        std::fclose(statm);
    }
    return static_cast<std::size_t>(resident) * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

} // namespace demo
