/*
 * switch.S - the amd64 (System V) trampoline of cg: what a switch between a
 * generator and its resumer must do in assembly, and nothing more. Layout:
 * frame_layout.h; contract with the portable core: src/trampoline.h.
 *
 *   cg_arch_start    first resume: fix the home, call the generator's entry
 *   cg_arch_resume   copy the slice back home and jump into it
 *   cg_arch_suspend  copy the slice out and jump back to the resumer
 *   cg_arch_finish   the end of the entry: back to the resumer, finished
 *   cg_arch_suspend_receiving
 *                    the same, and when resumed, return the word received
 *   cg_arch_return_value, cg_arch_return_status
 *                    return a word without `ret` (the end of cg_invoke, cg_resume)
 *
 * Saved: rbx, rbp, r12-r15 and the control bits of MXCSR and the x87
 * control word, callee-saved by the ABI: the resumer's on its stack, the
 * generator's in its control block. Not saved: the other registers and the
 * FP status flags (dead across the call that switches), the signal mask
 * and TLS (the thread's), errno and the C++ exception state (the core's).
 *
 * At every instruction: nothing below rsp is written or read (rsp moves
 * below a range before it is used: a signal may arrive anywhere and
 * overwrite what lies below rsp); and a switch ends with `jmp *reg`, never
 * a `ret` into the other side, which would mispredict on the return stack
 * buffer on every switch.
 */

#include "trampoline.h"
#include "frame_layout.h"
#include "macro_contracts.inc" /* NOT_AMONG */

/* At the end of a generator, rbp names the resumer's saved rbp and its
 * return address above it, as a frame record does. */
.if CG_RESUMER_RBP + 8 != CG_RESUMER_FRAME_SIZE - 8
.error "switch.S takes the resumer's saved rbp and return address for a frame record"
.endif

/* The resumer's registers below its return address: rsp becomes S, 16-byte
 * aligned (cg_arch_resumer_frame). */
.macro SAVE_RESUMER
        .irp saved, %rbp, %rbx, %r12, %r13, %r14, %r15
        push    \saved                          /* one of the resumer's callee-saved registers */
        .cfi_adjust_cfa_offset 8
        .cfi_rel_offset \saved, 0
        .endr
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

/* Load the x87 control word at \wanted(\wbase) unless the one in force,
 * in the 16-bit register \current, equals it. Both were stored by fnstcw,
 * and a 2-byte load takes them from the store buffer faster than fldcw
 * loads even an unchanged word (0.5 ns a round trip). MXCSR has no such
 * shortcut: reading back stmxcsr's store stalls. */
.macro LOAD_X87_CONTROL wanted, wbase, current
        cmp     \current, \wanted(\wbase)       /* the wanted one the same? */
        je      .Lx87_kept\@                    /* yes: nothing to load */
        fldcw   \wanted(\wbase)                 /* no: load it */
.Lx87_kept\@:
.endm

/* With rsp = S, the resumer's FP control words in force: its other
 * registers back, and a jump through \scratch to its return address; rax
 * and rdx (the result) are kept. */
.macro RETURN_TO_RESUMER scratch
        NOT_AMONG \scratch, "RETURN_TO_RESUMER: rax and rdx hold the result", %rax, %rdx
        add     $8, %rsp                        /* past the FP control words */
        .cfi_adjust_cfa_offset -8
        .irp saved, %r15, %r14, %r13, %r12, %rbx, %rbp
        pop     \saved                          /* one of the resumer's callee-saved registers */
        .cfi_adjust_cfa_offset -8
        .cfi_restore \saved
        .endr
        pop     \scratch                        /* resumer's return address */
        .cfi_adjust_cfa_offset -8
        .cfi_register %rip, \scratch
        jmp     *\scratch                       /* return without `ret` (see top) */
.endm

/* Copy \size bytes (16, 32, 48 or 64) from the address in \from to the
 * one in \to through r8-r11, which none of the three may be, in 8-byte
 * words: the lowest 16 bytes and the highest 16, then, above 32, the 16
 * above the lowest and the 16 below the highest (copies overlap where
 * \size is smaller). Words, not wider: they were just stored one by one,
 * and a wider load spanning two such stores would wait for them instead of
 * taking them from the store buffer. */
.macro COPY_SMALL_SLICE from, to, size
        NOT_AMONG \from, "COPY_SMALL_SLICE: the source is in a register it clobbers", %r8, %r9, %r10, %r11
        NOT_AMONG \to, "COPY_SMALL_SLICE: the destination is in a register it clobbers", %r8, %r9, %r10, %r11
        NOT_AMONG \size, "COPY_SMALL_SLICE: the size is in a register it clobbers", %r8, %r9, %r10, %r11
        mov     (\from), %r8                    /* the lowest word, */
        mov     8(\from), %r9                   /* the second, */
        mov     -16(\from,\size), %r10          /* the one below the highest */
        mov     -8(\from,\size), %r11           /* and the highest, */
        mov     %r8, (\to)                      /* each stored */
        mov     %r9, 8(\to)                     /* where it goes */
        mov     %r10, -16(\to,\size)          /* (the same words */
        mov     %r11, -8(\to,\size)           /* when \size is 16) */
        cmp     $32, \size                      /* more than 32 bytes? */
        jbe     .Lcopied\@                      /* no: copied */
        mov     16(\from), %r8                  /* the third word, */
        mov     24(\from), %r9                  /* the fourth, */
        mov     -32(\from,\size), %r10          /* the fourth from the top */
        mov     -24(\from,\size), %r11          /* and the third from the top, */
        mov     %r8, 16(\to)                    /* each stored */
        mov     %r9, 24(\to)                    /* where it goes */
        mov     %r10, -32(\to,\size)          /* (the same words */
        mov     %r11, -24(\to,\size)          /* when \size is 48) */
.Lcopied\@:
.endm

/* The running generator's registers into its control block at \ctl. */
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

/* A suspended generator's registers from its control block at \ctl, in a
 * register not loaded, but for the x87 control word (LOAD_X87_CONTROL). */
.macro LOAD_GENERATOR ctl
        NOT_AMONG \ctl, "LOAD_GENERATOR: ctl is loaded over", %rbx, %rbp, %r12, %r13, %r14, %r15
        ldmxcsr CG_CONTROL_REGISTERS+CG_REGISTERS_MXCSR(\ctl) /* generator's MXCSR */
        mov     CG_CONTROL_REGISTERS+CG_REGISTERS_RBX(\ctl), %rbx /* generator's rbx */
        mov     CG_CONTROL_REGISTERS+CG_REGISTERS_RBP(\ctl), %rbp /* generator's rbp */
        mov     CG_CONTROL_REGISTERS+CG_REGISTERS_R12(\ctl), %r12 /* generator's r12 */
        mov     CG_CONTROL_REGISTERS+CG_REGISTERS_R13(\ctl), %r13 /* generator's r13 */
        mov     CG_CONTROL_REGISTERS+CG_REGISTERS_R14(\ctl), %r14 /* generator's r14 */
        mov     CG_CONTROL_REGISTERS+CG_REGISTERS_R15(\ctl), %r15 /* generator's r15 */
.endm

/* The body of a suspend: entered (called or jumped to) with the suspend's
 * return address at rsp, the slice's lowest word, ctl in rdi and frame in
 * rsi. Copies the slice [rsp, slice top) out: itself in the small case of
 * trampoline.h, else through cg_core_save_slice, which also hands the value
 * over (that may throw: nothing has changed then). Saves the generator's
 * registers, records \receives as how it goes on when resumed (1: with the
 * word received, see cg_arch_resume), and returns {CG_SWITCH_YIELDED, -}
 * to the resumer. If the slice buffer could not grow (nothing has changed):
 * with \receives 0 returns null, with 1 jumps to no_room, which must be
 * in rdx at entry (kept below the slice across the core's call). */
.macro SUSPEND receives
.if (\receives != 0) && (\receives != 1)
        .error "SUSPEND: receives is 0 or 1"
.endif
        cmpb    $0, cg_core_copies_every_slice(%rip) /* does the core copy every slice? */
        jne     .Lsave_by_core\@                /* yes */
        cmpq    $0, CG_FRAME_DELIVER(%rsi)      /* a value to deliver? */
        jne     .Lsave_by_core\@                /* yes: the core delivers it */
        mov     CG_CONTROL_SLICE_TOP(%rdi), %rax /* rax = slice top */
        mov     %rax, %rcx                      /* rcx = slice top ... */
        sub     %rsp, %rcx                      /* ... minus the return address's place: the size */
        cmp     $CG_SMALL_SLICE, %rcx           /* a small slice? */
        ja      .Lsave_by_core\@                /* no: the core copies it */
        cmpb    $0, CG_CONTROL_HEAP_BUFFER(%rdi) /* is the buffer on the heap? */
        jne     .Lsave_heap\@                   /* yes */
        cmp     $CG_INLINE_CAPACITY, %rcx       /* do the inline bytes (which never shrink) hold it? */
        ja      .Lsave_by_core\@                /* no: the core finds a heap buffer */
        lea     CG_CONTROL_INLINE_BYTES(%rdi), %rdx /* rdx = the inline bytes */
        jmp     .Lsave_small\@                  /* (no jump to the core after rdx is set) */
.Lsave_heap\@:
        mov     CG_CONTROL_INLINE_BYTES+CG_HEAP_BUFFER_CAPACITY(%rdi), %r8d /* r8 = its capacity */
        cmp     %r8, %rcx                       /* does it hold the slice? */
        ja      .Lsave_by_core\@                /* no: the core grows it */
        lea     (,%rcx,4), %r9                  /* r9 = four times the size */
        cmp     %r8, %r9                        /* a quarter of the heap buffer or less? */
        jbe     .Lsave_by_core\@                /* yes: the core may shrink it */
        mov     CG_CONTROL_INLINE_BYTES+CG_HEAP_BUFFER_ADDRESS(%rdi), %rdx /* rdx = the heap buffer */
.Lsave_small\@:
        mov     %ecx, CG_CONTROL_SLICE_SIZE(%rdi) /* slice size */
        COPY_SMALL_SLICE %rsp, %rdx, %rcx       /* slice out */
        mov     CG_LINK_RESUMER_SP(%rax), %rax  /* rax = S, from the link */
        jmp     .Lsaved\@                       /* saved */
.Lsave_by_core\@:
        push    %rdi                            /* keep ctl */
        .cfi_adjust_cfa_offset 8
.if \receives
        push    %rdx                            /* keep no_room */
        .cfi_adjust_cfa_offset 8
        sub     $8, %rsp                        /* rsp 16-aligned for the call */
        .cfi_adjust_cfa_offset 8
        mov     %rsi, %rdx                      /* 3rd argument: frame */
        lea     24(%rsp), %rsi                  /* 2nd argument: the slice bottom, the return address */
        call    cg_core_save_slice              /* char* (Control*, char* bottom, ResumeFrame*): S, or null */
        add     $8, %rsp                        /* past the alignment */
        .cfi_adjust_cfa_offset -8
        pop     %rdx                            /* no_room */
        .cfi_adjust_cfa_offset -8
        pop     %rdi                            /* ctl */
        .cfi_adjust_cfa_offset -8
        test    %rax, %rax                      /* saved? */
        jnz     .Lsaved\@                       /* yes */
        jmp     *%rdx                           /* no: no_room(), which does not return */
.else
        mov     %rsi, %rdx                      /* 3rd argument: frame; rsp is 16-aligned */
        lea     8(%rsp), %rsi                   /* 2nd argument: the slice bottom, the return address */
        call    cg_core_save_slice              /* char* (Control*, char* bottom, ResumeFrame*): S, or null */
        pop     %rdi                            /* ctl */
        .cfi_adjust_cfa_offset -8
        test    %rax, %rax                      /* saved? */
        jnz     .Lsaved\@                       /* yes */
        ret                                     /* no: null, the generator goes on */
.endif
.Lsaved\@:
        SAVE_GENERATOR %rdi                     /* the generator's registers */
        movw    $\receives, CG_CONTROL_REGISTERS+CG_REGISTERS_RECEIVES(%rdi) /* how it goes on */
        mov     %rax, %rsp                      /* leave the home: rsp = S */
        RESUMER_FRAME_CFI                       /* unwinding: from the resumer's call */
        ldmxcsr CG_RESUMER_MXCSR(%rsp)          /* resumer's MXCSR */
        movzwl  CG_CONTROL_REGISTERS+CG_REGISTERS_X87CW(%rdi), %r8d /* the generator's x87 control word */
        LOAD_X87_CONTROL CG_RESUMER_X87CW, %rsp, %r8w
        mov     $CG_SWITCH_YIELDED, %eax        /* status: yielded; rdx: no payload */
        RETURN_TO_RESUMER %rcx                  /* its registers back, into its code */
.endm

        .text

/* SwitchResult cg_arch_start(Control* ctl rdi, ResumeFrame* frame rsi,
 *                            EntryFn entry rdx, size_t headroom rcx);
 *
 * First resume: fixes the home (its top `headroom` bytes below S, rounded
 * down to 8 mod 16), builds the link frame and calls entry(ctl, frame)
 * below it. Returns through cg_arch_suspend as cg_arch_resume does, or
 * when the entry ends (through cg_arch_finish, or by returning to
 * cg_arch_entry_return): {CG_SWITCH_FINISHED, 0}. */
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
        /* CFA = *rsp + 64, the resumer the link names: unwinders go on into it from
         * the generator's frames (def_cfa_expression: breg7 0, deref, plus_uconst). */
        .cfi_escape 0x0f, 0x05, 0x77, 0x00, 0x06, 0x23, CG_RESUMER_FRAME_SIZE
        call    *%rdx                           /* link: return address; entry(ctl, frame) */
        .globl  cg_arch_entry_return            /* the return address in every link frame: */
        .hidden cg_arch_entry_return            /* backtraces of suspended generators end here */
cg_arch_entry_return:
        mov     (%rsp), %rsp                    /* rsp = link.resumer_sp: S */
        RESUMER_FRAME_CFI                       /* unwinding: from the resumer's call */
.Lfinished:                                     /* (cg_arch_finish joins here, rsp = S) */
        lea     CG_RESUMER_RBP(%rsp), %rbp      /* rbp = the resumer's {rbp, return address}: a frame record */
        call    cg_core_entry_returned          /* frames parked by a destroy come back */
        ldmxcsr CG_RESUMER_MXCSR(%rsp)          /* resumer's MXCSR */
        fldcw   CG_RESUMER_X87CW(%rsp)          /* resumer's x87 control word */
        mov     $CG_SWITCH_FINISHED, %eax       /* status: finished */
        xor     %edx, %edx                      /* no payload */
        RETURN_TO_RESUMER %rcx                  /* its registers back, into its code */
        .cfi_endproc
        .size   cg_arch_start, .-cg_arch_start

/* void cg_arch_finish(Control* ctl rdi);
 *
 * The end of a generator's entry, instead of its return (trampoline.h):
 * from S, read in the link frame, as at cg_arch_entry_return. Does not
 * return. */
        .globl  cg_arch_finish
        .hidden cg_arch_finish                  /* called by the core only */
        .type   cg_arch_finish, @function
        .p2align 4
cg_arch_finish:
        .cfi_startproc
        mov     CG_CONTROL_SLICE_TOP(%rdi), %rax /* rax = the link frame */
        mov     CG_LINK_RESUMER_SP(%rax), %rsp  /* rsp = link.resumer_sp: S */
        RESUMER_FRAME_CFI                       /* unwinding: from the resumer's call */
        jmp     .Lfinished                      /* finished, as the entry's return would be */
        .cfi_endproc
        .size   cg_arch_finish, .-cg_arch_finish

/* SwitchResult cg_arch_resume(Control* ctl rdi, ResumeFrame* frame rsi);
 *
 * Saves the resumer (rsp = S), copies the slice home (itself in the small
 * case of trampoline.h, else through cg_core_restore_slice with rsp below
 * S and the slice), rewrites the link frame and jumps to where the
 * generator yielded: its cg_arch_suspend returns `frame`. Returns as
 * cg_arch_start does, or {CG_SWITCH_TOO_DEEP, S} if the core refused.
 * What it needs from S is read first: a slice restored over frames the
 * core parked (a destroy from deep down) overwrites S. */
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
        movzwl  CG_RESUMER_X87CW(%rsp), %r15d   /* r15 = the x87 control word in force */
        mov     CG_CONTROL_SLICE_TOP(%rdi), %r13 /* r13 = slice top */
        mov     CG_CONTROL_SLICE_SIZE(%rdi), %eax /* rax = slice size */
        mov     %r13, %r14                      /* r14 = slice top ... */
        sub     %rax, %r14                      /* ... minus the size: the slice bottom */
        lea     CG_LINK_SIZE(%r13), %rcx        /* rcx = the home's top */
        cmp     %rcx, %rbp                      /* does the resumer reach into the home? */
        jb      .Lrestore_by_core               /* yes: the core parks or refuses */
        cmpb    $0, cg_core_copies_every_slice(%rip) /* does the core copy every slice? */
        jne     .Lrestore_by_core               /* yes */
        cmp     $CG_SMALL_SLICE, %eax           /* a small slice? */
        ja      .Lrestore_by_core               /* no: the core copies it */
        lea     CG_CONTROL_INLINE_BYTES(%rdi), %rdx /* rdx = the inline bytes ... */
        cmpb    $0, CG_CONTROL_HEAP_BUFFER(%rdi) /* ... unless on the heap: */
        je      .Lrestore_small                 /* (inline) */
        mov     CG_HEAP_BUFFER_ADDRESS(%rdx), %rdx /* rdx = the heap buffer they name */
.Lrestore_small:
        mov     %r14, %rsp                      /* rsp = the slice bottom, below the copy */
        COPY_SMALL_SLICE %rdx, %r14, %rax       /* slice back home */
        jmp     .Lrestored                      /* restored */
.Lrestore_by_core:
        mov     %r14, %rax                      /* rax = the slice bottom ... */
        cmp     %rsp, %rax                      /* ... or S if that is lower: */
        cmova   %rsp, %rax                      /* the lowest byte the core may write */
        and     $-16, %rax                      /* aligned for the call */
        mov     %rax, %rsp                      /* rsp below all the core writes */
        mov     %rbp, %rsi                      /* 2nd argument: S; 1st: ctl, still in rdi */
        call    cg_core_restore_slice           /* bool (Control*, char* resumer_sp) */
        .cfi_remember_state
        test    %al, %al                        /* refused? */
        jz      .Lrefused                       /* yes: the resumer is too deep */
.Lrestored:
        mov     %rbp, CG_LINK_RESUMER_SP(%r13)  /* link: S */
        lea     cg_arch_entry_return(%rip), %rax /* rax = the entry call's return address ... */
        mov     %rax, CG_LINK_RETURN(%r13)      /* ... into the link */
        mov     %rbp, %rdx                      /* rdx = S, the CFA's base from here on */
        .cfi_def_cfa_register %rdx
        mov     %rbx, %rcx                      /* rcx = ctl */
        mov     %r12, %rax                      /* the generator's cg_arch_suspend returns `frame` */
        mov     %r14, %rsp                      /* rsp = the slice bottom */
        LOAD_X87_CONTROL CG_CONTROL_REGISTERS+CG_REGISTERS_X87CW, %rcx, %r15w
        LOAD_GENERATOR %rcx                     /* the generator's other registers */
        cmpw    $0, CG_CONTROL_REGISTERS+CG_REGISTERS_RECEIVES(%rcx) /* does its suspend return a word? */
        je      .Lresumed                       /* no: `frame` */
        mov     CG_FRAME_SENT(%rax), %rax       /* yes: rax = where the resume put what it sends, */
        mov     (%rax), %rax                    /* and the word itself */
.Lresumed:
        pop     %rcx                            /* generator's return address */
        jmp     *%rcx                           /* into the generator */
.Lrefused:
        .cfi_restore_state
        mov     %rbp, %rsp                      /* rsp = S */
        .cfi_def_cfa_register %rsp
        mov     $CG_SWITCH_TOO_DEEP, %eax       /* status: too deep; its FP control words in force */
        mov     %rsp, %rdx                      /* payload: S */
        RETURN_TO_RESUMER %rcx                  /* its registers back, into its code */
        .cfi_endproc
        .size   cg_arch_resume, .-cg_arch_resume

/* ResumeFrame* cg_arch_suspend(Control* ctl rdi, ResumeFrame* frame rsi);
 *
 * Called by the running generator; `frame` is the resume to return to.
 * SUSPEND 0 from its return address. Returns, when resumed, that resume's
 * ResumeFrame; or null at once if the slice buffer could not grow
 * (nothing has changed). */
        .globl  cg_arch_suspend
        .type   cg_arch_suspend, @function
        .p2align 4
cg_arch_suspend:
        .cfi_startproc
        SUSPEND 0
        .cfi_endproc
        .size   cg_arch_suspend, .-cg_arch_suspend

/* uintptr_t cg_arch_suspend_receiving(Control* ctl rdi, ResumeFrame* frame rsi,
 *                                     void (*no_room)() rdx);
 *
 * cg_arch_suspend for a yield that receives a word (trampoline.h), which
 * its caller tail-calls: SUSPEND 1 from the caller's return address, so
 * that neither leaves a frame in the slice (the minimal C generator's is
 * 32 bytes, the inline bytes). When resumed, cg_arch_resume hands
 * *frame->sent straight to that caller, with `jmp` as every switch; if
 * the slice buffer could not grow, jumps to no_room. */
        .globl  cg_arch_suspend_receiving
        .hidden cg_arch_suspend_receiving       /* called by the core only */
        .type   cg_arch_suspend_receiving, @function
        .p2align 4
cg_arch_suspend_receiving:
        .cfi_startproc
        SUSPEND 1
        .cfi_endproc
        .size   cg_arch_suspend_receiving, .-cg_arch_suspend_receiving

/* uintptr_t cg_arch_return_value(uintptr_t value rdi);
 * int cg_arch_return_status(int status edi);
 *
 * Returns `value` to its caller with `jmp`, not `ret` (trampoline.h). The
 * C API's cg_invoke ends with a tail call to it, so that the jump lands in
 * cg_invoke's caller: a `ret` there, the first after the switch back,
 * would pop the generator's entry from the return stack and be
 * mispredicted, while this jump, to the same place at every call from one
 * loop, is predicted by its branch history. */
        .globl  cg_arch_return_value
        .hidden cg_arch_return_value            /* called by the core only */
        .type   cg_arch_return_value, @function
        .globl  cg_arch_return_status
        .hidden cg_arch_return_status           /* called by the core only */
        .type   cg_arch_return_status, @function
        .p2align 4
cg_arch_return_value:
cg_arch_return_status:
        .cfi_startproc
        mov     %rdi, %rax                      /* the result: value (or status, in eax) */
        pop     %rcx                            /* our return address */
        .cfi_adjust_cfa_offset -8
        .cfi_register %rip, %rcx
        jmp     *%rcx                           /* return without `ret` (see above) */
        .cfi_endproc
        .size   cg_arch_return_value, .-cg_arch_return_value
        .size   cg_arch_return_status, .-cg_arch_return_status

        /* No executable stack; no CET property is claimed. */
        .section .note.GNU-stack, "", @progbits
