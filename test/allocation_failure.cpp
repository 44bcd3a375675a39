// Allocation failure, injected at every allocation cg makes in a scenario
// that makes every kind: control blocks (C++ and C, top-level and nested),
// slice buffers growing inside a generator, in C++ and in C, and a buffer
// shrinking. Each failure must surface at a well-defined place, as
// std::bad_alloc (C: NULL or CG_ENOMEM), except a failed shrink, which
// must only keep the larger buffer; the code there retries, so every run
// must end with the same values as a run without failure, the generators
// usable throughout, and nothing leaked.
//
// Not covered: the one allocation whose failure aborts. Destroying a
// suspended generator from deeper than its home parks the destroyer's
// frames in a heap area; a destructor cannot report its failure, and
// skipping the unwinding would silently skip destructors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <cg.h>
#include <cg/copy_generator.hpp>

#include "support.hpp"

using cg::CopyGenerator;
using cg::Yielder;
using cg_test::Tracked;

namespace {

struct Observed {
    std::vector<long> values;
    std::vector<std::size_t> capacities; // the outer generator's buffer after each yield
    std::vector<std::string> failures;   // where each std::bad_alloc surfaced
};

/// Calls `action` until it does not throw std::bad_alloc, recording each
/// failure as happening at `where`.
template <class Action>
auto retry(Observed& seen, const char* where, Action&& action)
{
    for (;;) {
        try {
            return action();
        } catch (const std::bad_alloc&) {
            seen.failures.push_back(where);
        }
    }
}

/// Yields `value` from a frame with `bytes` of locals, retrying when the
/// slice buffer cannot grow.
[[gnu::noinline]] void yield_deep(Yielder<long>& y, Observed& seen, long value, std::size_t bytes)
{
    auto* locals = static_cast<unsigned char*>(__builtin_alloca(bytes));
    std::memset(locals, 9, bytes);
    retry(seen, "a growing yield", [&] { y.yield(value); });
    if (locals[bytes - 1] != 9)
        FAIL("the locals of a yield that failed to grow changed");
}

std::uintptr_t c_body(std::uintptr_t observed, std::uintptr_t)
{
    auto& seen = *reinterpret_cast<Observed*>(observed);
    char* locals = static_cast<char*>(__builtin_alloca(3000)); // a slice beyond the inline bytes
    std::memset(locals, 4, 3000);
    for (std::uintptr_t v = 100; v < 103; ++v)
        while (cg_try_yield(v, nullptr) == CG_ENOMEM)
            seen.failures.push_back("a growing C yield");
    asm volatile("" : : "r"(locals) : "memory");
    return static_cast<std::uintptr_t>(locals[2999]);
}

Observed scenario()
{
    Observed seen;
    {
        auto outer = retry(seen, "creation", [&] {
            return CopyGenerator<long>([&seen, payload = std::string(100, 'p')](Yielder<long>& y) {
                Tracked held(1);
                retry(seen, "a yield", [&] { y.yield(static_cast<long>(payload.size())); });
                yield_deep(y, seen, 2, 16384); // deep enough that the shallow yields after it shrink the buffer
                auto inner = retry(seen, "creation in a generator", [&] {
                    return CopyGenerator<long>([&seen](Yielder<long>& iy) {
                        Tracked inner_held(2);
                        for (long v = 10; v < 13; ++v)
                            yield_deep(iy, seen, v, 1024 * static_cast<std::size_t>(v - 9));
                    });
                });
                for (long v : inner)
                    retry(seen, "a yield", [&] { y.yield(v); });
                yield_deep(y, seen, 3, 6000);
            });
        });
        for (long v : outer) {
            seen.values.push_back(v);
            seen.capacities.push_back(outer.buffer_capacity());
        }
    }
    cg_t* co;
    while ((co = cg_create(reinterpret_cast<void*>(&c_body), reinterpret_cast<std::uintptr_t>(&seen), 0)) == nullptr)
        seen.failures.push_back("C creation");
    std::uintptr_t x;
    for (x = cg_invoke(co, 0); !cg_is_done(co); x = cg_invoke(co, 0))
        seen.values.push_back(static_cast<long>(x));
    seen.values.push_back(static_cast<long>(x)); // the C body's return value: a byte of its locals
    cg_destroy(co);
    return seen;
}

} // namespace

TEST_CASE("allocation failure at every allocation of a scenario", "[allocation_failure]")
{
    std::size_t outstanding = cg_test::outstanding_allocations();
    Observed clean = scenario();
    REQUIRE(clean.failures.empty());
    REQUIRE(clean.values == std::vector<long>{100, 2, 10, 11, 12, 3, 100, 101, 102, 4});
    // The outer generator's buffer grows, then shrinks after two shallow
    // yields, then grows again.
    auto shrinks = std::adjacent_find(clean.capacities.begin(), clean.capacities.end(), std::greater<>());
    REQUIRE(shrinks != clean.capacities.end());

    std::size_t n = 1;
    for (;; ++n) {
        Observed run;
        {
            cg_test::FailNthAllocation fail(n);
            run = scenario();
            if (!fail.failed())
                break; // the scenario makes fewer than n allocations
        }
        if (run.capacities != clean.capacities)
            run.failures.push_back("a shrinking yield, which kept its larger buffer");
        INFO("allocation " << n << " failed; surfaced at: " << (run.failures.empty() ? "nowhere" : run.failures[0]));
        REQUIRE(run.failures.size() == 1);
        REQUIRE(run.values == clean.values);
        REQUIRE(Tracked::alive == 0);
        REQUIRE(cg_test::outstanding_allocations() == outstanding);
    }
    INFO("allocations in the scenario: " << n - 1);
    REQUIRE(n - 1 >= 10);
}
