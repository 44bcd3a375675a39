// core_snapshot.hpp - the generators of a dead process, read from its core
// file through the debug descriptor libcg exports (cg/debug.h), as a
// Snapshot: every output mode of cg-dump then shows a core as it shows a
// snapshot the program wrote.
#pragma once

#include <cstdint>

#include "process_image.hpp"
#include "snapshot_reader.hpp"

namespace cg_dump {

/// Throws ReadError naming what is wrong: a core of another CPU, of a
/// program without cg, a descriptor of another version, memory a walk
/// needs that the core lacks, or structures that cannot be right (cycles,
/// sizes beyond what the library makes). `time_ns` is when the core was
/// written, for the header.
Snapshot snapshot_from_core(const ProcessImage& image, std::int64_t time_ns);

} // namespace cg_dump
