/*
 * cg.h - the C API of cg, in the style of the original cg library.
 *
 * Valid C99 and C++. Also reachable as <cg/cg.h>.
 *
 * A generator runs a function `uintptr_t fun(uintptr_t arg1, uintptr_t arg2)`
 * on its resumer's stack. cg_yield suspends it: its stack slice is copied to
 * the heap and cg_invoke returns the yielded value. The next cg_invoke copies
 * the slice back to the same addresses and cg_yield returns the value passed
 * to that cg_invoke. When fun returns, cg_invoke returns fun's return value
 * and cg_is_done becomes 1.
 *
 *     uintptr_t fib(uintptr_t limit, uintptr_t last) {
 *         uintptr_t a = 1, b = 1;
 *         while (b < limit) {
 *             cg_yield(__builtin_frame_address(0), b);
 *             uintptr_t t = a + b; a = b; b = t;
 *         }
 *         return last;
 *     }
 *     ...
 *     cg_t* co = cg_create((void*)fib, 100, 0);
 *     for (x = cg_invoke(co, 0); !cg_is_done(co); x = cg_invoke(co, 0))
 *         printf("%lu\n", (unsigned long)x);
 *     cg_destroy(co);
 *
 * The rules (home, headroom, resume depth, threads) are in README.md.
 */
#ifndef CG_H
#define CG_H

#include <stddef.h>
#include <stdint.h>

#include "cg/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A generator. Opaque; create with cg_create, free with cg_destroy. */
typedef struct cg_generator cg_t;

/* Status codes of the checked calls; cg_strerror names each. The C++ API
 * throws cg::error with the same numbers in cg::errc. */
enum cg_status {
    CG_OK = 0,
    CG_ERUNNING = 1,     /* resumed while running: from itself or a cycle */
    CG_EFINISHED = 2,    /* resumed after its function returned */
    CG_ETOODEEP = 3,     /* resumed from deeper in the stack than its home */
    CG_ETHREAD = 4,      /* resumed on a thread that does not own it */
    CG_EOUTSIDE = 5,     /* yield outside any generator */
    CG_ETYPE = 6,        /* yield in a generator that does not yield uintptr_t */
    CG_ENOMEM = 7,       /* out of memory */
    CG_EINVAL = 8,       /* null generator or invalid argument */
    CG_EEXCEPTION = 9,   /* a C++ exception escaped the generator's function */
    CG_EUNAVAILABLE = 10, /* needs libunwind (libunwind8), which could not be loaded */
    CG_EIO = 11          /* a snapshot could not be written; errno says why */
};

/* Creates a generator that will run fun(arg1, arg2), where fun has the type
 * uintptr_t (*)(uintptr_t, uintptr_t). Nothing runs until the first
 * cg_invoke. Returns NULL when out of memory. */
CG_API cg_t* cg_create(void* fun, uintptr_t arg1, uintptr_t arg2);

/* Sets the headroom: how far below the first resumer's stack pointer the
 * generator's home begins, which is how much deeper later resumes may come
 * from (default 512 bytes, 2048 in a program running under AddressSanitizer,
 * see README.md). Only before the first resume.
 * Returns CG_OK, CG_EINVAL (null, or more than 64 MiB) or CG_ERUNNING
 * (already started). */
CG_API int cg_set_headroom(cg_t* co, size_t bytes);

/* Resumes co. `value` becomes the return value of the pending cg_yield (the
 * first cg_invoke has none: its value is ignored). Returns the next yielded
 * value, or fun's return value once fun returns.
 * On misuse (resuming a running or finished generator, from too deep, from
 * the wrong thread, or a C++ exception escaping fun) it prints a message to
 * stderr and aborts; cg_resume reports the same as a status instead. */
CG_API uintptr_t cg_invoke(cg_t* co, uintptr_t value);

/* Checked cg_invoke. On CG_OK stores what cg_invoke would return in *result
 * (if result is not NULL). Otherwise returns the status and the generator
 * is unchanged, except for CG_EEXCEPTION, after which it is finished. */
CG_API int cg_resume(cg_t* co, uintptr_t value, uintptr_t* result);

/* Suspends the running generator; its cg_invoke returns `value`. Returns the
 * value passed to the cg_invoke that resumes it. `frame` is accepted for
 * compatibility (old callers pass __builtin_frame_address(0)); it is not
 * needed. Works from any call depth inside the generator. Outside any
 * generator, in a generator that does not yield uintptr_t, or if the slice
 * buffer cannot grow, it prints a message and aborts; see cg_try_yield. */
CG_API uintptr_t cg_yield(void* frame, uintptr_t value);

/* Checked cg_yield. On CG_OK stores the received value in *received (if not
 * NULL). CG_EOUTSIDE, CG_ETYPE and CG_ENOMEM return without suspending;
 * after CG_ENOMEM the generator goes on running and may yield again. */
CG_API int cg_try_yield(uintptr_t value, uintptr_t* received);

/* 1 once fun has returned, else 0. */
CG_API uintptr_t cg_is_done(cg_t* co);

/* Bytes of co's stack saved at its last yield (0 if none). */
CG_API size_t cg_slice_size(const cg_t* co);

/* Bytes co's slice buffer holds without growing (while the slice fits in
 * the control block, its inline bytes: 32 on amd64, 64 on aarch64).
 * Buffers grow and shrink as README.md, "Memory", describes. */
CG_API size_t cg_buffer_capacity(const cg_t* co);

/* Shrinks the slice buffer of every suspended generator of the calling
 * thread (C and C++) to the size of its slice, and gives back the control
 * blocks the thread keeps for reuse. Returns the bytes given back. Out of
 * memory, a buffer stays as it was. */
CG_API size_t cg_trim_buffers(void);

/* Frees co. A suspended generator's frames are discarded without running
 * anything (C has no destructors). NULL is ignored. Destroying a running
 * generator (from inside itself) prints a message and aborts. */
CG_API void cg_destroy(cg_t* co);

/* Inspection (README.md, "Inspecting a program"). */

/* Sets co's label, shown by snapshots and cg-dump; "" or NULL removes it.
 * Any thread. Returns CG_OK, CG_EINVAL (co is NULL) or CG_ENOMEM. */
CG_API int cg_set_label(cg_t* co, const char* label);

/* Copies co's label (NUL-terminated, truncated to size - 1 bytes) into
 * buffer; returns its full length. */
CG_API size_t cg_get_label(const cg_t* co, char* buffer, size_t size);

/* One frame of a backtrace. */
typedef struct cg_frame {
    uintptr_t pc;       /* a return address; the innermost: into the code that yielded */
    uintptr_t sp;       /* the frame's stack pointer, an address in the home */
    uintptr_t offset;   /* pc minus the start of its function */
    char function[232]; /* demangled, NUL-terminated, truncated; "" if unknown */
} cg_frame;

/* Where a suspended generator of the calling thread waits: stores up to
 * capacity frames, innermost first, and returns how many there are (0 if
 * co is not suspended), or -CG_EINVAL, -CG_ETHREAD (another thread's
 * generator), -CG_EUNAVAILABLE (no libunwind), -CG_ENOMEM. */
CG_API int cg_backtrace(const cg_t* co, cg_frame* frames, int capacity);

/* Writes every live generator of the calling thread to path, for cg-dump:
 * suspended ones with their slice, saved registers and backtrace. Returns
 * CG_OK, or CG_EIO with errno set, or CG_ENOMEM. */
CG_API int cg_snapshot(const char* path);

/* The same for every thread: other live threads add theirs at their next
 * safe point; those that do not within wait_ms are written without
 * details. */
CG_API int cg_snapshot_all_threads(const char* path, int wait_ms);

/* A safe point (see cg::safe_point in cg/inspect.hpp): if a snapshot waits
 * for this thread, it adds its generators now. */
CG_API void cg_safe_point(void);

/* A static text for a status code. */
CG_API const char* cg_strerror(int status);

/* Replaces how cg allocates its memory (control blocks, slice buffers; not
 * its bookkeeping of each thread, a few KiB), process-wide; NULL functions
 * restore malloc and free. Call it while no generator exists. allocate
 * returns NULL on failure; deallocate gets the size that was allocated.
 * A thread's slabs of control blocks (README.md, "Memory") go back to the
 * functions they came from: those that hold no block at that thread's next
 * create or destroy (or its exit), the others when their last block is
 * freed. */
CG_API void cg_set_allocator(void* (*allocate)(size_t size, void* context),
                             void (*deallocate)(void* memory, size_t size, void* context),
                             void* context);

#ifdef __cplusplus
}
#endif

#endif
