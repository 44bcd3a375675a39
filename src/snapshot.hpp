// snapshot.hpp - the bytes of a snapshot (format: snapshot_format.hpp):
// the header, and the section of one thread's registry. Writing them to a
// file, and which threads add theirs when, is snapshot_requests.cpp's.
#pragma once

#include <cstdint>
#include <string>

#include "backtrace.hpp"
#include "registry.hpp"

namespace cg::detail {

/// The file header, for a snapshot asked for at `time_ns` (CLOCK_REALTIME).
std::string snapshot_header(std::int64_t time_ns);

/// How much of a registry's generators a section tells.
enum class Detail {
    full,     ///< suspended generators with slice, registers, backtrace: only for
              ///< the calling thread's registry, or one whose thread has exited
    metadata, ///< id, kind, state, label: for a live thread that did not answer
};

/// Appends the section of `registry` (locked by the caller) to `out`.
void append_section(std::string& out, const Registry& registry, Detail detail, Symbolizer& symbols);

/// Writes all of `bytes` to `fd`; false, with errno set, on failure.
bool write_fully(int fd, const std::string& bytes) noexcept;

} // namespace cg::detail
