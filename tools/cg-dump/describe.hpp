// describe.hpp - the words and numbers every output mode of cg-dump uses
// for the same things: states, kinds, addresses, times, where a generator
// waits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "snapshot_reader.hpp"

namespace cg_dump {

/// "not-started", "suspended", "running", "finished"; "state N" for a value
/// the format does not define.
std::string state_name(std::uint8_t state);

/// "c++" (a CopyGenerator), "c" (cg_create); "kind N" for others.
std::string kind_name(std::uint8_t kind);

/// "0x7ffd891ee258": as short as the value.
std::string hex(std::uint64_t value);

/// "0x00007ffd891ee258": all 16 digits, for columns of words.
std::string hex_word(std::uint64_t value);

/// ISO 8601 in UTC with nanoseconds, "2024-05-01T12:34:56.123456789Z"; for
/// a time no calendar date can hold, the number of nanoseconds.
std::string utc_time(std::int64_t time_ns);

/// "waits_inside+0x2b", printable; "??+0x2b" if the name is unknown.
std::string function_and_offset(const std::string& function, std::uint64_t offset);

/// Where the generator waits, printable: the function of the innermost
/// frame that is not cg's own yield path (cg_yield, cg::detail::suspend; all
/// of them if nothing else is there); "-" without details or frames, "??"
/// if the name is unknown; for a running generator read from a core, where
/// its frames are.
std::string waiting_function(const Record& record);

/// How complete a section's records are: "complete", or why not.
std::string section_status(const Section& section);

std::size_t generator_count(const Snapshot& snapshot);

/// "1 thread", "3 threads".
std::string plural(std::size_t count, const char* noun);

} // namespace cg_dump
