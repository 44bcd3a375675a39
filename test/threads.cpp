// Rule 9: a started generator belongs to the thread whose stack holds its
// home; other threads get a clear error and change nothing. A generator not
// yet started may start on any thread. Threads run their own generators
// concurrently.
#include <catch2/catch.hpp>

#include <atomic>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include <cg/copy_generator.hpp>

#include "support.hpp"

using cg::CopyGenerator;
using cg::Yielder;

namespace {

CopyGenerator<int> checked_counter()
{
    return CopyGenerator<int>([](Yielder<int>& y) {
        std::string text = "intact";
        for (int i = 0;; ++i) {
            y.yield(i);
            REQUIRE(text == "intact");
        }
    });
}

} // namespace

TEST_CASE("resuming a started generator from another thread fails and changes nothing", "[threads]")
{
    auto generator = checked_counter();
    REQUIRE(generator.next() == 0);
    std::string message;
    cg::errc code{};
    std::thread other([&] {
        try {
            generator.next();
        } catch (const cg::error& e) {
            message = e.what();
            code = e.code();
        }
    });
    other.join();
    REQUIRE(code == cg::errc::wrong_thread);
    CHECK_THAT(message, Catch::Contains("thread #"));
    CHECK_THAT(message, Catch::Contains("started on thread"));
    REQUIRE(generator.next() == 1); // intact on its own thread
    REQUIRE(generator.next() == 2);
}

TEST_CASE("a generator not yet started may start on any thread", "[threads]")
{
    auto generator = checked_counter();
    std::vector<int> seen;
    std::latch started(1), refused(1);
    std::thread owner([&] {
        for (int i = 0; i < 3; ++i)
            seen.push_back(*generator.next());
        started.count_down();
        refused.wait();
        seen.push_back(*generator.next());
        generator = checked_counter(); // the old one is unwound here, on its own thread
    });
    started.wait();
    // Now it belongs to the other thread.
    REQUIRE_THROWS_MATCHES(generator.next(), cg::error,
                           Catch::Predicate<cg::error>([](const cg::error& e) { return e.code() == cg::errc::wrong_thread; }));
    refused.count_down();
    owner.join();
    REQUIRE(seen == std::vector<int>{0, 1, 2, 3});
    REQUIRE_FALSE(generator.started());
}

TEST_CASE("a finished generator may be destroyed on any thread", "[threads]")
{
    std::optional<CopyGenerator<int>> generator;
    std::thread first([&] {
        generator.emplace([](Yielder<int>& y) { y.yield(1); });
        REQUIRE(generator->next() == 1);
        REQUIRE(generator->next() == std::nullopt);
    });
    first.join();
    generator.reset();
}

TEST_CASE("threads drive their own generators concurrently", "[threads]")
{
    constexpr int threads = 4;
    constexpr int per_thread = 2000;
    constexpr int rounds = 200;
    std::atomic<int> failures{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([t, &failures] {
            std::vector<CopyGenerator<long>> generators;
            for (int g = 0; g < per_thread; ++g)
                generators.emplace_back([base = t * 1'000'000L + g](Yielder<long>& y) {
                    std::string text(30, 'x');
                    for (long i = 0;; ++i)
                        y.yield(base + i + static_cast<long>(text.size()) - 30);
                });
            for (int round = 0; round < rounds; ++round)
                for (int g = 0; g < per_thread; ++g)
                    if (*generators[static_cast<std::size_t>(g)].next() != t * 1'000'000L + g + round)
                        ++failures;
        });
    for (auto& worker : workers)
        worker.join();
    REQUIRE(failures == 0);
}
