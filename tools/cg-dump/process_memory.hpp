// process_memory.hpp - what the walk of a dead process's generators
// (core_snapshot.hpp) and their unwinding (core_backtrace.hpp) read: its
// memory, and the ELF files mapped into it. ProcessImage is the one of a
// core file; the fuzzer has one of bare bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "elf_object.hpp"

namespace cg_dump {

/// An ELF file as the process had it mapped.
struct MappedModule {
    std::string path;                  ///< as opened
    std::uint64_t bias = 0;            ///< runtime address minus file value
    const ElfObject* object = nullptr; ///< lives as long as the memory that gives it
    std::uint64_t start = 0;           ///< the lowest address of its mappings
    std::uint64_t end = 0;             ///< and the end of the highest
};

class ProcessMemory {
public:
    /// Copies `size` bytes of the process's memory at `address`; false if
    /// any of them is unknown.
    virtual bool read(std::uint64_t address, void* out, std::size_t size) const = 0;
    /// The mapped ELF file holding an address; nullptr if none.
    virtual const MappedModule* module_at(std::uint64_t address) const noexcept = 0;
    /// The (mangled) name of the function containing a runtime address, and
    /// the address's offset from its start. false if no module has one there.
    virtual bool function_at(std::uint64_t address, std::string& name, std::uint64_t& offset) const = 0;

protected:
    ~ProcessMemory() = default;
};

} // namespace cg_dump
