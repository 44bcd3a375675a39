// snapshot_file.cpp - reading a snapshot file whole (snapshot_file.hpp).
#include "snapshot_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "snapshot_reader.hpp"

namespace cg_dump {
namespace {

/// Closes the file however reading it ends.
class FileDescriptor {
public:
    explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
    ~FileDescriptor() { ::close(fd_); }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int get() const noexcept { return fd_; }

private:
    int fd_;
};

[[noreturn]] void fail(const char* what, int error)
{
    throw ReadError(std::string(what) + ": " + std::strerror(error));
}

std::string too_large() { return "larger than " + std::to_string(max_file_bytes >> 30) + " GiB: not a snapshot"; }

} // namespace

std::string read_snapshot_file(const std::string& path)
{
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fail("cannot open", errno);
    FileDescriptor file(fd);
    struct stat status;
    if (::fstat(fd, &status) != 0)
        fail("cannot stat", errno);
    if (S_ISDIR(status.st_mode))
        fail("cannot read", EISDIR);
    if (S_ISREG(status.st_mode) && static_cast<std::uint64_t>(status.st_size) > max_file_bytes)
        throw ReadError(too_large());

    // A regular file's size is known, but it may still change while it is
    // read (a snapshot being written): read to the end whatever the size,
    // and stop past the limit.
    std::string bytes;
    if (S_ISREG(status.st_mode))
        bytes.reserve(static_cast<std::size_t>(status.st_size));
    char buffer[1 << 16];
    for (;;) {
        ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            fail("cannot read", errno);
        if (got == 0)
            return bytes;
        if (bytes.size() + static_cast<std::size_t>(got) > max_file_bytes)
            throw ReadError(too_large());
        bytes.append(buffer, static_cast<std::size_t>(got));
    }
}

} // namespace cg_dump
