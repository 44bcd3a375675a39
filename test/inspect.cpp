// Seeing inside suspended generators without resuming them: backtraces
// (libunwind over the saved slice), labels, and snapshots of this thread and
// of all threads with their safe points. cg-dump's own tests read the files
// (tools/cg-dump/); here the library side: what is written, and when.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <cg.h>
#include <cg/copy_generator.hpp>

#include "support.hpp"

using cg::CopyGenerator;
using cg::Yielder;

namespace {

std::atomic<int> body_steps{0};

[[gnu::noinline]] void waits_inside(Yielder<int>& y, int value)
{
    volatile char local[40] = {static_cast<char>(value)};
    ++body_steps;
    y.yield(value);
    (void)local[0];
}

[[gnu::noinline]] void calls_down(Yielder<int>& y, int value)
{
    waits_inside(y, value);
    asm volatile(""); // not a tail call: this frame stays
}

[[gnu::noinline]] void body_top(Yielder<int>& y)
{
    for (int i = 0;; ++i)
        calls_down(y, i);
}

CopyGenerator<int> three_deep() { return CopyGenerator<int>([](Yielder<int>& y) { body_top(y); }); }

/// The frames' function names without parameters or the anonymous
/// namespace: "waits_inside". The innermost frames of cg's own yield path
/// ("cg::detail::suspend", "void cg::Yielder<int, void>::yield<int&>"),
/// present when it is not inlined (-O0), are left out.
std::vector<std::string> functions_of(const std::vector<cg::Frame>& frames)
{
    const std::string anonymous = "(anonymous namespace)::";
    std::vector<std::string> names;
    for (const cg::Frame& frame : frames) {
        std::string name = frame.function;
        std::string head = name.substr(0, name.find_first_of("(<"));
        head.erase(0, head.rfind(' ') + 1); // a template's return type
        if (names.empty() && (head == "cg::detail::suspend" || head == "cg::detail::yield_from" ||
                              head == "cg::Yielder"))
            continue;
        if (name.rfind(anonymous, 0) == 0)
            name.erase(0, anonymous.size());
        names.push_back(name.substr(0, name.find('(')));
    }
    return names;
}

std::string read_file(const std::string& path)
{
    std::ifstream file(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(file), {});
}

std::size_t count_of(const std::string& haystack, const std::string& needle)
{
    std::size_t count = 0;
    for (std::size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1))
        ++count;
    return count;
}

std::string temporary_path(const char* name) { return std::string("/tmp/cg-test-") + std::to_string(::getpid()) + name; }

} // namespace

TEST_CASE("the backtrace of a suspended generator names where it waits, without resuming it", "[inspect]")
{
    auto g = three_deep();
    REQUIRE(g.next() == 0);
    int steps = body_steps;
    std::vector<cg::Frame> frames = g.backtrace();
    CHECK(body_steps == steps); // not resumed
    auto names = functions_of(frames);
    REQUIRE(names.size() >= 4);
    CHECK(names[0] == "waits_inside");
    CHECK(names[1] == "calls_down");
    CHECK(names[2] == "body_top");
    CHECK(names.back().find("cg::detail::entry<") != std::string::npos); // and not beyond the entry
    for (std::size_t i = 1; i < frames.size(); ++i) {
        CHECK(frames[i].sp > frames[i - 1].sp); // outward, within the home
        CHECK(frames[i].offset > 0);
    }
    REQUIRE(g.next() == 1); // and it goes on as if nothing happened
    CHECK(functions_of(g.backtrace()) == names);
}

TEST_CASE("backtraces of generators nested in a generator", "[inspect]")
{
    std::vector<std::string> inner_names;
    CopyGenerator<int> outer([&](Yielder<int>& y) {
        auto inner = three_deep();
        inner.next();
        inner_names = functions_of(inner.backtrace()); // taken while the outer one runs
        y.yield(1);
    });
    REQUIRE(outer.next() == 1);
    REQUIRE(inner_names.size() >= 3);
    CHECK(inner_names[0] == "waits_inside");
    auto outer_names = functions_of(outer.backtrace());
    REQUIRE_FALSE(outer_names.empty());
    CHECK(outer_names.back().find("cg::detail::entry<") != std::string::npos);
}

TEST_CASE("only a suspended generator has a backtrace, and only on its own thread", "[inspect]")
{
    auto g = three_deep();
    CHECK(g.backtrace().empty()); // not started
    REQUIRE(g.next() == 0);
    std::string error;
    std::thread([&] {
        try {
            g.backtrace();
        } catch (const cg::error& e) {
            error = std::to_string(static_cast<int>(e.code())) + " " + e.what();
        }
    }).join();
    CHECK(error.find(std::to_string(static_cast<int>(cg::errc::wrong_thread))) == 0);
    CHECK(error.find("another thread") != std::string::npos);
    REQUIRE(g.next() == 1); // intact
    CopyGenerator<int> done([](Yielder<int>&) {});
    REQUIRE_FALSE(done.next());
    CHECK(done.backtrace().empty());
}

TEST_CASE("labels: set, replaced, removed, carried to the thread that starts the generator", "[inspect]")
{
    auto g = three_deep();
    CHECK(g.label().empty());
    g.set_label("first");
    g.set_label("connection 7");
    CHECK(g.label() == "connection 7");
    std::thread([&] {
        g.next(); // started here: it moves to this thread's registry, label and all
        CHECK(g.label() == "connection 7");
        g.set_label("");
        CHECK(g.label().empty());
        g.set_label("again");
        g = {};
    }).join();
    CopyGenerator<int> empty;
    CHECK_THROWS_AS(empty.set_label("x"), cg::error);
    CHECK(empty.label().empty());
}

TEST_CASE("the C API: labels and backtraces", "[inspect]")
{
    cg_t* co = cg_create(reinterpret_cast<void*>(+[](std::uintptr_t, std::uintptr_t) -> std::uintptr_t {
                             for (std::uintptr_t i = 0;; ++i)
                                 cg_yield(nullptr, i);
                         }),
                         0, 0);
    REQUIRE(cg_set_label(co, "a C generator") == CG_OK);
    char label[8];
    CHECK(cg_get_label(co, label, sizeof label) == std::strlen("a C generator"));
    CHECK(std::string(label) == "a C gen"); // truncated, terminated
    cg_frame frames[16];
    CHECK(cg_backtrace(co, frames, 16) == 0); // not started
    REQUIRE(cg_invoke(co, 0) == 0);
    int count = cg_backtrace(co, frames, 16);
    REQUIRE(count >= 2);
    CHECK(std::string(frames[count - 1].function).find("entry") != std::string::npos);
    CHECK(cg_backtrace(co, frames, 1) == count); // the count, even if fewer fit
    CHECK(cg_backtrace(nullptr, frames, 16) == -CG_EINVAL);
    CHECK(cg_set_label(nullptr, "x") == CG_EINVAL);
    REQUIRE(cg_set_label(co, nullptr) == CG_OK);
    CHECK(cg_get_label(co, label, sizeof label) == 0);
    cg_destroy(co);
}

TEST_CASE("a snapshot of this thread has every live generator, suspended ones in full", "[inspect]")
{
    auto suspended = three_deep();
    suspended.set_label("suspended one");
    REQUIRE(suspended.next() == 0);
    auto unstarted = three_deep();
    unstarted.set_label("unstarted one");
    CopyGenerator<int> finished([](Yielder<int>&) {});
    REQUIRE_FALSE(finished.next());
    std::string path = temporary_path("-this-thread.cgsnap");
    CopyGenerator<int> running([&](Yielder<int>& y) {
        cg::snapshot(path.c_str()); // taken from inside a running generator
        y.yield(0);
    });
    running.set_label("running one");
    REQUIRE(running.next() == 0);

    std::string file = read_file(path);
    REQUIRE(file.size() > 100);
    CHECK(file.compare(0, 8, std::string("CGSNAP\x1a\n", 8)) == 0);
    CHECK(count_of(file, "THRD") == 1); // this thread only
    for (const char* label : {"suspended one", "unstarted one", "running one"})
        CHECK(count_of(file, label) == 1);
    CHECK(count_of(file, "waits_inside") >= 1); // the suspended one's backtrace
    std::remove(path.c_str());
}

namespace {

/// The generator count of a snapshot's only section (snapshot_format.hpp:
/// tag, thread, flags, count).
std::uint32_t generators_in_section(const std::string& file)
{
    std::size_t at = file.find("THRD");
    REQUIRE(at != std::string::npos);
    REQUIRE(file.find("THRD", at + 1) == std::string::npos);
    std::uint32_t count;
    std::memcpy(&count, file.data() + at + 12, sizeof count);
    return count;
}

} // namespace

TEST_CASE("a snapshot finds a thread's generators wherever their control blocks are", "[inspect]")
{
    // On a thread of its own, which has no other generator. The registry
    // walks the slabs for most generators, and lists those too large for a
    // slab; a generator another thread created lies in that thread's slab.
    std::thread([] {
        auto in_slab = three_deep();
        in_slab.set_label("in a slab");
        char large[512] = {1};
        CopyGenerator<int> too_large([large](Yielder<int>& y) { // a body of 512 bytes: no slab
            y.yield(large[0]);
            y.yield(2);
        });
        too_large.set_label("too large for a slab");
        CopyGenerator<int> created_elsewhere;
        std::thread([&] { created_elsewhere = three_deep(); }).join(); // its slab is orphaned, kept by it
        created_elsewhere.set_label("created elsewhere");
        REQUIRE(in_slab.next() == 0);
        REQUIRE(too_large.next() == 1);
        REQUIRE(created_elsewhere.next() == 0); // now this thread's
        std::string path = temporary_path("-wherever.cgsnap");
        cg::snapshot(path.c_str());
        std::string file = read_file(path);
        CHECK(generators_in_section(file) == 3);
        for (const char* label : {"in a slab", "too large for a slab", "created elsewhere"})
            CHECK(count_of(file, label) == 1);
        CHECK(count_of(file, "waits_inside") >= 2); // both in slabs, in full

        // Destroyed, their blocks are free (one kept for the next create):
        // the walk passes over them.
        in_slab = {};
        too_large = {};
        cg::snapshot(path.c_str());
        CHECK(generators_in_section(read_file(path)) == 1);
        created_elsewhere = {};
        cg::snapshot(path.c_str());
        CHECK(generators_in_section(read_file(path)) == 0);
        std::remove(path.c_str());
    }).join();
}

TEST_CASE("a snapshot reports a file it cannot write", "[inspect]")
{
    CHECK_THROWS_AS(cg::snapshot("/nonexistent-directory/x.cgsnap"), std::system_error);
    errno = 0;
    CHECK(cg_snapshot("/nonexistent-directory/x.cgsnap") == CG_EIO);
    CHECK(errno == ENOENT);
}

TEST_CASE("all-threads snapshots while a silent thread's generators move their slices to the heap and back",
          "[inspect]")
{
    // A snapshot reads a silent thread's generators (their kind, from the
    // operations' number) while that thread runs them: a yield moves the
    // slice into a heap buffer, a trim moves it back, each writing the flag
    // beside the number, which the snapshot must not read (is_c_generator).
    // Each snapshot finds the generator once.
    std::atomic<bool> stop{false};
    std::atomic<long> rounds{0};
    std::thread busy([&] {
        CopyGenerator<int> moving([](Yielder<int>& y) {
            for (;;) {
                volatile char deep[256] = {};
                y.yield(deep[0]); // a heap buffer
                y.yield(1);       // small: the trim moves it back
            }
        });
        moving.set_label("busy thread's");
        while (!stop) {
            moving.next();
            moving.next();
            cg::trim_buffers();
            ++rounds;
        }
    });
    while (rounds == 0)
        std::this_thread::yield();
    std::string path = temporary_path("-busy-thread.cgsnap");
    for (int snapshot = 0; snapshot < 20; ++snapshot) {
        cg::snapshot(path.c_str(), {.all_threads = true, .wait = std::chrono::milliseconds(1)});
        std::string file = read_file(path);
        REQUIRE(count_of(file, "busy thread's") == 1);
    }
    long before = rounds;
    while (rounds < before + 2)
        std::this_thread::yield();
    stop = true;
    busy.join();
    std::remove(path.c_str());
}

TEST_CASE("an all-threads snapshot: threads at safe points in full, silent ones without details", "[inspect]")
{
    // One thread that reaches safe points, one that never does, one that
    // has exited leaving a suspended C generator behind.
    std::atomic<bool> stop{false};
    std::atomic<int> ready{0};
    auto worker = [&](const char* label, bool safe_points) {
        return std::thread([&, label, safe_points] {
            auto g = three_deep();
            g.set_label(label);
            g.next();
            ++ready;
            while (!stop)
                if (safe_points)
                    cg::safe_point();
                else
                    std::this_thread::yield();
        });
    };
    std::thread answering = worker("answering thread's", true);
    std::thread silent = worker("silent thread's", false);
    cg_t* left_behind = nullptr;
    std::thread([&] {
        left_behind = cg_create(reinterpret_cast<void*>(+[](std::uintptr_t, std::uintptr_t) -> std::uintptr_t {
                                    cg_yield(nullptr, 1);
                                    return 0;
                                }),
                                0, 0);
        cg_set_label(left_behind, "exited thread's");
        cg_invoke(left_behind, 0);
    }).join();
    while (ready < 2)
        std::this_thread::yield();
    auto mine = three_deep();
    mine.set_label("asking thread's");
    mine.next();

    std::string path = temporary_path("-all-threads.cgsnap");
    cg::snapshot(path.c_str(), {.all_threads = true, .wait = std::chrono::milliseconds(300)});
    stop = true;
    answering.join();
    silent.join();
    cg_destroy(left_behind);

    std::string file = read_file(path);
    CHECK(count_of(file, "THRD") >= 4);
    for (const char* label : {"asking thread's", "answering thread's", "silent thread's", "exited thread's"})
        CHECK(count_of(file, label) == 1);
    // Backtraces for the asking and the answering thread's (cg-dump's tests
    // check which sections are complete).
    CHECK(count_of(file, "waits_inside") >= 2);
    std::remove(path.c_str());
}
