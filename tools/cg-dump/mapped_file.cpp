// mapped_file.cpp - a regular file mapped read-only (mapped_file.hpp).
#include "mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "snapshot_reader.hpp"

namespace cg_dump {

MappedFile::MappedFile(const std::string& path)
{
    // O_NONBLOCK: a FIFO named in place of a file must not hang the open
    // (and is refused just below); O_NOCTTY: nor a terminal become ours.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        throw ReadError(std::string("cannot open: ") + std::strerror(errno));
    struct stat status;
    if (::fstat(fd, &status) != 0) {
        int error = errno;
        ::close(fd);
        throw ReadError(std::string("cannot stat: ") + std::strerror(error));
    }
    if (!S_ISREG(status.st_mode)) {
        ::close(fd);
        throw ReadError("not a regular file");
    }
    if (status.st_size > 0) {
        void* data = ::mmap(nullptr, static_cast<std::size_t>(status.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
        if (data == MAP_FAILED) {
            int error = errno;
            ::close(fd);
            throw ReadError(std::string("cannot map: ") + std::strerror(error));
        }
        data_ = data;
        size_ = static_cast<std::size_t>(status.st_size);
    }
    ::close(fd); // the mapping keeps the file
}

MappedFile::~MappedFile()
{
    if (data_ != nullptr)
        ::munmap(data_, size_);
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0))
{
}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept
{
    if (this != &other) {
        if (data_ != nullptr)
            ::munmap(data_, size_);
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

} // namespace cg_dump
