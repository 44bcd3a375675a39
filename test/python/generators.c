/* generators.c - C generators for the Python module's tests (test_cg.py):
 * bodies of the shape uintptr_t f(uintptr_t, uintptr_t), as a C library a
 * Python program drives would export them. */
#include <cg.h>

/* Yields from, from + 1, ..., to - 1; returns to. */
uintptr_t counter(uintptr_t from, uintptr_t to)
{
    for (uintptr_t i = from; i < to; ++i)
        cg_yield(0, i);
    return to;
}

/* Yields the running total, starting at `start`, and adds what each resume
 * sends; a resume with 0 ends it, returning the total. */
uintptr_t accumulate(uintptr_t start, uintptr_t unused)
{
    uintptr_t total = start;
    (void)unused;
    for (;;) {
        uintptr_t received = cg_yield(0, total);
        if (received == 0)
            return total;
        total += received;
    }
}

/* Calls callback(value), yields what it returned, then returns it + 1. */
uintptr_t call_back(uintptr_t callback, uintptr_t value)
{
    uintptr_t (*function)(uintptr_t) = (uintptr_t(*)(uintptr_t))callback;
    uintptr_t result = function(value);
    cg_yield(0, result);
    return result + 1;
}

/* Recurses `depth` calls deep and yields 0, then 1, from there (the slice
 * holds every level's frame); returns 1 + 2 + ... + depth. */
__attribute__((noinline)) static uintptr_t descend(uintptr_t depth)
{
    volatile uintptr_t level = depth;
    uintptr_t below;
    if (depth == 0) {
        cg_yield(0, 0);
        cg_yield(0, 1);
        return 0;
    }
    below = descend(depth - 1);
    return below + level; /* read after the call: the frame stays */
}

/* Recurses `depth` calls deep and yields 0 once from there. */
__attribute__((noinline)) static uintptr_t descend_once(uintptr_t depth)
{
    volatile uintptr_t level = depth;
    uintptr_t below;
    if (depth == 0) {
        cg_yield(0, 0);
        return 0;
    }
    below = descend_once(depth - 1);
    return below + level; /* read after the call: the frame stays */
}

uintptr_t deep(uintptr_t depth, uintptr_t unused)
{
    (void)unused;
    return descend(depth);
}

/* Yields 0 from `depth` calls deep, then 1 and 2 from its own frame: a
 * buffer sized for the deep slice holds the shallow ones. */
uintptr_t deep_then_shallow(uintptr_t depth, uintptr_t unused)
{
    (void)unused;
    descend_once(depth);
    cg_yield(0, 1);
    cg_yield(0, 2);
    return 3;
}
