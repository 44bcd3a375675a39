// Rule 6: destroying a suspended generator runs the destructors of every
// object alive in its frames and frees everything; so does destroying a
// never-started or finished one. The listener in support.cpp checks that
// every test case frees every cg allocation it made.
#include <catch2/catch.hpp>

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

TEST_CASE("a generator destroyed from deeper than its home is unwound", "[destruction]")
{
    // Its home reaches into the destroyer's frames: they are parked while it
    // unwinds and put back afterwards.
    REQUIRE(Tracked::alive == 0);
    std::optional<CopyGenerator<int>> generator;
    generator.emplace([](Yielder<int>& y) { hold_and_yield(y, 10); });
    REQUIRE(generator->next() == 10);
    REQUIRE(generator->next() == 9);
    cg_test::at_depth(cg::default_headroom + 4096, [&] {
        std::string destroyer_local = "the destroyer's own frame";
        char pattern[1000];
        for (int i = 0; i < 1000; ++i)
            pattern[i] = static_cast<char>(i);
        generator.reset();
        REQUIRE(Tracked::alive == 0);
        REQUIRE(destroyer_local == "the destroyer's own frame");
        for (int i = 0; i < 1000; ++i)
            REQUIRE(pattern[i] == static_cast<char>(i));
    });
    REQUIRE(Tracked::alive == 0);
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
