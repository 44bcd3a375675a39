// elf_object.hpp - an ELF executable or shared library, parsed from its
// bytes: its segments, build id and symbols, enough to place it in a dead
// process's memory and to name the functions of addresses in it. Pure, with
// no file I/O (process_image.hpp opens the files); the input is untrusted
// (elf_file.hpp), and what is wrong with it is a ReadError.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "elf_file.hpp"

namespace cg_dump {

struct ElfSymbol {
    std::uint64_t value = 0; ///< as in the file: add the module's load bias
    std::uint64_t size = 0;  ///< 0 if the file does not say
    std::string name;        ///< mangled; at most max_symbol_name_bytes of it
};

/// Longer names are cut to this many bytes (only C++ templates come
/// close); the name budget, not this, bounds the memory they take.
inline constexpr std::size_t max_symbol_name_bytes = 4096;

struct ElfObject {
    std::uint16_t machine = 0;
    std::uint16_t type = 0; ///< ET_EXEC or ET_DYN
    std::vector<LoadSegment> loads;
    std::uint64_t eh_frame_hdr = 0;      ///< PT_GNU_EH_FRAME's vaddr; 0 if none
    std::uint64_t eh_frame_hdr_size = 0; ///< and memsz
    std::string build_id;                ///< NT_GNU_BUILD_ID in lowercase hex; "" if none
    /// Defined STT_FUNC and STT_GNU_IFUNC symbols of .symtab and .dynsym,
    /// sorted by value (then name), each value and name once.
    std::vector<ElfSymbol> functions;
    /// Defined STT_OBJECT symbols, and the STT_NOTYPE ones that name
    /// something (assembly labels without .type, linker symbols such as
    /// _end), in the same order: only for find_symbol.
    std::vector<ElfSymbol> objects;
};

/// Parses a whole ELF executable or shared library held in memory: only
/// ET_EXEC and ET_DYN are accepted. Throws ReadError.
ElfObject parse_elf_object(std::string_view bytes);

/// The file value of a defined symbol called `name`, of any type: a
/// function first, else an object or label. A linear search.
std::optional<std::uint64_t> find_symbol(const ElfObject& object, std::string_view name);

/// The function containing the file address `value`: the last one starting
/// at or below it, if `value` is within its size, or, for one without a
/// size, below the next function and within the PT_LOAD the function is in.
/// nullptr if none.
const ElfSymbol* function_at(const ElfObject& object, std::uint64_t value);

} // namespace cg_dump
