// elf_file.hpp - what a core and the executables and libraries it maps
// have in common as ELF files: the file header, the program and section
// headers, notes. Only ELF64 little-endian files are read, the only ones a
// Linux process on amd64 or aarch64 leaves. The input is untrusted: every
// offset, size and count is checked against the bytes there are (without
// overflow) before it is used, and fields are copied out with memcpy, since
// nothing says the bytes are aligned.
#pragma once

#include <elf.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace cg_dump {

/// A PT_LOAD program header: where a segment lies in memory and in the
/// file. filesz may be less than memsz (the rest is zeros, or in a core:
/// not dumped).
struct LoadSegment {
    std::uint64_t vaddr = 0;
    std::uint64_t memsz = 0;
    std::uint64_t offset = 0;
    std::uint64_t filesz = 0;
    std::uint32_t flags = 0; ///< PF_R, PF_W, PF_X
};

namespace elf {

// Fields are copied out of the file into <elf.h>'s structs as they are:
// right only where the CPU reading them is little-endian, as every CPU cg
// runs on is.
static_assert(std::endian::native == std::endian::little, "the ELF readers assume a little-endian host");

/// Whether [offset, offset + size) lies within `total` bytes.
constexpr bool fits(std::uint64_t offset, std::uint64_t size, std::uint64_t total) noexcept
{
    return offset <= total && size <= total - offset;
}

/// The T (a struct of <elf.h> or an integer) at `offset`, which the caller
/// has checked fits.
template <class T>
T load(std::string_view bytes, std::uint64_t offset) noexcept
{
    static_assert(std::is_trivially_copyable_v<T>);
    T value;
    std::memcpy(&value, bytes.data() + offset, sizeof value);
    return value;
}

/// The file header, with the ELF magic, ELFCLASS64, ELFDATA2LSB and the
/// sizes of its program and section header entries checked. Any e_type and
/// e_machine: the caller decides.
Elf64_Ehdr read_header(std::string_view bytes);

/// The program headers, each checked to lie within the file (what it holds
/// of it: p_offset, p_filesz), and a PT_LOAD also not to hold more than it
/// maps nor to reach past the end of the address space. A file with more
/// than 65534 of them (a core of a process with that many mappings) has
/// PN_XNUM in e_phnum and the count in section header 0.
std::vector<Elf64_Phdr> read_program_headers(std::string_view bytes, const Elf64_Ehdr& header);

/// The section headers (none if e_shoff is 0), each checked to lie within
/// the file unless it is SHT_NOBITS: a file cut short loses its section
/// headers and the sections before them, which most linkers and gdb put
/// last. A file with 65280 sections or more has 0 in e_shnum and the count
/// in section header 0.
std::vector<Elf64_Shdr> read_section_headers(std::string_view bytes, const Elf64_Ehdr& header);

struct Note {
    std::string_view name; ///< without the terminating NUL: "CORE", "GNU"
    std::uint32_t type = 0;
    std::string_view desc;
};

/// The notes of [offset, offset + size), which the caller has checked lies
/// within the file, padded to `alignment` (8 for a segment or section
/// aligned to 8, else 4: what binutils does too). `where` names the part
/// of the file in messages ("program header 2").
std::vector<Note> read_notes(std::string_view bytes, std::uint64_t offset, std::uint64_t size, std::uint64_t alignment,
                             const std::string& where);

LoadSegment load_segment(const Elf64_Phdr& header) noexcept;

/// "ET_DYN (3)", "type 99": for messages.
std::string type_name(std::uint16_t type);

/// "EM_X86_64 (62)", "machine 99": for messages.
std::string machine_name(std::uint16_t machine);

} // namespace elf
} // namespace cg_dump
