/*
 * frame_layout.h - the amd64 (System V) layout: every offset switch.S uses
 * beyond src/trampoline.h, the C structure it describes, and a
 * static_assert for each; then what the core needs to know about this CPU
 * (the unwinder's register numbers, the register set for snapshots).
 *
 * One thread's stack while a generator runs (addresses grow up):
 *
 *        |  resumer's frames                       |
 *        |  return address into the resumer        |  S + 56   CFA of the resumer's
 *        |  rbp                                    |  S + 48   call into the trampoline:
 *        |  rbx                                    |  S + 40   S + 64
 *        |  r12 r13 r14 r15                        |  S + 8 .. S + 32 (r15 lowest)
 *        |  mxcsr (4) | x87 control word (2) | - |  S        = the resumer's saved sp
 *        |  ... headroom (free) ...                |              (cg_arch_resumer_frame)
 *        +=========================================+  <- home top (8 mod 16)
 *        |  link: S                                |  slice top + 8  (cg_arch_link)
 *        |  link: return address -> trampoline     |  slice top
 *        +-----------------------------------------+  <- slice top (8 mod 16)
 *        |  generator's frames                     |  the slice: copied to the heap
 *        |  ...                                    |  on yield, back here on resume
 *        |  return address into the generator      |
 *        +-----------------------------------------+  <- slice bottom = sp at the suspend's entry
 *
 * Both ends of a slice are 8 mod 16 (a call pushes 8 bytes onto a 16-byte
 * aligned stack), so a slice is a multiple of 16 bytes. The generator's
 * callee-saved registers go into its control block (cg_arch_registers), not
 * into the slice: the slice stays small, and its copy never reads words
 * just written one by one. Every resume rewrites the link frame, which is
 * not part of the slice.
 */
#ifndef CG_ARCH_AMD64_FRAME_LAYOUT_H
#define CG_ARCH_AMD64_FRAME_LAYOUT_H

/* struct cg_arch_registers, at CG_CONTROL_REGISTERS in the control block:
 * what a suspended generator keeps. */
#define CG_REGISTERS_RBX 0
#define CG_REGISTERS_RBP 8
#define CG_REGISTERS_R12 16
#define CG_REGISTERS_R13 24
#define CG_REGISTERS_R14 32
#define CG_REGISTERS_R15 40
#define CG_REGISTERS_MXCSR 48 /* 4 bytes */
#define CG_REGISTERS_X87CW 52 /* 2 bytes */
#define CG_REGISTERS_RECEIVES 54 /* 2 bytes: 1 if the resume returns the word received (switch.S) */
#define CG_REGISTERS_SIZE 56
/* The slice bytes the control block holds itself follow the registers:
 * the minimal generator's slice is 32 bytes here. */
#define CG_CONTROL_INLINE_BYTES (CG_CONTROL_REGISTERS + CG_REGISTERS_SIZE)
#define CG_INLINE_CAPACITY 32
/* The largest slice the trampoline copies itself (trampoline.h): the
 * minimal C generator's, 48 bytes, goes to a heap buffer and stays fast. */
#define CG_SMALL_SLICE 64

/* struct cg_arch_resumer_frame: what cg_arch_start and cg_arch_resume push
 * below the resumer's return address; offsets from the saved sp S. */
#define CG_RESUMER_MXCSR 0 /* 4 bytes */
#define CG_RESUMER_X87CW 4 /* 2 bytes */
#define CG_RESUMER_R15 8
#define CG_RESUMER_R14 16
#define CG_RESUMER_R13 24
#define CG_RESUMER_R12 32
#define CG_RESUMER_RBX 40
#define CG_RESUMER_RBP 48
#define CG_RESUMER_RETURN 56
#define CG_RESUMER_FRAME_SIZE 64 /* S + 64: the resumer's sp before its call (the CFA) */

/* struct cg_arch_link: the top of the home; offsets from the slice top. */
#define CG_LINK_RETURN 0     /* the entry call's return address: cg_arch_entry_return */
#define CG_LINK_RESUMER_SP 8 /* S of the resume in progress */
#define CG_LINK_SIZE 16

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

/* The SysV ABI makes rbx, rbp, r12-r15 and the control bits of MXCSR and of
 * the x87 control word callee-saved; every other register (and the status
 * flags) is dead at a call, and a yield is a call. */
struct cg_arch_registers {
    uint64_t rbx, rbp, r12, r13, r14, r15;
    uint32_t mxcsr;
    uint16_t x87_control;
    /* Not a register: how the pending suspend goes on when resumed, written
     * by the suspend: 0 returning the resume's ResumeFrame
     * (cg_arch_suspend), 1 returning the word it sends
     * (cg_arch_suspend_receiving, which then leaves no frame of its own in
     * the slice). */
    uint16_t receives;
};

struct cg_arch_resumer_frame {
    uint32_t mxcsr;
    uint16_t x87_control;
    uint16_t unused;
    uint64_t r15, r14, r13, r12, rbx, rbp;
    uint64_t return_address;
};

struct cg_arch_link {
    uint64_t return_address;
    uint64_t resumer_sp;
};

#ifdef __cplusplus
#include "cpu_description.hpp"

static_assert(offsetof(cg_arch_registers, rbx) == CG_REGISTERS_RBX);
static_assert(offsetof(cg_arch_registers, rbp) == CG_REGISTERS_RBP);
static_assert(offsetof(cg_arch_registers, r12) == CG_REGISTERS_R12);
static_assert(offsetof(cg_arch_registers, r13) == CG_REGISTERS_R13);
static_assert(offsetof(cg_arch_registers, r14) == CG_REGISTERS_R14);
static_assert(offsetof(cg_arch_registers, r15) == CG_REGISTERS_R15);
static_assert(offsetof(cg_arch_registers, mxcsr) == CG_REGISTERS_MXCSR);
static_assert(offsetof(cg_arch_registers, x87_control) == CG_REGISTERS_X87CW);
static_assert(offsetof(cg_arch_registers, receives) == CG_REGISTERS_RECEIVES);
static_assert(sizeof(cg_arch_registers) == CG_REGISTERS_SIZE);
static_assert(offsetof(cg_arch_resumer_frame, mxcsr) == CG_RESUMER_MXCSR);
static_assert(offsetof(cg_arch_resumer_frame, x87_control) == CG_RESUMER_X87CW);
static_assert(offsetof(cg_arch_resumer_frame, r15) == CG_RESUMER_R15);
static_assert(offsetof(cg_arch_resumer_frame, r14) == CG_RESUMER_R14);
static_assert(offsetof(cg_arch_resumer_frame, r13) == CG_RESUMER_R13);
static_assert(offsetof(cg_arch_resumer_frame, r12) == CG_RESUMER_R12);
static_assert(offsetof(cg_arch_resumer_frame, rbx) == CG_RESUMER_RBX);
static_assert(offsetof(cg_arch_resumer_frame, rbp) == CG_RESUMER_RBP);
static_assert(offsetof(cg_arch_resumer_frame, return_address) == CG_RESUMER_RETURN);
static_assert(sizeof(cg_arch_resumer_frame) == CG_RESUMER_FRAME_SIZE);
static_assert(offsetof(cg_arch_link, return_address) == CG_LINK_RETURN);
static_assert(offsetof(cg_arch_link, resumer_sp) == CG_LINK_RESUMER_SP);
static_assert(sizeof(cg_arch_link) == CG_LINK_SIZE);

namespace cg::arch {

/// The name snapshots record (snapshot_format.hpp) and cg-dump shows.
inline constexpr char name[] = "x86_64";

/// The saved registers, for snapshots and the unwinder (libunwind's
/// UNW_X86_64_* are the DWARF numbers).
inline constexpr SavedRegister saved_registers[] = {
    {"rbx", 3, CG_REGISTERS_RBX, 8},      {"rbp", 6, CG_REGISTERS_RBP, 8},
    {"r12", 12, CG_REGISTERS_R12, 8},     {"r13", 13, CG_REGISTERS_R13, 8},
    {"r14", 14, CG_REGISTERS_R14, 8},     {"r15", 15, CG_REGISTERS_R15, 8},
    {"mxcsr", -1, CG_REGISTERS_MXCSR, 4}, {"x87_control", -1, CG_REGISTERS_X87CW, 2},
};

/// libunwind for this CPU (Debian's libunwind8), loaded at run time, and
/// the prefix of its functions' names; its numbers for the pc and the sp.
inline constexpr char libunwind_soname[] = "libunwind-x86_64.so.8";
inline constexpr char libunwind_prefix[] = "_Ux86_64_";
inline constexpr int dwarf_pc = 16; /* rip */
inline constexpr int dwarf_sp = 7;  /* rsp */

/// The frame pointer, which a frame's CFA may be defined by instead of the
/// sp (src/eh_tables.cpp), and its value in a suspended generator's
/// innermost frame.
inline constexpr int dwarf_fp = 6; /* rbp */
inline uint64_t saved_frame_pointer(const cg_arch_registers& registers) noexcept { return registers.rbp; }
/// DW_CFA 0x2d is GNU_window_save (SPARC's): never in this CPU's tables.
inline constexpr bool cfa_negate_ra_state = false;

/// resume_point as data, for debuggers (cg/debug.h): the pc is the slice's
/// lowest word (-1: no register), the sp just above it.
inline constexpr int resume_pc_register = -1;
inline constexpr unsigned resume_sp_offset = 8;

/// Where a suspended generator continues, and its sp there: the return
/// address of its call into cg_arch_suspend (or of the call that
/// cg_arch_suspend_receiving finishes as a tail call) is the slice's lowest
/// word.
inline ResumePoint resume_point(const cg_arch_registers&, uint64_t slice_bottom, const unsigned char* slice) noexcept
{
    uint64_t pc;
    __builtin_memcpy(&pc, slice, sizeof pc);
    return {pc, slice_bottom + resume_sp_offset};
}

/// The CPU's number in ELF headers (e_machine), for readers of core files.
inline constexpr unsigned elf_machine = 62; /* EM_X86_64 */

/// The link frame as a resume writes it, for a reader of a saved slice.
inline cg_arch_link link_frame(uint64_t entry_return, uint64_t resumer_sp) noexcept
{
    return {entry_return, resumer_sp};
}

/// A hint in a spin loop.
inline void spin_pause() noexcept { __builtin_ia32_pause(); }

/// A word that may be a return address, as code addresses look: return
/// addresses carry nothing else here.
inline uint64_t code_address(uint64_t word) noexcept { return word; }

/// The slice copy may use 32-byte vectors where the CPU has them (checked
/// once, at load: src/slice_copy.cpp).
#define CG_ARCH_WIDE_COPY_TARGET "avx2"

} // namespace cg::arch
#endif /* __cplusplus */
#endif /* !__ASSEMBLER__ */

#endif
