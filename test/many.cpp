// Rule 8: a million suspended tiny generators on one thread, with no mmap,
// guard page or thread per generator: just heap bytes.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include <cg/copy_generator.hpp>

#include "control_slab.hpp" // src/: slab_bytes
#include "support.hpp"

using cg::CopyGenerator;
using cg::Yielder;

namespace {

std::size_t count_lines(const char* path)
{
    std::ifstream file(path);
    std::size_t lines = 0;
    for (std::string line; std::getline(file, line);)
        ++lines;
    return lines;
}

std::size_t thread_count()
{
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("Threads:", 0) == 0)
            return std::stoul(line.substr(8));
    return 0;
}

CopyGenerator<int> counter(int start)
{
    return CopyGenerator<int>([start](Yielder<int>& y) {
        for (int i = start;; ++i)
            y.yield(i);
    });
}

} // namespace

TEST_CASE("a million suspended generators on one thread", "[many]")
{
    constexpr int count = 1'000'000;
    std::size_t mappings_before = count_lines("/proc/self/maps");
    std::size_t threads_before = thread_count();
    std::size_t bytes_before = cg_test::outstanding_bytes();
    std::size_t allocations_before = cg_test::outstanding_allocations();
    {
        std::vector<CopyGenerator<int>> generators;
        generators.reserve(count);
        for (int i = 0; i < count; ++i) {
            generators.push_back(counter(i));
            REQUIRE(generators.back().next() == i); // started, and now suspended
        }
        // Control blocks come from slabs (src/control_slab.hpp): an
        // allocation per slab of up to 8 pages, not one per generator. A
        // generator's share of the bytes allocated: its block (on amd64 120
        // bytes: the control block's 112 (head, saved registers, 32 inline
        // bytes) and the body's 4, in steps of 8); at most 8
        // bytes of its slab's header, the word each page starts with and the
        // bytes at a page's end no block fits in; and, from the test
        // allocator's functions (cg_set_allocator's, which need not align),
        // the page more each slab asks for. (Sanitized and unoptimized
        // frames are larger: then the slice gets a buffer of its own.)
        std::size_t allocations = cg_test::outstanding_allocations() - allocations_before;
        std::size_t bytes = cg_test::outstanding_bytes() - bytes_before;
        CHECK(allocations - (cg_test::lean_frames ? 0 : count) <= count / 200);
        const std::size_t slab_share =
            (cg_test::minimal_generator_bytes + 8) * cg::detail::slab_bytes(8) / (8 * cg::detail::slab_page_bytes());
        CHECK(bytes / count <= (cg_test::lean_frames ? slab_share : 1024u));
        // No mapping or thread per generator (allow the allocator a few arenas).
        CHECK(count_lines("/proc/self/maps") < mappings_before + 100);
        CHECK(thread_count() == threads_before);
        long long sum = 0;
        for (int round = 1; round <= 2; ++round)
            for (int i = 0; i < count; ++i) {
                int v = *generators[static_cast<std::size_t>(i)].next();
                REQUIRE(v == i + round);
                sum += v;
            }
        REQUIRE(sum == 2LL * count * (count - 1) / 2 + 3LL * count);
    }
    REQUIRE(cg_test::outstanding_allocations() == allocations_before);
}
