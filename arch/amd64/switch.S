/*
 * switch.S - the amd64 (System V) trampoline of cg: what a switch between a
 * generator and its resumer must do in assembly, and nothing more. The
 * layout (picture and offsets) is in frame_layout.h; the contract with the
 * portable core, and the core routines called here, in src/trampoline.h.
 *
 *   cg_arch_start    first resume: fix the home, call the generator's entry
 *   cg_arch_resume   copy the slice back home (core) and jump into it
 *   cg_arch_suspend  copy the slice out (core) and jump back to the resumer
 *
 * What is saved:
 *   - rbx, rbp, r12-r15, callee-saved: the resumer's are pushed on its own
 *     stack (cg_arch_resumer_frame), the generator's go into its control
 *     block (cg_arch_registers).
 *   - MXCSR and the x87 control word, whose control bits are callee-saved:
 *     each side keeps its own. The incoming side's are loaded without
 *     comparing: on the Zen 5 guest this was tuned on, reading back what
 *     stmxcsr just stored to compare stalls longer than loading an
 *     unchanged value (0.55 ns).
 * What is not saved, and why:
 *   - rax, rcx, rdx, rsi, rdi, r8-r11, every vector register, the status
 *     flags of MXCSR and the x87 unit: caller-saved, dead across the call
 *     that switches.
 *   - The signal mask and thread-local storage: they belong to the thread,
 *     and a generator never leaves its thread.
 *   - errno and the C++ exception state: the core swaps them.
 *
 * Two rules hold at every instruction:
 *   - Nothing is written below rsp: rsp moves below a range before the
 *     range is written, so a signal handler (which the kernel runs below
 *     rsp) can arrive anywhere.
 *   - A switch ends with `jmp *reg`, never `ret` into the other side: a
 *     `ret` would mispredict on the return stack buffer on both switches of
 *     every round trip.
 */

#include "trampoline.h"
#include "frame_layout.h"

/* ---------------------------------------------------------------- macros */

/* Push the resumer's callee-saved registers and FP control words below its
 * return address: rsp becomes S (cg_arch_resumer_frame), 16-byte aligned. */
.macro SAVE_RESUMER
        push    %rbp                            /* resumer's rbp */
        .cfi_adjust_cfa_offset 8
        .cfi_rel_offset %rbp, 0
        push    %rbx                            /* resumer's rbx */
        .cfi_adjust_cfa_offset 8
        .cfi_rel_offset %rbx, 0
        push    %r12                            /* resumer's r12 */
        .cfi_adjust_cfa_offset 8
        .cfi_rel_offset %r12, 0
        push    %r13                            /* resumer's r13 */
        .cfi_adjust_cfa_offset 8
        .cfi_rel_offset %r13, 0
        push    %r14                            /* resumer's r14 */
        .cfi_adjust_cfa_offset 8
        .cfi_rel_offset %r14, 0
        push    %r15                            /* resumer's r15 */
        .cfi_adjust_cfa_offset 8
        .cfi_rel_offset %r15, 0
        sub     $8, %rsp                        /* room for the FP control words */
        .cfi_adjust_cfa_offset 8
        stmxcsr CG_RESUMER_MXCSR(%rsp)          /* resumer's MXCSR */
        fnstcw  CG_RESUMER_X87CW(%rsp)          /* resumer's x87 control word */
.endm

/* CFI for code running with rsp = S: the frame is the resumer's call into
 * the trampoline, whatever routine the code is in. */
.macro RESUMER_FRAME_CFI
        .cfi_def_cfa %rsp, CG_RESUMER_FRAME_SIZE
        .cfi_offset %rbp, CG_RESUMER_RBP - CG_RESUMER_FRAME_SIZE
        .cfi_offset %rbx, CG_RESUMER_RBX - CG_RESUMER_FRAME_SIZE
        .cfi_offset %r12, CG_RESUMER_R12 - CG_RESUMER_FRAME_SIZE
        .cfi_offset %r13, CG_RESUMER_R13 - CG_RESUMER_FRAME_SIZE
        .cfi_offset %r14, CG_RESUMER_R14 - CG_RESUMER_FRAME_SIZE
        .cfi_offset %r15, CG_RESUMER_R15 - CG_RESUMER_FRAME_SIZE
.endm

/* With rsp = S: give the resumer its FP control words and registers back
 * and jump to its return address through \scratch. rax and rdx, the
 * result, are kept: \scratch may be neither. */
.macro RETURN_TO_RESUMER scratch
        .ifc \scratch, %rax
        .error "RETURN_TO_RESUMER: rax holds the result"
        .endif
        .ifc \scratch, %rdx
        .error "RETURN_TO_RESUMER: rdx holds the result"
        .endif
        ldmxcsr CG_RESUMER_MXCSR(%rsp)          /* resumer's MXCSR */
        fldcw   CG_RESUMER_X87CW(%rsp)          /* resumer's x87 control word */
        add     $8, %rsp                        /* past the FP control words */
        .cfi_adjust_cfa_offset -8
        pop     %r15                            /* resumer's r15 */
        .cfi_adjust_cfa_offset -8
        .cfi_restore %r15
        pop     %r14                            /* resumer's r14 */
        .cfi_adjust_cfa_offset -8
        .cfi_restore %r14
        pop     %r13                            /* resumer's r13 */
        .cfi_adjust_cfa_offset -8
        .cfi_restore %r13
        pop     %r12                            /* resumer's r12 */
        .cfi_adjust_cfa_offset -8
        .cfi_restore %r12
        pop     %rbx                            /* resumer's rbx */
        .cfi_adjust_cfa_offset -8
        .cfi_restore %rbx
        pop     %rbp                            /* resumer's rbp */
        .cfi_adjust_cfa_offset -8
        .cfi_restore %rbp
        pop     \scratch                        /* resumer's return address */
        .cfi_adjust_cfa_offset -8
        .cfi_register %rip, \scratch
        jmp     *\scratch                       /* return without `ret` (see top) */
.endm

/* Copy a slice of 16 to 32 bytes, a multiple of 16, from the address in
 * \from to the address in \to, \size bytes, through r8-r11 (which it
 * clobbers: none of the three may be one of them). 8-byte words, the lowest
 * 16 bytes and the highest 16 (the same if 16): the words were just stored
 * one by one, and a wider load spanning two such stores would wait for them
 * instead of taking them from the store buffer. */
.macro COPY_SMALL_SLICE from, to, size
        .irp scratch, %r8, %r9, %r10, %r11
        .ifc \from, \scratch
        .error "COPY_SMALL_SLICE: the source is in a register it clobbers"
        .endif
        .ifc \to, \scratch
        .error "COPY_SMALL_SLICE: the destination is in a register it clobbers"
        .endif
        .ifc \size, \scratch
        .error "COPY_SMALL_SLICE: the size is in a register it clobbers"
        .endif
        .endr
        mov     (\from), %r8                    /* the lowest 16 bytes ... */
        mov     8(\from), %r9
        mov     -16(\from,\size), %r10          /* ... and the highest 16 */
        mov     -8(\from,\size), %r11
        mov     %r8, (\to)                      /* copied */
        mov     %r9, 8(\to)
        mov     %r10, -16(\to,\size)
        mov     %r11, -8(\to,\size)
.endm

/* Store the running generator's callee-saved registers and FP control words
 * into the control block at \ctl. Changes no register. */
.macro SAVE_GENERATOR ctl
        stmxcsr CG_CONTROL_REGISTERS+CG_REGISTERS_MXCSR(\ctl) /* generator's MXCSR */
        fnstcw  CG_CONTROL_REGISTERS+CG_REGISTERS_X87CW(\ctl) /* generator's x87 control word */
        mov     %rbx, CG_CONTROL_REGISTERS+CG_REGISTERS_RBX(\ctl) /* generator's rbx */
        mov     %rbp, CG_CONTROL_REGISTERS+CG_REGISTERS_RBP(\ctl) /* generator's rbp */
        mov     %r12, CG_CONTROL_REGISTERS+CG_REGISTERS_R12(\ctl) /* generator's r12 */
        mov     %r13, CG_CONTROL_REGISTERS+CG_REGISTERS_R13(\ctl) /* generator's r13 */
        mov     %r14, CG_CONTROL_REGISTERS+CG_REGISTERS_R14(\ctl) /* generator's r14 */
        mov     %r15, CG_CONTROL_REGISTERS+CG_REGISTERS_R15(\ctl) /* generator's r15 */
.endm

/* Load a suspended generator's FP control words and callee-saved registers
 * from the control block at \ctl, which must be in a register this does
 * not load. */
.macro LOAD_GENERATOR ctl
        .irp loaded, %rbx, %rbp, %r12, %r13, %r14, %r15
        .ifc \ctl, \loaded
        .error "LOAD_GENERATOR: the control block's register is loaded over"
        .endif
        .endr
        ldmxcsr CG_CONTROL_REGISTERS+CG_REGISTERS_MXCSR(\ctl) /* generator's MXCSR */
        fldcw   CG_CONTROL_REGISTERS+CG_REGISTERS_X87CW(\ctl) /* generator's x87 control word */
        mov     CG_CONTROL_REGISTERS+CG_REGISTERS_RBX(\ctl), %rbx /* generator's rbx */
        mov     CG_CONTROL_REGISTERS+CG_REGISTERS_RBP(\ctl), %rbp /* generator's rbp */
        mov     CG_CONTROL_REGISTERS+CG_REGISTERS_R12(\ctl), %r12 /* generator's r12 */
        mov     CG_CONTROL_REGISTERS+CG_REGISTERS_R13(\ctl), %r13 /* generator's r13 */
        mov     CG_CONTROL_REGISTERS+CG_REGISTERS_R14(\ctl), %r14 /* generator's r14 */
        mov     CG_CONTROL_REGISTERS+CG_REGISTERS_R15(\ctl), %r15 /* generator's r15 */
.endm

        .text

/* -------------------------------------------------------------------------
 * SwitchResult cg_arch_start(Control* ctl,         rdi
 *                            ResumeFrame* frame,   rsi
 *                            EntryFn entry,        rdx
 *                            size_t headroom);     rcx
 *
 * First resume. Fixes the home: its top lies `headroom` bytes (rounded
 * down to 16, then to 8 mod 16) below S; stores the slice top in the
 * control block; builds the link frame and calls entry(ctl, frame) there.
 * Comes back as cg_arch_resume does: through cg_arch_suspend, or here at
 * cg_arch_entry_return when the entry returns: {CG_SWITCH_FINISHED, 0}.
 */
        .globl  cg_arch_start
        .type   cg_arch_start, @function
        .p2align 4
cg_arch_start:
        .cfi_startproc
        SAVE_RESUMER                            /* rsp = S */
        mov     %rsp, %rax                      /* rax = S ... */
        sub     %rcx, %rax                      /* ... minus the headroom, */
        and     $-16, %rax                      /* aligned down to 16, */
        sub     $(CG_LINK_SIZE + 8), %rax       /* minus the link: the slice top, 8 mod 16 */
        mov     %rax, CG_CONTROL_SLICE_TOP(%rdi) /* the home is fixed from now on */
        mov     %rsp, %rcx                      /* rcx = S */
        lea     CG_LINK_RESUMER_SP(%rax), %rsp  /* rsp = &link.resumer_sp (below S) */
        mov     %rcx, (%rsp)                    /* link: S */
        /* From here the resumer's frame is found through the link:
         * CFA = *(rsp) + CG_RESUMER_FRAME_SIZE, DW_CFA_def_cfa_expression
         * { DW_OP_breg7 (rsp) 0; DW_OP_deref; DW_OP_plus_uconst 64 }. Every
         * frame of the generator ends here, so unwinders continue through
         * it into whichever resumer the link names. */
        .cfi_escape 0x0f, 0x05, 0x77, 0x00, 0x06, 0x23, CG_RESUMER_FRAME_SIZE
        call    *%rdx                           /* link: return address; entry(ctl, frame) */
        .globl  cg_arch_entry_return            /* the return address in every link frame: */
        .hidden cg_arch_entry_return            /* backtraces of suspended generators end here */
cg_arch_entry_return:
        mov     (%rsp), %rsp                    /* rsp = link.resumer_sp: S */
        RESUMER_FRAME_CFI
        call    cg_core_entry_returned          /* frames parked by a destroy come back */
        mov     $CG_SWITCH_FINISHED, %eax       /* status: finished */
        xor     %edx, %edx                      /* no payload */
        RETURN_TO_RESUMER %rcx
        .cfi_endproc
        .size   cg_arch_start, .-cg_arch_start

/* -------------------------------------------------------------------------
 * SwitchResult cg_arch_resume(Control* ctl,         rdi
 *                             ResumeFrame* frame);  rsi
 *
 * Resumes a suspended generator whose bookkeeping the core has done: saves
 * the resumer (rsp = S), copies the slice home (itself in the inline case
 * of trampoline.h; else with rsp below both S and the slice bottom,
 * through cg_core_restore_slice(ctl, S)), rewrites the link frame, loads
 * the generator's registers and jumps to where it yielded; its
 * cg_arch_suspend returns `frame`. Returns to the resumer as cg_arch_start
 * does, or {CG_SWITCH_TOO_DEEP, S} if the core refused.
 */
        .globl  cg_arch_resume
        .type   cg_arch_resume, @function
        .p2align 4
cg_arch_resume:
        .cfi_startproc
        SAVE_RESUMER                            /* rsp = S */
        mov     %rsp, %rbp                      /* rbp = S, the CFA's base while rsp moves */
        .cfi_def_cfa_register %rbp
        mov     %rdi, %rbx                      /* rbx = ctl */
        mov     %rsi, %r12                      /* r12 = frame */
        mov     CG_CONTROL_SLICE_TOP(%rdi), %r13 /* r13 = slice top */
        mov     CG_CONTROL_SLICE_SIZE(%rdi), %eax /* rax = slice size */
        mov     %r13, %r14                      /* r14 = slice top ... */
        sub     %rax, %r14                      /* ... minus the size: the slice bottom */
        lea     CG_LINK_SIZE(%r13), %rcx        /* rcx = the home's top */
        cmp     %rcx, %rbp                      /* does the resumer reach into the home? */
        jb      .Lrestore_by_core               /* yes: the core parks or refuses */
        cmpb    $0, cg_core_copies_every_slice(%rip) /* does the core copy every slice? */
        jne     .Lrestore_by_core
        cmpl    $CG_INLINE_CAPACITY, CG_CONTROL_CAPACITY(%rdi) /* slice in a heap buffer? */
        ja      .Lrestore_by_core
        mov     %r14, %rsp                      /* rsp = the slice bottom, below the copy */
        lea     CG_CONTROL_INLINE_BYTES(%rdi), %rdx /* rdx = the inline bytes */
        COPY_SMALL_SLICE %rdx, %r14, %rax       /* slice back home */
        jmp     .Lrestored
.Lrestore_by_core:
        mov     %r14, %rax                      /* rax = the slice bottom, */
        cmp     %rsp, %rax                      /* or S if that is lower */
        cmova   %rsp, %rax
        and     $-16, %rax                      /* aligned for the call */
        mov     %rax, %rsp                      /* rsp below all the core writes */
        mov     %rbp, %rsi                      /* 2nd argument: S; 1st: ctl, still in rdi */
        call    cg_core_restore_slice           /* bool (Control*, char* resumer_sp) */
        .cfi_remember_state
        test    %al, %al                        /* refused? */
        jz      .Lrefused
.Lrestored:
        mov     %rbp, CG_LINK_RESUMER_SP(%r13)  /* link: S */
        lea     cg_arch_entry_return(%rip), %rax
        mov     %rax, CG_LINK_RETURN(%r13)      /* link: where the entry returns */
        mov     %rbp, %rdx                      /* rdx = S, the CFA's base from here on */
        .cfi_def_cfa_register %rdx
        mov     %rbx, %rcx                      /* rcx = ctl */
        mov     %r12, %rax                      /* the generator's cg_arch_suspend returns `frame` */
        mov     %r14, %rsp                      /* rsp = the slice bottom */
        LOAD_GENERATOR %rcx
        pop     %rcx                            /* generator's return address */
        jmp     *%rcx                           /* into the generator */
.Lrefused:
        .cfi_restore_state
        mov     %rbp, %rsp                      /* rsp = S */
        .cfi_def_cfa_register %rsp
        mov     $CG_SWITCH_TOO_DEEP, %eax       /* status: too deep */
        mov     %rsp, %rdx                      /* payload: S */
        RETURN_TO_RESUMER %rcx
        .cfi_endproc
        .size   cg_arch_resume, .-cg_arch_resume

/* -------------------------------------------------------------------------
 * ResumeFrame* cg_arch_suspend(Control* ctl,        rdi
 *                              ResumeFrame* frame); rsi
 *
 * Called by the running generator, whose bookkeeping the core has done,
 * `frame` being the resume to return to. Copies the slice [our return
 * address, slice top) out: itself if it is the inline case of trampoline.h,
 * else through cg_core_save_slice(ctl, bottom, frame), which also hands
 * the yielded value over (that may throw: nothing has changed then); either
 * gives S. Then the generator's registers go to the control block and the
 * resumer gets {CG_SWITCH_YIELDED, -}. When the generator is resumed,
 * returns that resume's ResumeFrame. If the slice buffer could not grow,
 * returns null having changed nothing.
 */
        .globl  cg_arch_suspend
        .type   cg_arch_suspend, @function
        .p2align 4
cg_arch_suspend:
        .cfi_startproc
        cmpb    $0, cg_core_copies_every_slice(%rip) /* does the core copy every slice? */
        jne     .Lsave_by_core
        cmpq    $0, CG_FRAME_DELIVER(%rsi)      /* a value to deliver? */
        jne     .Lsave_by_core
        cmpl    $CG_INLINE_CAPACITY, CG_CONTROL_CAPACITY(%rdi) /* a heap buffer? */
        ja      .Lsave_by_core
        mov     CG_CONTROL_SLICE_TOP(%rdi), %rax /* rax = slice top */
        mov     %rax, %rcx                      /* rcx = slice top ... */
        sub     %rsp, %rcx                      /* ... minus our return address: the size */
        cmp     $CG_INLINE_CAPACITY, %rcx       /* does it fit the inline bytes? */
        ja      .Lsave_by_core
        mov     %ecx, CG_CONTROL_SLICE_SIZE(%rdi) /* slice size */
        lea     CG_CONTROL_INLINE_BYTES(%rdi), %rdx /* rdx = the inline bytes */
        COPY_SMALL_SLICE %rsp, %rdx, %rcx       /* slice out */
        mov     CG_LINK_RESUMER_SP(%rax), %rax  /* rax = S, from the link */
        jmp     .Lsaved
.Lsave_by_core:
        push    %rdi                            /* keep ctl; rsp is 16-aligned now */
        .cfi_adjust_cfa_offset 8
        mov     %rsi, %rdx                      /* 3rd argument: frame */
        lea     8(%rsp), %rsi                   /* 2nd argument: the slice bottom, our return address */
        call    cg_core_save_slice              /* char* (Control*, char* bottom, ResumeFrame*): S, or null */
        pop     %rdi                            /* ctl */
        .cfi_adjust_cfa_offset -8
        test    %rax, %rax                      /* saved? */
        jnz     .Lsaved
        ret                                     /* no: null, the generator goes on */
.Lsaved:
        SAVE_GENERATOR %rdi
        mov     %rax, %rsp                      /* leave the home: rsp = S */
        RESUMER_FRAME_CFI
        xor     %eax, %eax                      /* status: yielded; rdx: no payload */
        RETURN_TO_RESUMER %rcx
        .cfi_endproc
        .size   cg_arch_suspend, .-cg_arch_suspend

        /* No executable stack; no CET property is claimed. */
        .section .note.GNU-stack, "", @progbits
