/*
 * frame_layout.h - the amd64 layout shared by switch.S and the C++ core.
 *
 * Every offset the trampoline uses is defined here, once. src/control.hpp
 * checks each one against the C++ structures with a static_assert, so the
 * assembly and the C++ cannot drift apart silently.
 *
 * Picture of one thread's stack while a generator runs (addresses grow up,
 * the stack grows down):
 *
 *        |  resumer's frames                       |
 *        |  return address into the resumer        |  CFA of the resumer's
 *        |  rbp rbx r12 r13 r14 r15                |  call into the trampoline
 *        |  mxcsr | x87 control word | unused      |  <- resumer sp (saved)
 *        |  ... headroom (free) ...                |
 *        +=========================================+  <- home top (= 8 mod 16)
 *        |  link: resumer sp                       |  slice top + 8
 *        |  link: return address -> cg_arch_start  |  slice top
 *        +-----------------------------------------+  <- slice top
 *        |  generator's frames                     |  the slice: copied to
 *        |  ...                                    |  the heap on yield and
 *        |  return address into the generator      |  back on resume
 *        +-----------------------------------------+  <- slice bottom = sp at yield
 *
 * The link frame is rewritten on every resume, so it is not part of the
 * saved slice. The generator's callee-saved registers are saved into the
 * control block, not pushed into the slice: the copy then never reads words
 * that were just written with 8-byte stores, and the slice stays small.
 */
#ifndef CG_ARCH_AMD64_FRAME_LAYOUT_H
#define CG_ARCH_AMD64_FRAME_LAYOUT_H

/* Control block (struct cg::detail::Control): first the portable head
 * (struct cg::detail::ControlHead, which inline code in the public headers
 * reads), of which the trampoline uses these fields ... */
#define CG_CONTROL_STATUS 0      /* uint32_t: owner << 2 | state */
#define CG_CONTROL_SAVED_ERRNO 4 /* int: the generator's errno while suspended */
#define CG_CONTROL_SLICE_TOP 8   /* char*: lowest address of the link frame */
#define CG_CONTROL_SLICE_SIZE 24 /* uint32_t: bytes in the saved slice */
#define CG_CONTROL_CAPACITY 28   /* uint32_t: bytes the slice buffer holds */
#define CG_CONTROL_HEAD_SIZE 32

/* ... then the suspended generator's callee-saved registers and
 * floating-point control state (struct cg_arch_registers) ... */
#define CG_CONTROL_REGISTERS 32
#define CG_CONTROL_RBX 32
#define CG_CONTROL_RBP 40
#define CG_CONTROL_R12 48
#define CG_CONTROL_R13 56
#define CG_CONTROL_R14 64
#define CG_CONTROL_R15 72
#define CG_CONTROL_MXCSR 80 /* 4 bytes */
#define CG_CONTROL_X87CW 84 /* 2 bytes */
#define CG_ARCH_REGISTERS_SIZE 56

/* ... then the slice bytes themselves while CAPACITY <= INLINE_BUFFER_SIZE,
 * else a pointer to the heap buffer that holds them. */
#define CG_CONTROL_BUFFER 88
#define CG_INLINE_BUFFER_SIZE 32

/* The resumer's save area, pushed by cg_arch_start and cg_arch_resume below
 * the resumer's return address; offsets from the saved resumer sp. */
#define CG_RESUMER_MXCSR 0
#define CG_RESUMER_X87CW 4
#define CG_RESUMER_R15 8
#define CG_RESUMER_R14 16
#define CG_RESUMER_R13 24
#define CG_RESUMER_R12 32
#define CG_RESUMER_RBX 40
#define CG_RESUMER_RBP 48
#define CG_RESUMER_RETURN 56
#define CG_RESUMER_SAVE_SIZE 56  /* bytes pushed below the return address */
#define CG_RESUMER_FRAME_SIZE 64 /* saved sp + 64 = the resumer's sp before its call */

/* The link frame at the top of the home; offsets from the slice top. */
#define CG_LINK_RETURN 0
#define CG_LINK_RESUMER_SP 8
#define CG_LINK_SIZE 16

/* A displaced area (struct cg::detail::DisplacedArea): where a resumer whose
 * frames reach into the home parks them while the generator is unwound. */
#define CG_DISPLACED_CAPACITY 0 /* size_t: bytes available at BYTES */
#define CG_DISPLACED_SP 8       /* char*: the resumer's saved sp */
#define CG_DISPLACED_SIZE 16    /* size_t: bytes parked, from SP to the home top */
#define CG_DISPLACED_BYTES 32

/* The bookkeeping of every switch (see ENTER_GENERATOR in switch.S): this
 * thread's cg state (struct cg::detail::ThreadState, thread-local
 * cg_thread_state), a resume in progress (struct cg::detail::ResumeFrame),
 * the C++ exception globals (struct cg::detail::ExceptionState). */
#define CG_THREAD_CURRENT 0
#define CG_THREAD_EXCEPTIONS 8
#define CG_THREAD_ERRNO 16       /* int*: this thread's errno */
#define CG_THREAD_NUMBER 24      /* uint32_t */
#define CG_FRAME_GENERATOR 0
#define CG_FRAME_UNWINDING 24    /* bool */
#define CG_FRAME_RESUMER_ERRNO 28 /* int */
#define CG_FRAME_OUTER 32
#define CG_FRAME_RESUMER_EXCEPTIONS 40
#define CG_EXCEPTIONS_CAUGHT 0
#define CG_EXCEPTIONS_UNCAUGHT 8 /* unsigned int */

/* The states in the low two bits of CG_CONTROL_STATUS. */
#define CG_STATE_SUSPENDED 1
#define CG_STATE_RUNNING 2
#define CG_STATE_FINISHED 3

/* Status returned by cg_arch_start and cg_arch_resume in rax. */
#define CG_SWITCH_YIELDED 0
#define CG_SWITCH_FINISHED 1
#define CG_SWITCH_TOO_DEEP 2
#define CG_SWITCH_NOT_SUSPENDED 3 /* not a suspended generator of this thread */


#ifndef __ASSEMBLER__
#include <stdint.h>

/* What the trampoline saves of a suspended generator. The SysV ABI makes rbx,
 * rbp, r12-r15, the MXCSR control bits and the x87 control word callee-saved;
 * everything else (other general registers, vector registers, status flags)
 * is dead at a call, so yield, being a call, need not keep it. */
struct cg_arch_registers {
    uint64_t rbx, rbp, r12, r13, r14, r15;
    uint32_t mxcsr;
    uint16_t x87_control;
    uint16_t unused;
};
#endif

#endif
