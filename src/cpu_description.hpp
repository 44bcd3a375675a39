// cpu_description.hpp - the shapes in which every arch/<cpu>/frame_layout.h
// describes its CPU to the core: the saved registers (for snapshots and the
// unwinder) and where a suspended generator continues.
#pragma once
#include <cstddef>
#include <cstdint>

namespace cg::arch {

/// One saved register: its name, its DWARF number (the one libunwind uses
/// too; -1: not for the unwinder), and where it lies in cg_arch_registers.
struct SavedRegister {
    const char* name;
    int dwarf;
    std::size_t offset;
    std::size_t size;
};

/// Where a suspended generator continues, and its stack pointer there.
struct ResumePoint {
    std::uint64_t pc, sp;
};

} // namespace cg::arch
