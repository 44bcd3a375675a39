/* c_bodies.h - C generators for cg-bench (c_bodies.c). */
#ifndef CG_BENCH_C_BODIES_H
#define CG_BENCH_C_BODIES_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Yields first, first + 1, ... for ever: the minimal C generator. */
uintptr_t cg_bench_c_counter(uintptr_t first, uintptr_t unused);

#ifdef __cplusplus
}
#endif

#endif
