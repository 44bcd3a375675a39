// core_snapshot.hpp - the generators of a dead process, read from its core
// file through the debug descriptor libcg exports (cg/debug.h), as a
// Snapshot: every output mode of cg-dump then shows a core as it shows a
// snapshot the program wrote.
#pragma once

#include <cstdint>
#include <vector>

#include "elf_core.hpp"
#include "process_image.hpp"
#include "process_memory.hpp"
#include "snapshot_reader.hpp"

namespace cg_dump {

/// What a dead process's generators are read from.
struct GeneratorSource {
    const ProcessMemory& memory;
    std::uint64_t descriptor = 0;   ///< the address of its cg_debug_descriptor
    std::uint64_t entry_return = 0; ///< of cg_arch_entry_return, where backtraces end (0: unknown)
    const std::vector<CoreThread>& threads; ///< to say on which one a running generator runs
    std::uint64_t bytes = 0; ///< of the file the memory comes from: what is held is bounded by it
};

/// Every thread's generators, as `snapshot`'s sections, and the names of
/// their registers. Throws ReadError naming what is wrong: a descriptor
/// of another version or corrupt, memory the walk needs that is missing,
/// structures that cannot be right (an address met twice, sizes beyond
/// what the library makes or the file could hold).
void read_generators(const GeneratorSource& source, Snapshot& snapshot);

/// The generators of a core and its header (read_generators). Throws
/// ReadError for what read_generators refuses, a core of another CPU and
/// one of a program without cg. `time_ns` is when the core was written.
Snapshot snapshot_from_core(const ProcessImage& image, std::int64_t time_ns);

} // namespace cg_dump
