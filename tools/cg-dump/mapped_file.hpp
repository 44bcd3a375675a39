// mapped_file.hpp - a regular file mapped read-only into memory, for the
// core and the files it names: they may be large, and are read in small
// scattered pieces.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cg_dump {

class MappedFile {
public:
    MappedFile() noexcept = default;
    /// Maps the file at `path`. Throws ReadError ("cannot open: ...", "not
    /// a regular file") whose message does not name the path: the caller
    /// does. An empty file maps as no bytes.
    explicit MappedFile(const std::string& path);
    ~MappedFile();
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    /// Valid while this lives. (A file cut short by someone else while it
    /// is mapped would fault on the bytes it lost: files are not expected
    /// to change under a reader.)
    std::string_view bytes() const noexcept { return {static_cast<const char*>(data_), size_}; }

private:
    void* data_ = nullptr;
    std::size_t size_ = 0;
};

} // namespace cg_dump
