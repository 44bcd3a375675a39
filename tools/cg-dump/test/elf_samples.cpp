// elf_samples.cpp - small ELF files made by the tests (elf_samples.hpp).
#include "elf_samples.hpp"

#include <elf.h>

namespace cg_dump_test {
namespace {

void pad(std::string& bytes, std::size_t alignment)
{
    bytes.resize((bytes.size() + alignment - 1) / alignment * alignment, '\0');
}

template <class T>
void append(std::string& bytes, const T& value)
{
    bytes.append(reinterpret_cast<const char*>(&value), sizeof value);
}

/// Appends a note padded to 4 bytes, as the kernel writes them; returns
/// where it begins.
std::size_t add_note(std::string& bytes, const std::string& name, std::uint32_t type, const std::string& desc)
{
    std::size_t at = bytes.size();
    append(bytes, static_cast<std::uint32_t>(name.size() + 1));
    append(bytes, static_cast<std::uint32_t>(desc.size()));
    append(bytes, type);
    bytes += name;
    bytes += '\0';
    pad(bytes, 4);
    bytes += desc;
    pad(bytes, 4);
    return at;
}

Elf64_Ehdr elf_header(std::uint16_t type, std::uint16_t machine)
{
    Elf64_Ehdr header{};
    std::memcpy(header.e_ident, ELFMAG, SELFMAG);
    header.e_ident[EI_CLASS] = ELFCLASS64;
    header.e_ident[EI_DATA] = ELFDATA2LSB;
    header.e_ident[EI_VERSION] = EV_CURRENT;
    header.e_type = type;
    header.e_machine = machine;
    header.e_version = EV_CURRENT;
    header.e_phoff = sizeof(Elf64_Ehdr);
    header.e_ehsize = sizeof(Elf64_Ehdr);
    header.e_phentsize = sizeof(Elf64_Phdr);
    header.e_shentsize = sizeof(Elf64_Shdr);
    return header;
}

/// struct elf_prstatus of a thread, with its registers at 112 (pr_reg):
/// word i is 0x1000 + i but for pc and sp.
std::string prstatus(std::uint16_t machine, std::uint32_t tid, int signal, std::uint64_t pc, std::uint64_t sp)
{
    bool aarch64 = machine == EM_AARCH64;
    std::size_t words = aarch64 ? 34 : 27;
    std::string desc(112 + words * 8 + 8, '\0');      // and pr_fpvalid, padded
    put(desc, 0, static_cast<std::int32_t>(signal));  // pr_info.si_signo
    put(desc, 12, static_cast<std::int16_t>(signal)); // pr_cursig
    put(desc, 32, tid);                               // pr_pid
    for (std::size_t i = 0; i < words; ++i)
        put(desc, 112 + i * 8, std::uint64_t{0x1000 + i});
    put(desc, 112 + (aarch64 ? 32 : 16) * 8, pc);
    put(desc, 112 + (aarch64 ? 31 : 19) * 8, sp);
    return desc;
}

} // namespace

SampleCore sample_core(std::uint16_t machine, const std::string& mapped_path)
{
    namespace core = core_sample;
    SampleCore sample;
    std::string& bytes = sample.bytes;
    Elf64_Ehdr header = elf_header(ET_CORE, machine);
    header.e_phnum = 2;
    append(bytes, header);
    sample.note_header = bytes.size();
    bytes.resize(bytes.size() + 2 * sizeof(Elf64_Phdr));
    sample.load_header = sample.note_header + sizeof(Elf64_Phdr);

    std::size_t notes_at = bytes.size();
    sample.prstatus_note = add_note(bytes, "CORE", NT_PRSTATUS,
                                    prstatus(machine, core::tid, core::signal, core::pc, core::sp));
    std::string psinfo(136, '\0');
    put(psinfo, 24, core::pid);
    std::memcpy(psinfo.data() + 40, core::command, std::strlen(core::command));
    add_note(bytes, "CORE", NT_PRPSINFO, psinfo);
    add_note(bytes, "CORE", NT_PRSTATUS, prstatus(machine, core::pid, 0, 0x5000, 0x6000));
    add_note(bytes, "LINUX", NT_X86_XSTATE, std::string(16, '\0'));
    std::string auxv;
    for (std::uint64_t word : {std::uint64_t{AT_PHDR}, core::phdr, std::uint64_t{AT_PAGESZ}, std::uint64_t{4096},
                               std::uint64_t{AT_NULL}, std::uint64_t{0}})
        append(auxv, word);
    sample.auxv_note = add_note(bytes, "CORE", NT_AUXV, auxv);
    std::string files;
    for (std::uint64_t word :
         {std::uint64_t{1}, std::uint64_t{4096}, core::mapping_start, core::mapping_end, std::uint64_t{0}})
        append(files, word);
    files += mapped_path;
    files += '\0';
    sample.file_note = add_note(bytes, "CORE", NT_FILE, files);
    sample.file_desc = sample.file_note + 12 + 8; // "CORE\0" padded to 8
    std::size_t notes_end = bytes.size();

    pad(bytes, 16);
    std::size_t segment_at = bytes.size();
    for (std::size_t i = 0; i < core::segment_bytes; ++i)
        bytes += static_cast<char>(i * 7);

    Elf64_Phdr note{};
    note.p_type = PT_NOTE;
    note.p_offset = notes_at;
    note.p_filesz = notes_end - notes_at;
    note.p_align = 4;
    put(bytes, sample.note_header, note);
    Elf64_Phdr load{};
    load.p_type = PT_LOAD;
    load.p_flags = PF_R | PF_W;
    load.p_offset = segment_at;
    load.p_vaddr = core::segment_address;
    load.p_filesz = core::segment_bytes;
    load.p_memsz = core::segment_bytes;
    load.p_align = 4096;
    put(bytes, sample.load_header, load);
    return sample;
}

SampleObject sample_object(const std::vector<SampleSymbol>& symbols)
{
    namespace object = object_sample;
    SampleObject sample;
    std::string& bytes = sample.bytes;
    Elf64_Ehdr header = elf_header(ET_DYN, EM_X86_64);
    header.e_phnum = 3;
    header.e_shnum = 4;
    append(bytes, header);
    std::size_t programs_at = bytes.size();
    bytes.resize(bytes.size() + 3 * sizeof(Elf64_Phdr));

    std::size_t note_at = bytes.size();
    std::string build_id;
    for (char byte = 1; byte <= 20; ++byte)
        build_id += byte;
    add_note(bytes, "GNU", NT_GNU_BUILD_ID, build_id);
    std::size_t note_end = bytes.size();

    std::string names(1, '\0');
    pad(bytes, 8);
    sample.symbols = bytes.size();
    bytes.resize(bytes.size() + sizeof(Elf64_Sym), '\0');
    for (const SampleSymbol& symbol : symbols) {
        Elf64_Sym entry{};
        entry.st_name = static_cast<std::uint32_t>(names.size());
        entry.st_info = static_cast<unsigned char>(ELF64_ST_INFO(symbol.binding, symbol.type));
        entry.st_shndx = symbol.section;
        entry.st_value = symbol.value;
        entry.st_size = symbol.size;
        append(bytes, entry);
        names += symbol.name;
        names += '\0';
    }
    std::size_t symbols_end = bytes.size();
    std::size_t names_at = bytes.size();
    bytes += names;
    sample.strtab_bytes = names.size();

    pad(bytes, 8);
    std::size_t sections_at = bytes.size();
    Elf64_Shdr sections[4]{};
    sections[1].sh_type = SHT_PROGBITS;
    sections[1].sh_flags = SHF_ALLOC | SHF_EXECINSTR;
    sections[1].sh_addr = object::load_address;
    sections[1].sh_size = sizeof(Elf64_Ehdr);
    sections[2].sh_type = SHT_SYMTAB;
    sections[2].sh_offset = sample.symbols;
    sections[2].sh_size = symbols_end - sample.symbols;
    sections[2].sh_link = 3;
    sections[2].sh_info = 1;
    sections[2].sh_entsize = sizeof(Elf64_Sym);
    sections[2].sh_addralign = 8;
    sections[3].sh_type = SHT_STRTAB;
    sections[3].sh_offset = names_at;
    sections[3].sh_size = names.size();
    sections[3].sh_addralign = 1;
    for (const Elf64_Shdr& section : sections)
        append(bytes, section);
    sample.symtab_header = sections_at + 2 * sizeof(Elf64_Shdr);
    sample.strtab_header = sections_at + 3 * sizeof(Elf64_Shdr);
    header.e_shoff = sections_at;
    put(bytes, 0, header);

    Elf64_Phdr programs[3]{};
    programs[0].p_type = PT_LOAD;
    programs[0].p_flags = PF_R | PF_X;
    programs[0].p_vaddr = object::load_address;
    programs[0].p_filesz = sizeof(Elf64_Ehdr);
    programs[0].p_memsz = object::load_bytes;
    programs[0].p_align = 0x1000;
    programs[1].p_type = PT_NOTE;
    programs[1].p_offset = note_at;
    programs[1].p_filesz = note_end - note_at;
    programs[1].p_align = 4;
    programs[2].p_type = PT_GNU_EH_FRAME;
    programs[2].p_vaddr = object::eh_frame_hdr;
    programs[2].p_memsz = object::eh_frame_hdr_bytes;
    programs[2].p_align = 4;
    for (std::size_t i = 0; i < 3; ++i)
        put(bytes, programs_at + i * sizeof(Elf64_Phdr), programs[i]);
    return sample;
}

} // namespace cg_dump_test
