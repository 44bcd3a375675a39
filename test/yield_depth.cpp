// Rule 3: yield works from any call depth inside the body, through the
// handle passed to the body and through cg::yield.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include <cg/copy_generator.hpp>

#include "support.hpp"

using cg::CopyGenerator;
using cg::Yielder;

namespace {

// Recurses `depth` levels with a local array at each, yields at each level
// on the way down and on the way up, and checks its locals after each.
void recurse_and_yield(Yielder<int>& y, int depth)
{
    char frame_bytes[200];
    std::memset(frame_bytes, depth, sizeof frame_bytes);
    y.yield(depth);
    if (depth > 0)
        recurse_and_yield(y, depth - 1);
    y.yield(-depth);
    for (char c : frame_bytes)
        REQUIRE(c == static_cast<char>(depth));
}

void recurse_and_yield_freely(int depth, std::vector<std::string>& trail)
{
    std::string mine = "level " + std::to_string(depth) + " with a string longer than the small buffer";
    cg::yield(depth);
    if (depth > 0)
        recurse_and_yield_freely(depth - 1, trail);
    trail.push_back(mine);
}

} // namespace

TEST_CASE("yield from nested calls through the handle", "[yield_depth]")
{
    constexpr int depth = 100;
    CopyGenerator<int> generator([](Yielder<int>& y) { recurse_and_yield(y, depth); });
    for (int d = depth; d >= 0; --d) {
        cg_test::scribble_stack(1024);
        REQUIRE(generator.next() == d);
    }
    for (int d = 0; d <= depth; ++d)
        REQUIRE(generator.next() == -d);
    REQUIRE(generator.next() == std::nullopt);
}

TEST_CASE("yield from nested calls through cg::yield", "[yield_depth]")
{
    std::vector<std::string> trail;
    CopyGenerator<int> generator([&trail] { recurse_and_yield_freely(50, trail); });
    int expected = 50;
    for (int value : generator) {
        REQUIRE(value == expected--);
        cg_test::scribble_stack(1024);
    }
    REQUIRE(expected == -1);
    REQUIRE(trail.size() == 51);
    REQUIRE(trail.front() == "level 0 with a string longer than the small buffer");
    REQUIRE(trail.back() == "level 50 with a string longer than the small buffer");
}

TEST_CASE("cg::yield and the handle can be mixed in one body", "[yield_depth]")
{
    CopyGenerator<long> generator([](Yielder<long>& y) {
        y.yield(1L);
        cg::yield(2L);
        y.yield(3L);
    });
    REQUIRE(generator.next() == 1);
    REQUIRE(generator.next() == 2);
    REQUIRE(generator.next() == 3);
    REQUIRE(generator.next() == std::nullopt);
}
