// The control blocks a thread keeps for reuse (src/control_cache.hpp): a
// destroyed generator's block serves the thread's next create of that size
// without a call to the allocator; each size is kept apart, up to
// kept_per_size blocks; larger blocks are not kept; and the kept blocks go
// back to the allocator they came from at cg::trim_buffers(), at the
// thread's exit, and when cg_set_allocator replaces it. Under ASan, a kept
// block is poisoned.
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <cg.h>
#include <cg/copy_generator.hpp>

#include "control.hpp"       // src/: sizeof(Control)
#include "control_cache.hpp" // src/
#include "support.hpp"

using cg::CopyGenerator;
using cg::Yielder;
using cg::detail::control_cache_counts_of_this_thread;
using cg::detail::ControlCacheCounts;
using cg::detail::kept_per_size;

namespace {

/// A generator whose body stores `Bytes` of captures after its control
/// block: the block's size.
template <std::size_t Bytes>
CopyGenerator<int> sized()
{
    return CopyGenerator<int>([pad = std::array<unsigned char, Bytes>{}](Yielder<int>& y) {
        y.yield(pad[0]);
        y.yield(pad[Bytes - 1] + 1);
    });
}

/// What this thread's cache did since it was made.
struct CacheCounter {
    ControlCacheCounts start = control_cache_counts_of_this_thread();
    ControlCacheCounts since() const
    {
        ControlCacheCounts now = control_cache_counts_of_this_thread();
        return {now.reused - start.reused, now.allocated - start.allocated, now.kept - start.kept,
                now.overflowed - start.overflowed, now.uncached - start.uncached};
    }
};

/// Runs a generator to its end: it works, whatever block it got.
void run_out(CopyGenerator<int>& g)
{
    REQUIRE(g.next() == 0);
    REQUIRE(g.next() == 1);
    REQUIRE_FALSE(g.next());
}

} // namespace

TEST_CASE("a destroyed generator's control block serves the next create of its size", "[control_cache]")
{
    cg::trim_buffers(); // nothing kept from earlier tests
    CacheCounter counter;
    {
        auto first = sized<16>();
        run_out(first);
    }
    CHECK(counter.since().allocated == 1);
    CHECK(counter.since().kept == 1);
    std::size_t made = cg_test::allocations_made();
    auto second = sized<16>(); // the same size: the kept block, no allocation
    CHECK(cg_test::allocations_made() == made);
    CHECK(counter.since().reused == 1);
    run_out(second);

    // C generators too: the same control blocks, a size of their own.
    cg_t* co = cg_create(reinterpret_cast<void*>(+[](std::uintptr_t, std::uintptr_t) -> std::uintptr_t { return 7; }), 0, 0);
    REQUIRE(co != nullptr);
    cg_destroy(co);
    made = cg_test::allocations_made();
    co = cg_create(reinterpret_cast<void*>(+[](std::uintptr_t, std::uintptr_t) -> std::uintptr_t { return 8; }), 0, 0);
    REQUIRE(co != nullptr);
    CHECK(cg_test::allocations_made() == made);
    CHECK(cg_invoke(co, 0) == 8);
    CHECK(cg_is_done(co));
    cg_destroy(co);
    CHECK(counter.since().reused == 2);
}

TEST_CASE("each size is kept apart, up to kept_per_size blocks", "[control_cache]")
{
    cg::trim_buffers();
    CacheCounter counter;
    {
        std::vector<CopyGenerator<int>> many;
        for (std::size_t i = 0; i < kept_per_size + 3; ++i) {
            many.push_back(sized<24>());
            REQUIRE(many.back().next() == 0); // suspended: destroying it discards its frames
        }
    }
    CHECK(counter.since().kept == kept_per_size);
    CHECK(counter.since().overflowed == 3);

    // Another size does not take them.
    std::vector<CopyGenerator<int>> other;
    for (std::size_t i = 0; i < kept_per_size; ++i)
        other.push_back(sized<64>());
    CHECK(counter.since().reused == 0);
    // Their own size does, and each works.
    std::vector<CopyGenerator<int>> again;
    for (std::size_t i = 0; i < kept_per_size; ++i) {
        again.push_back(sized<24>());
        run_out(again.back());
    }
    CHECK(counter.since().reused == kept_per_size);
    for (auto& g : other)
        run_out(g);
}

TEST_CASE("a control block too large to keep goes to the allocator both ways", "[control_cache]")
{
    CacheCounter counter;
    std::size_t outstanding = cg_test::outstanding_allocations();
    std::size_t made = cg_test::allocations_made();
    {
        auto large = sized<200>(); // more than 8 * (kept_sizes - 1) bytes after the control block
        CHECK(cg_test::allocations_made() == made + 1);
        run_out(large);
    }
    CHECK(counter.since().uncached == 2);
    CHECK(counter.since().kept == 0);
    CHECK(cg_test::outstanding_allocations() == outstanding);
}

TEST_CASE("trim_buffers gives the kept control blocks back", "[control_cache]")
{
    cg::trim_buffers();
    std::size_t outstanding = cg_test::outstanding_allocations();
    sized<16>();
    sized<40>();
    std::size_t given_back = cg::trim_buffers();
    // Two control blocks, each with its body's captures after it.
    CHECK(given_back == 2 * sizeof(cg::detail::Control) + 16 + 40);
    CHECK(cg::trim_buffers() == 0);         // nothing left
    CacheCounter counter;
    {
        auto g = sized<16>();
        CHECK(counter.since().allocated == 1); // not kept any more
        CHECK(counter.since().reused == 0);
        run_out(g);
    }
    CHECK(cg_test::outstanding_allocations() == outstanding);
}

TEST_CASE("a thread's kept control blocks go back to the allocator at its exit", "[control_cache]")
{
    std::size_t outstanding = cg_test::outstanding_allocations();
    ControlCacheCounts there{};
    std::thread worker([&] {
        for (int i = 0; i < 3; ++i) {
            auto g = sized<16>();
            run_out(g);
        }
        there = control_cache_counts_of_this_thread();
    });
    worker.join();
    CHECK(there.kept == 3);
    CHECK(there.reused == 2);
    CHECK(cg_test::outstanding_allocations() == outstanding); // the one kept went back as it exited
}

namespace {

std::size_t other_outstanding = 0;
void* other_allocate(std::size_t size, void*)
{
    ++other_outstanding;
    return std::malloc(size);
}
void other_deallocate(void* memory, std::size_t, void*)
{
    --other_outstanding;
    std::free(memory);
}

} // namespace

TEST_CASE("kept control blocks go back to the allocator they came from when cg_set_allocator replaces it",
          "[control_cache]")
{
    std::size_t outstanding = cg_test::outstanding_allocations();
    CacheCounter counter;
    sized<16>(); // kept, from the counting allocator
    REQUIRE(counter.since().kept == 1);

    cg_set_allocator(&other_allocate, &other_deallocate, nullptr);
    {
        auto g = sized<16>(); // gives the kept block back to the counting allocator, then allocates from this one
        CHECK(other_outstanding == 1);
        CHECK(cg_test::outstanding_allocations() == outstanding);
        run_out(g);
    }
    CHECK(other_outstanding == 1); // kept, from this allocator
    cg_test::use_counting_allocator();
    {
        auto g = sized<16>(); // gives it back to this allocator
        CHECK(other_outstanding == 0);
        run_out(g);
    }
    CHECK(cg_test::outstanding_allocations() == outstanding);
}

#if defined(__SANITIZE_ADDRESS__)
TEST_CASE("a kept control block is poisoned: ASan reports a use of the destroyed generator's memory",
          "[control_cache]")
{
    cg_test::ChildResult child = cg_test::run_in_child([] {
        cg_t* co = cg_create(reinterpret_cast<void*>(+[](std::uintptr_t, std::uintptr_t) -> std::uintptr_t { return 0; }),
                             0, 0);
        cg_destroy(co); // kept for reuse (cg_t is the control block)
        std::printf("%d\n", *reinterpret_cast<volatile const unsigned char*>(co));
    });
    CHECK(child.exit_code != 0);
    CHECK(child.error_output.find("use-after-poison") != std::string::npos);
}
#endif
