/*
 * fib.c - Fibonacci numbers from a C generator, written the way programs for
 * the original cg were: the generator passes __builtin_frame_address(0) to
 * cg_yield, and the loop ends when cg_is_done says so. fib's return value
 * (how many numbers it yielded) is what the last cg_invoke returns.
 *
 *     gcc -std=c99 -Wall -Werror fib.c $(pkg-config --cflags --libs cg)
 */
#include <stdint.h>
#include <stdio.h>

#include <cg.h>

uintptr_t fib(uintptr_t limit, uintptr_t first)
{
    uintptr_t a = first, b = first, t, count = 0;
    while (a < limit) {
        cg_yield(__builtin_frame_address(0), a);
        t = a + b;
        a = b;
        b = t;
        count++;
    }
    return count;
}

int main(void)
{
    cg_t *co = cg_create((void *)fib, 100, 1);
    uintptr_t x;
    for (x = cg_invoke(co, 0); !cg_is_done(co); x = cg_invoke(co, 0))
        printf("%lu\n", (unsigned long)x);
    printf("fib yielded %lu numbers\n", (unsigned long)x);
    cg_destroy(co);
    return 0;
}
