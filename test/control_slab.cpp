// Control blocks carved from per-thread slabs (src/control_slab.hpp): a
// destroyed generator's block is kept and serves the thread's next create
// of that size without a call to the allocator; a size's first slabs grow
// from 8 KiB; sizes are kept apart, and blocks aligned for their bodies;
// past the 8 kept blocks, a block goes back to its slab, a full slab then
// has room, and one whose last block is freed goes back to the allocator;
// larger blocks always go to the allocator; blocks freed by another thread
// come back to the owner; slabs go back at cg::trim_buffers(), at the
// owner's exit (at once if empty, at their last block's free if not), and
// to the allocator they came from when cg_set_allocator replaces it; with
// malloc's functions a slab costs its pages and nothing more. Under ASan, a
// free block is poisoned but for its status word.
#include <catch2/catch.hpp>

#include <malloc.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <cg.h>
#include <cg/copy_generator.hpp>

#include "control.hpp"      // src/: sizeof(Control)
#include "control_slab.hpp" // src/
#include "support.hpp"

using cg::CopyGenerator;
using cg::Yielder;
using cg::detail::control_slab_counts_of_this_thread;
using cg::detail::ControlSlabCounts;
using cg::detail::slab_bytes;

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

/// Where a generator's control block is (a CopyGenerator holds its address).
std::uintptr_t block_of(const CopyGenerator<int>& g)
{
    std::uintptr_t address;
    static_assert(sizeof(CopyGenerator<int>) == sizeof address);
    std::memcpy(&address, static_cast<const void*>(&g), sizeof address);
    return address;
}

/// What this thread's slabs did since it was made.
struct SlabCounter {
    ControlSlabCounts start = control_slab_counts_of_this_thread();
    ControlSlabCounts since() const
    {
        ControlSlabCounts now = control_slab_counts_of_this_thread();
        return {now.reused - start.reused,
                now.taken - start.taken,
                now.slabs_made - start.slabs_made,
                now.kept - start.kept,
                now.freed_here - start.freed_here,
                now.freed_elsewhere - start.freed_elsewhere,
                now.collected - start.collected,
                now.slabs_given_back - start.slabs_given_back,
                now.unslabbed - start.unslabbed};
    }
};

/// Runs a generator to its end: it works, whatever block it got.
void run_out(CopyGenerator<int>& g)
{
    REQUIRE(g.next() == 0);
    REQUIRE(g.next() == 1);
    REQUIRE_FALSE(g.next());
}

const std::uintptr_t page = cg::detail::slab_page_bytes();
// A size's first slab: 8 KiB, one page or two. The next ones double, to 8 times that.
const std::size_t first_pages = 8192 / page;

} // namespace

TEST_CASE("a destroyed generator's control block serves the next create of its size", "[control_slab]")
{
    cg::trim_buffers(); // no slab left from earlier tests
    SlabCounter counter;
    std::uintptr_t first_block;
    {
        auto first = sized<16>();
        first_block = block_of(first);
        run_out(first);
    }
    CHECK(counter.since().slabs_made == 1);
    CHECK(counter.since().kept == 1); // kept, not back in its slab yet
    CHECK(counter.since().freed_here == 0);
    std::size_t made = cg_test::allocations_made();
    auto second = sized<16>(); // the same size: the same block, no allocation
    CHECK(cg_test::allocations_made() == made);
    CHECK(block_of(second) == first_block);
    CHECK(counter.since().taken == 1);
    CHECK(counter.since().reused == 1);
    run_out(second);

    // C generators too: the same slabs, a size of their own.
    auto body = reinterpret_cast<void*>(+[](std::uintptr_t, std::uintptr_t) -> std::uintptr_t { return 7; });
    cg_t* co = cg_create(body, 0, 0);
    REQUIRE(co != nullptr);
    cg_destroy(co);
    made = cg_test::allocations_made();
    cg_t* again = cg_create(body, 0, 0);
    REQUIRE(again == co);
    CHECK(cg_test::allocations_made() == made);
    CHECK(cg_invoke(again, 0) == 7);
    CHECK(cg_is_done(again));
    cg_destroy(again);
}

TEST_CASE("a size's slabs grow from 8 KiB, each block in its own slot, 16-byte bodies aligned", "[control_slab]")
{
    cg::trim_buffers();
    SlabCounter counter;
    std::vector<CopyGenerator<int>> many;
    std::set<std::uintptr_t> blocks;
    std::vector<std::size_t> slab_sizes;
    std::size_t made = cg_test::allocations_made();
    while (counter.since().slabs_made < 6) {
        std::size_t bytes = cg_test::outstanding_bytes();
        std::uint64_t slabs = counter.since().slabs_made;
        many.push_back(sized<80>()); // a size of its own in this file; creating allocates nothing but a slab
        if (counter.since().slabs_made != slabs)
            slab_sizes.push_back(cg_test::outstanding_bytes() - bytes);
        std::uintptr_t block = block_of(many.back());
        CHECK(block % 8 == 0);
        // A block never crosses a page, and never covers a page's first 8
        // bytes, which name its slab.
        CHECK(block % page >= 8);
        CHECK((block + sizeof(cg::detail::Control) + 80 - 1) / page == block / page);
        blocks.insert(block);
    }
    CHECK(blocks.size() == many.size());
    CHECK(cg_test::allocations_made() == made + 6); // the slabs: nothing per block
    // 8, 16, 32, then 64 KiB.
    CHECK(slab_sizes == std::vector<std::size_t>{slab_bytes(first_pages), slab_bytes(2 * first_pages),
                                                 slab_bytes(4 * first_pages), slab_bytes(8 * first_pages),
                                                 slab_bytes(8 * first_pages), slab_bytes(8 * first_pages)});
    for (auto& g : many)
        run_out(g);

    // Another size takes none of them: a slab of its own.
    auto other = sized<48>();
    CHECK(blocks.count(block_of(other)) == 0);
    CHECK(counter.since().slabs_made == 7);
    run_out(other);

    // A body aligned to 16 bytes is, after a block aligned to 16.
    struct alignas(16) Wide {
        long double value = 2.5L;
    };
    CopyGenerator<int> wide([w = Wide{}](Yielder<int>& y) {
        CHECK(reinterpret_cast<std::uintptr_t>(&w) % 16 == 0);
        y.yield(static_cast<int>(w.value * 2));
    });
    CHECK(block_of(wide) % 16 == 0);
    CHECK(wide.next() == 5);
}

TEST_CASE("the last 8 blocks freed are kept; others go back to their slab, which gets room, and goes back "
          "when it holds none",
          "[control_slab]")
{
    cg::trim_buffers();
    SlabCounter counter;
    std::size_t outstanding = cg_test::outstanding_allocations();
    {
        // A full slab, and a second one with 9 blocks taken.
        std::vector<CopyGenerator<int>> first_slab;
        first_slab.push_back(sized<32>());
        while (counter.since().slabs_made == 1)
            first_slab.push_back(sized<32>());
        std::vector<CopyGenerator<int>> second_slab;
        second_slab.push_back(std::move(first_slab.back()));
        first_slab.pop_back();
        for (int i = 0; i < 8; ++i)
            second_slab.push_back(sized<32>());
        REQUIRE(counter.since().slabs_made == 2);
        REQUIRE(first_slab.size() >= 10);
        std::set<std::uintptr_t> first_blocks;
        for (const auto& g : first_slab)
            first_blocks.insert(block_of(g));

        // 8 destroyed: kept, none back in its slab.
        second_slab.erase(second_slab.begin() + 1, second_slab.end());
        CHECK(counter.since().kept == 8);
        CHECK(counter.since().freed_here == 0);

        // The next goes back to its slab, full until now: it has room, and
        // when the second slab runs out (after the 8 kept blocks), the
        // creates take from it, not from a third.
        std::uintptr_t freed = block_of(first_slab[3]);
        first_slab.erase(first_slab.begin() + 3);
        CHECK(counter.since().freed_here == 1);
        std::vector<CopyGenerator<int>> more;
        while (more.size() < 1000 && (more.empty() || block_of(more.back()) != freed))
            more.push_back(sized<32>());
        CHECK(block_of(more.back()) == freed);
        CHECK(counter.since().reused == 8);
        CHECK(counter.since().slabs_made == 2);

        // The first slab is now the one blocks are taken from; every block
        // of the second back in it: it goes back at once. (8 of the first's
        // destroyed first, to be the kept ones.)
        auto in_first = std::stable_partition(more.begin(), more.end(), [&](const CopyGenerator<int>& g) {
            return first_blocks.count(block_of(g)) == 0;
        });
        std::move(in_first, more.end(), std::back_inserter(first_slab));
        more.erase(in_first, more.end());
        REQUIRE(first_slab.size() >= 8);
        first_slab.erase(first_slab.end() - 8, first_slab.end());
        std::size_t made = cg_test::allocations_made();
        std::uint64_t given_back = counter.since().slabs_given_back;
        more.clear();
        second_slab.clear();
        CHECK(counter.since().slabs_given_back == given_back + 1);
        CHECK(cg_test::allocations_made() == made);
        for (auto& g : first_slab)
            run_out(g);
    }
    CHECK(cg_test::outstanding_allocations() == outstanding); // which gives back the kept blocks, then the slabs
}

TEST_CASE("a control block too large for a slab goes to the allocator both ways", "[control_slab]")
{
    SlabCounter counter;
    std::size_t outstanding = cg_test::outstanding_allocations();
    std::size_t made = cg_test::allocations_made();
    {
        auto large = sized<200>(); // more than 8 * (slab_classes - 1) bytes after the control block
        CHECK(cg_test::allocations_made() == made + 1);
        run_out(large);
    }
    CHECK(counter.since().unslabbed == 2);
    CHECK(counter.since().taken == 0);
    CHECK(cg_test::outstanding_allocations() == outstanding);
}

TEST_CASE("trim_buffers gives back the slabs that hold no block", "[control_slab]")
{
    cg::trim_buffers();
    std::size_t outstanding = cg_test::outstanding_allocations();
    auto slab_size = [](std::size_t bytes) {
        for (std::size_t pages : {1, 2, 4, 8})
            if (bytes == slab_bytes(pages * first_pages))
                return true;
        return false;
    };
    {
        auto alive = sized<16>();
        sized<40>(); // destroyed: its block kept, its slab holds no other
        SlabCounter counter;
        std::size_t given_back = cg::trim_buffers(); // the kept block back in its slab, and the slab back
        CHECK(counter.since().slabs_given_back == 1);
        CHECK(slab_size(given_back));
        CHECK(cg::trim_buffers() == 0); // the slab of `alive` stays
        run_out(alive);
    }
    CHECK(slab_size(cg::trim_buffers()));
    CHECK(cg_test::outstanding_allocations() == outstanding);
}

TEST_CASE("a thread's slabs go back at its exit, those holding blocks when their last block is freed",
          "[control_slab]")
{
    std::size_t outstanding = cg_test::outstanding_allocations();
    ControlSlabCounts there{};
    std::vector<CopyGenerator<int>> survivors;
    std::thread worker([&] {
        for (int i = 0; i < 3; ++i) {
            auto g = sized<16>();
            run_out(g);
        }
        survivors.push_back(sized<56>()); // its slab outlives the thread
        survivors.push_back(sized<56>());
        there = control_slab_counts_of_this_thread();
    });
    worker.join();
    CHECK(there.taken == 3); // one for the first of the three, whose block the next two reused
    CHECK(there.reused == 2);
    CHECK(there.slabs_made == 2);
    CHECK(cg_test::outstanding_allocations() == outstanding + 1); // the slab of the survivors

    SlabCounter counter;
    survivors.front() = sized<56>(); // from this thread's own slab; the old block kept
    // outstanding_allocations() gives the kept block back: into the orphaned slab.
    CHECK(cg_test::outstanding_allocations() == outstanding + 2);
    CHECK(counter.since().freed_elsewhere == 1);
    run_out(survivors.back());
    survivors.pop_back(); // the orphaned slab's last block: it goes back
    CHECK(cg_test::outstanding_allocations() == outstanding + 1);
    CHECK(counter.since().freed_elsewhere == 2);
    run_out(survivors.front());
    survivors.clear();
    CHECK(cg_test::outstanding_allocations() == outstanding);
}

TEST_CASE("blocks another thread frees come back to the slab's thread", "[control_slab]")
{
    cg::trim_buffers();
    SlabCounter counter;
    // The first slab full, and one block of the second, which blocks are
    // then taken from: both get blocks back.
    std::vector<CopyGenerator<int>> to_free;
    to_free.push_back(sized<64>());
    while (counter.since().slabs_made == 1)
        to_free.push_back(sized<64>());
    std::set<std::uintptr_t> handed_over;
    for (const auto& g : to_free)
        handed_over.insert(block_of(g));
    ControlSlabCounts there{};
    std::thread worker([&] {
        for (auto& g : to_free)
            REQUIRE(g.next() == 0); // another thread may resume them, and destroy them
        to_free.clear();
        there = control_slab_counts_of_this_thread();
    });
    worker.join();
    // The worker kept the last 8, and gave them back too at its exit.
    CHECK(there.kept == 8);
    CHECK(there.freed_elsewhere == handed_over.size() - 8);
    CHECK(there.freed_here == 0);
    CHECK(counter.since().collected == 0);

    // This thread takes the blocks back when the slab it takes from runs
    // out: both slabs' at once; then the first slab, all free again, serves
    // the creates after the second's.
    std::vector<CopyGenerator<int>> again;
    std::size_t reused = 0;
    while (reused < handed_over.size() && again.size() < 1000) {
        again.push_back(sized<64>());
        reused += handed_over.count(block_of(again.back()));
    }
    CHECK(reused == handed_over.size());
    CHECK(counter.since().collected == handed_over.size());
    CHECK(counter.since().slabs_made == 2);
    for (auto& g : again)
        run_out(g);
}

TEST_CASE("other threads free into a thread's slabs while it creates and destroys", "[control_slab]")
{
    cg::trim_buffers();
    std::size_t outstanding = cg_test::outstanding_allocations();
    SlabCounter counter;
    constexpr int per_worker = 3000;
    std::vector<CopyGenerator<int>> handed[2];
    for (auto& batch : handed) {
        batch.reserve(per_worker);
        for (int i = 0; i < per_worker; ++i)
            batch.push_back(sized<104>());
    }
    std::atomic<int> ready{0};
    std::atomic<int> wrong{0}; // Catch2's assertions are for one thread
    std::vector<std::thread> workers;
    for (auto& batch : handed)
        workers.emplace_back([&batch, &ready, &wrong] {
            ready.fetch_add(1);
            while (ready.load() != 3) {
            }
            for (; !batch.empty(); batch.pop_back()) { // each destroy races the owner's frees and collections
                CopyGenerator<int>& g = batch.back();
                wrong += g.next() != 0 || g.next() != 1 || g.next().has_value();
            }
        });
    // Meanwhile this thread takes blocks, from its slabs and from what the
    // workers hand back, and frees its own.
    ready.fetch_add(1);
    while (ready.load() != 3) {
    }
    std::vector<CopyGenerator<int>> own;
    for (int round = 0; round < 20; ++round) {
        for (int i = 0; i < 600; ++i) // more than a slab holds: its slabs run out, and it collects
            own.push_back(sized<104>());
        for (auto& g : own)
            run_out(g);
        own.clear();
    }
    for (std::thread& worker : workers)
        worker.join();
    CHECK(wrong == 0);
    cg::trim_buffers(); // collects whatever the workers handed back since
    CHECK(counter.since().collected == 2 * per_worker);
    CHECK(cg_test::outstanding_allocations() == outstanding);
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

TEST_CASE("slabs go back to the allocator they came from when cg_set_allocator replaces it", "[control_slab]")
{
    std::size_t outstanding = cg_test::outstanding_allocations();
    sized<16>(); // leaves an empty slab, from the counting allocator
    REQUIRE(cg_test::outstanding_allocations() == outstanding); // (which trims it)
    sized<16>();

    cg_set_allocator(&other_allocate, &other_deallocate, nullptr);
    {
        auto g = sized<16>(); // gives the empty slab back to the counting allocator, then makes one from this one
        CHECK(other_outstanding == 1);
        CHECK(cg_test::outstanding_allocations() == outstanding);
        run_out(g);
    }
    CHECK(other_outstanding == 1); // the slab stays, empty
    cg_test::use_counting_allocator();
    {
        auto g = sized<16>(); // gives it back to this allocator
        CHECK(other_outstanding == 0);
        run_out(g);
    }
    CHECK(cg_test::outstanding_allocations() == outstanding);
}

TEST_CASE("with malloc's functions, a slab takes whole pages and loses none to where malloc places it",
          "[control_slab]")
{
    // glibc's own count of the bytes in use; not there when the program's
    // malloc is another (ASan's, valgrind's).
    std::size_t probe_before = mallinfo2().uordblks;
    void* volatile probe = std::malloc(4000); // volatile: the call stays
    bool counted = mallinfo2().uordblks >= probe_before + 4000;
    std::free(probe);
    if (!counted) {
        WARN("not checked: malloc is not glibc's (valgrind's, or ASan's)");
        return;
    }

    cg_set_allocator(nullptr, nullptr, nullptr);
    std::vector<std::size_t> in_use; // by malloc, at each new slab
    std::thread worker([&] {          // its own slabs, from the first on
        std::vector<CopyGenerator<int>> many;
        many.reserve(2000);
        in_use.reserve(8);
        SlabCounter counter;
        while (counter.since().slabs_made < 7) {
            std::uint64_t slabs = counter.since().slabs_made;
            std::size_t before = mallinfo2().uordblks;
            many.push_back(sized<72>());
            if (counter.since().slabs_made != slabs)
                in_use.push_back(mallinfo2().uordblks - before);
        }
    });
    worker.join();
    cg_test::use_counting_allocator();
    // The first slab came with the thread's other bookkeeping; each next
    // one is its pages and nothing more: malloc's chunk, header included,
    // is whole pages, aligned, right after the one before.
    REQUIRE(in_use.size() == 7);
    const std::size_t first = first_pages * page;
    CHECK(in_use[0] >= first);
    CHECK(std::vector<std::size_t>(in_use.begin() + 1, in_use.end()) ==
          std::vector<std::size_t>{2 * first, 4 * first, 8 * first, 8 * first, 8 * first, 8 * first});
}

#if defined(__SANITIZE_ADDRESS__)
TEST_CASE("a free control block is poisoned: ASan reports a use of the destroyed generator's memory",
          "[control_slab]")
{
    cg_test::ChildResult child = cg_test::run_in_child([] {
        cg_t* co = cg_create(reinterpret_cast<void*>(+[](std::uintptr_t, std::uintptr_t) -> std::uintptr_t { return 0; }),
                             0, 0);
        cg_destroy(co); // its block is free in its slab (cg_t is the control block)
        // Its first 8 bytes, with its status, stay readable for the walks
        // of every block (registry.hpp); the rest is poisoned.
        std::printf("%d\n", reinterpret_cast<volatile const unsigned char*>(co)[8]);
    });
    CHECK(child.exit_code != 0);
    CHECK(child.error_output.find("use-after-poison") != std::string::npos);
}
#endif
