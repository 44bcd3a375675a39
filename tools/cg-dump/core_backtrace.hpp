// core_backtrace.hpp - a suspended generator's frames, unwound by libunwind
// over a dead process's memory (process_memory.hpp) with the generator's
// slice and registers in place of the stack and registers of its thread.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "process_memory.hpp"
#include "snapshot_reader.hpp"

namespace cg_dump {

/// What the generator's control block held when the core was written.
struct SuspendedStack {
    std::uint64_t bottom = 0, top = 0; ///< the slice's addresses in its home
    const std::string* slice = nullptr;
    std::uint64_t pc = 0, sp = 0; ///< where it continues
    std::vector<std::pair<int, std::uint64_t>> registers; ///< saved ones, by DWARF number
    std::uint64_t entry_return = 0; ///< the return address of the entry's call (0: unknown)
};

/// The frames, innermost first, down to the generator's entry (none in a
/// cg-dump built without libunwind).
std::vector<Frame> unwind_suspended(const ProcessMemory& image, const SuspendedStack& stack);

/// The readable (demangled) name of the function at a code address, and the
/// offset into it: false if no symbol covers it.
bool name_code_address(const ProcessMemory& image, std::uint64_t address, std::string& function,
                       std::uint64_t& offset);

} // namespace cg_dump
