// The registry of each thread's live generators (src/registry.hpp): a
// generator is listed by the thread that created it until it starts, then
// by the thread that owns it; a thread's registry lasts through the
// thread's exit (its thread_local and pthread key destructors may create
// generators) and outlives the thread while it lists generators, and no
// longer.
#include <catch2/catch.hpp>

#include <pthread.h>

#include <atomic>
#include <thread>
#include <vector>

#include <cg.h>
#include <cg/copy_generator.hpp>

#include "registry.hpp" // src/: live_registries

#include "support.hpp"

using cg::CopyGenerator;
using cg::Yielder;
using cg::detail::live_registries;

namespace {

CopyGenerator<int> counter()
{
    return CopyGenerator<int>([](Yielder<int>& y) {
        for (int i = 0;; ++i)
            y.yield(i);
    });
}

std::uintptr_t c_counter(std::uintptr_t, std::uintptr_t)
{
    for (std::uintptr_t i = 0;; ++i)
        cg_yield(nullptr, i);
}

/// Runs `body` on a new thread and waits for it to exit.
template <class Body>
void on_a_thread_that_exits(Body body)
{
    std::thread(body).join();
}

} // namespace

TEST_CASE("a thread's registry goes with the thread when it lists nothing", "[registry]")
{
    std::size_t before = live_registries();
    on_a_thread_that_exits([&] {
        auto g = counter();
        REQUIRE(g.next() == 0);
        CHECK(live_registries() == before + 1);
    });
    CHECK(live_registries() == before);
}

TEST_CASE("generators outlive the thread that created them", "[registry]")
{
    counter(); // this thread's registry exists from here on
    std::size_t before = live_registries();
    CopyGenerator<int> unstarted, finished;
    cg_t* suspended_c = nullptr;
    on_a_thread_that_exits([&] {
        unstarted = counter();
        finished = CopyGenerator<int>([](Yielder<int>& y) { y.yield(7); });
        REQUIRE(finished.next() == 7);
        REQUIRE_FALSE(finished.next());
        suspended_c = cg_create(reinterpret_cast<void*>(&c_counter), 0, 0);
        REQUIRE(cg_invoke(suspended_c, 0) == 0);
    });
    CHECK(live_registries() == before + 1); // the exited thread's, still listing three

    REQUIRE(unstarted.next() == 0); // started here: now listed by this thread
    REQUIRE(unstarted.next() == 1);
    finished = {};                  // finished: any thread may destroy it
    CHECK(live_registries() == before + 1);
    cg_destroy(suspended_c);        // a suspended C generator is discarded: any thread may
    CHECK(live_registries() == before); // the exited thread's registry, empty, is gone
    REQUIRE(unstarted.next() == 2);
}

TEST_CASE("generators created, handed over and destroyed on several threads at once", "[registry]")
{
    // Each thread creates generators and hands every other one to the next
    // thread, which starts it (moving it between registries) and destroys
    // it. (Catch2's assertions are for the main thread: workers count.)
    constexpr int threads = 4, rounds = 2000;
    std::vector<std::vector<CopyGenerator<int>>> handed(threads);
    for (auto& generators : handed)
        generators.resize(rounds);
    std::atomic<int> ready{0}, wrong{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([&, t] {
            auto& mine = handed[static_cast<std::size_t>(t)];
            auto& theirs = handed[static_cast<std::size_t>((t + 1) % threads)];
            for (auto& g : mine) {
                auto kept = counter();
                wrong += kept.next() != 0;
                g = counter();
            }
            ++ready;
            while (ready.load() < threads)
                std::this_thread::yield();
            for (auto& g : theirs) {
                wrong += g.next() != 0;
                wrong += g.next() != 1;
                g = {};
            }
        });
    for (auto& worker : workers)
        worker.join();
    CHECK(wrong == 0);
}

namespace {

/// Creates and destroys two generators one after the other from a
/// thread-local destructor that runs after the thread's registry was
/// orphaned (it was constructed before the thread's first generator).
struct CreatesTwiceAtExit {
    int* results;
    ~CreatesTwiceAtExit()
    {
        for (int i = 0; i < 2; ++i) {
            auto g = counter();
            results[i] = *g.next() + 1;
        }
    }
};

/// The same, after another thread destroyed the last generator of the
/// thread's orphaned registry while it waited.
struct CreatesAfterAnotherThreadDestroys {
    std::atomic<int>* step;
    int* results;
    ~CreatesAfterAnotherThreadDestroys()
    {
        *step = 1; // orphaned: the other thread destroys `left` now
        while (step->load() != 2)
            std::this_thread::yield();
        for (int i = 0; i < 2; ++i) {
            auto g = counter();
            results[i] = *g.next() + 1;
        }
    }
};

} // namespace

TEST_CASE("a thread-local destructor that runs after the registry is orphaned creates and destroys generators",
          "[registry]")
{
    std::size_t before = live_registries();
    int results[2] = {0, 0};
    on_a_thread_that_exits([&] {
        static thread_local CreatesTwiceAtExit late{results};
        (void)late;
        auto g = counter(); // the thread's registry from here on; orphaned at its exit
        REQUIRE(g.next() == 0);
    });
    CHECK(results[0] == 1);
    CHECK(results[1] == 1);
    CHECK(live_registries() == before);
}

TEST_CASE("a thread's registry stays while its thread-local destructors run, whoever destroys its generators",
          "[registry]")
{
    std::size_t before = live_registries();
    std::atomic<int> step{0};
    int results[2] = {0, 0};
    CopyGenerator<int> left;
    std::thread exiting([&] {
        static thread_local CreatesAfterAnotherThreadDestroys late{&step, results};
        (void)late;
        left = CopyGenerator<int>([](Yielder<int>& y) { y.yield(3); });
        REQUIRE(left.next() == 3);
        REQUIRE_FALSE(left.next()); // finished: any thread may destroy it
    });
    while (step.load() != 1)
        std::this_thread::yield();
    left = {}; // the last generator the exiting thread's registry lists
    step = 2;
    exiting.join();
    CHECK(results[0] == 1);
    CHECK(results[1] == 1);
    CHECK(live_registries() == before);
}

namespace {

int result = 0; // of run_a_counter

/// A key destructor: creates, runs and destroys a generator.
void run_a_counter(void*)
{
    auto g = counter();
    result = *g.next() + 1;
}

} // namespace

TEST_CASE("a pthread key destructor that runs after the registry was released creates and destroys generators",
          "[registry]")
{
    // glibc runs pthread key destructors after every thread_local one, in
    // rounds: the library releases the thread's registry in one (a key of
    // its own); this key, made later, runs after it.
    result = 0;
    pthread_key_t key;
    REQUIRE(pthread_key_create(&key, run_a_counter) == 0);
    std::size_t before = live_registries();
    on_a_thread_that_exits([&] {
        auto g = counter(); // the thread's registry, released at its exit
        REQUIRE(g.next() == 0);
        pthread_setspecific(key, &result);
    });
    CHECK(result == 1);
    CHECK(live_registries() == before); // the second registry, released in the next round
    pthread_key_delete(key);
}

TEST_CASE("a pthread key destructor that runs after the registry was released takes it up again while it has "
          "generators",
          "[registry]")
{
    // The exiting thread leaves a suspended C generator behind, so its
    // released registry stays; the key destructor's generators then go in
    // that registry, the one its thread number names, not a second one.
    static cg_t* left_behind = nullptr;
    result = 0;
    pthread_key_t key;
    REQUIRE(pthread_key_create(&key, run_a_counter) == 0);
    std::size_t before = live_registries();
    on_a_thread_that_exits([&] {
        left_behind = cg_create(reinterpret_cast<void*>(+[](std::uintptr_t, std::uintptr_t) -> std::uintptr_t {
                                    cg_yield(nullptr, 1);
                                    return 0;
                                }),
                                0, 0);
        REQUIRE(cg_invoke(left_behind, 0) == 1);
        pthread_setspecific(key, &result);
    });
    CHECK(result == 1);
    CHECK(live_registries() == before + 1); // kept by the generator left behind
    cg_destroy(left_behind);                // takes it out of that registry, which goes
    CHECK(live_registries() == before);
    pthread_key_delete(key);
}
