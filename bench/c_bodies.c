/* c_bodies.c - the generators cg-bench drives through the C API (cg.h),
 * compiled as C, as a program in the original cg style writes them. */
#include <cg.h>

#include "c_bodies.h"

uintptr_t cg_bench_c_counter(uintptr_t first, uintptr_t unused)
{
    uintptr_t i = first;
    (void)unused;
    for (;;)
        cg_yield(0, i++);
    return 0;
}
