// Destroying a suspended C++ generator discards its frames, without
// unwinding them, when none of them would run anything as forced_unwind
// passed (src/cleanup_scan.hpp); when one would (a destructor, a catch),
// it unwinds as before. Each
// case checks which way the destroy went, from the library's counts, and
// that everything that had to run ran. Not run under ThreadSanitizer
// (tools/test-all): there GCC 12 gives the instrumented functions landing
// pads of their own, and these generators are all unwound (measured), as
// they must be.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <thread>

#include <cg.h>
#include <cg/copy_generator.hpp>

#include <dlfcn.h>
#include <pthread.h>

#include "cleanup_scan.hpp" // src/: destroy_counts_of_this_thread
#include "discarding/plugin.h"
#include "support.hpp"

using cg::CopyGenerator;
using cg::Yielder;
using cg::detail::destroy_counts_of_this_thread;
using cg_test::Tracked;

namespace {

/// The destroys of this thread since it was made: how many went each way.
struct DestroysSince {
    cg::detail::DestroyCounts start = destroy_counts_of_this_thread();

    std::uint64_t discarded() const { return destroy_counts_of_this_thread().discarded - start.discarded; }
    std::uint64_t unwound() const { return destroy_counts_of_this_thread().unwound - start.unwound; }
};

// Three frames between the body and the yield. The empty asm after each
// call keeps the call a call (no tail call, no recursion folded into a
// loop), so each level is a frame of its own in the slice.
[[gnu::noinline]] int innermost(Yielder<int>& y)
{
    y.yield(3);
    return 3;
}

[[gnu::noinline]] int middle_plain(Yielder<int>& y)
{
    int r = innermost(y);
    __asm__ volatile("" : "+r"(r));
    return r;
}

[[gnu::noinline]] int middle_holding(Yielder<int>& y)
{
    Tracked held(2);
    int r = innermost(y);
    __asm__ volatile("" : "+r"(r));
    return r + held.value;
}

int catches = 0;

[[gnu::noinline]] int middle_catching(Yielder<int>& y)
{
    int r;
    try {
        r = innermost(y);
    } catch (...) {
        ++catches; // sees forced_unwind, and lets it go on
        throw;
    }
    __asm__ volatile("" : "+r"(r));
    return r;
}

template <int (*Middle)(Yielder<int>&)>
[[gnu::noinline]] int outer(Yielder<int>& y)
{
    int r = Middle(y);
    __asm__ volatile("" : "+r"(r));
    return r;
}

/// A return address into a frame with a destructor to run: the call to
/// `note` (through a pointer the compiler cannot see through, so that the
/// call may throw and has a landing pad) in `holding_a_destructor`.
std::uintptr_t address_with_landing_pad = 0;

[[gnu::noinline]] void note_return_address()
{
    address_with_landing_pad = reinterpret_cast<std::uintptr_t>(__builtin_return_address(0));
}

void (*volatile note)() = note_return_address;

[[gnu::noinline]] void holding_a_destructor()
{
    Tracked held(0);
    note();
    __asm__ volatile("" : : : "memory");
}

/// Fills 16 KiB of stack below the caller, where a generator it resumes
/// next will have its frames (the default headroom is 2 KiB at most), with
/// that return address: dead slots of the generator's frames (padding,
/// locals not written yet) then hold it. The destroy must not take them
/// for frames: it walks the frames by the unwind tables, as an unwinder
/// does, and reads only their return addresses.
[[gnu::noinline]] void leave_stale_return_addresses_below()
{
    if (address_with_landing_pad == 0)
        holding_a_destructor();
    std::uintptr_t below[2048];
    for (std::uintptr_t& word : below)
        word = address_with_landing_pad;
    __asm__ volatile("" : : "r"(below) : "memory"); // the stores stay
}

/// The first resume, on stack full of stale return addresses.
int first_value(CopyGenerator<int>& generator)
{
    leave_stale_return_addresses_below();
    return generator.next().value_or(-1);
}

/// A frame with 8 KiB of locals.
[[gnu::noinline]] void yield_from_large_frame(Yielder<int>& y)
{
    volatile char large[8192];
    large[0] = 1;
    y.yield(large[0]);
    large[1] = 2;
}

/// `depth` frames with nothing to clean up, and the yield below them;
/// descend_holding puts a frame with a destructor to run above them.
[[gnu::noinline]] int descend(Yielder<int>& y, int depth)
{
    if (depth == 0) {
        y.yield(1);
        return 1;
    }
    int r = descend(y, depth - 1);
    __asm__ volatile("" : "+r"(r));
    return r + 1;
}

[[gnu::noinline]] int descend_holding(Yielder<int>& y, int depth)
{
    Tracked held(depth);
    int r = descend(y, depth);
    __asm__ volatile("" : "+r"(r));
    return r + held.value;
}

} // namespace

TEST_CASE("frames with nothing to clean up are discarded, not unwound", "[discarding_destroy]")
{
    DestroysSince since;
    {
        CopyGenerator<int> generator([](Yielder<int>& y) { outer<middle_plain>(y); });
        REQUIRE(first_value(generator) == 3);
        REQUIRE(generator.slice_size() > 0);
    }
    CHECK(since.discarded() == 1);
    CHECK(since.unwound() == 0);
}

TEST_CASE("a discarded generator's stored body is still destroyed", "[discarding_destroy]")
{
    REQUIRE(Tracked::alive == 0);
    DestroysSince since;
    {
        CopyGenerator<int> generator([kept = Tracked(7)](Yielder<int>& y) { outer<middle_plain>(y); });
        REQUIRE(first_value(generator) == 3);
        REQUIRE(Tracked::alive == 1);
    }
    CHECK(since.discarded() == 1);
    CHECK(Tracked::alive == 0);
}

TEST_CASE("a frame with a destructor to run is unwound", "[discarding_destroy]")
{
    REQUIRE(Tracked::alive == 0);
    DestroysSince since;
    {
        CopyGenerator<int> generator([](Yielder<int>& y) { outer<middle_holding>(y); });
        REQUIRE(generator.next() == 3);
        REQUIRE(Tracked::alive == 1);
    }
    CHECK(since.unwound() == 1);
    CHECK(since.discarded() == 0);
    CHECK(Tracked::alive == 0);
}

TEST_CASE("a destructor in the body itself, inlined into its entry or not, is run", "[discarding_destroy]")
{
    REQUIRE(Tracked::alive == 0);
    DestroysSince since;
    {
        CopyGenerator<int> generator([](Yielder<int>& y) {
            Tracked held(1);
            y.yield(held.value);
        });
        REQUIRE(generator.next() == 1);
        REQUIRE(Tracked::alive == 1);
    }
    CHECK(since.unwound() == 1);
    CHECK(Tracked::alive == 0);
}

TEST_CASE("a frame with a catch (...) sees the destroy", "[discarding_destroy]")
{
    catches = 0;
    DestroysSince since;
    {
        CopyGenerator<int> generator([](Yielder<int>& y) { outer<middle_catching>(y); });
        REQUIRE(generator.next() == 3);
    }
    CHECK(since.unwound() == 1);
    CHECK(catches == 1);
}

TEST_CASE("a large frame, and 200 frames, with nothing to clean up are discarded", "[discarding_destroy]")
{
    DestroysSince since;
    {
        CopyGenerator<int> large([](Yielder<int>& y) { yield_from_large_frame(y); });
        REQUIRE(first_value(large) == 1);
        REQUIRE(large.slice_size() > 8192);
        CopyGenerator<int> deep([](Yielder<int>& y) { descend(y, 200); });
        REQUIRE(first_value(deep) == 1);
        REQUIRE(deep.slice_size() > 200 * 16);
    }
    CHECK(since.discarded() == 2);
    CHECK(since.unwound() == 0);
}

TEST_CASE("a destructor 200 frames out from the yield is run", "[discarding_destroy]")
{
    REQUIRE(Tracked::alive == 0);
    DestroysSince since;
    {
        CopyGenerator<int> deep([](Yielder<int>& y) { descend_holding(y, 200); });
        REQUIRE(first_value(deep) == 1);
        REQUIRE(Tracked::alive == 1);
    }
    CHECK(since.unwound() == 1);
    CHECK(Tracked::alive == 0);
}

TEST_CASE("destroys that unwind nothing are not counted", "[discarding_destroy]")
{
    DestroysSince since;
    {
        CopyGenerator<int> finished([](Yielder<int>& y) { y.yield(1); });
        REQUIRE(finished.next() == 1);
        REQUIRE_FALSE(finished.next());
        CopyGenerator<int> unstarted([](Yielder<int>& y) { outer<middle_plain>(y); });
        cg_t* c = cg_create(reinterpret_cast<void*>(+[](std::uintptr_t a, std::uintptr_t) -> std::uintptr_t {
                                return cg_yield(nullptr, a);
                            }),
                            5, 0);
        REQUIRE(cg_invoke(c, 0) == 5);
        cg_destroy(c); // a C generator: always discarded, not this count's business
    }
    CHECK(since.discarded() == 0);
    CHECK(since.unwound() == 0);
}

TEST_CASE("the same generator type goes either way by where it is suspended", "[discarding_destroy]")
{
    REQUIRE(Tracked::alive == 0);
    DestroysSince since;
    auto body = [](Yielder<int>& y) {
        outer<middle_plain>(y);   // destroyed here: discarded
        outer<middle_holding>(y); // destroyed here: unwound
    };
    {
        CopyGenerator<int> first(body);
        REQUIRE(first_value(first) == 3);
        CopyGenerator<int> second(body);
        REQUIRE(first_value(second) == 3);
        REQUIRE(second.next() == 3);
        REQUIRE(Tracked::alive == 1);
    }
    CHECK(since.discarded() == 1);
    CHECK(since.unwound() == 1);
    CHECK(Tracked::alive == 0);
}

namespace {

std::atomic<int> discarded_at_exit{-1}, unwound_at_exit{-1};

/// Destroys a suspended generator at its thread's exit, from a pthread
/// key's destructor; the destroy's way is recorded for the test to read.
void destroy_at_exit(void* held)
{
    cg::detail::DestroyCounts before = destroy_counts_of_this_thread();
    delete static_cast<CopyGenerator<int>*>(held);
    cg::detail::DestroyCounts after = destroy_counts_of_this_thread();
    discarded_at_exit = static_cast<int>(after.discarded - before.discarded);
    unwound_at_exit = static_cast<int>(after.unwound - before.unwound);
}

} // namespace

TEST_CASE("a destroy after the thread's cache is freed, at its exit, unwinds", "[discarding_destroy]")
{
    REQUIRE(Tracked::alive == 0);
    {
        // A discard here makes the key whose destructor frees each
        // thread's cache (src/per_thread.hpp), if no test did before.
        CopyGenerator<int> first([](Yielder<int>& y) { outer<middle_plain>(y); });
        first.next();
    }
    // Made after the cache's key, so glibc runs its destructor after the
    // cache's, which freed the cache.
    pthread_key_t key;
    REQUIRE(pthread_key_create(&key, destroy_at_exit) == 0);
    std::thread([&] {
        // Nothing in its frames to clean up: discarded, but for the cache.
        auto* held = new CopyGenerator<int>([kept = Tracked(1)](Yielder<int>& y) { outer<middle_plain>(y); });
        held->next();
        CopyGenerator<int> first([](Yielder<int>& y) { outer<middle_plain>(y); });
        first.next(); // its destroy makes this thread's cache
        pthread_setspecific(key, held);
    }).join();
    CHECK(discarded_at_exit == 0);
    CHECK(unwound_at_exit == 1);
    CHECK(Tracked::alive == 0);
    pthread_key_delete(key);
}

TEST_CASE("frames in a library loaded with dlopen go each way too", "[discarding_destroy]")
{
    const char* path = std::getenv("CG_DISCARD_PLUGIN"); // set by test/meson.build
    REQUIRE(path != nullptr);
    // Loaded after this thread's destroys above filled its cache: the
    // destroys below must read the new library's tables.
    void* plugin = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    REQUIRE(plugin != nullptr);
    auto plain = reinterpret_cast<int (*)(Yielder<int>&)>(dlsym(plugin, "plugin_yield_plain"));
    auto holding = reinterpret_cast<int (*)(Yielder<int>&)>(dlsym(plugin, "plugin_yield_holding"));
    auto alive = reinterpret_cast<int (*)()>(dlsym(plugin, "plugin_alive"));
    REQUIRE((plain != nullptr && holding != nullptr && alive != nullptr));
    DestroysSince since;
    {
        CopyGenerator<int> discarded([plain](Yielder<int>& y) { plain(y); });
        REQUIRE(first_value(discarded) == 7);
        CopyGenerator<int> unwound([holding](Yielder<int>& y) { holding(y); });
        REQUIRE(first_value(unwound) == 7);
        REQUIRE(alive() == 1);
    }
    CHECK(since.discarded() == 1);
    CHECK(since.unwound() == 1);
    CHECK(alive() == 0);
    REQUIRE(dlclose(plugin) == 0);
}
