// Rule 2: resumes may come from any depth at or above the home's top; the
// headroom lets slightly deeper ones work; deeper than that fails with a
// resume_depth_error that states both depths, and the generator is intact.
#include <catch2/catch.hpp>

#include <string>

#include <cg/copy_generator.hpp>

#include "support.hpp"

using cg::CopyGenerator;
using cg::Yielder;

namespace {

// A generator whose locals would show any damage to its slice.
CopyGenerator<int> checked_counter(cg::Options options = {})
{
    return CopyGenerator<int>(
        [](Yielder<int>& y) {
            std::string text = "intact";
            int values[8] = {0, 1, 2, 3, 4, 5, 6, 7};
            for (int i = 0;; ++i) {
                y.yield(i);
                REQUIRE(text == "intact");
                for (int k = 0; k < 8; ++k)
                    REQUIRE(values[k] == k + i);
                for (int& v : values)
                    ++v;
            }
        },
        options);
}

} // namespace

TEST_CASE("resumes from deeper call sites within the headroom work", "[resume_depth]")
{
    auto generator = checked_counter(cg::Options{8192});
    REQUIRE(generator.next() == 0);
    // 4 KiB deeper than the first resume, plus at_depth's own frames.
    cg_test::at_depth(4096, [&] { REQUIRE(generator.next() == 1); });
    REQUIRE(generator.next() == 2);
}

namespace {
[[gnu::noinline]] int pull(CopyGenerator<int>& generator) { return *generator.next(); }
[[gnu::noinline]] int pull_twice(CopyGenerator<int>& generator) { return pull(generator) + pull(generator); }
} // namespace

TEST_CASE("the default headroom allows resumes from helper functions", "[resume_depth]")
{
    auto generator = checked_counter();
    REQUIRE(generator.next() == 0);     // the first resume fixes the home
    REQUIRE(pull(generator) == 1);      // one frame deeper
    REQUIRE(pull_twice(generator) == 5); // two frames deeper
    REQUIRE(generator.next() == 4);
}

TEST_CASE("resumes from shallower call sites work", "[resume_depth]")
{
    std::optional<CopyGenerator<int>> generator;
    cg_test::at_depth(4096, [&] {
        generator.emplace(checked_counter());
        REQUIRE(generator->next() == 0); // the home is 4 KiB deeper than here
    });
    REQUIRE(generator->next() == 1);
    cg_test::at_depth(1024, [&] { REQUIRE(generator->next() == 2); });
    REQUIRE(generator->next() == 3);
}

TEST_CASE("a resume from too deep fails with both depths and changes nothing", "[resume_depth]")
{
    auto generator = checked_counter();
    REQUIRE(generator.next() == 0);
    REQUIRE(generator.next() == 1);
    bool thrown = false;
    cg_test::at_depth(cg::default_headroom + 1024, [&] {
        try {
            generator.next();
        } catch (const cg::resume_depth_error& e) {
            thrown = true;
            CHECK(e.code() == cg::errc::too_deep);
            CHECK(e.resume_depth() > e.home_depth());
            CHECK(e.resume_depth() - e.home_depth() >= 1024 - 64);
            std::string message = e.what();
            CHECK_THAT(message, Catch::Contains(std::to_string(e.resume_depth()) + " bytes deep"));
            CHECK_THAT(message, Catch::Contains(std::to_string(e.home_depth()) + " bytes deep"));
            CHECK_THAT(message, Catch::Contains("headroom"));
        }
    });
    REQUIRE(thrown);
    // Intact, and resumable again from a proper depth.
    REQUIRE(generator.started());
    REQUIRE_FALSE(generator.done());
    REQUIRE(generator.next() == 2);
    REQUIRE(generator.next() == 3);
}

TEST_CASE("the headroom is set per generator", "[resume_depth]")
{
    SECTION("more headroom allows deeper resumes")
    {
        auto generator = checked_counter(cg::Options{16384});
        REQUIRE(generator.next() == 0);
        cg_test::at_depth(12000, [&] { REQUIRE(generator.next() == 1); });
        REQUIRE(generator.next() == 2);
    }
    SECTION("no headroom allows only resumes from the first call site or above")
    {
        auto generator = checked_counter(cg::Options{0});
        auto resume = [&] { return generator.next(); };
        REQUIRE(resume() == 0);
        REQUIRE(resume() == 1);
        cg_test::at_depth(256, [&] { REQUIRE_THROWS_AS(generator.next(), cg::resume_depth_error); });
        REQUIRE(resume() == 2);
    }
    SECTION("a headroom beyond the limit is refused")
    {
        REQUIRE_THROWS_AS(checked_counter(cg::Options{cg::max_headroom + 1}), cg::error);
    }
}
