/*
 * switch.S - the amd64 (System V) trampoline of cg.
 *
 * A generator runs on its resumer's stack, in a fixed range called its home
 * (picture and offsets: frame_layout.h). Four routines move it between its
 * home and its slice buffer on the heap:
 *
 *   cg_arch_start             first resume: fix the home, call the entry
 *   cg_arch_resume            copy the slice back home and jump into it
 *   cg_arch_yield             check the yield is the common one, then ...
 *   cg_arch_suspend           copy the slice out and jump back to the resumer
 *   cg_arch_resume_displaced  resume for unwinding when the resumer's own
 *                             frames reach into the home: park them first
 *
 * What is saved:
 *   - rbx, rbp, r12-r15 (callee-saved): the resumer's are pushed on its own
 *     stack, the generator's go into its control block.
 *   - MXCSR and the x87 control word, whose control bits are callee-saved
 *     by the ABI: each side keeps its own. Each switch saves the outgoing
 *     side's first and loads the incoming side's last, without comparing.
 *     Measured on the Zen 5 guest this was tuned on: comparing stalls on
 *     reading back what stmxcsr stored (about 5.7 ns, and 2.6 ns more per
 *     round trip than loading unconditionally), while loading an unchanged
 *     value costs 0.55 ns. Only a real change of mode is slow (ldmxcsr 14
 *     ns, fldcw 50 ns), paid only by the switch after a side changed it.
 *     All of it costs about 2 ns of a round trip.
 * What is not saved, and why:
 *   - rax, rcx, rdx, rsi, rdi, r8-r11, all vector registers, the MXCSR and
 *     x87 status flags: caller-saved, dead across the call that switches.
 *   - The signal mask and thread-local storage: they belong to the thread,
 *     and a generator never leaves its thread.
 *   - The C++ exception-handling globals: the C++ core swaps them.
 *
 * Two rules hold at every instruction:
 *   - Nothing is written to the stack below rsp: before a slice is copied
 *     into the home, rsp is moved to the slice bottom. A signal handler,
 *     which the kernel runs below rsp, can then never overwrite a byte being
 *     copied, and it can arrive at any instruction.
 *   - Switches end with `jmp *reg`, never `ret` into the other side: a `ret`
 *     would mispredict on the return stack buffer on both switches of every
 *     round trip.
 *
 * Slices are [generator sp at yield, slice top). Both ends are 8 mod 16, so
 * a slice is a multiple of 16 bytes and is copied in 16-byte units.
 *
 * cg_arch_start, cg_arch_resume and cg_arch_yield are exported: the inline
 * hot path in cg/detail/runtime.hpp calls them from the user's code.
 */

#include "frame_layout.h"

/* ---------------------------------------------------------------- macros */

/* Push the resumer's callee-saved registers and FP control state below its
 * return address (CG_RESUMER_* layout), with CFI for each push. */
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

/* CFI for code running with rsp at a saved resumer sp: the frame being
 * described is the resumer's call into the trampoline. */
.macro RESUMER_FRAME_CFI
        .cfi_def_cfa %rsp, CG_RESUMER_FRAME_SIZE
        .cfi_offset %rbp, CG_RESUMER_RBP - CG_RESUMER_FRAME_SIZE
        .cfi_offset %rbx, CG_RESUMER_RBX - CG_RESUMER_FRAME_SIZE
        .cfi_offset %r12, CG_RESUMER_R12 - CG_RESUMER_FRAME_SIZE
        .cfi_offset %r13, CG_RESUMER_R13 - CG_RESUMER_FRAME_SIZE
        .cfi_offset %r14, CG_RESUMER_R14 - CG_RESUMER_FRAME_SIZE
        .cfi_offset %r15, CG_RESUMER_R15 - CG_RESUMER_FRAME_SIZE
.endm

/* Give the generator (control block in rdi) its own FP control state
 * (see the top of this file for why without comparing). */
.macro LOAD_GENERATOR_FP
        ldmxcsr CG_CONTROL_MXCSR(%rdi)          /* generator's MXCSR */
        fldcw   CG_CONTROL_X87CW(%rdi)          /* generator's x87 control word */
.endm

/* With rsp at the saved resumer sp: give the resumer its FP control state
 * back (see the top of this file for why without comparing). */
.macro LOAD_RESUMER_FP
        ldmxcsr CG_RESUMER_MXCSR(%rsp)          /* resumer's MXCSR */
        fldcw   CG_RESUMER_X87CW(%rsp)          /* resumer's x87 control word */
.endm

/* Load the generator's callee-saved registers from its control block (rdi). */
.macro LOAD_GENERATOR_REGISTERS
        mov     CG_CONTROL_RBX(%rdi), %rbx      /* generator's rbx */
        mov     CG_CONTROL_RBP(%rdi), %rbp      /* generator's rbp */
        mov     CG_CONTROL_R12(%rdi), %r12      /* generator's r12 */
        mov     CG_CONTROL_R13(%rdi), %r13      /* generator's r13 */
        mov     CG_CONTROL_R14(%rdi), %r14      /* generator's r14 */
        mov     CG_CONTROL_R15(%rdi), %r15      /* generator's r15 */
.endm

/* r9 = the offset of this thread's cg state (struct ThreadState) from %fs:
 * the initial-exec TLS model, as the C++ side declares it. */
.macro THREAD_STATE
        movq    cg_thread_state@gottpoff(%rip), %r9 /* offset of cg_thread_state in %fs */
.endm

/* The bookkeeping of a switch into the generator (control block rdi, frame
 * rsi, THREAD_STATE in r9): the frame becomes this thread's innermost
 * resume; the resumer's C++ exception state and errno are set aside in it;
 * the generator gets its own errno back (a new one: its resumer's) and an
 * empty exception state (a yield that kept one restores it). Clobbers r10,
 * r11. */
.macro ENTER_GENERATOR
        mov     %fs:CG_THREAD_CURRENT(%r9), %r10 /* the innermost resume so far ... */
        mov     %r10, CG_FRAME_OUTER(%rsi)      /* ... is outer to this one */
        mov     %rsi, %fs:CG_THREAD_CURRENT(%r9) /* which is the innermost now */
        mov     %fs:CG_THREAD_EXCEPTIONS(%r9), %r10 /* r10 = the C++ exception globals */
        mov     CG_EXCEPTIONS_CAUGHT(%r10), %r11 /* the resumer's caught exceptions ... */
        mov     %r11, CG_FRAME_RESUMER_EXCEPTIONS+CG_EXCEPTIONS_CAUGHT(%rsi) /* ... set aside */
        mov     CG_EXCEPTIONS_UNCAUGHT(%r10), %r11d /* and its count in flight */
        mov     %r11d, CG_FRAME_RESUMER_EXCEPTIONS+CG_EXCEPTIONS_UNCAUGHT(%rsi)
        movq    $0, CG_EXCEPTIONS_CAUGHT(%r10)  /* the generator starts with none */
        movl    $0, CG_EXCEPTIONS_UNCAUGHT(%r10)
        mov     %fs:CG_THREAD_ERRNO(%r9), %r10  /* r10 = &errno */
        mov     (%r10), %r11d                   /* the resumer's errno ... */
        mov     %r11d, CG_FRAME_RESUMER_ERRNO(%rsi) /* ... set aside */
        mov     CG_CONTROL_SAVED_ERRNO(%rdi), %r11d /* the generator's ... */
        mov     %r11d, (%r10)                   /* ... back */
.endm

/* The bookkeeping of a switch back to the resumer of \frame (control block
 * rdi): the resumer's exception state, errno and innermost resume come back;
 * the generator's errno is kept. Its state changes separately. Clobbers
 * r9-r11. */
.macro LEAVE_GENERATOR frame
        THREAD_STATE
        mov     %fs:CG_THREAD_EXCEPTIONS(%r9), %r10 /* r10 = the C++ exception globals */
        mov     CG_FRAME_RESUMER_EXCEPTIONS+CG_EXCEPTIONS_CAUGHT(\frame), %r11 /* the resumer's ... */
        mov     %r11, CG_EXCEPTIONS_CAUGHT(%r10) /* ... caught exceptions back */
        mov     CG_FRAME_RESUMER_EXCEPTIONS+CG_EXCEPTIONS_UNCAUGHT(\frame), %r11d
        mov     %r11d, CG_EXCEPTIONS_UNCAUGHT(%r10) /* and its count in flight */
        mov     %fs:CG_THREAD_ERRNO(%r9), %r10  /* r10 = &errno */
        mov     (%r10), %r11d                   /* the generator's errno ... */
        mov     %r11d, CG_CONTROL_SAVED_ERRNO(%rdi) /* ... kept */
        mov     CG_FRAME_RESUMER_ERRNO(\frame), %r11d /* the resumer's ... */
        mov     %r11d, (%r10)                   /* ... back */
        mov     CG_FRAME_OUTER(\frame), %r11    /* the resume outer to this one ... */
        mov     %r11, %fs:CG_THREAD_CURRENT(%r9) /* ... is the innermost again */
.endm

/* With rsp at the saved resumer sp and its FP state already restored: pop
 * its registers and return to it, with rax (and rdx) as set by the caller. */
.macro POP_RESUMER_AND_RETURN
        add     $8, %rsp                        /* skip the FP control words */
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
        pop     %rcx                            /* resumer's return address */
        .cfi_adjust_cfa_offset -8
        .cfi_register %rip, %rcx
        jmp     *%rcx                           /* return without `ret` (see top) */
.endm

/* reg = address of the slice bytes of the control block in rdi: the inline
 * bytes, or the heap buffer they point to once the slice outgrew them. */
.macro SLICE_BUFFER reg
        lea     CG_CONTROL_BUFFER(%rdi), \reg   /* the inline bytes */
        cmpl    $CG_INLINE_BUFFER_SIZE, CG_CONTROL_CAPACITY(%rdi) /* outgrown? */
        cmova   (\reg), \reg                    /* then they hold the heap buffer's address */
.endm

/* Copy rcx bytes (a nonzero multiple of 16) from src to dst, two disjoint
 * ranges; src and dst are registers other than rcx and r9-r11. Slices of
 * 16 or 32 bytes, the most common, are copied in 8-byte words: the words
 * were just written one by one (the yield's return address, the frame's
 * pushes), and a 16-byte load spanning two such stores cannot take them
 * from the store buffer but waits for them (0.5 ns more per round trip,
 * measured). Larger slices go to cg_amd64_copy_large. Clobbers rcx,
 * r9-r11, ymm0-ymm4, flags. */
.macro COPY_SLICE src, dst
        cmp     $32, %rcx                       /* more than 32 bytes? */
        ja      .Lcopy_large\@                  /* yes: the loops */
        mov     (\src), %r9                     /* the lowest 16 bytes and ... */
        mov     8(\src), %r10
        mov     -16(\src,%rcx), %r11            /* ... the highest 16 (the same if only 16), */
        mov     %r9, (\dst)                     /* copied */
        mov     %r10, 8(\dst)
        mov     %r11, -16(\dst,%rcx)
        mov     -8(\src,%rcx), %r9
        mov     %r9, -8(\dst,%rcx)
        jmp     .Lcopy_done\@
.Lcopy_large\@:
        mov     \src, %r10                      /* the subroutine's source */
        mov     \dst, %r11                      /* and destination */
        call    cg_amd64_copy_large             /* below rsp: below the slice */
.Lcopy_done\@:
.endm

        .text

/* -------------------------------------------------------------------------
 * SwitchResult cg_arch_start(Control* ctl,          rdi
 *                            ResumeFrame* frame,    rsi
 *                            EntryFn entry,         rdx
 *                            size_t headroom);      rcx
 *
 * First resume, of a generator the library has claimed for this thread
 * (state running). Fixes the home: its top lies `headroom` bytes (rounded
 * to 16) below the resumer's saved registers. Stores the slice top in the
 * control block, does the bookkeeping (ENTER_GENERATOR), builds the link
 * frame, and calls entry(ctl, frame) there. Returns to the resumer through
 * cg_arch_suspend as cg_arch_resume does, or {CG_SWITCH_FINISHED, 0} when
 * entry returns (at .Lgenerator_finished), the generator then finished.
 */
        .globl  cg_arch_start
        .type   cg_arch_start, @function
        .p2align 4
cg_arch_start:
        .cfi_startproc
        SAVE_RESUMER
        THREAD_STATE
        ENTER_GENERATOR
        mov     %rsp, %rax                      /* rax = resumer sp */
        sub     %rcx, %rax                      /* minus the headroom */
        and     $-16, %rax                      /* aligned down to 16 */
        sub     $(CG_LINK_SIZE + 8), %rax       /* rax = slice top; home top = rax + 16 = 8 mod 16 */
        mov     %rax, CG_CONTROL_SLICE_TOP(%rdi) /* the home is fixed from now on */
        mov     %rsp, %rcx                      /* rcx = resumer sp */
        lea     CG_LINK_RESUMER_SP(%rax), %rsp  /* rsp = the link's upper word */
        mov     %rcx, (%rsp)                    /* link: resumer sp */
        /* From here the resumer's frame is found through the link:
         * CFA = *(rsp) + CG_RESUMER_FRAME_SIZE, i.e. DW_CFA_def_cfa_expression
         * { DW_OP_breg7 (rsp) 0; DW_OP_deref; DW_OP_plus_uconst 64 }.
         * The generator's frames return here, so backtraces taken inside it
         * continue into the resumer. */
        .cfi_escape 0x0f, 0x05, 0x77, 0x00, 0x06, 0x23, CG_RESUMER_FRAME_SIZE
        call    *%rdx                           /* link: return address; entry(ctl, frame), rsp = 8 mod 16 */
        .globl  cg_arch_entry_return            /* where every entry returns: a backtrace of a */
        .hidden cg_arch_entry_return            /* suspended generator ends here (src/backtrace.cpp) */
cg_arch_entry_return:
.Lgenerator_finished:
        /* entry returned: the generator has finished. rsp = &link.resumer_sp */
        THREAD_STATE
        mov     %fs:CG_THREAD_CURRENT(%r9), %rsi /* the resume that ran it to its end */
        mov     CG_FRAME_GENERATOR(%rsi), %rdi  /* its generator */
        incl    CG_CONTROL_STATUS(%rdi)         /* state: running -> finished */
        LEAVE_GENERATOR %rsi
        mov     (%rsp), %rsp                    /* back on the resumer's stack */
        RESUMER_FRAME_CFI
        LOAD_RESUMER_FP
        mov     $CG_SWITCH_FINISHED, %eax       /* status: finished */
        xor     %edx, %edx                      /* no stack pointer to report */
        POP_RESUMER_AND_RETURN
        .cfi_endproc
        .size   cg_arch_start, .-cg_arch_start

/* -------------------------------------------------------------------------
 * SwitchResult cg_arch_resume(Control* ctl,         rdi
 *                             ResumeFrame* frame);  rsi
 *
 * Resume a suspended generator of this thread: copy its slice back to the
 * addresses it ran at, do the bookkeeping (ENTER_GENERATOR), rebuild the
 * link frame, and jump to where it yielded; its cg_arch_yield returns
 * `frame`. Returns to the resumer {CG_SWITCH_YIELDED, yielded bits} through
 * cg_arch_suspend, or {CG_SWITCH_FINISHED, 0} if it finishes. Changes
 * nothing and returns {CG_SWITCH_NOT_SUSPENDED, 0} if ctl is null or not a
 * suspended generator of this thread (the library tells why), and
 * {CG_SWITCH_TOO_DEEP, that stack pointer} if the resumer's stack, once its
 * registers are pushed, would reach below the home top.
 */
        .globl  cg_arch_resume
        .type   cg_arch_resume, @function
        .p2align 4
cg_arch_resume:
        .cfi_startproc
        test    %rdi, %rdi                      /* no generator? */
        jz      .Lnot_suspended
        THREAD_STATE
        mov     %fs:CG_THREAD_NUMBER(%r9), %eax /* this thread's number ... */
        shl     $2, %eax                        /* ... as an owner, */
        or      $CG_STATE_SUSPENDED, %eax       /* eax = the status of its suspended generators */
        cmp     %eax, CG_CONTROL_STATUS(%rdi)   /* is this one of them? */
        jne     .Lnot_suspended                 /* no: the library's case */
        mov     CG_CONTROL_SLICE_TOP(%rdi), %r8 /* r8 = slice top */
        lea     CG_LINK_SIZE(%r8), %rcx         /* rcx = home top */
        lea     -CG_RESUMER_SAVE_SIZE(%rsp), %rdx /* rdx = our sp once the resumer is saved */
        cmp     %rcx, %rdx                      /* does the resumer stay above the home? */
        jae     .Lresume_depth_ok               /* yes: go on */
        mov     $CG_SWITCH_TOO_DEEP, %eax       /* no: status too deep, rdx says how deep */
        ret                                     /* nothing was touched */
.Lnot_suspended:
        mov     $CG_SWITCH_NOT_SUSPENDED, %eax  /* the library's case */
        xor     %edx, %edx
        ret                                     /* nothing was touched */
.Lresume_depth_ok:
        SAVE_RESUMER
        inc     %eax                            /* state: suspended -> running */
        mov     %eax, CG_CONTROL_STATUS(%rdi)
        ENTER_GENERATOR
        mov     %rsp, %rdx                      /* rdx = resumer sp, until the jump */
        .cfi_def_cfa_register %rdx              /* CFA = rdx + 64 from here on */
        mov     CG_CONTROL_SLICE_TOP(%rdi), %rax /* rax = slice top */
        mov     CG_CONTROL_SLICE_SIZE(%rdi), %ecx /* rcx = slice size */
        SLICE_BUFFER %r8                        /* r8 = saved slice */
        mov     %rax, %rsp                      /* rsp = slice top ... */
        sub     %rcx, %rsp                      /* ... minus the size: the slice bottom */
        COPY_SLICE %r8, %rsp                    /* slice back home, above rsp */
        mov     %rdx, CG_LINK_RESUMER_SP(%rax)  /* link: resumer sp */
        lea     .Lgenerator_finished(%rip), %rcx /* link: where the entry returns */
        mov     %rcx, CG_LINK_RETURN(%rax)
        LOAD_GENERATOR_FP
        LOAD_GENERATOR_REGISTERS
        mov     %rsi, %rax                      /* the generator's yield returns `frame` */
        pop     %rcx                            /* generator's return address */
        jmp     *%rcx                           /* into the generator */
        .cfi_endproc
        .size   cg_arch_resume, .-cg_arch_resume

/* -------------------------------------------------------------------------
 * ResumeFrame* cg_arch_yield(Control* ctl,          rdi
 *                            DeliverFn deliver,     rsi
 *                            uintptr_t value);      rdx
 *
 * Called by the running generator. Finds the resume that continues it
 * (this thread's innermost, in cg_thread_state) and, in the common case of
 * a generator yielding to its own resumer, not being destroyed and holding
 * no caught exception, is cg_arch_suspend with that frame. Every other
 * case goes to the library, which throws the error or yields keeping the
 * exceptions: cg_core_suspend_slow, with the same arguments. Doing the
 * check here rather than in the caller's inline code keeps the yielding
 * frame, and so the slice, small.
 */
        .globl  cg_arch_yield
        .type   cg_arch_yield, @function
        .p2align 4
cg_arch_yield:
        .cfi_startproc
        movq    cg_thread_state@gottpoff(%rip), %rax /* rax = this thread's cg state, from %fs */
        mov     %fs:CG_THREAD_CURRENT(%rax), %r8 /* r8 = the innermost resume */
        test    %r8, %r8                        /* none: a yield outside any generator */
        jz      .Lyield_slowly
        cmp     %rdi, CG_FRAME_GENERATOR(%r8)   /* another generator's resume? */
        jne     .Lyield_slowly
        cmpb    $0, CG_FRAME_UNWINDING(%r8)     /* this generator being destroyed? */
        jne     .Lyield_slowly
        mov     %fs:CG_THREAD_EXCEPTIONS(%rax), %r9 /* r9 = the C++ exception globals */
        cmpq    $0, CG_EXCEPTIONS_CAUGHT(%r9)   /* inside a catch block? */
        jne     .Lyield_slowly
        cmpl    $0, CG_EXCEPTIONS_UNCAUGHT(%r9) /* while an exception is in flight? */
        jne     .Lyield_slowly
        mov     %r8, %rcx                       /* cg_arch_suspend's 4th argument: the frame */
        jmp     cg_arch_suspend                 /* the others are in place */
.Lyield_slowly:
        jmp     cg_core_suspend_slow            /* same arguments; returns to our caller */
        .cfi_endproc
        .size   cg_arch_yield, .-cg_arch_yield

/* -------------------------------------------------------------------------
 * ResumeFrame* cg_arch_suspend(Control* ctl,        rdi
 *                              DeliverFn deliver,   rsi
 *                              uintptr_t value,     rdx
 *                              ResumeFrame* frame); rcx
 *
 * Suspends the running generator to the resumer of `frame`, whose state is
 * running and whose resume did ENTER_GENERATOR. First sees to the buffer
 * (the policy is cg_core_resize_slice_buffer's): if the slice
 * [rsp, slice top) does not fit it, or if this slice and the previous
 * yield's both use a quarter of it or less, calls
 * cg_core_resize_slice_buffer(ctl, size); if the slice still does not fit,
 * returns NULL having changed nothing. Then, unless deliver is NULL, calls
 * deliver(frame, value) to hand the yielded value to the resumer (it may
 * throw; nothing has changed yet). Saves the registers, copies the slice
 * out and returns {CG_SWITCH_YIELDED, value} to the resumer (value: the
 * yielded bits when deliver is NULL). When the generator is resumed,
 * returns the ResumeFrame of that resume.
 */
        .globl  cg_arch_suspend
        .hidden cg_arch_suspend
        .type   cg_arch_suspend, @function
        .p2align 4
cg_arch_suspend:
        .cfi_startproc
        mov     CG_CONTROL_SLICE_TOP(%rdi), %rax /* rax = slice top */
        sub     %rsp, %rax                      /* rax = slice size (rsp: our return address) */
        mov     CG_CONTROL_CAPACITY(%rdi), %r8d /* r8 = buffer capacity */
        cmp     %r8, %rax                       /* does the slice fit? */
        ja      .Lresize_buffer                 /* no: grow the buffer first */
        lea     (,%rax,4), %r9                  /* r9 = 4 * slice size */
        cmp     %r8, %r9                        /* a quarter of the buffer or less? */
        jbe     .Lmaybe_shrink                  /* yes: perhaps shrink it */
.Lslice_fits:
        mov     %eax, CG_CONTROL_SLICE_SIZE(%rdi) /* slice size */
        test    %rsi, %rsi                      /* a value to deliver through a function? */
        jz      .Ldelivered                     /* no: it goes back in rdx */
        push    %rdi                            /* keep ctl ... */
        .cfi_adjust_cfa_offset 8
        push    %rcx                            /* ... and frame */
        .cfi_adjust_cfa_offset 8
        sub     $8, %rsp                        /* align rsp for the call */
        .cfi_adjust_cfa_offset 8
        mov     %rsi, %rax                      /* rax = deliver */
        mov     %rcx, %rdi                      /* deliver's 1st argument: frame */
        mov     %rdx, %rsi                      /* deliver's 2nd argument: value */
        call    *%rax                           /* deliver(frame, value) */
        add     $8, %rsp
        .cfi_adjust_cfa_offset -8
        pop     %rcx                            /* frame */
        .cfi_adjust_cfa_offset -8
        pop     %rdi                            /* ctl */
        .cfi_adjust_cfa_offset -8
.Ldelivered:
        stmxcsr CG_CONTROL_MXCSR(%rdi)          /* generator's MXCSR */
        fnstcw  CG_CONTROL_X87CW(%rdi)          /* generator's x87 control word */
        mov     %rbx, CG_CONTROL_RBX(%rdi)      /* generator's rbx */
        mov     %rbp, CG_CONTROL_RBP(%rdi)      /* generator's rbp */
        mov     %r12, CG_CONTROL_R12(%rdi)      /* generator's r12 */
        mov     %r13, CG_CONTROL_R13(%rdi)      /* generator's r13 */
        mov     %r14, CG_CONTROL_R14(%rdi)      /* generator's r14 */
        mov     %r15, CG_CONTROL_R15(%rdi)      /* generator's r15 */
        mov     %rcx, %rbx                      /* rbx (saved) = frame */
        mov     CG_CONTROL_SLICE_SIZE(%rdi), %ecx /* rcx = slice size */
        SLICE_BUFFER %r8                        /* r8 = slice buffer */
        COPY_SLICE %rsp, %r8                    /* slice out to the buffer */
        decl    CG_CONTROL_STATUS(%rdi)         /* state: running -> suspended */
        LEAVE_GENERATOR %rbx
        mov     CG_CONTROL_SLICE_TOP(%rdi), %rax /* rax = slice top */
        .cfi_remember_state
        mov     CG_LINK_RESUMER_SP(%rax), %rsp  /* leave the home: rsp = resumer sp */
        RESUMER_FRAME_CFI
        LOAD_RESUMER_FP
        xor     %eax, %eax                      /* status: yielded; rdx: the value's bits */
        POP_RESUMER_AND_RETURN
        .cfi_restore_state
.Lmaybe_shrink:
        mov     CG_CONTROL_SLICE_SIZE(%rdi), %r9d /* the previous yield's slice ... */
        shl     $2, %r9                         /* ... times 4 */
        cmp     %r8, %r9                        /* a quarter of the buffer or less too? */
        ja      .Lslice_fits                    /* no: keep it; depth that alternates */
                                                /* reallocates nothing */
.Lresize_buffer:
        push    %rdi                            /* keep the four arguments */
        .cfi_adjust_cfa_offset 8
        push    %rsi
        .cfi_adjust_cfa_offset 8
        push    %rdx
        .cfi_adjust_cfa_offset 8
        push    %rcx
        .cfi_adjust_cfa_offset 8
        sub     $8, %rsp                        /* align rsp for the call */
        .cfi_adjust_cfa_offset 8
        mov     %rax, %rsi                      /* 2nd argument: the slice size */
        call    cg_core_resize_slice_buffer     /* void (Control*, size_t) noexcept */
        add     $8, %rsp
        .cfi_adjust_cfa_offset -8
        pop     %rcx                            /* the arguments back */
        .cfi_adjust_cfa_offset -8
        pop     %rdx
        .cfi_adjust_cfa_offset -8
        pop     %rsi
        .cfi_adjust_cfa_offset -8
        pop     %rdi
        .cfi_adjust_cfa_offset -8
        mov     CG_CONTROL_SLICE_TOP(%rdi), %rax /* rax = slice top ... */
        sub     %rsp, %rax                      /* ... minus rsp: the slice size again */
        mov     CG_CONTROL_CAPACITY(%rdi), %r8d /* r8 = the capacity now */
        cmp     %r8, %rax                       /* does the slice fit now? */
        jbe     .Lslice_fits                    /* yes: go on */
        xor     %eax, %eax                      /* no, out of memory: return NULL, */
        ret                                     /* nothing was changed */
        .cfi_endproc
        .size   cg_arch_suspend, .-cg_arch_suspend

/* -------------------------------------------------------------------------
 * SwitchResult cg_arch_resume_displaced(Control* ctl,        rdi
 *                                       ResumeFrame* frame,  rsi
 *                                       DisplacedArea* area); rdx
 *
 * Resume for unwinding only: the generator must finish without yielding
 * (the C++ core makes its pending yield throw and forbids further yields).
 * Used to destroy a suspended generator from a resumer whose own frames
 * reach into the home: those frames, [resumer sp, home top), are parked in
 * `area` first and put back when the generator's entry returns. The C++
 * core does this path's bookkeeping (no ENTER_GENERATOR here). If the area
 * is too small, returns {CG_SWITCH_TOO_DEEP, the resumer sp} having done
 * nothing.
 */
        .globl  cg_arch_resume_displaced
        .hidden cg_arch_resume_displaced
        .type   cg_arch_resume_displaced, @function
        .p2align 4
cg_arch_resume_displaced:
        .cfi_startproc
        mov     CG_CONTROL_SLICE_TOP(%rdi), %rax /* rax = slice top */
        lea     CG_LINK_SIZE(%rax), %r9         /* r9 = home top */
        lea     -CG_RESUMER_SAVE_SIZE(%rsp), %r10 /* r10 = our sp once the resumer is saved */
        mov     %r9, %r11                       /* r11 = home top ... */
        sub     %r10, %r11                      /* ... minus that sp: bytes to park */
        jg      .Lsome_to_park                  /* some? */
        xor     %r11d, %r11d                    /* none: park nothing */
.Lsome_to_park:
        cmp     CG_DISPLACED_CAPACITY(%rdx), %r11 /* does the area hold them? */
        jbe     .Larea_fits                     /* yes: go on */
        mov     $CG_SWITCH_TOO_DEEP, %eax       /* no: report the sp, touch nothing */
        mov     %r10, %rdx
        ret
.Larea_fits:
        SAVE_RESUMER
        mov     %rsp, CG_DISPLACED_SP(%rdx)     /* area: where the resumer's sp was */
        mov     %r11, CG_DISPLACED_SIZE(%rdx)   /* area: how many bytes are parked */
        mov     %rdi, %r8                       /* keep ctl */
        mov     %rsi, %r10                      /* keep frame */
        mov     %rsp, %rsi                      /* copy from the resumer sp ... */
        lea     CG_DISPLACED_BYTES(%rdx), %rdi  /* ... to the area */
        mov     %r11, %rcx                      /* (a multiple of 8 bytes) */
        shr     $3, %rcx                        /* in 8-byte words */
        rep movsq                               /* park the resumer's frames */
        mov     %r8, %rdi                       /* ctl */
        mov     %r10, %rsi                      /* frame */
        /* The parked frames may be overwritten from here on; until the
         * generator runs there is no frame to unwind to. */
        .cfi_undefined %rip
        mov     CG_CONTROL_SLICE_SIZE(%rdi), %ecx /* rcx = slice size */
        mov     %rax, %r9                       /* r9 = slice top ... */
        sub     %rcx, %r9                       /* ... minus the size: slice bottom */
        cmp     %rsp, %r9                       /* slice bottom below rsp? */
        jae     .Lrsp_below_slice               /* no: rsp is already low enough */
        mov     %r9, %rsp                       /* yes: move rsp down to it first */
.Lrsp_below_slice:
        SLICE_BUFFER %r8                        /* r8 = saved slice */
        COPY_SLICE %r8, %r9                     /* slice back home, above rsp */
        mov     CG_CONTROL_SLICE_SIZE(%rdi), %ecx /* r9 = the slice bottom again */
        mov     %rax, %r9
        sub     %rcx, %r9
        mov     %rdx, CG_LINK_RESUMER_SP(%rax)  /* link: the area, not a stack pointer */
        lea     .Ldisplaced_finished(%rip), %rcx /* link: where the entry returns */
        mov     %rcx, CG_LINK_RETURN(%rax)
        lea     CG_DISPLACED_BYTES(%rdx), %r10  /* r10 = the parked resumer save area */
        LOAD_GENERATOR_FP
        LOAD_GENERATOR_REGISTERS
        mov     %r9, %rsp                       /* rsp = slice bottom */
        mov     %rsi, %rax                      /* the generator's yield returns `frame` */
        pop     %rcx                            /* generator's return address */
        jmp     *%rcx                           /* into the generator */
        nop                                     /* entry returns past this: keeps the */
                                                /* label inside this function's CFI */
.Ldisplaced_finished:
        /* entry returned: rsp = &link.resumer_sp, which holds the area. */
        mov     (%rsp), %rdx                    /* rdx = area */
        mov     CG_DISPLACED_SP(%rdx), %rsp     /* down to the resumer sp (not above here) */
        lea     CG_DISPLACED_BYTES(%rdx), %rsi  /* copy from the area ... */
        mov     %rsp, %rdi                      /* ... back to the resumer's stack, above rsp */
        mov     CG_DISPLACED_SIZE(%rdx), %rcx   /* bytes parked */
        shr     $3, %rcx                        /* in 8-byte words */
        rep movsq                               /* the resumer's frames are back */
        RESUMER_FRAME_CFI
        .cfi_offset %rip, -8                    /* return address: at CFA - 8 again */
        LOAD_RESUMER_FP
        mov     $CG_SWITCH_FINISHED, %eax       /* status: finished */
        xor     %edx, %edx                      /* no stack pointer to report */
        POP_RESUMER_AND_RETURN
        .cfi_endproc
        .size   cg_arch_resume_displaced, .-cg_arch_resume_displaced

/* -------------------------------------------------------------------------
 * cg_amd64_copy_large: copies rcx bytes (a multiple of 16, more than 32)
 * from r10 to r11, top down; the ranges are disjoint. Clobbers rcx, r9,
 * ymm0-ymm4, flags; keeps every other register. Called by COPY_SLICE with
 * rsp below both ranges, so it never writes below rsp.
 *
 * With AVX2 (cg_amd64_avx2, set at load by cpu_features.cpp): 128 bytes per
 * iteration; from 512 bytes on, stores aligned to 32 (the slice and its
 * buffer differ in alignment by 8 bytes or more, and misaligned stores are
 * what costs). On this project's Zen 5 guest that beats glibc's memcpy, which
 * switches to rep movsb at 2112 bytes, at every size: 20 ns against 35 for
 * 1 KiB out and in, 72 against 88 for 4 KiB, 312 against 331 for 16 KiB.
 * Without AVX2: 64 bytes per iteration with SSE2.
 */
        .type   cg_amd64_copy_large, @function
        .p2align 4
cg_amd64_copy_large:
        .cfi_startproc
        cmpb    $0, cg_amd64_avx2(%rip)         /* AVX2 here? */
        je      .Lsse_copy                      /* no: SSE2 */
        cmp     $512, %rcx                      /* large enough to align the stores? */
        jae     .Lavx2_aligned                  /* yes */
.Lavx2_128:
        cmp     $128, %rcx                      /* a whole 128-byte block left? */
        jb      .Lavx2_32                       /* no */
        vmovdqu -128(%r10,%rcx), %ymm0          /* the highest 128 bytes left ... */
        vmovdqu -96(%r10,%rcx), %ymm1
        vmovdqu -64(%r10,%rcx), %ymm2
        vmovdqu -32(%r10,%rcx), %ymm3
        vmovdqu %ymm0, -128(%r11,%rcx)          /* ... copied */
        vmovdqu %ymm1, -96(%r11,%rcx)
        vmovdqu %ymm2, -64(%r11,%rcx)
        vmovdqu %ymm3, -32(%r11,%rcx)
        sub     $128, %rcx                      /* 128 bytes fewer to go */
        jmp     .Lavx2_128
.Lavx2_32:
        cmp     $32, %rcx                       /* 32 bytes left? */
        jb      .Lavx2_16                       /* no */
        vmovdqu -32(%r10,%rcx), %ymm0           /* the highest 32 left, copied */
        vmovdqu %ymm0, -32(%r11,%rcx)
        sub     $32, %rcx                       /* 32 fewer to go */
        jmp     .Lavx2_32
.Lavx2_16:
        test    %rcx, %rcx                      /* 16 left? */
        jz      .Lavx2_done                     /* no: done */
        vmovdqu (%r10), %xmm0                   /* the lowest 16 bytes, copied */
        vmovdqu %xmm0, (%r11)
.Lavx2_done:
        vzeroupper                              /* no upper-half state left for SSE code */
        ret
.Lavx2_aligned:
        vmovdqu -32(%r10,%rcx), %ymm0           /* the highest 32 bytes, unaligned */
        vmovdqu %ymm0, -32(%r11,%rcx)
        vmovdqu (%r10), %ymm4                   /* the lowest 32: loaded now, stored last */
        lea     (%r11,%rcx), %r9                /* r9 = destination top ... */
        and     $31, %r9                        /* ... its distance above a 32-byte boundary */
        sub     %r9, %rcx                       /* now the destination top is aligned */
.Lavx2_aligned_128:
        cmp     $128, %rcx                      /* a whole 128-byte block left? */
        jb      .Lavx2_aligned_32               /* no */
        vmovdqu -128(%r10,%rcx), %ymm0          /* the highest 128 bytes left ... */
        vmovdqu -96(%r10,%rcx), %ymm1
        vmovdqu -64(%r10,%rcx), %ymm2
        vmovdqu -32(%r10,%rcx), %ymm3
        vmovdqa %ymm0, -128(%r11,%rcx)          /* ... stored aligned */
        vmovdqa %ymm1, -96(%r11,%rcx)
        vmovdqa %ymm2, -64(%r11,%rcx)
        vmovdqa %ymm3, -32(%r11,%rcx)
        sub     $128, %rcx                      /* 128 bytes fewer to go */
        jmp     .Lavx2_aligned_128
.Lavx2_aligned_32:
        cmp     $32, %rcx                       /* 32 bytes left? */
        jb      .Lavx2_aligned_tail             /* no */
        vmovdqu -32(%r10,%rcx), %ymm0           /* the highest 32 left ... */
        vmovdqa %ymm0, -32(%r11,%rcx)           /* ... stored aligned */
        sub     $32, %rcx                       /* 32 fewer to go */
        jmp     .Lavx2_aligned_32
.Lavx2_aligned_tail:
        vmovdqu %ymm4, (%r11)                   /* the lowest 32 cover what is left */
        vzeroupper                              /* no upper-half state left for SSE code */
        ret
.Lsse_copy:
        cmp     $64, %rcx                       /* a whole 64-byte block left? */
        jb      .Lsse_16                        /* no */
        movdqu  -64(%r10,%rcx), %xmm0           /* the highest 64 bytes left ... */
        movdqu  -48(%r10,%rcx), %xmm1
        movdqu  -32(%r10,%rcx), %xmm2
        movdqu  -16(%r10,%rcx), %xmm3
        movdqu  %xmm0, -64(%r11,%rcx)           /* ... copied */
        movdqu  %xmm1, -48(%r11,%rcx)
        movdqu  %xmm2, -32(%r11,%rcx)
        movdqu  %xmm3, -16(%r11,%rcx)
        sub     $64, %rcx                       /* 64 bytes fewer to go */
        jmp     .Lsse_copy
.Lsse_16:
        test    %rcx, %rcx                      /* anything left? */
        jz      .Lsse_done                      /* no: done */
        movdqu  -16(%r10,%rcx), %xmm0           /* the highest 16 bytes left, copied */
        movdqu  %xmm0, -16(%r11,%rcx)
        sub     $16, %rcx                       /* 16 fewer to go */
        jmp     .Lsse_16
.Lsse_done:
        ret
        .cfi_endproc
        .size   cg_amd64_copy_large, .-cg_amd64_copy_large

        /* No executable stack; no CET property is claimed. */
        .section .note.GNU-stack, "", @progbits
