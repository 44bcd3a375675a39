/*
 * trampoline.h - what the portable core and every arch/<cpu>/switch.S agree
 * on. Included by the assembly (so: only #defines outside C++) and by the
 * core, which checks each value against its C++ definition (control.hpp).
 *
 * A trampoline does only what is about the CPU: it saves and loads the
 * callee-saved registers and the floating-point control state, moves the
 * stack pointer, keeps the link frame at the top of a home, and says how to
 * unwind through itself. For everything else it calls the core, always
 * with the stack pointer already below every byte the call may write:
 *
 *   cg_core_save_slice(ctl, bottom, frame)
 *                                        yield: buffer policy, hand the
 *                                        value over, copy the slice out;
 *                                        returns the resumer's saved sp
 *                                        (read from the link frame), or
 *                                        null: no memory, nothing changed
 *   cg_core_restore_slice(ctl, resumer)  resume: check the resumer stays
 *                                        above the home (or park its frames
 *                                        for a destroy), copy the slice in;
 *                                        false: too deep, nothing changed
 *   cg_core_entry_returned()             the generator's entry ended
 *                                        (cg_arch_finish), sp at the
 *                                        resumer's saved sp: put parked
 *                                        frames back
 *
 * One case the trampoline copies itself, to spare two calls on the hot
 * path: a small slice (at most CG_SMALL_SLICE bytes) that its buffer holds
 * and the buffer policy keeps (the inline bytes, CG_INLINE_CAPACITY of
 * them; or a heap buffer the slice uses more than a quarter of:
 * slice_buffer.hpp), a resumer above the home, and no value to deliver
 * (the frame's deliver is null); unless the core asks to copy every slice
 * (cg_core_copies_every_slice: debug builds, which check the switch's
 * invariants before each copy, and programs under ASan, whose poison each
 * copy must clear). Everything else goes to the core: a slice that does
 * not fit, one that would shrink its buffer, a large one.
 *
 * The core does the bookkeeping (states, owners, errno, C++ exception
 * state, the chain of resumes) before and after calling the trampoline.
 */
#ifndef CG_TRAMPOLINE_H
#define CG_TRAMPOLINE_H

/* The fields of the control block (struct cg::detail::ControlHead, then
 * the saved registers) that a trampoline reads or writes. */
#define CG_CONTROL_SLICE_TOP 8    /* char*: the link frame's lowest address; written by start */
#define CG_CONTROL_SLICE_SIZE 16  /* uint32_t: bytes of the saved slice */
#define CG_CONTROL_HEAP_BUFFER 23 /* uint8_t: 1 if the slice bytes are in a heap buffer */
#define CG_CONTROL_REGISTERS 24   /* struct cg_arch_registers (arch/<cpu>/frame_layout.h), then
                                     the inline bytes (CG_CONTROL_INLINE_BYTES,
                                     CG_INLINE_CAPACITY and CG_SMALL_SLICE, there
                                     too), which hold the slice bytes, or else: */
#define CG_HEAP_BUFFER_ADDRESS 0  /* char*, in the inline bytes: the heap buffer */
#define CG_HEAP_BUFFER_CAPACITY 8 /* uint32_t, in the inline bytes: bytes it holds */

/* The fields of a resume in progress (struct cg::detail::ResumeFrame) that
 * a trampoline reads. */
#define CG_FRAME_SENT 16    /* void*: what the pending yield receives */
#define CG_FRAME_DELIVER 56 /* DeliverFn: null when the value travels as bits */

/* What cg_arch_start and cg_arch_resume return (SwitchResult::status). The
 * low two bits are the generator's state after the switch (State in
 * cg/detail/runtime.hpp: suspended 1, finished 3). */
#define CG_SWITCH_YIELDED 1  /* the generator yielded; the value is in its ResumeFrame */
#define CG_SWITCH_FINISHED 3 /* its entry ended */
#define CG_SWITCH_TOO_DEEP 5 /* refused: the resumer reaches into the home; payload = its saved sp */

#ifdef __cplusplus
#include <cstdint>

namespace cg::detail {
struct Control;
struct ResumeFrame;
} // namespace cg::detail
extern "C" {
/* The core's side (src/trampoline.cpp), called by the trampoline only. */
char* cg_core_save_slice(cg::detail::Control* generator, char* bottom, cg::detail::ResumeFrame* frame);
bool cg_core_restore_slice(cg::detail::Control* generator, char* resumer_sp) noexcept;
void cg_core_entry_returned() noexcept;
/* Nonzero: every slice goes through the core (set once, at load). */
extern const unsigned char cg_core_copies_every_slice;
/* The return address in every link frame: a backtrace of a suspended
 * generator ends there. */
extern const char cg_arch_entry_return[];
/* cg_arch_suspend for a yield that receives a word, tail-called by the C
 * API's cg_yield: when resumed, returns the word at the resuming frame's
 * `sent` to its caller, on amd64 with an indirect jump instead of `ret`
 * (a `ret` there would pop the resumer's entry from the return stack and be
 * mispredicted: README.md, "Performance"), and without a frame of its own
 * in the slice (the resume delivers the word). If the slice buffer could
 * not grow, jumps to no_room, which must not return. */
std::uintptr_t cg_arch_suspend_receiving(cg::detail::Control* generator, cg::detail::ResumeFrame* frame,
                                         void (*no_room)());
/* The end of a generator's entry (cg::detail::finish_entry calls it):
 * back to the resumer whose S the link frame holds, as a return of the
 * entry into cg_arch_entry_return would go, but without that `ret`, which
 * the return stack mispredicts when a resume, not the start, ran the
 * generator last. Does not return. */
void cg_arch_finish(cg::detail::Control* generator) noexcept;
/* Returns `value`; on amd64 with an indirect jump instead of `ret`. The C
 * API's cg_invoke tail-calls it, so that its return to its caller, the
 * first after the switch back, is not mispredicted either. Without the
 * tail call (no optimization), it returns into cg_invoke, which returns as
 * any function does. */
std::uintptr_t cg_arch_return_value(std::uintptr_t value);
/* The same for cg_resume's status: the same code, under a second name. */
int cg_arch_return_status(int status);
}
#endif

#endif
