// crashing_program.cpp - a program that dies with suspended generators, for
// the tests of cg-dump --core and gdb's `info cg-generators`.
//
//     crashing-program abort   dies by abort() inside a running generator
//     crashing-program wait    prints "ready" and waits to be killed (for gcore)
//
// Two threads each hold labeled generators: suspended one frame deep and
// three frames deep (in deep_level_one/two/three), one never started and
// one finished. The main thread's "main/running" generator is running when
// the program dies: its frames are on the main thread's stack.
#include <cg/copy_generator.hpp>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace {

[[gnu::noinline]] void deep_level_three(int steps)
{
    for (int i = 0; i < steps; ++i)
        cg::yield(i);
    asm volatile(""); // not a tail call: the frame stays
}

[[gnu::noinline]] void deep_level_two(int steps)
{
    deep_level_three(steps);
    asm volatile("");
}

[[gnu::noinline]] void deep_level_one(int steps)
{
    deep_level_two(steps);
    asm volatile("");
}

cg::CopyGenerator<int> deep_generator(int steps)
{
    return cg::CopyGenerator<int>([steps] { deep_level_one(steps); });
}

[[gnu::noinline]] void shallow_body(cg::Yielder<int>& yield)
{
    for (int i = 0;; ++i)
        yield.yield(i);
}

/// The generators of one thread, all resumed once (but two).
struct Held {
    std::vector<cg::CopyGenerator<int>> generators;

    explicit Held(const std::string& thread)
    {
        auto add = [&](cg::CopyGenerator<int> generator, const std::string& what, bool start) {
            generator.set_label(thread + "/" + what);
            if (start)
                generator.next();
            generators.push_back(std::move(generator));
        };
        add(cg::CopyGenerator<int>(&shallow_body), "shallow", true);
        add(deep_generator(1000), "deep", true);
        add(cg::CopyGenerator<int>(&shallow_body), "not-started", false);
        cg::CopyGenerator<int> finished([] { cg::yield(1); });
        finished.next();
        finished.next();
        add(std::move(finished), "finished", false);
    }
};

std::mutex mutex;
std::condition_variable changed;
bool worker_ready = false;

[[noreturn]] void die(bool by_abort)
{
    if (by_abort)
        std::abort();
    std::puts("ready");
    std::fflush(stdout);
    for (;;)
        pause();
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 2 || (std::strcmp(argv[1], "abort") != 0 && std::strcmp(argv[1], "wait") != 0)) {
        std::fprintf(stderr, "usage: crashing-program abort|wait\n");
        return 2;
    }
    bool by_abort = std::strcmp(argv[1], "abort") == 0;
    std::thread worker([] {
        Held held("worker");
        {
            std::lock_guard hold(mutex);
            worker_ready = true;
        }
        changed.notify_all();
        for (;;)
            pause(); // until the process dies
    });
    {
        std::unique_lock hold(mutex);
        changed.wait(hold, [] { return worker_ready; });
    }
    Held held("main");
    cg::CopyGenerator<int> running([by_abort] {
        cg::yield(0);
        die(by_abort);
    });
    running.set_label("main/running");
    running.next();
    running.next(); // dies inside
    worker.join();
    return 1;
}
