// snapshot_file.hpp - reading a snapshot file whole into memory, within a
// size limit, so that nothing parsed from it can claim more memory than the
// file is large.
#pragma once

#include <cstdint>
#include <string>

namespace cg_dump {

/// Larger files are refused: no snapshot of a real program comes close
/// (each slice is at most 64 MiB, src/snapshot_format.hpp).
inline constexpr std::uint64_t max_file_bytes = std::uint64_t{4} << 30;

/// The bytes of the file at `path` (a pipe or device is read to its end).
/// Throws ReadError if it cannot be read or is larger than max_file_bytes.
std::string read_snapshot_file(const std::string& path);

} // namespace cg_dump
