// footprint.cpp - cg-footprint: what a suspended generator costs in bytes on
// this CPU, which qemu measures as exactly as hardware does (README.md,
// "CPUs"): the slice of the minimal C++ generator and of a minimal C one,
// and the growth of the bytes in malloc's chunks per suspended minimal
// generator at 1,000,000 (its share of a slab of control blocks, the vector
// of handles, malloc's overhead; the minimal generator's body is empty, so
// none is stored).
#include <cstdint>
#include <cstdio>
#include <vector>

#include <malloc.h>

#include <cg.h>
#include <cg/copy_generator.hpp>

namespace {

std::uintptr_t c_counter(std::uintptr_t a, std::uintptr_t)
{
    for (;;)
        a = cg_yield(nullptr, a) + 1;
}

/// Bytes in malloc's chunks, headers included, and in its own mappings.
std::size_t heap_bytes()
{
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

} // namespace

int main()
{
    cg::CopyGenerator<int> minimal([](cg::Yielder<int>& y) {
        for (int i = 0;; ++i)
            y.yield(i);
    });
    minimal.next();
    minimal.next();
    cg_t* c = cg_create(reinterpret_cast<void*>(&c_counter), 0, 0);
    cg_invoke(c, 0);
    cg_invoke(c, 1);
    std::printf("minimal slice: C++ %zu bytes (buffer %zu), C %zu bytes\n", minimal.slice_size(),
                minimal.buffer_capacity(), cg_slice_size(c));
    cg_destroy(c);

    // qemu-user's heap ends 32 MiB above its start, where it maps the
    // libraries; glibc then grows it in separate mappings and loses the end
    // of each, more so for the slabs' page-aligned requests (2000 slabs of
    // 64 KiB: 93 KiB each). A kernel's heap grows on. Asking for a 1 GiB
    // pad gets glibc one mapping for everything below, as one heap: what
    // is in chunks is then what hardware would hold.
    mallopt(M_TOP_PAD, 1 << 30);
    constexpr int count = 1'000'000;
    std::size_t before = heap_bytes();
    std::vector<cg::CopyGenerator<int>> generators;
    generators.reserve(count);
    for (int i = 0; i < count; ++i) {
        generators.emplace_back([](cg::Yielder<int>& y) { // cg-bench's minimal generator: no body stored
            for (int k = 0;; ++k)
                y.yield(k);
        });
        generators.back().next();
    }
    std::printf("per suspended minimal generator at %d: %.1f bytes\n", count,
                static_cast<double>(heap_bytes() - before) / count);
}
