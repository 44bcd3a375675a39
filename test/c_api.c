/* The C API used from C: this file is compiled as C99 with -Wpedantic, so it
 * also checks that <cg.h> and <cg/cg.h> are valid C. */
#include <cg.h>
#include <cg/cg.h>
#include <cg/debug.h>

#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(condition)                                                          \
    do {                                                                          \
        if (!(condition)) {                                                       \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #condition); \
            ++failures;                                                           \
        }                                                                         \
    } while (0)

typedef uintptr_t (*generator_function)(uintptr_t, uintptr_t);

/* ISO C has no conversion from a function pointer to void*; copy the bits. */
static void* as_pointer(generator_function function)
{
    void* pointer;
    memcpy(&pointer, &function, sizeof pointer);
    return pointer;
}

static uintptr_t fib(uintptr_t limit, uintptr_t last)
{
    uintptr_t a = 1, b = 1, t;
    while (a < limit) {
        cg_yield(__builtin_frame_address(0), a);
        t = a + b;
        a = b;
        b = t;
    }
    return last;
}

/* Adds what each cg_invoke sends; yields the running sum. */
static uintptr_t summer(uintptr_t start, uintptr_t unused)
{
    uintptr_t sum = start;
    (void)unused;
    for (;;)
        sum += cg_yield(NULL, sum);
    return sum; /* not reached */
}

/* Drives a fib generator of its own and yields every second number. */
static uintptr_t every_second(uintptr_t limit, uintptr_t unused)
{
    cg_t* inner = cg_create(as_pointer(fib), limit, 0);
    uintptr_t x, n = 0;
    (void)unused;
    for (x = cg_invoke(inner, 0); !cg_is_done(inner); x = cg_invoke(inner, 0))
        if (n++ % 2 == 0)
            cg_yield(NULL, x);
    cg_destroy(inner);
    return n;
}

/* Yields `value` from a frame with 4000 bytes of locals. */
static __attribute__((noinline)) void yield_from_deep(uintptr_t value)
{
    volatile char deep[4000];
    deep[0] = 1;
    deep[sizeof deep - 1] = 1;
    cg_yield(NULL, value);
    CHECK(deep[0] == 1 && deep[sizeof deep - 1] == 1);
}

/* Yields 1 from 4000 bytes deep, then 2, 3, ... from its own frame. */
static uintptr_t deep_then_shallow(uintptr_t unused1, uintptr_t unused2)
{
    uintptr_t i;
    (void)unused1;
    (void)unused2;
    yield_from_deep(1);
    for (i = 2;; ++i)
        cg_yield(NULL, i);
    return 0;
}

int main(void)
{
    static const uintptr_t expected[] = {1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89};
    size_t i, n = 0;
    uintptr_t x;
    int status;

    /* The original's loop. */
    cg_t* co = cg_create(as_pointer(fib), 100, 1976);
    CHECK(co != NULL);
    CHECK(!cg_is_done(co));
    for (x = cg_invoke(co, 0); !cg_is_done(co); x = cg_invoke(co, 0)) {
        CHECK(n < sizeof expected / sizeof expected[0] && x == expected[n]);
        ++n;
    }
    CHECK(n == sizeof expected / sizeof expected[0]);
    CHECK(x == 1976); /* fib's return value */
    CHECK(cg_resume(co, 0, &x) == CG_EFINISHED);
    cg_destroy(co);

    /* Values sent in. */
    co = cg_create(as_pointer(summer), 100, 0);
    CHECK(cg_invoke(co, 12345) == 100); /* the first value has no pending yield */
    CHECK(cg_invoke(co, 5) == 105);
    CHECK(cg_invoke(co, 10) == 115);
    CHECK(cg_slice_size(co) > 0);
    cg_destroy(co); /* suspended: discarded */

    /* Nested: a generator driving another. */
    co = cg_create(as_pointer(every_second), 100, 0);
    n = 0;
    for (x = cg_invoke(co, 0); !cg_is_done(co); x = cg_invoke(co, 0)) {
        CHECK(x == expected[2 * n]);
        ++n;
    }
    CHECK(n == 6);
    CHECK(x == 11);
    cg_destroy(co);

    /* Many at once, interleaved. */
    {
        enum { count = 10000 };
        static cg_t* many[count];
        for (i = 0; i < count; ++i) {
            many[i] = cg_create(as_pointer(summer), i, 0);
            CHECK(cg_invoke(many[i], 0) == i);
        }
        for (i = 0; i < count; ++i)
            CHECK(cg_invoke(many[i], 1) == i + 1);
        for (i = 0; i < count; ++i)
            cg_destroy(many[i]);
    }

    /* Buffers: grown for a deep yield, trimmed on request. (The trim first
     * gives back the control blocks kept from the generators destroyed
     * above, so that the one checked below gives back only co's buffer.) */
    cg_trim_buffers();
    co = cg_create(as_pointer(deep_then_shallow), 0, 0);
    CHECK(cg_invoke(co, 0) == 1);
    CHECK(cg_buffer_capacity(co) >= 4000);
    CHECK(cg_invoke(co, 0) == 2); /* shallow once: the buffer stays as large */
    CHECK(cg_buffer_capacity(co) >= 4000);
    {
        /* A generator not started has the control block's inline bytes,
         * which a slice that fits goes back to, giving the whole heap
         * buffer back. */
        cg_t* fresh = cg_create(as_pointer(summer), 0, 0);
        size_t inline_bytes = cg_buffer_capacity(fresh);
        size_t before = cg_buffer_capacity(co);
        size_t slice = cg_slice_size(co);
        CHECK(slice < 1000);
        CHECK(cg_trim_buffers() == (slice > inline_bytes ? before - slice : before));
        CHECK(cg_buffer_capacity(co) == (slice > inline_bytes ? slice : inline_bytes));
        cg_destroy(fresh); /* after the trim, which would count its slab given back if it held no block */
    }
    CHECK(cg_invoke(co, 0) == 3);
    CHECK(cg_buffer_capacity(NULL) == 0);
    cg_destroy(co);

    /* Checked calls. */
    CHECK(cg_try_yield(1, NULL) == CG_EOUTSIDE);
    CHECK(cg_resume(NULL, 0, NULL) == CG_EINVAL);
    co = cg_create(as_pointer(fib), 10, 0);
    CHECK(cg_set_headroom(co, 4096) == CG_OK);
    status = cg_resume(co, 0, &x);
    CHECK(status == CG_OK && x == 1);
    CHECK(strcmp(cg_strerror(CG_EFINISHED), "the generator has finished") == 0);
    cg_destroy(co);
    cg_destroy(NULL);

    /* The debug descriptor, as a C debugger's helper would see it. */
    CHECK(memcmp(cg_debug_descriptor.magic, CG_DEBUG_MAGIC, 8) == 0);
    CHECK(cg_debug_descriptor.version == CG_DEBUG_VERSION);
    CHECK(cg_debug_descriptor.size == sizeof cg_debug_descriptor);
    CHECK(cg_debug_descriptor.register_count > 0 && cg_debug_descriptor.register_count <= CG_DEBUG_MAX_REGISTERS);

    if (failures == 0)
        printf("c_api: all checks passed\n");
    return failures == 0 ? 0 : 1;
}
