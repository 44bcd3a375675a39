// elf_file.cpp - the headers and notes of an ELF64 little-endian file
// (elf_file.hpp).
#include "elf_file.hpp"

#include <algorithm>
#include <iterator>

#include "describe.hpp"
#include "snapshot_reader.hpp"

namespace cg_dump::elf {
namespace {

std::string bytes_text(std::uint64_t count) { return std::to_string(count) + " bytes"; }

/// "(offset 0x40, 56 bytes, file 20 bytes)": where a part claims to be.
std::string extent_text(std::uint64_t offset, std::uint64_t size, std::uint64_t file_size)
{
    return "(offset " + hex(offset) + ", " + bytes_text(size) + ", file " + bytes_text(file_size) + ")";
}

/// Section header 0, which holds the counts that do not fit in the file
/// header (PN_XNUM, SHN_XINDEX); the caller has checked e_shoff is not 0.
Elf64_Shdr first_section_header(std::string_view bytes, const Elf64_Ehdr& header, const char* needed_for)
{
    if (!fits(header.e_shoff, sizeof(Elf64_Shdr), bytes.size()))
        throw ReadError(std::string("section header 0, which holds the ") + needed_for +
                        ", points past the end of the file " +
                        extent_text(header.e_shoff, sizeof(Elf64_Shdr), bytes.size()));
    return load<Elf64_Shdr>(bytes, header.e_shoff);
}

/// A table of `count` entries of `entry_size` bytes at `offset` lies within
/// the file: the entries may then be read.
void check_table(std::string_view bytes, const char* table, std::uint64_t offset, std::uint64_t count,
                 std::uint64_t entry_size)
{
    // count < 2^32 and entry_size < 2^16: no overflow.
    std::uint64_t size = count * entry_size;
    if (!fits(offset, size, bytes.size()))
        throw ReadError(std::string(table) + " (" + std::to_string(count) + " of " + bytes_text(entry_size) +
                        ") reach past the end of the file " + extent_text(offset, size, bytes.size()));
}

} // namespace

Elf64_Ehdr read_header(std::string_view bytes)
{
    if (bytes.size() < SELFMAG || std::memcmp(bytes.data(), ELFMAG, SELFMAG) != 0)
        throw ReadError("not an ELF file (no ELF magic at offset 0)");
    if (bytes.size() < EI_NIDENT)
        throw ReadError("truncated ELF header: " + bytes_text(bytes.size()) + ", the identification needs " +
                        std::to_string(EI_NIDENT));
    auto file_class = static_cast<unsigned char>(bytes[EI_CLASS]);
    if (file_class != ELFCLASS64)
        throw ReadError("not a 64-bit ELF file (class " + std::to_string(file_class) +
                        (file_class == ELFCLASS32 ? ", ELFCLASS32" : "") + "): only ELF64 little-endian is read");
    auto data = static_cast<unsigned char>(bytes[EI_DATA]);
    if (data != ELFDATA2LSB)
        throw ReadError("not a little-endian ELF file (data encoding " + std::to_string(data) +
                        (data == ELFDATA2MSB ? ", ELFDATA2MSB" : "") + "): only ELF64 little-endian is read");
    if (bytes.size() < sizeof(Elf64_Ehdr))
        throw ReadError("truncated ELF header: " + bytes_text(bytes.size()) + ", ELF64's needs " +
                        std::to_string(sizeof(Elf64_Ehdr)));
    auto header = load<Elf64_Ehdr>(bytes, 0);
    // Larger entries than <elf.h>'s are allowed (a later version may add
    // fields); smaller ones would be read past.
    if (header.e_phnum != 0 && header.e_phentsize < sizeof(Elf64_Phdr))
        throw ReadError("program header entries of " + bytes_text(header.e_phentsize) + ", less than Elf64_Phdr's " +
                        std::to_string(sizeof(Elf64_Phdr)));
    if (header.e_shoff != 0 && header.e_shentsize < sizeof(Elf64_Shdr))
        throw ReadError("section header entries of " + bytes_text(header.e_shentsize) + ", less than Elf64_Shdr's " +
                        std::to_string(sizeof(Elf64_Shdr)));
    return header;
}

std::vector<Elf64_Phdr> read_program_headers(std::string_view bytes, const Elf64_Ehdr& header)
{
    std::uint64_t count = header.e_phnum;
    if (count == PN_XNUM) {
        if (header.e_shoff == 0)
            throw ReadError("e_phnum is PN_XNUM, but there are no section headers to hold the count");
        count = first_section_header(bytes, header, "program header count").sh_info;
    }
    check_table(bytes, "program headers", header.e_phoff, count, header.e_phentsize);

    std::vector<Elf64_Phdr> headers;
    headers.reserve(count); // checked against the file's size just above
    for (std::uint64_t i = 0; i < count; ++i) {
        auto program = load<Elf64_Phdr>(bytes, header.e_phoff + i * header.e_phentsize);
        auto which = [i] { return "program header " + std::to_string(i); };
        if (!fits(program.p_offset, program.p_filesz, bytes.size()))
            throw ReadError(which() + " points past the end of the file " +
                            extent_text(program.p_offset, program.p_filesz, bytes.size()));
        if (program.p_type == PT_LOAD) {
            if (program.p_filesz > program.p_memsz)
                throw ReadError(which() + " (PT_LOAD) holds " + bytes_text(program.p_filesz) +
                                " of the file but maps " + bytes_text(program.p_memsz));
            if (!fits(program.p_vaddr, program.p_memsz, UINT64_MAX))
                throw ReadError(which() + " (PT_LOAD) of " + bytes_text(program.p_memsz) + " at " +
                                hex(program.p_vaddr) + " reaches past the end of the address space");
        }
        headers.push_back(program);
    }
    return headers;
}

std::vector<Elf64_Shdr> read_section_headers(std::string_view bytes, const Elf64_Ehdr& header)
{
    if (header.e_shoff == 0)
        return {};
    std::uint64_t count = header.e_shnum;
    if (count == 0)
        count = first_section_header(bytes, header, "section count").sh_size;
    // A count from section header 0 is 64 bits: the table must fit in the
    // file before it is multiplied out.
    if (count > bytes.size() / header.e_shentsize)
        throw ReadError("section headers (" + std::to_string(count) + " of " + bytes_text(header.e_shentsize) +
                        ") reach past the end of the file (offset " + hex(header.e_shoff) + ", file " +
                        bytes_text(bytes.size()) + ")");
    check_table(bytes, "section headers", header.e_shoff, count, header.e_shentsize);

    std::vector<Elf64_Shdr> headers;
    headers.reserve(count);
    for (std::uint64_t i = 0; i < count; ++i) {
        auto section = load<Elf64_Shdr>(bytes, header.e_shoff + i * header.e_shentsize);
        if (section.sh_type != SHT_NOBITS && !fits(section.sh_offset, section.sh_size, bytes.size()))
            throw ReadError("section " + std::to_string(i) + " points past the end of the file " +
                            extent_text(section.sh_offset, section.sh_size, bytes.size()));
        headers.push_back(section);
    }
    return headers;
}

std::vector<Note> read_notes(std::string_view bytes, std::uint64_t offset, std::uint64_t size, std::uint64_t alignment,
                             const std::string& where)
{
    auto align = [alignment](std::uint64_t at) { return (at + alignment - 1) & ~(alignment - 1); };
    std::vector<Note> notes;
    std::uint64_t at = 0; // from `offset`
    // Each note takes 12 bytes at least, so there are at most size / 12 of
    // them. A few bytes too few for another note's header are padding.
    while (size - at >= 12) {
        std::uint64_t start = offset + at;
        auto name_size = load<std::uint32_t>(bytes, start);
        auto desc_size = load<std::uint32_t>(bytes, start + 4);
        auto type = load<std::uint32_t>(bytes, start + 8);
        // Below 2^32 + 2^32 + 2 * alignment past `at`, itself < 2^63: no overflow.
        std::uint64_t name_at = at + 12;
        std::uint64_t desc_at = align(name_at + name_size);
        std::uint64_t end = desc_at + desc_size;
        if (end > size)
            throw ReadError("note " + std::to_string(notes.size()) + " (type " + std::to_string(type) + ") in " +
                            where + " claims a name of " + bytes_text(name_size) + " and a description of " +
                            bytes_text(desc_size) + ", past the end of its notes (" + bytes_text(size - at) +
                            " remain)");
        std::string_view name = bytes.substr(offset + name_at, name_size);
        // The name's NUL (and any padding a writer left inside namesz).
        while (!name.empty() && name.back() == '\0')
            name.remove_suffix(1);
        notes.push_back({name, type, bytes.substr(offset + desc_at, desc_size)});
        at = std::min(align(end), size);
    }
    return notes;
}

LoadSegment load_segment(const Elf64_Phdr& header) noexcept
{
    return {header.p_vaddr, header.p_memsz, header.p_offset, header.p_filesz, header.p_flags};
}

std::string type_name(std::uint16_t type)
{
    static const char* const names[] = {"ET_NONE", "ET_REL", "ET_EXEC", "ET_DYN", "ET_CORE"};
    if (type < std::size(names))
        return std::string(names[type]) + " (" + std::to_string(type) + ")";
    return "type " + std::to_string(type);
}

std::string machine_name(std::uint16_t machine)
{
    switch (machine) {
    case EM_X86_64:
        return "EM_X86_64 (62)";
    case EM_AARCH64:
        return "EM_AARCH64 (183)";
    case EM_386:
        return "EM_386 (3)";
    case EM_ARM:
        return "EM_ARM (40)";
    case EM_RISCV:
        return "EM_RISCV (243)";
    default:
        return "machine " + std::to_string(machine);
    }
}

} // namespace cg_dump::elf
