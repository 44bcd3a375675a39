// snapshot_reader.hpp - a snapshot file (src/snapshot_format.hpp), of
// format version 1 or 2 and from any CPU, parsed into plain structures that
// are the same for both versions. The input is untrusted: the parser checks
// every length and count against the bytes that remain before it allocates,
// so a hostile file costs at most memory in proportion to its own size, and
// fails with a ReadError that says where and why.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cg_dump {

/// Why a file is not a snapshot this reader can read; the message names the
/// byte offset at which parsing stopped.
class ReadError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Frame {
    std::uint64_t pc = 0;
    std::uint64_t sp = 0;
    std::uint64_t offset = 0; ///< pc minus the function's start
    std::string function;     ///< "" if the writer did not know it
};

/// A word of the slice that is a code address, named by the writer.
struct Symbol {
    std::uint64_t address = 0;
    std::uint64_t offset = 0;
    std::string function;
};

/// One generator. The state and kind are kept as written: a value this
/// reader has no name for is shown, not refused.
struct Record {
    std::uint64_t id = 0;
    std::uint8_t state = 0;
    std::uint8_t kind = 0;
    std::uint16_t flags = 0;
    std::string label;
    // From here on meaningful only with details (has_details()).
    std::uint64_t slice_top = 0;
    std::uint32_t capacity = 0;
    std::uint64_t resume_pc = 0; ///< where the generator continues when resumed
    std::uint64_t resume_sp = 0; ///< and its stack pointer there
    /// One value per Snapshot::register_names, in that order (narrower
    /// registers zero-extended); the writer leaves them 0 without details.
    std::vector<std::uint64_t> registers;
    std::string slice; ///< the saved bytes, lowest address first
    std::vector<Frame> frames;
    std::vector<Symbol> symbols;
    /// Read from a core, for a running generator: where its frames are
    /// (snapshots have none: "" then).
    std::string where;

    bool has_details() const noexcept;
    /// The lowest address of the slice (modulo 2^64: a hostile slice_top
    /// may be smaller than the slice).
    std::uint64_t slice_bottom() const noexcept { return slice_top - slice.size(); }
};

/// One thread's generators.
struct Section {
    std::uint32_t thread = 0;
    std::uint32_t flags = 0;
    std::vector<Record> records;

    bool complete() const noexcept;
    bool thread_exited() const noexcept;
};

/// A version 1 file reads as version 2 would have said the same: the
/// architecture "x86_64" (the only one version 1 was written on), its eight
/// registers by their names, and each record's resume point as amd64's call
/// into the yield left it: pc the slice's lowest word (0 if the slice is
/// shorter), sp just above that word.
struct Snapshot {
    std::string source = "snapshot"; ///< what was read: "snapshot", or "core" (core_snapshot.hpp)
    std::uint32_t version = 0;       ///< of the file's format: 1 or 2
    std::uint64_t pid = 0;
    std::int64_t time_ns = 0; ///< CLOCK_REALTIME
    std::string executable;
    std::string build_id;
    /// The CPU the program ran on, as written ("x86_64", "aarch64"): a name
    /// this reader does not know is kept, not refused.
    std::string architecture;
    /// The names of every record's registers, in record order: at most
    /// snapshot_format::max_registers of them, none empty, no two the same.
    std::vector<std::string> register_names;
    std::vector<Section> sections;
};

/// Parses a whole file held in memory. Throws ReadError.
Snapshot parse_snapshot(std::string_view bytes);

/// The integer of up to 8 bytes stored least significant first, as every
/// integer of a snapshot is, whatever the CPU that reads it.
std::uint64_t little_endian(std::string_view bytes) noexcept;

} // namespace cg_dump
