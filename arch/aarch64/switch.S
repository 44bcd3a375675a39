/*
 * switch.S - the aarch64 (AAPCS64) trampoline of cg: what a switch between
 * a generator and its resumer must do in assembly, and nothing more.
 * Layout: frame_layout.h; contract with the portable core: src/trampoline.h.
 *
 *   cg_arch_start    first resume: fix the home, call the generator's entry
 *   cg_arch_resume   copy the slice back home and return into it
 *   cg_arch_suspend  copy the slice out and return to the resumer
 *   cg_arch_finish   the end of the entry: back to the resumer, finished
 *   cg_arch_suspend_receiving
 *                    the same, and when resumed, return the word received
 *   cg_arch_return_value, cg_arch_return_status
 *                    return a word (amd64 returns it without `ret`)
 *
 * Saved: x19-x28, x29, x30, d8-d15 and FPCR, callee-saved by the ABI (x30:
 * where the call returns): the resumer's on its stack, the generator's in
 * its control block. Not saved: the other registers and FPSR's flags (dead
 * across the call that switches), x18 (the platform's), the signal mask
 * and TLS (the thread's), errno and the C++ exception state (the core's).
 *
 * At every instruction: sp is 16-byte aligned, and nothing below sp is
 * written or read (sp moves below a range before it is used: a signal may
 * arrive anywhere and overwrite what lies below sp).
 *
 * A switch ends with `ret`, the only indirect branch that Branch Target
 * Identification lets land anywhere (a `br` into a return address would
 * fault). Functions called through a register begin with `bti c`; return
 * addresses signed by pointer authentication stay valid because a slice
 * always comes back to the addresses it was saved from, and they are
 * signed with sp.
 */

#include "trampoline.h"
#include "frame_layout.h"
#include "macro_contracts.inc" /* NOT_AMONG */

/* At the end of a generator, x29 = S names the resumer's saved x29 and x30,
 * as a frame record does. */
.if CG_RESUMER_X29 != 0 || CG_RESUMER_X30 != 8
.error "switch.S takes the resumer's saved x29 and x30 at S for a frame record"
.endif

/* The link is written with one stp: {S, return address}. */
.if CG_LINK_RESUMER_SP != 0 || CG_LINK_RETURN != 8
.error "switch.S stores the link frame as the pair {S, return address}"
.endif

/* bti c, in the hint space: a nop on CPUs without BTI. */
#define BTI_C hint 34

/* One pair of the resumer's callee-saved registers at S + \offset, and
 * where an unwinder finds them (\dwarf, \dwarf + 1: their numbers). */
.macro SAVE_RESUMER_PAIR first, second, offset, dwarf
        stp     \first, \second, [sp, #\offset]  /* two of the resumer's callee-saved registers */
        .cfi_offset \dwarf, \offset - CG_RESUMER_FRAME_SIZE
        .cfi_offset \dwarf + 1, \offset + 8 - CG_RESUMER_FRAME_SIZE
.endm

/* The resumer's registers below its sp, which becomes S; its FPCR, which
 * stays in force, is also left in x\fpcr (\fpcr: 9-15, not a register saved). */
.macro SAVE_RESUMER fpcr
.if (\fpcr < 9) || (\fpcr > 15)
        .error "SAVE_RESUMER: fpcr must be one of x9-x15"
.endif
        stp     x29, x30, [sp, #-CG_RESUMER_FRAME_SIZE]! /* frame record; sp = S */
        .cfi_def_cfa_offset CG_RESUMER_FRAME_SIZE
        .cfi_offset 29, CG_RESUMER_X29 - CG_RESUMER_FRAME_SIZE
        .cfi_offset 30, CG_RESUMER_X30 - CG_RESUMER_FRAME_SIZE
        SAVE_RESUMER_PAIR x19, x20, CG_RESUMER_X19, 19
        SAVE_RESUMER_PAIR x21, x22, CG_RESUMER_X21, 21
        SAVE_RESUMER_PAIR x23, x24, CG_RESUMER_X23, 23
        SAVE_RESUMER_PAIR x25, x26, CG_RESUMER_X25, 25
        SAVE_RESUMER_PAIR x27, x28, CG_RESUMER_X27, 27
        SAVE_RESUMER_PAIR d8, d9, CG_RESUMER_D8, 72
        SAVE_RESUMER_PAIR d10, d11, CG_RESUMER_D10, 74
        SAVE_RESUMER_PAIR d12, d13, CG_RESUMER_D12, 76
        SAVE_RESUMER_PAIR d14, d15, CG_RESUMER_D14, 78
        mrs     x\fpcr, fpcr                    /* resumer's FPCR ... */
        str     w\fpcr, [sp, #CG_RESUMER_FPCR]  /* ... saved: its defined bits are the low 32 */
.endm

/* CFI for code running with sp = S: the frame is the resumer's call into
 * the trampoline, whatever routine the code is in. */
.macro RESUMER_FRAME_CFI
        .cfi_def_cfa sp, CG_RESUMER_FRAME_SIZE
        .cfi_offset 29, CG_RESUMER_X29 - CG_RESUMER_FRAME_SIZE
        .cfi_offset 30, CG_RESUMER_X30 - CG_RESUMER_FRAME_SIZE
        .irp pair, 19, 21, 23, 25, 27
        .cfi_offset \pair, CG_RESUMER_X19 + (\pair - 19) * 8 - CG_RESUMER_FRAME_SIZE
        .cfi_offset \pair + 1, CG_RESUMER_X19 + (\pair - 18) * 8 - CG_RESUMER_FRAME_SIZE
        .endr
        .irp pair, 72, 74, 76, 78
        .cfi_offset \pair, CG_RESUMER_D8 + (\pair - 72) * 8 - CG_RESUMER_FRAME_SIZE
        .cfi_offset \pair + 1, CG_RESUMER_D8 + (\pair - 71) * 8 - CG_RESUMER_FRAME_SIZE
        .endr
.endm

/* With sp = S, the resumer's FPCR in force: its other registers back, and
 * a return into its code; x0 and x1 (the result) are kept. */
.macro RETURN_TO_RESUMER
        ldp     x19, x20, [sp, #CG_RESUMER_X19] /* resumer's x19, x20 */
        ldp     x21, x22, [sp, #CG_RESUMER_X21] /* resumer's x21, x22 */
        ldp     x23, x24, [sp, #CG_RESUMER_X23] /* resumer's x23, x24 */
        ldp     x25, x26, [sp, #CG_RESUMER_X25] /* resumer's x25, x26 */
        ldp     x27, x28, [sp, #CG_RESUMER_X27] /* resumer's x27, x28 */
        ldp     d8, d9, [sp, #CG_RESUMER_D8]    /* resumer's d8, d9 */
        ldp     d10, d11, [sp, #CG_RESUMER_D10] /* resumer's d10, d11 */
        ldp     d12, d13, [sp, #CG_RESUMER_D12] /* resumer's d12, d13 */
        ldp     d14, d15, [sp, #CG_RESUMER_D14] /* resumer's d14, d15 */
        ldp     x29, x30, [sp], #CG_RESUMER_FRAME_SIZE /* its frame record; sp back above S */
        .cfi_def_cfa_offset 0
        .cfi_restore 29
        .cfi_restore 30
        ret                                     /* into the resumer (x30) */
.endm

/* Load the FPCR at [\base, #\offset] (32 bits, as SAVE_RESUMER and
 * SAVE_GENERATOR store it) unless it equals the one in force, in \current,
 * through x15 (none of them x15). Writing FPCR may wait for the FP
 * pipeline; reading and comparing does not. */
.macro LOAD_FPCR base, offset, current
        NOT_AMONG \base, "LOAD_FPCR: x15 is clobbered", x15
        NOT_AMONG \current, "LOAD_FPCR: x15 is clobbered", x15
        ldr     w15, [\base, #\offset]          /* the wanted FPCR */
        cmp     x15, \current                   /* the one in force? */
        b.eq    .Lfpcr_kept\@                   /* yes: nothing to write */
        msr     fpcr, x15                       /* no: write it */
.Lfpcr_kept\@:
.endm

/* Copy \size bytes (16, 32, 48 or 64) from the address in \from to the
 * one in \to through x12-x15, which none of the three may be: the lowest
 * 16 bytes and the highest 16, then, above 32, the 16 above the lowest and
 * the 16 below the highest (copies overlap where \size is smaller). */
.macro COPY_SMALL_SLICE from, to, size
        NOT_AMONG \from, "COPY_SMALL_SLICE: the source is in a register it clobbers", x12, x13, x14, x15
        NOT_AMONG \to, "COPY_SMALL_SLICE: the destination is in a register it clobbers", x12, x13, x14, x15
        NOT_AMONG \size, "COPY_SMALL_SLICE: the size is in a register it clobbers", x12, x13, x14, x15
        add     x14, \from, \size               /* x14 = the source's end */
        add     x15, \to, \size                 /* x15 = the destination's end */
        ldp     x12, x13, [\from]               /* the lowest 16 bytes ... */
        stp     x12, x13, [\to]                 /* ... stored */
        ldp     x12, x13, [x14, #-16]           /* the highest 16 bytes ... */
        stp     x12, x13, [x15, #-16]           /* ... stored */
        cmp     \size, #32                      /* more than 32 bytes? */
        b.ls    .Lcopied\@                      /* no: copied */
        ldp     x12, x13, [\from, #16]          /* the 16 above the lowest ... */
        stp     x12, x13, [\to, #16]            /* ... stored */
        ldp     x12, x13, [x14, #-32]           /* the 16 below the highest ... */
        stp     x12, x13, [x15, #-32]           /* ... stored */
.Lcopied\@:
.endm

/* The running generator's registers into its control block at \ctl; its
 * FPCR also left in x\fpcr (\fpcr: a number). */
.macro SAVE_GENERATOR ctl, fpcr
        NOT_AMONG \ctl, "SAVE_GENERATOR: ctl and fpcr must differ", x\fpcr
        stp     x19, x20, [\ctl, #CG_CONTROL_REGISTERS + CG_REGISTERS_X19] /* generator's x19, x20 */
        stp     x21, x22, [\ctl, #CG_CONTROL_REGISTERS + CG_REGISTERS_X21] /* generator's x21, x22 */
        stp     x23, x24, [\ctl, #CG_CONTROL_REGISTERS + CG_REGISTERS_X23] /* generator's x23, x24 */
        stp     x25, x26, [\ctl, #CG_CONTROL_REGISTERS + CG_REGISTERS_X25] /* generator's x25, x26 */
        stp     x27, x28, [\ctl, #CG_CONTROL_REGISTERS + CG_REGISTERS_X27] /* generator's x27, x28 */
        stp     x29, x30, [\ctl, #CG_CONTROL_REGISTERS + CG_REGISTERS_X29] /* its x29, and x30: where it continues */
        stp     d8, d9, [\ctl, #CG_CONTROL_REGISTERS + CG_REGISTERS_D8]    /* generator's d8, d9 */
        stp     d10, d11, [\ctl, #CG_CONTROL_REGISTERS + CG_REGISTERS_D10] /* generator's d10, d11 */
        stp     d12, d13, [\ctl, #CG_CONTROL_REGISTERS + CG_REGISTERS_D12] /* generator's d12, d13 */
        stp     d14, d15, [\ctl, #CG_CONTROL_REGISTERS + CG_REGISTERS_D14] /* generator's d14, d15 */
        mrs     x\fpcr, fpcr                    /* generator's FPCR ... */
        str     w\fpcr, [\ctl, #CG_CONTROL_REGISTERS + CG_REGISTERS_FPCR] /* ... saved (the low 32 bits) */
.endm

/* A suspended generator's registers from its control block at \ctl (a
 * register not loaded), but for FPCR (LOAD_FPCR). */
.macro LOAD_GENERATOR ctl
        NOT_AMONG \ctl, "LOAD_GENERATOR: ctl is loaded over", x19, x20, x21, x22, x23, x24, x25, x26, x27, x28, x29, x30
        ldp     x19, x20, [\ctl, #CG_CONTROL_REGISTERS + CG_REGISTERS_X19] /* generator's x19, x20 */
        ldp     x21, x22, [\ctl, #CG_CONTROL_REGISTERS + CG_REGISTERS_X21] /* generator's x21, x22 */
        ldp     x23, x24, [\ctl, #CG_CONTROL_REGISTERS + CG_REGISTERS_X23] /* generator's x23, x24 */
        ldp     x25, x26, [\ctl, #CG_CONTROL_REGISTERS + CG_REGISTERS_X25] /* generator's x25, x26 */
        ldp     x27, x28, [\ctl, #CG_CONTROL_REGISTERS + CG_REGISTERS_X27] /* generator's x27, x28 */
        ldp     x29, x30, [\ctl, #CG_CONTROL_REGISTERS + CG_REGISTERS_X29] /* its x29, and where it continues */
        ldp     d8, d9, [\ctl, #CG_CONTROL_REGISTERS + CG_REGISTERS_D8]    /* generator's d8, d9 */
        ldp     d10, d11, [\ctl, #CG_CONTROL_REGISTERS + CG_REGISTERS_D10] /* generator's d10, d11 */
        ldp     d12, d13, [\ctl, #CG_CONTROL_REGISTERS + CG_REGISTERS_D12] /* generator's d12, d13 */
        ldp     d14, d15, [\ctl, #CG_CONTROL_REGISTERS + CG_REGISTERS_D14] /* generator's d14, d15 */
.endm

/* w\into = cg_core_copies_every_slice (nonzero: every slice goes through the core). */
.macro CORE_COPIES_EVERY_SLICE into
        adrp    x\into, cg_core_copies_every_slice /* its page */
        ldrb    w\into, [x\into, #:lo12:cg_core_copies_every_slice] /* the flag */
.endm

/* The body of a suspend: entered (called or branched to) with sp at the
 * slice's lowest byte, x30 where the generator continues, ctl in x0 and
 * frame in x1. Copies the slice [sp, slice top) out: itself in the small
 * case of trampoline.h, else through cg_core_save_slice, which also hands
 * the value over (that may throw: nothing has changed then). Saves the
 * generator's registers, records \receives as how it goes on when resumed
 * (1: with the word received, see cg_arch_resume), and returns
 * {CG_SWITCH_YIELDED, -} to the resumer. If the slice buffer could not
 * grow (nothing has changed): with \receives 0 returns null, with 1
 * branches to no_room, which must be in x2 at entry (kept below the slice
 * across the core's call). */
.macro SUSPEND receives
.if (\receives != 0) && (\receives != 1)
        .error "SUSPEND: receives is 0 or 1"
.endif
        CORE_COPIES_EVERY_SLICE 9               /* does the core copy every slice? */
        cbnz    w9, .Lsave_by_core\@            /* yes */
        ldr     x9, [x1, #CG_FRAME_DELIVER]     /* a value to deliver? */
        cbnz    x9, .Lsave_by_core\@            /* yes: the core delivers it */
        ldr     x10, [x0, #CG_CONTROL_SLICE_TOP] /* x10 = slice top */
        mov     x11, sp                         /* x11 = sp, the slice bottom */
        sub     x9, x10, x11                    /* x9 = the slice's size */
        cmp     x9, #CG_SMALL_SLICE             /* a small slice? */
        b.hi    .Lsave_by_core\@                /* no: the core copies it */
        add     x16, x0, #CG_CONTROL_INLINE_BYTES /* x16 = the inline bytes ... */
        ldrb    w12, [x0, #CG_CONTROL_HEAP_BUFFER] /* ... unless the buffer */
        cbnz    w12, .Lsave_heap\@              /* is on the heap */
        cmp     x9, #CG_INLINE_CAPACITY         /* do the inline bytes (which never shrink) hold it? */
        b.hi    .Lsave_by_core\@                /* no: the core finds a heap buffer */
        b       .Lsave_small\@                  /* yes */
.Lsave_heap\@:
        ldr     w12, [x16, #CG_HEAP_BUFFER_CAPACITY] /* x12 = the heap buffer's capacity */
        cmp     x9, x12                         /* does it hold the slice? */
        b.hi    .Lsave_by_core\@                /* no: the core grows it */
        cmp     x12, x9, lsl #2                 /* a quarter of the buffer or less? */
        b.hs    .Lsave_by_core\@                /* yes: the core may shrink it */
        ldr     x16, [x16, #CG_HEAP_BUFFER_ADDRESS] /* x16 = the heap buffer */
.Lsave_small\@:
        str     w9, [x0, #CG_CONTROL_SLICE_SIZE] /* slice size */
        COPY_SMALL_SLICE x11, x16, x9           /* slice out */
        ldr     x9, [x10, #CG_LINK_RESUMER_SP]  /* x9 = S, from the link */
        b       .Lsaved\@                       /* saved */
.Lsave_by_core\@:
        stp     x0, x30, [sp, #-32]!            /* keep ctl and the return address, */
        .cfi_def_cfa_offset 32
        .cfi_offset 30, -24
        str     x2, [sp, #16]                   /* and no_room (unused when \receives is 0) */
        mov     x2, x1                          /* 3rd argument: frame */
        add     x1, sp, #32                     /* 2nd argument: the slice bottom */
        bl      cg_core_save_slice              /* char* (Control*, char* bottom, ResumeFrame*): S, or null */
        mov     x9, x0                          /* x9 = S, or null */
        ldr     x2, [sp, #16]                   /* no_room */
        ldp     x0, x30, [sp], #32              /* ctl and the return address */
        .cfi_def_cfa_offset 0
        .cfi_restore 30
        cbnz    x9, .Lsaved\@                   /* saved? */
.if \receives
        mov     x16, x2                         /* no: in x16, which the `bti c` of a function accepts, */
        br      x16                             /* no_room(), which does not return */
.else
        mov     x0, #0                          /* no: null, */
        ret                                     /* the generator goes on */
.endif
.Lsaved\@:
        SAVE_GENERATOR x0, 10                   /* the generator's registers; x10 = its FPCR */
        mov     w11, #\receives                 /* how it goes on when resumed ... */
        str     w11, [x0, #CG_CONTROL_REGISTERS + CG_REGISTERS_RECEIVES] /* ... recorded */
        mov     sp, x9                          /* leave the home: sp = S */
        RESUMER_FRAME_CFI                       /* unwinding: from the resumer's call */
        LOAD_FPCR sp, CG_RESUMER_FPCR, x10      /* the resumer's FPCR */
        mov     x0, #CG_SWITCH_YIELDED          /* status: yielded; x1: no payload */
        RETURN_TO_RESUMER                       /* its registers back, into its code */
.endm

        .text

/* SwitchResult cg_arch_start(Control* ctl x0, ResumeFrame* frame x1,
 *                            EntryFn entry x2, size_t headroom x3);
 *
 * First resume: fixes the home (its top `headroom` bytes below S, rounded
 * down to 16), builds the link frame and calls entry(ctl, frame) below it.
 * Returns through cg_arch_suspend as cg_arch_resume does, or when the
 * entry ends (through cg_arch_finish, or by returning to
 * cg_arch_entry_return): {CG_SWITCH_FINISHED, 0}. */
        .globl  cg_arch_start
        .type   cg_arch_start, %function
        .p2align 4
cg_arch_start:
        .cfi_startproc
        BTI_C                                   /* may be called through a register */
        SAVE_RESUMER 9                          /* sp = S */
        mov     x10, sp                         /* x10 = S */
        sub     x11, x10, x3                    /* x11 = S minus the headroom, */
        and     x11, x11, #-16                  /* aligned down to 16, */
        sub     x11, x11, #CG_LINK_SIZE         /* minus the link: the slice top */
        str     x11, [x0, #CG_CONTROL_SLICE_TOP] /* the home is fixed from now on */
        adr     x12, .Lentry_return             /* x12 = the entry call's return address */
        stp     x10, x12, [x11]                 /* link: {S, that address} */
        mov     sp, x11                         /* sp = the link (below S) */
        /* CFA = *sp + 176, the resumer the link names: unwinders go on into it from
         * the generator's frames (def_cfa_expression: breg31 0, deref, plus_uconst). */
        .cfi_escape 0x0f, 0x06, 0x8f, 0x00, 0x06, 0x23, (CG_RESUMER_FRAME_SIZE & 0x7f) | 0x80, CG_RESUMER_FRAME_SIZE >> 7
        mov     x29, x11                        /* the entry's frame record chains to the link */
        blr     x2                              /* entry(ctl, frame); x30 = .Lentry_return */
        .globl  cg_arch_entry_return            /* the return address in every link frame: */
        .hidden cg_arch_entry_return            /* backtraces of suspended generators end here */
cg_arch_entry_return:
.Lentry_return:
        ldr     x9, [sp, #CG_LINK_RESUMER_SP]   /* x9 = link.resumer_sp: S */
        mov     sp, x9                          /* sp = S */
        RESUMER_FRAME_CFI                       /* unwinding: from the resumer's call */
.Lfinished:                                     /* (cg_arch_finish joins here, sp = S) */
        mov     x29, sp                         /* x29 = the resumer's {x29, x30}: a frame record */
        bl      cg_core_entry_returned          /* frames parked by a destroy come back */
        ldr     w9, [sp, #CG_RESUMER_FPCR]      /* resumer's FPCR ... */
        msr     fpcr, x9                        /* ... in force */
        mov     x0, #CG_SWITCH_FINISHED         /* status: finished */
        mov     x1, #0                          /* no payload */
        RETURN_TO_RESUMER                       /* its registers back, into its code */
        .cfi_endproc
        .size   cg_arch_start, .-cg_arch_start

/* void cg_arch_finish(Control* ctl x0);
 *
 * The end of a generator's entry, instead of its return (trampoline.h):
 * from S, read in the link frame, as at cg_arch_entry_return. Does not
 * return. */
        .globl  cg_arch_finish
        .hidden cg_arch_finish                  /* called by the core only */
        .type   cg_arch_finish, %function
        .p2align 4
cg_arch_finish:
        .cfi_startproc
        BTI_C                                   /* a linker's veneer may branch here through x16 */
        ldr     x9, [x0, #CG_CONTROL_SLICE_TOP] /* x9 = the link frame */
        ldr     x9, [x9, #CG_LINK_RESUMER_SP]   /* x9 = link.resumer_sp: S */
        mov     sp, x9                          /* sp = S */
        RESUMER_FRAME_CFI                       /* unwinding: from the resumer's call */
        b       .Lfinished                      /* finished, as the entry's return would be */
        .cfi_endproc
        .size   cg_arch_finish, .-cg_arch_finish

/* SwitchResult cg_arch_resume(Control* ctl x0, ResumeFrame* frame x1);
 *
 * Saves the resumer (sp = S), copies the slice home (itself in the inline
 * case of trampoline.h, else through cg_core_restore_slice with sp below S
 * and the slice), rewrites the link frame and returns to where the
 * generator yielded: its cg_arch_suspend returns `frame` (the word at
 * frame->sent, if it suspended receiving one). Returns as
 * cg_arch_start does, or {CG_SWITCH_TOO_DEEP, S} if the core refused.
 * What it needs from S stays in registers: a slice restored over frames
 * the core parked (a destroy from deep down) overwrites S. */
        .globl  cg_arch_resume
        .type   cg_arch_resume, %function
        .p2align 4
cg_arch_resume:
        .cfi_startproc
        BTI_C                                   /* may be called through a register */
        SAVE_RESUMER 9                          /* sp = S */
        mov     x23, sp                         /* x23 = S, the CFA's base while sp moves */
        .cfi_def_cfa x23, CG_RESUMER_FRAME_SIZE
        mov     x24, x9                         /* x24 = the FPCR in force */
        mov     x19, x0                         /* x19 = ctl */
        mov     x20, x1                         /* x20 = frame */
        ldr     x21, [x0, #CG_CONTROL_SLICE_TOP] /* x21 = slice top */
        ldr     w10, [x0, #CG_CONTROL_SLICE_SIZE] /* x10 = slice size */
        sub     x22, x21, x10                   /* x22 = the slice bottom */
        add     x11, x21, #CG_LINK_SIZE         /* x11 = the home's top */
        cmp     x23, x11                        /* does the resumer reach into the home? */
        b.lo    .Lrestore_by_core               /* yes: the core parks or refuses */
        CORE_COPIES_EVERY_SLICE 12              /* does the core copy every slice? */
        cbnz    w12, .Lrestore_by_core          /* yes */
        cmp     x10, #CG_SMALL_SLICE            /* a small slice? */
        b.hi    .Lrestore_by_core               /* no: the core copies it */
        add     x11, x0, #CG_CONTROL_INLINE_BYTES /* x11 = the inline bytes ... */
        ldrb    w12, [x0, #CG_CONTROL_HEAP_BUFFER] /* ... unless the buffer */
        cbz     w12, .Lrestore_small            /* is on the heap: (inline) */
        ldr     x11, [x11, #CG_HEAP_BUFFER_ADDRESS] /* x11 = the heap buffer they name */
.Lrestore_small:
        mov     sp, x22                         /* sp = the slice bottom, below the copy */
        COPY_SMALL_SLICE x11, x22, x10          /* slice back home */
        b       .Lrestored                      /* restored */
.Lrestore_by_core:
        cmp     x22, x23                        /* the slice bottom or S, */
        csel    x11, x22, x23, lo               /* whichever is lower: the lowest byte the core may write */
        mov     sp, x11                         /* sp below all the core writes (both 16-aligned) */
        mov     x1, x23                         /* 2nd argument: S; 1st: ctl, still in x0 */
        bl      cg_core_restore_slice           /* bool (Control*, char* resumer_sp) */
        .cfi_remember_state
        tst     w0, #0xff                       /* refused? */
        b.eq    .Lrefused                       /* yes: the resumer is too deep */
.Lrestored:
        adr     x12, .Lentry_return             /* x12 = the entry call's return address */
        stp     x23, x12, [x21]                 /* link: {S, that address} */
        mov     x9, x23                         /* x9 = S, the CFA's base from here on */
        .cfi_def_cfa x9, CG_RESUMER_FRAME_SIZE
        mov     x10, x19                        /* x10 = ctl */
        mov     x0, x20                         /* the generator's cg_arch_suspend returns `frame` */
        mov     sp, x22                         /* sp = the slice bottom */
        LOAD_FPCR x10, CG_CONTROL_REGISTERS + CG_REGISTERS_FPCR, x24 /* the generator's FPCR */
        LOAD_GENERATOR x10                      /* its other registers; x30: where it continues */
        ldr     w12, [x10, #CG_CONTROL_REGISTERS + CG_REGISTERS_RECEIVES] /* does its suspend return a word? */
        cbz     w12, .Lresumed                  /* no: `frame` */
        ldr     x0, [x0, #CG_FRAME_SENT]        /* yes: x0 = where the resume put what it sends, */
        ldr     x0, [x0]                        /* and the word itself */
.Lresumed:
        ret                                     /* into the generator */
.Lrefused:
        .cfi_restore_state
        mov     sp, x23                         /* sp = S */
        .cfi_def_cfa sp, CG_RESUMER_FRAME_SIZE
        mov     x0, #CG_SWITCH_TOO_DEEP         /* status: too deep; its FPCR in force */
        mov     x1, sp                          /* payload: S */
        RETURN_TO_RESUMER                       /* its registers back, into its code */
        .cfi_endproc
        .size   cg_arch_resume, .-cg_arch_resume

/* ResumeFrame* cg_arch_suspend(Control* ctl x0, ResumeFrame* frame x1);
 *
 * Called by the running generator; `frame` is the resume to return to.
 * SUSPEND 0 from its call. Returns, when resumed, that resume's
 * ResumeFrame; or null at once if the slice buffer could not grow
 * (nothing has changed). */
        .globl  cg_arch_suspend
        .type   cg_arch_suspend, %function
        .p2align 4
cg_arch_suspend:
        .cfi_startproc
        BTI_C                                   /* may be called through a register */
        SUSPEND 0
        .cfi_endproc
        .size   cg_arch_suspend, .-cg_arch_suspend

/* uintptr_t cg_arch_suspend_receiving(Control* ctl x0, ResumeFrame* frame x1,
 *                                     void (*no_room)() x2);
 *
 * cg_arch_suspend for a yield that receives a word (trampoline.h), which
 * its caller tail-calls: SUSPEND 1 with its caller's return address in
 * x30, so that neither leaves a frame in the slice. When resumed,
 * cg_arch_resume returns *frame->sent straight to that caller, with `ret`
 * as every switch here (see top); if the slice buffer could not grow,
 * branches to no_room. */
        .globl  cg_arch_suspend_receiving
        .hidden cg_arch_suspend_receiving       /* called by the core only */
        .type   cg_arch_suspend_receiving, %function
        .p2align 4
cg_arch_suspend_receiving:
        .cfi_startproc
        BTI_C                                   /* a linker's veneer may branch here through x16 */
        SUSPEND 1
        .cfi_endproc
        .size   cg_arch_suspend_receiving, .-cg_arch_suspend_receiving

/* uintptr_t cg_arch_return_value(uintptr_t value x0);
 * int cg_arch_return_status(int status w0);
 *
 * Returns `value` to its caller (trampoline.h) with `ret`: on this CPU
 * only `ret` may branch back to a call site under BTI, whose guarded pages
 * accept an indirect branch only onto a landing pad, and a return address
 * is none. */
        .globl  cg_arch_return_value
        .hidden cg_arch_return_value            /* called by the core only */
        .type   cg_arch_return_value, %function
        .globl  cg_arch_return_status
        .hidden cg_arch_return_status           /* called by the core only */
        .type   cg_arch_return_status, %function
        .p2align 4
cg_arch_return_value:
cg_arch_return_status:
        .cfi_startproc
        BTI_C                                   /* a linker's veneer may branch here through x16 */
        ret                                     /* the value (or status, w0) is in x0 already */
        .cfi_endproc
        .size   cg_arch_return_value, .-cg_arch_return_value
        .size   cg_arch_return_status, .-cg_arch_return_status

/* The GNU property note: this object supports BTI (its functions that may
 * be called through a register begin with `bti c`) and pointer
 * authentication (it keeps return addresses as given), so linking it
 * leaves the protection of a program built with -mbranch-protection on. */
        .pushsection .note.gnu.property, "a"
        .p2align 3
        .long   4                               /* name size */
        .long   16                              /* descriptor size */
        .long   5                               /* NT_GNU_PROPERTY_TYPE_0 */
        .asciz  "GNU"                           /* name */
        .long   0xc0000000                      /* GNU_PROPERTY_AARCH64_FEATURE_1_AND */
        .long   4                               /* its size */
        .long   3                               /* BTI | PAC */
        .long   0                               /* padding to 8 */
        .popsection

        /* No executable stack. */
        .section .note.GNU-stack, "", %progbits
