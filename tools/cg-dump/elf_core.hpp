// elf_core.hpp - a Linux core file (as the kernel or gdb's gcore writes
// it), parsed from its bytes: the memory it holds, the files the process
// had mapped, its threads' pc and sp, its auxiliary vector. Pure, with no
// file I/O, so that the fuzzer can feed it anything; the input is
// untrusted (elf_file.hpp), and what is wrong with it is a ReadError
// (snapshot_reader.hpp) that says where.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "elf_file.hpp"

namespace cg_dump {

/// A PT_LOAD of the core: memory of the process. filesz is less than memsz
/// where the writer left memory out (0: none of it dumped).
using CoreSegment = LoadSegment;

/// A mapping of a file, from NT_FILE.
struct FileMapping {
    std::uint64_t start = 0;
    std::uint64_t end = 0;
    std::uint64_t file_offset = 0; ///< in bytes
    /// As the kernel named it: " (deleted)" follows the path of a file
    /// removed since it was mapped.
    std::string path;
};

/// A thread, from its NT_PRSTATUS.
struct CoreThread {
    std::uint32_t tid = 0;
    std::uint64_t pc = 0; ///< 0 on a machine this reader has no register layout for
    std::uint64_t sp = 0;
};

struct CoreImage {
    /// e_machine. Cores of any machine are parsed; threads' pc and sp are
    /// known on EM_X86_64 and EM_AARCH64 only.
    std::uint16_t machine = 0;
    /// The process id: NT_PRPSINFO's pr_pid, else the first thread's.
    std::uint32_t pid = 0;
    std::string command; ///< NT_PRPSINFO's pr_fname (at most 15 bytes); "" if absent
    std::vector<CoreSegment> segments;
    std::vector<FileMapping> files;
    std::vector<CoreThread> threads; ///< the thread that dumped the core first (the kernel's order)
    std::vector<std::pair<std::uint64_t, std::uint64_t>> auxv; ///< NT_AUXV's (type, value), without AT_NULL
    int signal = 0; ///< that killed the process (the first thread's pr_cursig); 0 if none
};

/// Parses a whole core held in memory. Throws ReadError; "not a core file:
/// ..." for an ELF file of another type.
CoreImage parse_core(std::string_view bytes);

/// The core's dumped bytes of process memory from `address` to the end of
/// the segment holding it (its first filesz); empty if none does. `bytes`
/// are the core's, which `core` was parsed from.
std::string_view dumped_at(const CoreImage& core, std::string_view bytes, std::uint64_t address) noexcept;

/// Copies `size` bytes of process memory at `address` from what the core
/// holds: true only if they lie wholly within one segment's dumped bytes
/// (its first filesz), else false and `out` is left alone. `bytes` are the
/// core's, which `core` was parsed from.
bool read_core_memory(const CoreImage& core, std::string_view bytes, std::uint64_t address, void* out,
                      std::size_t size);

} // namespace cg_dump
