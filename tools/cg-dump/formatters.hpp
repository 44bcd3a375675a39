// formatters.hpp - cg-dump's output modes, each writing a parsed snapshot to
// a stream (cg_dump.cpp picks one; the fuzzer runs them all).
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>

#include "snapshot_reader.hpp"

namespace cg_dump {

/// The header (pid, time, executable, build id, architecture, threads) and
/// a line per generator: where it waits, how large its slice is.
void print_summary(std::ostream& out, const Snapshot& snapshot);

/// The summary with each generator's frames under its line.
void print_backtraces(std::ostream& out, const Snapshot& snapshot);

/// Where each generator with that id resumes, its saved registers (by the
/// file's names) and its slice, word by word; returns how many there were
/// (0: nothing is printed).
std::size_t print_hex(std::ostream& out, const Snapshot& snapshot, std::uint64_t id);

/// Slice sizes as a histogram, totals, the capacity not in use, and the
/// functions generators wait in.
void print_stats(std::ostream& out, const Snapshot& snapshot);

/// Everything the snapshot holds, as one JSON object.
void print_json(std::ostream& out, const Snapshot& snapshot);

} // namespace cg_dump
