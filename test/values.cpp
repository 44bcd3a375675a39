// Rule 4: any movable type is yielded, moved and never copied; resumes can
// send values in; range-for and next() end without a sentinel value.
#include <catch2/catch.hpp>

#include <iterator>
#include <memory>
#include <numeric>
#include <ranges>
#include <string>
#include <vector>

#include <cg/copy_generator.hpp>

#include "support.hpp"

using cg::CopyGenerator;
using cg::Yielder;
using cg_test::Tracked;

static_assert(std::input_iterator<CopyGenerator<int>::iterator>);
static_assert(std::sentinel_for<std::default_sentinel_t, CopyGenerator<int>::iterator>);
static_assert(std::ranges::input_range<CopyGenerator<std::string>>);

TEST_CASE("move-only values are yielded", "[values]")
{
    CopyGenerator<std::unique_ptr<int>> generator([](Yielder<std::unique_ptr<int>>& y) {
        for (int i = 0; i < 3; ++i)
            y.yield(std::make_unique<int>(i * 10));
    });
    int expected = 0;
    for (std::unique_ptr<int>& value : generator) {
        REQUIRE(value != nullptr);
        REQUIRE(*value == expected);
        expected += 10;
    }
    REQUIRE(expected == 30);
}

TEST_CASE("values are moved, never copied", "[values]")
{
    Tracked::reset_counts();
    {
        CopyGenerator<Tracked> generator([](Yielder<Tracked>& y) {
            Tracked kept(1);
            y.yield(std::move(kept)); // an lvalue moved from
            y.yield(Tracked(2));      // a temporary
            y.yield(3);               // constructed in place from an int
        });
        std::optional<Tracked> a = generator.next();
        std::optional<Tracked> b = generator.next();
        std::optional<Tracked> c = generator.next();
        REQUIRE(a->value == 1);
        REQUIRE(b->value == 2);
        REQUIRE(c->value == 3);
        REQUIRE(generator.next() == std::nullopt);
    }
    CHECK(Tracked::copies == 0);
    CHECK(Tracked::moves == 2); // one per yield of an existing object, into the resumer's optional
    CHECK(Tracked::alive == 0);
}

TEST_CASE("large values: strings and vectors", "[values]")
{
    CopyGenerator<std::vector<std::string>> generator([](Yielder<std::vector<std::string>>& y) {
        std::vector<std::string> batch;
        for (int i = 0; i < 5; ++i) {
            batch.assign(100, std::string(1000, static_cast<char>('a' + i)));
            const std::string* storage = batch.data();
            y.yield(std::move(batch));
            REQUIRE(batch.empty()); // it was moved out, not copied
            (void)storage;
        }
    });
    int round = 0;
    for (auto& batch : generator) {
        REQUIRE(batch.size() == 100);
        REQUIRE(batch[99] == std::string(1000, static_cast<char>('a' + round)));
        ++round;
    }
    REQUIRE(round == 5);
}

TEST_CASE("resumes send values that the pending yield returns", "[values]")
{
    // A running sum: every value sent in is added, and the sum yielded.
    CopyGenerator<long, int> summer([](Yielder<long, int>& y) {
        long sum = 0;
        for (;;)
            sum += y.yield(sum);
    });
    REQUIRE(summer.next(0) == 0); // starts it: the first value has no pending yield
    REQUIRE(summer.next(5) == 5);
    REQUIRE(summer.next(7) == 12);
    REQUIRE(summer.next(-2) == 10);
}

TEST_CASE("a body may take the first resume's value", "[values]")
{
    CopyGenerator<std::string, std::string> echo([](Yielder<std::string, std::string>& y, std::string first) {
        std::string received = std::move(first);
        for (int i = 0; i < 3; ++i)
            received = y.yield("got " + received);
    });
    REQUIRE(echo.next("one") == "got one");
    REQUIRE(echo.next("two") == "got two");
    REQUIRE(echo.next("three") == "got three");
    REQUIRE(echo.next("four") == std::nullopt);
}

TEST_CASE("move-only values can be sent in", "[values]")
{
    CopyGenerator<int, std::unique_ptr<int>> sink([](Yielder<int, std::unique_ptr<int>>& y) {
        int total = 0;
        for (;;) {
            std::unique_ptr<int> got = y.yield(total);
            total += *got;
        }
    });
    REQUIRE(sink.next(nullptr) == 0);
    REQUIRE(sink.next(std::make_unique<int>(4)) == 4);
    REQUIRE(sink.next(std::make_unique<int>(6)) == 10);
}

TEST_CASE("next() says finished with nullopt, range-for stops by itself", "[values]")
{
    auto three = [] {
        return CopyGenerator<int>([](Yielder<int>& y) {
            y.yield(1);
            y.yield(2);
            y.yield(3);
        });
    };
    SECTION("next")
    {
        auto generator = three();
        REQUIRE_FALSE(generator.started());
        REQUIRE(generator.next() == 1);
        REQUIRE(generator.started());
        REQUIRE(generator.next() == 2);
        REQUIRE(generator.next() == 3);
        REQUIRE_FALSE(generator.done());
        REQUIRE(generator.next() == std::nullopt);
        REQUIRE(generator.done());
    }
    SECTION("range-for")
    {
        auto generator = three();
        std::vector<int> seen;
        for (int v : generator)
            seen.push_back(v);
        REQUIRE(seen == std::vector<int>{1, 2, 3});
        REQUIRE(generator.done());
        REQUIRE(generator.begin() == generator.end()); // an exhausted generator is an empty range
    }
    SECTION("ranges algorithms")
    {
        auto generator = three();
        std::vector<int> doubled;
        std::ranges::transform(generator, std::back_inserter(doubled), [](int v) { return 2 * v; });
        REQUIRE(doubled == std::vector<int>{2, 4, 6});
    }
}

TEST_CASE("a generator can be moved while suspended", "[values]")
{
    CopyGenerator<int> first([](Yielder<int>& y) {
        int local = 40;
        y.yield(local++);
        y.yield(local++);
    });
    REQUIRE(first.next() == 40);
    CopyGenerator<int> second = std::move(first);
    REQUIRE(second.next() == 41);
    REQUIRE(second.next() == std::nullopt);
    REQUIRE_THROWS_AS(first.next(), cg::error);
}

TEST_CASE("bodies with captures are stored and destroyed", "[values]")
{
    Tracked::reset_counts();
    {
        Tracked captured(5);
        CopyGenerator<int> generator([captured, text = std::string(100, 'x')](Yielder<int>& y) {
            y.yield(captured.value + static_cast<int>(text.size()));
        });
        REQUIRE(Tracked::alive == 2);
        REQUIRE(generator.next() == 105);
        REQUIRE(generator.next() == std::nullopt);
        REQUIRE(Tracked::alive == 1); // the body died with its generator's last frame
    }
    REQUIRE(Tracked::alive == 0);
}
