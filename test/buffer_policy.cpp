// When slice buffers grow and shrink by themselves, and cg::trim_buffers,
// which shrinks every suspended generator's of the calling thread (the
// policy: src/slice_buffer.hpp, README.md "Memory").
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <future>
#include <thread>
#include <vector>

#include <cg/copy_generator.hpp>

#include "support.hpp"

using cg::CopyGenerator;
using cg::Yielder;

namespace {

constexpr std::size_t deep = 8192;

/// Yields `value` from a frame `bytes` deeper, whose locals must survive.
[[gnu::noinline]] void yield_from_depth(Yielder<int>& y, int value, std::size_t bytes)
{
    auto* locals = static_cast<unsigned char*>(__builtin_alloca(bytes));
    std::memset(locals, value & 0xff, bytes);
    y.yield(value);
    for (std::size_t i = 0; i < bytes; ++i)
        if (locals[i] != (value & 0xff))
            FAIL("a deep frame's locals changed across a yield");
}

/// As yield_from_depth, with cg::yield.
[[gnu::noinline]] void yield_freely_from_depth(int value, std::size_t bytes)
{
    auto* locals = static_cast<unsigned char*>(__builtin_alloca(bytes));
    std::memset(locals, value & 0xff, bytes);
    cg::yield(value);
    for (std::size_t i = 0; i < bytes; ++i)
        if (locals[i] != (value & 0xff))
            FAIL("a deep frame's locals changed across a yield");
}

/// What a buffer holds after shrinking for `slice`: the inline bytes if
/// it fits there, else 1.5 times it, rounded to 16.
std::size_t shrunk_capacity(std::size_t slice)
{
    return slice <= cg_test::inline_capacity() ? cg_test::inline_capacity() : (slice + slice / 2 + 15) / 16 * 16;
}

/// Yields 0 shallow, 1 from `deep` bytes down, then 2, 3, ... shallow; its
/// own locals must survive all of it.
CopyGenerator<int> deep_once()
{
    return CopyGenerator<int>([](Yielder<int>& y) {
        volatile long guard = 0x5eed;
        y.yield(0);
        yield_from_depth(y, 1, deep);
        for (int i = 2;; ++i) {
            y.yield(i);
            if (guard != 0x5eed)
                FAIL("the body's locals changed");
        }
    });
}

} // namespace

TEST_CASE("a buffer grown for a deep yield shrinks at the second shallow yield after it", "[buffer_policy]")
{
    auto g = deep_once();
    REQUIRE(g.next() == 0);
    REQUIRE(g.next() == 1);
    std::size_t grown = g.buffer_capacity();
    CHECK(grown >= deep);
    CHECK(g.slice_size() >= deep);

    REQUIRE(g.next() == 2); // the first shallow yield keeps the buffer
    CHECK(g.buffer_capacity() == grown);
    REQUIRE(g.next() == 3); // the second gives the excess back
    CHECK(g.buffer_capacity() < grown);
    CHECK(g.buffer_capacity() == shrunk_capacity(g.slice_size()));

    std::size_t made = cg_test::allocations_made();
    for (int i = 4; i < 100; ++i) // and then stays as it is
        REQUIRE(g.next() == i);
    CHECK(cg_test::allocations_made() == made);
}

TEST_CASE("a generator's heap buffer goes back when it finishes, before it is destroyed", "[buffer_policy]")
{
    CopyGenerator<int> g([](Yielder<int>& y) {
        y.yield(0);
        yield_from_depth(y, 1, deep); // its last yield, with its slice on the heap
    });
    REQUIRE(g.next() == 0);
    REQUIRE(g.next() == 1);
    REQUIRE(g.buffer_capacity() >= deep);
    std::size_t with_heap_buffer = cg_test::outstanding_allocations();
    REQUIRE_FALSE(g.next().has_value());
    CHECK(g.done());
    CHECK(g.buffer_capacity() == cg_test::inline_capacity());
    CHECK(cg_test::outstanding_allocations() == with_heap_buffer - 1);
}

TEST_CASE("a minimal generator's buffer goes back to the inline bytes, not to the heap", "[buffer_policy]")
{
    std::size_t before = cg_test::outstanding_allocations();
    {
        // cg::yield needs no handle, which keeps the body's frame as small
        // as the README's minimal generator's.
        CopyGenerator<int> g([]() {
            yield_freely_from_depth(0, deep);
            for (int i = 1;; ++i)
                cg::yield(i);
        });
        REQUIRE(g.next() == 0);
        REQUIRE(g.buffer_capacity() >= deep);
        REQUIRE(g.next() == 1);
        REQUIRE(g.next() == 2);
        INFO("slice " << g.slice_size() << ", capacity " << g.buffer_capacity());
        if (cg_test::lean_frames)
            REQUIRE(g.slice_size() <= cg_test::inline_capacity()); // the README's minimal generator: the case is reached
        REQUIRE(g.buffer_capacity() == shrunk_capacity(g.slice_size()));
        if (g.slice_size() <= cg_test::inline_capacity())
            REQUIRE(cg_test::outstanding_allocations() == before + 1); // the control block alone
        for (int i = 3; i < 50; ++i)
            REQUIRE(g.next() == i);
        REQUIRE(g.buffer_capacity() == shrunk_capacity(g.slice_size()));
    }
    REQUIRE(cg_test::outstanding_allocations() == before);
}

namespace {

/// Cleared when a lean frame's locals changed across a yield. The lean
/// functions below report so instead of failing the test at once: Catch's
/// macros would make their frames large.
bool lean_locals_intact = true;

/// As yield_freely_from_depth, in a frame as small as it can be.
[[gnu::noinline]] void yield_leanly_from_depth(int value, std::size_t bytes)
{
    auto* locals = static_cast<unsigned char*>(__builtin_alloca(bytes));
    std::memset(locals, value & 0xff, bytes);
    cg::yield(value);
    for (std::size_t i = 0; i < bytes; ++i)
        lean_locals_intact = lean_locals_intact && locals[i] == (value & 0xff);
}

} // namespace

TEST_CASE("small slices in a heap buffer they use more than a quarter of stay there, intact", "[buffer_policy]")
{
    // The first yield, from a little deeper, moves the buffer to the heap;
    // the slices after it are smaller but use more than a quarter of it,
    // so the policy keeps it. Up to 64 bytes (CG_SMALL_SLICE on both CPUs)
    // the trampoline copies such a slice itself (src/trampoline.h), and
    // must keep the buffer, the slice size and every byte as the core does.
    lean_locals_intact = true;
    // Yields 0 and 1 from 16 and 0 bytes down, then 2, 3, ... from its
    // own frame, as small as the README's minimal generator's (cg::yield
    // needs no handle).
    CopyGenerator<int> g([]() {
        yield_leanly_from_depth(0, 16);
        yield_leanly_from_depth(1, 0);
        for (int i = 2;; ++i)
            cg::yield(i);
    });
    REQUIRE(g.next() == 0);
    const std::size_t grown = g.buffer_capacity();
    REQUIRE(grown > cg_test::inline_capacity());
    const std::size_t made = cg_test::allocations_made();
    bool policy_keeps = true;
    int small_heap_yields = 0;
    for (int i = 1; i < 300; ++i) {
        REQUIRE(g.next() == i);
        std::size_t slice = g.slice_size();
        INFO("yield " << i << ": slice " << slice << ", capacity " << g.buffer_capacity());
        REQUIRE(slice > 0);
        REQUIRE(slice % 16 == 0);
        policy_keeps = policy_keeps && slice <= grown && slice * 4 > grown;
        if (policy_keeps) {
            REQUIRE(g.buffer_capacity() == grown);
            REQUIRE(cg_test::allocations_made() == made);
            small_heap_yields += slice <= 64;
        }
    }
    INFO("yields of a small slice kept in the heap buffer: " << small_heap_yields << ", first capacity " << grown);
    REQUIRE(lean_locals_intact);
    if (cg_test::lean_frames)
        REQUIRE(small_heap_yields >= 290); // the case is reached: every yield from the body's frame
}

TEST_CASE("a generator whose depth alternates keeps its buffer", "[buffer_policy]")
{
    CopyGenerator<int> g([](Yielder<int>& y) {
        for (int i = 0;; i += 2) {
            yield_from_depth(y, i, deep);
            y.yield(i + 1);
        }
    });
    REQUIRE(g.next() == 0);
    std::size_t grown = g.buffer_capacity();
    std::size_t made = cg_test::allocations_made();
    for (int i = 1; i < 200; ++i) {
        REQUIRE(g.next() == i);
        REQUIRE(g.buffer_capacity() == grown);
    }
    CHECK(cg_test::allocations_made() == made); // not one reallocation
}

TEST_CASE("trim_buffers gives back every suspended generator's excess on this thread", "[buffer_policy]")
{
    std::vector<CopyGenerator<int>> trimmed;
    for (int i = 0; i < 100; ++i) {
        trimmed.push_back(deep_once());
        REQUIRE(trimmed.back().next() == 0);
        REQUIRE(trimmed.back().next() == 1);
        REQUIRE(trimmed.back().next() == 2); // shallow once: the buffer is still large
    }
    auto small = deep_once(); // never deep: nothing to give back
    REQUIRE(small.next() == 0);
    auto unstarted = deep_once();
    CopyGenerator<int> finished([](Yielder<int>&) {});
    REQUIRE_FALSE(finished.next());

    std::size_t expected = 0;
    for (auto& g : trimmed)
        expected += g.buffer_capacity() - (g.slice_size() <= cg_test::inline_capacity() ? 0 : g.slice_size());
    std::size_t small_capacity = small.buffer_capacity();
    std::size_t bytes = cg_test::outstanding_bytes();

    std::size_t freed = cg::trim_buffers();
    CHECK(freed == expected);
    CHECK(cg_test::outstanding_bytes() == bytes - freed);
    for (auto& g : trimmed)
        CHECK(g.buffer_capacity() == std::max<std::size_t>(cg_test::inline_capacity(), g.slice_size()));
    CHECK(small.buffer_capacity() == small_capacity);
    CHECK(cg::trim_buffers() == 0); // nothing left to give

    for (auto& g : trimmed) // the saved slices came through intact
        for (int i = 3; i < 6; ++i)
            REQUIRE(g.next() == i);
    REQUIRE(small.next() == 1);
    REQUIRE(unstarted.next() == 0);
}

TEST_CASE("trim_buffers leaves a buffer as it was when out of memory", "[buffer_policy]")
{
    auto g = deep_once();
    for (int i = 0; i <= 2; ++i)
        REQUIRE(g.next() == i);
    std::size_t capacity = g.buffer_capacity();
    REQUIRE(g.slice_size() > cg_test::inline_capacity()); // trimming it needs a new buffer
    {
        cg_test::AllocationFailure failure;
        CHECK(cg::trim_buffers() == 0);
    }
    CHECK(g.buffer_capacity() == capacity);
    REQUIRE(g.next() == 3);
}

TEST_CASE("trim_buffers skips the running generator it is called from", "[buffer_policy]")
{
    auto other = deep_once();
    for (int i = 0; i <= 2; ++i)
        REQUIRE(other.next() == i);
    std::size_t other_excess = other.buffer_capacity() - std::max<std::size_t>(cg_test::inline_capacity(), other.slice_size());
    std::size_t freed_inside = 0, capacity_before = 0, capacity_after = 0;
    CopyGenerator<int> trimmer; // (assigned below; the body refers to it)
    trimmer = CopyGenerator<int>([&](Yielder<int>& y) {
        yield_from_depth(y, 0, deep);
        capacity_before = trimmer.buffer_capacity();
        freed_inside = cg::trim_buffers();
        capacity_after = trimmer.buffer_capacity();
        y.yield(1);
    });
    REQUIRE(trimmer.next() == 0);
    REQUIRE(trimmer.next() == 1);
    CHECK(capacity_before >= deep);
    CHECK(capacity_after == capacity_before); // the running one was not touched
    CHECK(freed_inside == other_excess);      // the suspended one was
    REQUIRE(other.next() == 3);
}

TEST_CASE("trim_buffers trims only the calling thread's generators", "[buffer_policy]")
{
    // Created here, started on another thread: it then belongs there.
    auto g = deep_once();
    std::promise<std::size_t> suspended_there;
    std::promise<void> trimmed_here;
    std::thread owner([&] {
        for (int i = 0; i <= 2; ++i)
            REQUIRE(g.next() == i);
        suspended_there.set_value(g.buffer_capacity());
        trimmed_here.get_future().wait();
        std::size_t excess = g.buffer_capacity() - std::max<std::size_t>(cg_test::inline_capacity(), g.slice_size());
        CHECK(cg::trim_buffers() == excess);
        CHECK(g.buffer_capacity() == std::max<std::size_t>(cg_test::inline_capacity(), g.slice_size()));
        REQUIRE(g.next() == 3);
        g = CopyGenerator<int>([](Yielder<int>&) {}); // destroyed on its own thread
    });
    std::size_t capacity = suspended_there.get_future().get();
    CHECK(capacity >= deep);
    CHECK(cg::trim_buffers() == 0);
    CHECK(g.buffer_capacity() == capacity);
    trimmed_here.set_value();
    owner.join();
}
