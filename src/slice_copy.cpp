// slice_copy.cpp - the copy of large slices (slice_copy.hpp).
//
// 128 bytes per step in 32-byte vectors: two SSE2 registers each, or one
// AVX2 register where the arch allows it (CG_ARCH_WIDE_COPY_TARGET) and the
// CPU has it; from large_copy_threshold (256) bytes on. From 512 bytes on,
// the stores are aligned to 32: a slice and its buffer differ in alignment,
// and misaligned stores are what costs.
// On this project's Zen 5 guest the AVX2 loop beats glibc's memcpy, which
// switches to `rep movsb` at 2112 bytes (see bench/: roundtrip_size).
#include "slice_copy.hpp"

#include <cstdlib>

#include "frame_layout.h"

namespace cg::detail {
namespace {

using Chunk = char __attribute__((vector_size(32)));

// By reference: a 32-byte vector passed by value has no ABI without AVX.
CG_UNINSTRUMENTED [[gnu::always_inline]] inline void load(Chunk& chunk, const char* from) noexcept
{
    __builtin_memcpy(&chunk, from, sizeof chunk);
}

CG_UNINSTRUMENTED [[gnu::always_inline]] inline void store(char* to, const Chunk& chunk) noexcept
{
    __builtin_memcpy(to, &chunk, sizeof chunk);
}

CG_UNINSTRUMENTED [[gnu::always_inline]] inline void store_aligned(char* to, const Chunk& chunk) noexcept
{
    __builtin_memcpy(__builtin_assume_aligned(to, sizeof chunk), &chunk, sizeof chunk);
}

/// Copies the highest whole 128-byte blocks, then 32-byte chunks, from the
/// top down; leaves the lowest `bytes` % 32 bytes. `Store` stores a chunk.
template <auto Store>
CG_UNINSTRUMENTED [[gnu::always_inline]] inline void copy_chunks(char* to, const char* from,
                                                                 std::size_t& bytes) noexcept
{
    for (; bytes >= 128; bytes -= 128) {
        Chunk a, b, c, d;
        load(a, from + bytes - 128);
        load(b, from + bytes - 96);
        load(c, from + bytes - 64);
        load(d, from + bytes - 32);
        Store(to + bytes - 128, a);
        Store(to + bytes - 96, b);
        Store(to + bytes - 64, c);
        Store(to + bytes - 32, d);
    }
    for (; bytes >= 32; bytes -= 32) {
        Chunk chunk;
        load(chunk, from + bytes - 32);
        Store(to + bytes - 32, chunk);
    }
}

CG_UNINSTRUMENTED [[gnu::always_inline]] inline void copy_body(char* to, const char* from, std::size_t bytes) noexcept
{
    if (bytes >= 512) {
        Chunk lowest, highest;
        load(lowest, from); // stored last: it covers what the aligned loop leaves
        load(highest, from + bytes - 32);
        store(to + bytes - 32, highest);
        bytes -= reinterpret_cast<std::uintptr_t>(to + bytes) % sizeof(Chunk); // now to + bytes is aligned
        copy_chunks<store_aligned>(to, from, bytes);
        store(to, lowest);
        return;
    }
    copy_chunks<store>(to, from, bytes);
    if (bytes >= 16) {
        bytes -= 16;
        char half[16];
        __builtin_memcpy(half, from + bytes, 16);
        __builtin_memcpy(to + bytes, half, 16);
    }
    if (bytes >= 8) {
        std::uint64_t word;
        __builtin_memcpy(&word, from, 8);
        __builtin_memcpy(to, &word, 8);
    }
}

CG_UNINSTRUMENTED void copy_narrow(char* to, const char* from, std::size_t bytes) noexcept
{
    copy_body(to, from, bytes);
}

#ifdef CG_ARCH_WIDE_COPY_TARGET
CG_UNINSTRUMENTED __attribute__((target(CG_ARCH_WIDE_COPY_TARGET))) void copy_wide(char* to, const char* from,
                                                                                   std::size_t bytes) noexcept
{
    copy_body(to, from, bytes);
}
#endif

/// The wide copy where the CPU has it, unless CG_NARROW_COPY is set (so
/// that the tests can run the other one too). Chosen at load, before any
/// generator can run.
__attribute__((constructor)) void choose_copy() noexcept
{
#ifdef CG_ARCH_WIDE_COPY_TARGET
    __builtin_cpu_init(); // required before __builtin_cpu_supports in a constructor
    if (__builtin_cpu_supports(CG_ARCH_WIDE_COPY_TARGET) && std::getenv("CG_NARROW_COPY") == nullptr)
        copy_large = &copy_wide;
#endif
}

} // namespace

void (*copy_large)(char* to, const char* from, std::size_t bytes) noexcept = &copy_narrow;

} // namespace cg::detail
