/* words.c - a small C library of generators for examples/python/words.py:
 * the kind of code (a tokenizer, a tally kept in C) a Python program
 * drives through the cg package. Each is a body of the shape
 * uintptr_t f(uintptr_t, uintptr_t). */
#include <cg.h>

/* Yields each word of the `length` bytes at `text` (runs of letters) as
 * its offset times 65536 plus its length; returns how many there were. */
uintptr_t words(uintptr_t text, uintptr_t length)
{
    const unsigned char* bytes = (const unsigned char*)text;
    uintptr_t count = 0, i = 0;
    while (i < length) {
        while (i < length && !((bytes[i] | 32) >= 'a' && (bytes[i] | 32) <= 'z'))
            ++i;
        uintptr_t start = i;
        while (i < length && (bytes[i] | 32) >= 'a' && (bytes[i] | 32) <= 'z')
            ++i;
        if (i > start) {
            cg_yield(0, start * 65536 + (i - start));
            ++count;
        }
    }
    return count;
}

/* Counts the word lengths it is sent into `buckets` (an array of `size`
 * counters the caller owns; longer words go to the last) and yields how
 * many it has counted; sending 0 ends it, returning the longest length. */
uintptr_t tally(uintptr_t buckets, uintptr_t size)
{
    uintptr_t* counters = (uintptr_t*)buckets;
    uintptr_t counted = 0, longest = 0;
    for (uintptr_t length = cg_yield(0, 0); length != 0; length = cg_yield(0, counted)) {
        counters[length < size ? length : size - 1] += 1;
        longest = length > longest ? length : longest;
        ++counted;
    }
    return longest;
}
