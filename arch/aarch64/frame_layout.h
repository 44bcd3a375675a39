/*
 * frame_layout.h - the aarch64 (AAPCS64) layout: every offset switch.S uses
 * beyond src/trampoline.h, the C structure it describes, and a
 * static_assert for each; then what the core needs to know about this CPU
 * (the unwinder's register numbers, the register set for snapshots).
 *
 * One thread's stack while a generator runs (addresses grow up; sp is
 * 16-byte aligned at every instant, the hardware faults otherwise):
 *
 *        |  resumer's frames                       |
 *        |  fpcr | -                               |  S + 160   CFA of the resumer's
 *        |  d8 d9 ... d15                          |  S + 96 .. S + 152   call into the
 *        |  x19 x20 ... x28                        |  S + 16 .. S + 88    trampoline:
 *        |  x30: return address into the resumer   |  S + 8               S + 176
 *        |  x29                                    |  S   = the resumer's saved sp, a frame
 *        |  ... headroom (free) ...                |        record (cg_arch_resumer_frame)
 *        +=========================================+  <- home top (16-aligned)
 *        |  link: cg_arch_entry_return             |  slice top + 8  (cg_arch_link: a frame
 *        |  link: S                                |  slice top       record, x29 of the entry)
 *        +-----------------------------------------+  <- slice top (16-aligned)
 *        |  generator's frames                     |  the slice: copied to the heap
 *        |  ...                                    |  on yield, back here on resume
 *        +-----------------------------------------+  <- slice bottom = sp at the call into
 *                                                        cg_arch_suspend
 *
 * A call leaves its return address in x30, not on the stack: the address
 * the generator continues at is the x30 saved in its control block, and
 * the slice holds only its frames, a multiple of 16 bytes. The link is a
 * frame record as AAPCS64 draws them ({x29, x30}): the generator's entry
 * is called with x29 pointing at it, and its S points at the resumer's
 * record, so a walk along frame pointers goes from the generator's frames
 * into the resumer's. Every resume rewrites the link, which is not part of
 * the slice. The generator's callee-saved registers go into its control
 * block (cg_arch_registers), not into the slice.
 */
#ifndef CG_ARCH_AARCH64_FRAME_LAYOUT_H
#define CG_ARCH_AARCH64_FRAME_LAYOUT_H

/* struct cg_arch_registers, at CG_CONTROL_REGISTERS in the control block:
 * what a suspended generator keeps. Pairs are adjacent (stp/ldp). */
#define CG_REGISTERS_X19 0 /* x19 ... x28 at 0 ... 72 */
#define CG_REGISTERS_X21 16
#define CG_REGISTERS_X23 32
#define CG_REGISTERS_X25 48
#define CG_REGISTERS_X27 64
#define CG_REGISTERS_X29 80
#define CG_REGISTERS_X30 88 /* where the generator continues: the return address of its call */
#define CG_REGISTERS_D8 96  /* d8 ... d15 at 96 ... 152 */
#define CG_REGISTERS_D10 112
#define CG_REGISTERS_D12 128
#define CG_REGISTERS_D14 144
#define CG_REGISTERS_FPCR 160 /* 4 bytes: FPCR's defined bits are its low 32 */
#define CG_REGISTERS_RECEIVES 164 /* 4 bytes: 1 if the resume returns the word received (switch.S) */
#define CG_REGISTERS_SIZE 168
/* The slice bytes the control block holds itself follow the registers:
 * the minimal generator's slice is 48 bytes here (its entry keeps x19-x22
 * beside its frame record). */
#define CG_CONTROL_INLINE_BYTES (CG_CONTROL_REGISTERS + CG_REGISTERS_SIZE)
#define CG_INLINE_CAPACITY 64
/* The largest slice the trampoline copies itself (trampoline.h). */
#define CG_SMALL_SLICE 64

/* struct cg_arch_resumer_frame: what cg_arch_start and cg_arch_resume store
 * below the resumer's sp; offsets from the saved sp S. */
#define CG_RESUMER_X29 0
#define CG_RESUMER_X30 8
#define CG_RESUMER_X19 16 /* x19 ... x28 at 16 ... 88 */
#define CG_RESUMER_X21 32
#define CG_RESUMER_X23 48
#define CG_RESUMER_X25 64
#define CG_RESUMER_X27 80
#define CG_RESUMER_D8 96 /* d8 ... d15 at 96 ... 152 */
#define CG_RESUMER_D10 112
#define CG_RESUMER_D12 128
#define CG_RESUMER_D14 144
#define CG_RESUMER_FPCR 160 /* 4 bytes */
#define CG_RESUMER_FRAME_SIZE 176 /* S + 176: the resumer's sp before its call (the CFA) */

/* struct cg_arch_link: the top of the home; offsets from the slice top. */
#define CG_LINK_RESUMER_SP 0 /* S of the resume in progress */
#define CG_LINK_RETURN 8     /* the entry call's return address: cg_arch_entry_return */
#define CG_LINK_SIZE 16

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

/* AAPCS64 makes x19-x28, x29 (the frame pointer), the low 64 bits of
 * v8-v15 and FPCR's control fields callee-saved; x30 is where a call
 * returns; every other register (and FPSR's cumulative flags) is dead at a
 * call, and a yield is a call. */
struct cg_arch_registers {
    uint64_t x[10]; /* x19 ... x28 */
    uint64_t x29, x30;
    uint64_t d[8]; /* d8 ... d15 */
    uint32_t fpcr;
    /* Not a register: how the pending suspend goes on when resumed, written
     * by the suspend: 0 returning the resume's ResumeFrame
     * (cg_arch_suspend), 1 returning the word it sends
     * (cg_arch_suspend_receiving, which then leaves no frame of its own in
     * the slice). */
    uint32_t receives;
};

struct cg_arch_resumer_frame {
    uint64_t x29, x30;
    uint64_t x[10]; /* x19 ... x28 */
    uint64_t d[8];  /* d8 ... d15 */
    uint32_t fpcr;
    uint32_t unused[3];
};

struct cg_arch_link {
    uint64_t resumer_sp;
    uint64_t return_address;
};

#ifdef __cplusplus
#include "cpu_description.hpp"

static_assert(offsetof(cg_arch_registers, x) == CG_REGISTERS_X19);
static_assert(offsetof(cg_arch_registers, x[2]) == CG_REGISTERS_X21);
static_assert(offsetof(cg_arch_registers, x[4]) == CG_REGISTERS_X23);
static_assert(offsetof(cg_arch_registers, x[6]) == CG_REGISTERS_X25);
static_assert(offsetof(cg_arch_registers, x[8]) == CG_REGISTERS_X27);
static_assert(offsetof(cg_arch_registers, x29) == CG_REGISTERS_X29);
static_assert(offsetof(cg_arch_registers, x30) == CG_REGISTERS_X30);
static_assert(offsetof(cg_arch_registers, d) == CG_REGISTERS_D8);
static_assert(offsetof(cg_arch_registers, d[2]) == CG_REGISTERS_D10);
static_assert(offsetof(cg_arch_registers, d[4]) == CG_REGISTERS_D12);
static_assert(offsetof(cg_arch_registers, d[6]) == CG_REGISTERS_D14);
static_assert(offsetof(cg_arch_registers, fpcr) == CG_REGISTERS_FPCR);
static_assert(offsetof(cg_arch_registers, receives) == CG_REGISTERS_RECEIVES);
static_assert(sizeof(cg_arch_registers) == CG_REGISTERS_SIZE);
static_assert(offsetof(cg_arch_resumer_frame, x29) == CG_RESUMER_X29);
static_assert(offsetof(cg_arch_resumer_frame, x30) == CG_RESUMER_X30);
static_assert(offsetof(cg_arch_resumer_frame, x) == CG_RESUMER_X19);
static_assert(offsetof(cg_arch_resumer_frame, x[2]) == CG_RESUMER_X21);
static_assert(offsetof(cg_arch_resumer_frame, x[4]) == CG_RESUMER_X23);
static_assert(offsetof(cg_arch_resumer_frame, x[6]) == CG_RESUMER_X25);
static_assert(offsetof(cg_arch_resumer_frame, x[8]) == CG_RESUMER_X27);
static_assert(offsetof(cg_arch_resumer_frame, d) == CG_RESUMER_D8);
static_assert(offsetof(cg_arch_resumer_frame, d[2]) == CG_RESUMER_D10);
static_assert(offsetof(cg_arch_resumer_frame, d[4]) == CG_RESUMER_D12);
static_assert(offsetof(cg_arch_resumer_frame, d[6]) == CG_RESUMER_D14);
static_assert(offsetof(cg_arch_resumer_frame, fpcr) == CG_RESUMER_FPCR);
static_assert(sizeof(cg_arch_resumer_frame) == CG_RESUMER_FRAME_SIZE);
static_assert(CG_RESUMER_FRAME_SIZE % 16 == 0, "sp stays 16-byte aligned");
static_assert(offsetof(cg_arch_link, resumer_sp) == CG_LINK_RESUMER_SP);
static_assert(offsetof(cg_arch_link, return_address) == CG_LINK_RETURN);
static_assert(sizeof(cg_arch_link) == CG_LINK_SIZE);

namespace cg::arch {

/// The name snapshots record (snapshot_format.hpp) and cg-dump shows.
inline constexpr char name[] = "aarch64";

/// The saved registers, for snapshots and the unwinder (DWARF numbers for
/// AArch64: x0-x30 are 0-30, v0-v31 are 64-95; libunwind's UNW_AARCH64_*
/// are the same).
inline constexpr SavedRegister saved_registers[] = {
    {"x19", 19, CG_REGISTERS_X19, 8},      {"x20", 20, CG_REGISTERS_X19 + 8, 8},
    {"x21", 21, CG_REGISTERS_X21, 8},      {"x22", 22, CG_REGISTERS_X21 + 8, 8},
    {"x23", 23, CG_REGISTERS_X23, 8},      {"x24", 24, CG_REGISTERS_X23 + 8, 8},
    {"x25", 25, CG_REGISTERS_X25, 8},      {"x26", 26, CG_REGISTERS_X25 + 8, 8},
    {"x27", 27, CG_REGISTERS_X27, 8},      {"x28", 28, CG_REGISTERS_X27 + 8, 8},
    {"x29", 29, CG_REGISTERS_X29, 8},      {"x30", 30, CG_REGISTERS_X30, 8},
    {"d8", 72, CG_REGISTERS_D8, 8},        {"d9", 73, CG_REGISTERS_D8 + 8, 8},
    {"d10", 74, CG_REGISTERS_D10, 8},      {"d11", 75, CG_REGISTERS_D10 + 8, 8},
    {"d12", 76, CG_REGISTERS_D12, 8},      {"d13", 77, CG_REGISTERS_D12 + 8, 8},
    {"d14", 78, CG_REGISTERS_D14, 8},      {"d15", 79, CG_REGISTERS_D14 + 8, 8},
    {"fpcr", -1, CG_REGISTERS_FPCR, 4},
};

/// libunwind for this CPU (Debian's libunwind8), loaded at run time, and
/// the prefix of its functions' names; its numbers for the pc and the sp.
inline constexpr char libunwind_soname[] = "libunwind-aarch64.so.8";
inline constexpr char libunwind_prefix[] = "_Uaarch64_";
inline constexpr int dwarf_pc = 32; /* UNW_AARCH64_PC: DWARF has no number for it */
inline constexpr int dwarf_sp = 31;

/// The frame pointer, which a frame's CFA may be defined by instead of the
/// sp (src/eh_tables.cpp), and its value in a suspended generator's
/// innermost frame.
inline constexpr int dwarf_fp = 29;
inline uint64_t saved_frame_pointer(const cg_arch_registers& registers) noexcept { return registers.x29; }
/// DW_CFA 0x2d is AARCH64_negate_ra_state: where pointer authentication
/// signs the return address; code_address() strips it, so a walk ignores it.
inline constexpr bool cfa_negate_ra_state = true;

/// resume_point as data, for debuggers (cg/debug.h): the pc is the saved
/// x30 (an index into saved_registers), the sp the slice's bottom.
inline constexpr int resume_pc_register = 11;
inline constexpr unsigned resume_sp_offset = 0;
static_assert(saved_registers[resume_pc_register].offset == CG_REGISTERS_X30);

/// Where a suspended generator continues, and its sp there: the x30 of its
/// call into cg_arch_suspend, and the slice's bottom.
inline ResumePoint resume_point(const cg_arch_registers& registers, uint64_t slice_bottom,
                                const unsigned char*) noexcept
{
    return {registers.x30, slice_bottom + resume_sp_offset};
}

/// The CPU's number in ELF headers (e_machine), for readers of core files.
inline constexpr unsigned elf_machine = 183; /* EM_AARCH64 */

/// The link frame as a resume writes it, for a reader of a saved slice.
inline cg_arch_link link_frame(uint64_t entry_return, uint64_t resumer_sp) noexcept
{
    return {resumer_sp, entry_return};
}

/// A word that may be a return address, without the pointer
/// authentication code a signed one carries in its upper bits (xpaclri,
/// in the hint space: it leaves the word alone where PAC is absent).
inline uint64_t code_address(uint64_t word) noexcept
{
    register uint64_t lr __asm__("x30") = word;
    __asm__("hint #7" : "+r"(lr)); /* xpaclri */
    return lr;
}

/// A hint in a spin loop.
inline void spin_pause() noexcept { __asm__ __volatile__("yield"); }

} // namespace cg::arch
#endif /* __cplusplus */
#endif /* !__ASSEMBLER__ */

#endif
