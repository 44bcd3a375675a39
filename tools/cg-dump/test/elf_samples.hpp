// elf_samples.hpp - small ELF files the tests make themselves: a core as
// the kernel writes one, of amd64, aarch64 or any machine, and a shared
// library of chosen symbols. Each knows where its fields are, for the tests
// that break them (and fuzz.sh starts from them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace cg_dump_test {

/// Overwrites the bytes at `offset` with `value`'s.
template <class T>
void put(std::string& bytes, std::size_t offset, T value)
{
    std::memcpy(bytes.data() + offset, &value, sizeof value);
}

namespace core_sample {
inline constexpr std::uint32_t pid = 4242;
inline constexpr std::uint32_t tid = 4243; ///< the thread that dumped: not the main one
inline constexpr int signal = 11;
inline constexpr const char* command = "sample-program"; // 14 bytes: fits pr_fname
/// In the mapping: at 0x50 into the file (object_sample::load_address
/// + 0x50 when the file mapped there is a sample_object).
inline constexpr std::uint64_t pc = 0x400050;
inline constexpr std::uint64_t sp = 0x10800;
/// The one segment: 4096 bytes at 0x10000, byte i of which is i * 7.
inline constexpr std::uint64_t segment_address = 0x10000;
inline constexpr std::uint64_t segment_bytes = 4096;
/// The one file mapped: a page of it at 0x400000, from its offset 0.
inline constexpr std::uint64_t mapping_start = 0x400000;
inline constexpr std::uint64_t mapping_end = 0x401000;
inline constexpr const char* mapped_path = "/nonexistent/cg-dump-sample-program";
inline constexpr std::uint64_t phdr = 0x400040; ///< AT_PHDR: in the mapping
} // namespace core_sample

struct SampleCore {
    std::string bytes;
    // Offsets into bytes.
    std::size_t note_header = 0;   ///< of the PT_NOTE program header
    std::size_t load_header = 0;   ///< of the PT_LOAD program header
    std::size_t prstatus_note = 0; ///< of the NT_PRSTATUS note (its namesz)
    std::size_t auxv_note = 0;
    std::size_t file_note = 0;
    std::size_t file_desc = 0; ///< of NT_FILE's description
};

/// A core of two threads (the one that dumped, at pc and sp, then the
/// main one) with NT_PRPSINFO, NT_AUXV, NT_FILE (naming `mapped_path`), a
/// note of another writer, and one segment; e_machine `machine` (pr_reg
/// as for amd64 for a machine other than EM_AARCH64).
SampleCore sample_core(std::uint16_t machine, const std::string& mapped_path = core_sample::mapped_path);

struct SampleSymbol {
    std::string name;
    std::uint64_t value = 0;
    std::uint64_t size = 0;
    unsigned char type = 2;    ///< STT_FUNC
    unsigned char binding = 1; ///< STB_GLOBAL
    std::uint16_t section = 1; ///< .text; 0 undefined, 0xfff1 absolute
};

namespace object_sample {
/// Its one PT_LOAD maps [0x1000, 0x1200), of which the file holds the
/// first 64 bytes; PT_GNU_EH_FRAME is [0x1180, 0x11a0).
inline constexpr std::uint64_t load_address = 0x1000;
inline constexpr std::uint64_t load_bytes = 0x200;
inline constexpr std::uint64_t eh_frame_hdr = 0x1180;
inline constexpr std::uint64_t eh_frame_hdr_bytes = 0x20;
inline constexpr const char* build_id = "0102030405060708090a0b0c0d0e0f1011121314";
} // namespace object_sample

struct SampleObject {
    std::string bytes;
    std::size_t symtab_header = 0; ///< of .symtab's section header
    std::size_t symbols = 0;       ///< of .symtab's first entry (the null symbol)
    std::size_t strtab_header = 0;
    std::size_t strtab_bytes = 0; ///< .strtab's size
};

/// An ET_DYN for amd64 whose .symtab holds `symbols`, in that order after
/// the null symbol, with sections 0 (null), 1 .text, 2 .symtab, 3 .strtab.
SampleObject sample_object(const std::vector<SampleSymbol>& symbols);

} // namespace cg_dump_test
