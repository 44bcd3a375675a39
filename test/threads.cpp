// Rule 9: a started generator belongs to the thread whose stack holds its
// home; other threads get a clear error and change nothing. A generator not
// yet started may start on any thread. Threads run their own generators
// concurrently.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <latch>
#include <stdexcept>
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

TEST_CASE("threads run thousands of generators each, concurrently, and refuse each other's", "[threads]")
{
    constexpr int thread_count = 4;
    constexpr int per_thread = 2000;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
    std::vector<std::vector<CopyGenerator<long>>> sets(thread_count);
    std::latch all_created(thread_count), all_finished(thread_count);
    std::atomic<long> wrong{0}, refused{0}, resumes{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < thread_count; ++t)
        workers.emplace_back([&, t] {
            std::vector<CopyGenerator<long>>& mine = sets[static_cast<std::size_t>(t)];
            for (int g = 0; g < per_thread; ++g)
                mine.emplace_back([base = t * 1'000'000L + g * 100L](Yielder<long>& y) {
                    std::string text(30 + base % 7, 'x'); // on the heap
                    long locals[8] = {base, base + 1, base + 2, base + 3, base + 4, base + 5, base + 6, base + 7};
                    for (long i = 0;; ++i) {
                        y.yield(base + i);
                        for (long k = 0; k < 8; ++k)
                            if (locals[k] != base + k + i)
                                throw std::logic_error("a local changed");
                        for (long& local : locals)
                            ++local;
                        if (text.size() != static_cast<std::size_t>(30 + base % 7))
                            throw std::logic_error("a string changed");
                    }
                });
            std::vector<long> expected(per_thread, 0);
            for (int g = 0; g < per_thread; ++g)
                mine[static_cast<std::size_t>(g)].next(); // started: each belongs to this thread
            all_created.arrive_and_wait();             // now every set exists

            std::uint32_t state = static_cast<std::uint32_t>(t) * 2654435761u + 1;
            for (long round = 1; std::chrono::steady_clock::now() < deadline; ++round) {
                for (int g = 0; g < per_thread; ++g) {
                    long v = *mine[static_cast<std::size_t>(g)].next();
                    if (v != t * 1'000'000L + g * 100L + round)
                        ++wrong;
                }
                resumes += per_thread;
                // Try another thread's generators: refused, and nothing changes.
                for (int attempt = 0; attempt < 16; ++attempt) {
                    state = state * 1664525u + 1013904223u;
                    auto other = static_cast<std::size_t>((t + 1 + state % (thread_count - 1)) % thread_count);
                    try {
                        sets[other][(state >> 8) % per_thread].next();
                        ++wrong;
                    } catch (const cg::error& e) {
                        e.code() == cg::errc::wrong_thread ? ++refused : ++wrong;
                    }
                }
            }
            all_finished.arrive_and_wait(); // nobody touches `mine` any more
            mine.clear();                   // destroyed on their own thread, unwound
        });
    for (auto& worker : workers)
        worker.join();
    INFO(resumes.load() << " resumes, " << refused.load() << " cross-thread resumes refused");
    REQUIRE(wrong == 0);
    REQUIRE(refused >= thread_count * 16);
    REQUIRE(resumes >= thread_count * per_thread);
}
