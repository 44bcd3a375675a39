// Rule 6: destroying a suspended generator runs the destructors of every
// object alive in its frames and frees everything; so does destroying a
// never-started or finished one. The listener in support.cpp checks that
// every test case frees every cg allocation it made.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include <cg/copy_generator.hpp>

#include "support.hpp"

using cg::CopyGenerator;
using cg::Yielder;
using cg_test::Tracked;

namespace {

// Recursion that keeps a Tracked alive at every level while it yields.
void hold_and_yield(Yielder<int>& y, int depth)
{
    Tracked held(depth);
    auto owned = std::make_unique<Tracked>(depth);
    y.yield(depth);
    if (depth > 0)
        hold_and_yield(y, depth - 1);
    y.yield(-depth);
}

} // namespace

TEST_CASE("destroying a suspended generator runs the destructors of its frames", "[destruction]")
{
    REQUIRE(Tracked::alive == 0);
    {
        CopyGenerator<int> generator([](Yielder<int>& y) { hold_and_yield(y, 30); });
        for (int d = 30; d >= 10; --d)
            REQUIRE(generator.next() == d);
        REQUIRE(Tracked::alive == 2 * 21);
    }
    REQUIRE(Tracked::alive == 0);
}

TEST_CASE("a lock held across a yield is released when the generator is destroyed", "[destruction]")
{
    std::mutex mutex;
    {
        CopyGenerator<int> generator([&mutex](Yielder<int>& y) {
            std::lock_guard<std::mutex> hold(mutex);
            y.yield(1);
            y.yield(2);
        });
        REQUIRE(generator.next() == 1);
        REQUIRE_FALSE(mutex.try_lock());
    }
    REQUIRE(mutex.try_lock());
    mutex.unlock();
}

TEST_CASE("never-started and finished generators free everything", "[destruction]")
{
    std::size_t before = cg_test::outstanding_allocations();
    SECTION("never started")
    {
        {
            Tracked captured(1);
            CopyGenerator<int> generator([captured](Yielder<int>& y) { y.yield(captured.value); });
            REQUIRE(cg_test::outstanding_allocations() > before);
            REQUIRE(Tracked::alive == 2);
        }
        REQUIRE(Tracked::alive == 0);
    }
    SECTION("finished, having grown its slice buffer")
    {
        {
            CopyGenerator<int> generator([](Yielder<int>& y) {
                char* big = static_cast<char*>(__builtin_alloca(4000));
                std::memset(big, 0, 4000);
                y.yield(big[0]);
                asm volatile("" : : "r"(big) : "memory");
            });
            REQUIRE(generator.next() == 0);
            REQUIRE(generator.buffer_capacity() >= 4000);
            REQUIRE(generator.next() == std::nullopt);
        }
    }
    REQUIRE(cg_test::outstanding_allocations() == before);
}

namespace {

// Destroying from below the home's top: the destroyer's own frames reach
// into the generator's home, so they are parked on the heap while the
// generator unwinds there, and put back. Every slice class the copies
// distinguish (src/slice_copy.hpp, arch/<cpu>/switch.S) on both sides of
// that: the control block's inline bytes, a small heap buffer, a larger
// one that vectors copy, a large one (aligned vector stores), from just
// below the home's top to far below it, with no headroom and the default
// one, from the main program and from inside another generator.

enum class SliceClass { inline_bytes, small_heap, wide_heap, large_heap };

const char* name(SliceClass kind)
{
    switch (kind) {
    case SliceClass::inline_bytes: return "inline bytes";
    case SliceClass::small_heap: return "small heap buffer";
    case SliceClass::wide_heap: return "heap buffer copied with vectors";
    case SliceClass::large_heap: return "large heap buffer";
    }
    return "?";
}

/// Locals a body keeps across its yields for each class; 0: none at all.
std::size_t live_bytes(SliceClass kind)
{
    switch (kind) {
    case SliceClass::inline_bytes: return 0;
    case SliceClass::small_heap: return 64; // in the body's own frame: generator_of
    case SliceClass::wide_heap: return 96;
    case SliceClass::large_heap: return 3000;
    }
    return 0;
}

[[gnu::noinline]] void yield_holding(Yielder<int>& y, std::size_t bytes)
{
    Tracked held(-1);
    auto* locals = static_cast<unsigned char*>(__builtin_alloca(bytes));
    for (std::size_t i = 0; i < bytes; ++i)
        locals[i] = static_cast<unsigned char>(i * 13);
    for (int i = 0;; ++i) {
        y.yield(i);
        for (std::size_t b = 0; b < bytes; ++b)
            REQUIRE(locals[b] == static_cast<unsigned char>(b * 13));
    }
}

/// The small heap class's locals intact; out of line, so that the checks'
/// own locals are not in the body's frame.
[[gnu::noinline]] void check_locals(const std::uint64_t* locals)
{
    for (std::uint64_t k = 0; k < 8; ++k)
        REQUIRE(locals[k] == k * 0x0101010101010101u);
}

/// A generator of the class: for the inline bytes a minimal one, whose
/// only local is a counted object, destroyed only by unwinding it; for a
/// small heap buffer the same with a few more locals in the body's frame
/// (yield_holding's frames alone take more than 256 bytes); else one that
/// keeps a counted object and checked locals in a frame of their own.
CopyGenerator<int> generator_of(SliceClass kind, std::size_t headroom)
{
    if (kind == SliceClass::inline_bytes)
        return CopyGenerator<int>(
            [](Yielder<int>& y) {
                Tracked held(1);
                for (int i = 0;; ++i)
                    y.yield(i + held.value - 1);
            },
            cg::Options{headroom});
    if (kind == SliceClass::small_heap)
        return CopyGenerator<int>(
            [](Yielder<int>& y) {
                Tracked held(1);
                std::uint64_t locals[8];
                for (std::uint64_t k = 0; k < 8; ++k)
                    locals[k] = k * 0x0101010101010101u;
                asm volatile("" : : "r"(locals) : "memory"); // kept in the frame, across the yields
                for (int i = 0;; ++i) {
                    y.yield(i + held.value - 1);
                    check_locals(locals);
                }
            },
            cg::Options{headroom});
    return CopyGenerator<int>([bytes = live_bytes(kind)](Yielder<int>& y) { yield_holding(y, bytes); },
                              cg::Options{headroom});
}

/// Checks that the generator is of its class (where frames are lean enough
/// for it: unoptimized or ASan's frames are larger).
void check_class(const CopyGenerator<int>& generator, SliceClass kind)
{
    INFO(name(kind) << ": slice " << generator.slice_size() << ", capacity " << generator.buffer_capacity());
    switch (kind) {
    case SliceClass::inline_bytes:
        if (cg_test::lean_frames)
            REQUIRE(generator.buffer_capacity() == cg_test::inline_capacity());
        break;
    case SliceClass::small_heap:
        REQUIRE(generator.slice_size() > cg_test::inline_capacity());
        if (cg_test::lean_frames)
            REQUIRE(generator.slice_size() < 256);
        break;
    case SliceClass::wide_heap:
        REQUIRE(generator.slice_size() >= 256);
        if (cg_test::lean_frames)
            REQUIRE(generator.slice_size() < 512);
        break;
    case SliceClass::large_heap: REQUIRE(generator.slice_size() >= 512); break;
    }
}

/// Destroys `generator` from `pad` bytes below the caller, checking that
/// the destroyer's own frame is intact after, and that the counted objects
/// of the generator were destroyed. True if the destroyer's frames had to
/// be parked (the destroy allocated for them).
[[gnu::noinline]] bool destroy_from(std::size_t pad, CopyGenerator<int>& generator)
{
    std::size_t allocations_before = cg_test::allocations_made();
    cg_test::at_depth(pad, [&] {
        std::string destroyer_local = "the destroyer's own frame, long enough to live on the heap";
        char pattern[300];
        for (int i = 0; i < 300; ++i)
            pattern[i] = static_cast<char>(i * 7);
        generator = {};
        REQUIRE(Tracked::alive == 0);
        REQUIRE(destroyer_local == "the destroyer's own frame, long enough to live on the heap");
        for (int i = 0; i < 300; ++i)
            REQUIRE(pattern[i] == static_cast<char>(i * 7));
    });
    return cg_test::allocations_made() > allocations_before;
}

/// Resumes twice from `first_pad` bytes below here (which fixes the home
/// `headroom` below that), then destroys from `destroy_pad` below here.
[[gnu::noinline]] bool start_then_destroy(SliceClass kind, std::size_t headroom, std::size_t first_pad,
                                          std::size_t destroy_pad)
{
    CopyGenerator<int> generator = generator_of(kind, headroom);
    cg_test::at_depth(first_pad, [&] {
        REQUIRE(generator.next() == 0);
        REQUIRE(generator.next() == 1);
    });
    check_class(generator, kind);
    return destroy_from(destroy_pad, generator);
}

constexpr SliceClass every_class[] = {SliceClass::inline_bytes, SliceClass::small_heap, SliceClass::wide_heap,
                                      SliceClass::large_heap};
constexpr std::size_t pads_below_top[] = {0, 16, 64, 200, 1024, 4096, 65536};

} // namespace

TEST_CASE("a generator destroyed from below its home's top is unwound, every slice class", "[destruction]")
{
    REQUIRE(Tracked::alive == 0);
    for (SliceClass kind : every_class)
        for (std::size_t headroom : {std::size_t{0}, cg::default_headroom})
            for (std::size_t extra : pads_below_top) {
                INFO(name(kind) << ", headroom " << headroom << ", destroyed from " << headroom + extra
                                << " bytes deeper than the first resume");
                bool parked = start_then_destroy(kind, headroom, 0, headroom + extra);
                // The destroyer's call into destroy() alone is deeper than
                // the first resume's frame: with no headroom it always reaches
                // into the home; with the default one, from 64 bytes below on.
                if (headroom == 0 || extra >= 64)
                    REQUIRE(parked);
                REQUIRE(Tracked::alive == 0);
            }
}

TEST_CASE("a generator destroyed from above its home's top parks nothing", "[destruction]")
{
    for (SliceClass kind : every_class) {
        INFO(name(kind));
        REQUIRE_FALSE(start_then_destroy(kind, 0, 4096, 0)); // destroyed from 4 KiB shallower
        REQUIRE(Tracked::alive == 0);
    }
}

TEST_CASE("a generator destroyed by another generator from below its home's top", "[destruction]")
{
    for (SliceClass kind : every_class)
        for (std::size_t headroom : {std::size_t{0}, cg::default_headroom}) {
            INFO(name(kind) << ", headroom " << headroom);
            bool parked = false;
            {
                // The outer body starts the inner one, yields, and when
                // resumed destroys it from deeper inside its own frames.
                CopyGenerator<int> outer([&](Yielder<int>& y) {
                    CopyGenerator<int> inner = generator_of(kind, headroom);
                    REQUIRE(inner.next() == 0);
                    REQUIRE(inner.next() == 1);
                    check_class(inner, kind);
                    y.yield(10);
                    parked = destroy_from(headroom + 1024, inner);
                    y.yield(20);
                });
                REQUIRE(outer.next() == 10);
                REQUIRE(Tracked::alive == 1);
                REQUIRE(outer.next() == 20);
                REQUIRE(Tracked::alive == 0);
            }
            REQUIRE(parked);
        }
}

TEST_CASE("a body that swallows forced_unwind still ends", "[destruction]")
{
    int yields_after_catch = 0;
    {
        CopyGenerator<int> generator([&yields_after_catch](Yielder<int>& y) {
            Tracked held(1);
            try {
                y.yield(1);
            } catch (...) {
                // Wrong, but survivable: it catches the unwind and yields
                // again, which throws forced_unwind once more.
                ++yields_after_catch;
                y.yield(2);
            }
        });
        REQUIRE(generator.next() == 1);
    }
    REQUIRE(yields_after_catch == 1);
    REQUIRE(Tracked::alive == 0);
}

TEST_CASE("destroying a generator that holds suspended generators", "[destruction]")
{
    {
        CopyGenerator<int> outer([](Yielder<int>& y) {
            CopyGenerator<int> inner([](Yielder<int>& iy) {
                Tracked held(7);
                for (int i = 0;; ++i)
                    iy.yield(i);
            });
            Tracked mine(8);
            for (;;)
                y.yield(*inner.next());
        });
        REQUIRE(outer.next() == 0);
        REQUIRE(outer.next() == 1);
        REQUIRE(Tracked::alive == 2);
    }
    REQUIRE(Tracked::alive == 0);
}

TEST_CASE("assigning over a suspended generator destroys it", "[destruction]")
{
    auto holding = [](int v) {
        return CopyGenerator<int>([v](Yielder<int>& y) {
            Tracked held(v);
            y.yield(v);
        });
    };
    auto generator = holding(1);
    REQUIRE(generator.next() == 1);
    REQUIRE(Tracked::alive == 1);
    generator = holding(2);
    REQUIRE(Tracked::alive == 0);
    REQUIRE(generator.next() == 2);
    REQUIRE(Tracked::alive == 1);
    generator = holding(3);
    REQUIRE(Tracked::alive == 0);
}
