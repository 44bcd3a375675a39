// What a suspended generator costs: its slice is the bytes its frames use,
// no more; its buffer follows the slice.
#include <catch2/catch.hpp>

#include <cstring>
#include <memory>

#include <cg.h>
#include <cg/copy_generator.hpp>

#include "support.hpp"

using cg::CopyGenerator;
using cg::Yielder;

namespace {

[[gnu::noinline]] void yield_with_locals(Yielder<int>& y, std::size_t bytes)
{
    char* locals = static_cast<char*>(__builtin_alloca(bytes));
    std::memset(locals, 3, bytes);
    y.yield(static_cast<int>(bytes));
    asm volatile("" : : "r"(locals) : "memory");
}

} // namespace

// The figure README.md quotes: 32 bytes on amd64, 48 on aarch64, in the
// control block's inline bytes (32 and 64 of them).
TEST_CASE("a minimal integer generator suspends with a slice in the control block's inline bytes", "[slice_size]")
{
    CopyGenerator<int> minimal([](Yielder<int>& y) {
        for (int i = 0;; ++i)
            y.yield(i);
    });
    REQUIRE(minimal.slice_size() == 0);
    REQUIRE(minimal.next() == 0);
    INFO("slice of a minimal generator: " << minimal.slice_size() << " bytes");
    REQUIRE(minimal.slice_size() > 0);
    REQUIRE(minimal.slice_size() % 16 == 0);
    REQUIRE(minimal.buffer_capacity() >= minimal.slice_size());
    if (cg_test::lean_frames) {
        REQUIRE(minimal.slice_size() <= cg_test::minimal_slice);
        REQUIRE(minimal.buffer_capacity() == cg_test::inline_capacity()); // no allocation beyond the control block
    }
}

TEST_CASE("the slice follows the depth of the yield", "[slice_size]")
{
    CopyGenerator<int> generator([](Yielder<int>& y) {
        for (std::size_t bytes : {64u, 1024u, 8192u, 256u})
            yield_with_locals(y, bytes);
    });
    std::size_t previous = 0;
    for (std::size_t bytes : {64u, 1024u, 8192u, 256u}) {
        REQUIRE(generator.next() == static_cast<int>(bytes));
        std::size_t slice = generator.slice_size();
        INFO("locals " << bytes << ", slice " << slice);
        REQUIRE(slice >= bytes);
        REQUIRE(slice < bytes + 1024);
        REQUIRE(slice % 16 == 0);
        REQUIRE(generator.buffer_capacity() >= slice);
        previous = slice;
    }
    REQUIRE(previous < 2048);
}

// The C API's yield tail-calls the trampoline, which leaves no frame of its
// own in the slice either (on aarch64 too): the figures README.md quotes, 32
// and 48 bytes, in the inline bytes.
TEST_CASE("a C generator's slice is small too", "[slice_size][c_api]")
{
    auto counter = +[](std::uintptr_t a, std::uintptr_t) -> std::uintptr_t {
        for (;;)
            a = cg_yield(nullptr, a) + 1;
    };
    std::unique_ptr<cg_t, void (*)(cg_t*)> co(cg_create(reinterpret_cast<void*>(counter), 0, 0), cg_destroy);
    REQUIRE(cg_invoke(co.get(), 0) == 0);
    REQUIRE(cg_invoke(co.get(), 41) == 42);
    INFO("slice of a C generator: " << cg_slice_size(co.get()));
    REQUIRE(cg_slice_size(co.get()) > 0);
    if (cg_test::lean_frames) {
        REQUIRE(cg_slice_size(co.get()) <= cg_test::minimal_c_slice);
        REQUIRE(cg_buffer_capacity(co.get()) == cg_test::inline_capacity()); // no heap buffer
    }
    REQUIRE(cg_invoke(co.get(), 99) == 100); // the word received still comes back
}
