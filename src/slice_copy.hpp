// slice_copy.hpp - the copy of stack bytes between a home and the heap: a
// slice out on yield and in on resume, a destroyer's frames parked and put
// back. The trampoline calls the core (src/trampoline.cpp) with the stack
// pointer already below the destination, so this is plain code.
//
// It is never instrumented and never calls memcpy: the bytes it reads are
// stack frames, with the red zones AddressSanitizer poisons around their
// locals, and memcpy is intercepted (and checked) by the sanitizers.
#pragma once

#include <cstddef>
#include <cstdint>

#define CG_UNINSTRUMENTED __attribute__((no_sanitize("address", "thread", "undefined")))

namespace cg::detail {

/// Copies bytes that are a multiple of 8 and more than 32 (slice_copy.cpp),
/// with the widest vectors the CPU has.
extern void (*copy_large)(char* to, const char* from, std::size_t bytes) noexcept;

/// From this many bytes on, copy_large's 128-byte steps beat copy_medium's
/// 16-byte ones, call included: a round trip with a 352-byte slice took
/// 30.6 ns with copy_medium, 27.3 with copy_large (README.md, "Performance").
inline constexpr std::size_t large_copy_threshold = 256;

/// Copies a slice of 16 to 32 bytes, a multiple of 8, a word at a time:
/// its words were just stored one by one (a return address, a frame's
/// pushes), and a wider load spanning two such stores waits for them
/// instead of taking them from the store buffer.
CG_UNINSTRUMENTED inline void copy_small_slice(char* to, const char* from, std::size_t bytes) noexcept
{
    std::uint64_t words[4];
    __builtin_memcpy(&words[0], from, 8); // the lowest 16 bytes ...
    __builtin_memcpy(&words[1], from + 8, 8);
    __builtin_memcpy(&words[2], from + bytes - 16, 8); // ... and the highest (the same if 16)
    __builtin_memcpy(&words[3], from + bytes - 8, 8);
    // Opaque to the optimizer: four 8-byte loads and stores, not merged
    // into wider ones.
    asm("" : "+r"(words[0]), "+r"(words[1]), "+r"(words[2]), "+r"(words[3]));
    __builtin_memcpy(to, &words[0], 8);
    __builtin_memcpy(to + 8, &words[1], 8);
    __builtin_memcpy(to + bytes - 16, &words[2], 8);
    __builtin_memcpy(to + bytes - 8, &words[3], 8);
}

/// Copies `bytes`, a multiple of 8 below large_copy_threshold, 16 bytes at
/// a time from the top (vectors every CPU cg runs on has), then the last 8 if any: inline,
/// no call.
CG_UNINSTRUMENTED inline void copy_medium(char* to, const char* from, std::size_t bytes) noexcept
{
    using Vector = char __attribute__((vector_size(16)));
    for (; bytes >= 16; bytes -= 16) {
        Vector part;
        __builtin_memcpy(&part, from + bytes - 16, 16);
        __builtin_memcpy(to + bytes - 16, &part, 16);
    }
    if (bytes != 0) {
        std::uint64_t word;
        __builtin_memcpy(&word, from, 8);
        __builtin_memcpy(to, &word, 8);
    }
}

/// Copies `bytes`, a multiple of 8, between two ranges that do not overlap.
CG_UNINSTRUMENTED inline void copy_stack_bytes(char* to, const char* from, std::size_t bytes) noexcept
{
    if (bytes >= 16 && bytes <= 32)
        copy_small_slice(to, from, bytes);
    else if (bytes < large_copy_threshold)
        copy_medium(to, from, bytes);
    else
        copy_large(to, from, bytes);
}

} // namespace cg::detail
