// cg_bench.cpp - cg against Boost.Context's fiber, a C++20 generator and the
// memcpy floor, in one run on a pinned CPU; times are medians.
//
//     cg-bench [--quick] [--csv] [--cpu N] [--only METRIC]...
//
// Metrics (CSV: metric,system,param,value,unit):
//   roundtrip             next() of a minimal integer generator (*_yield_in_a_call:
//                         its yield one call deeper; cg_c: cg_invoke of a minimal C
//                         generator, c_bodies.c)
//   roundtrip_size        the same, its body keeping a live local of `param`
//                         bytes across the yield (memcpy_floor: two memcpys
//                         of cg's slice for that local)
//   cold_roundtrip        round robin over `param` suspended generators
//                         (cg_1k_slice: each keeping 1000 bytes live)
//   create_destroy        create, first resume, destroy a one-yield generator
//                         (cg_finished: resumed to its end before destroying;
//                         cg_empty: a generator that yields nothing, finished
//                         by its first resume;
//                         *_3_deep: suspended three calls deep, frames holding
//                         nothing; cg_3_deep_destructor: the middle frame holds
//                         an object with a destructor, so the destroy unwinds)
//   memory_per_generator  peak RSS of a child process holding `param`
//                         suspended minimal generators (and their handles),
//                         divided by `param`
//   threads_speedup       throughput of `param` threads, each driving its own
//                         generators, over one thread's
#include <alloca.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>

#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include <cg/copy_generator.hpp>

#include <cg.h>

#include "c_bodies.h"
#include "harness.hpp"
#include "systems.hpp"

namespace {

using namespace cg_bench;

// ---------------------------------------------------------------- bodies

cg::CopyGenerator<int> cg_minimal()
{
    return cg::CopyGenerator<int>([](cg::Yielder<int>& y) {
        for (int i = 0;; ++i)
            y.yield(i);
    });
}

/// Yields `value` from one call below the body: the return from this
/// function, after the resume, crosses the switch (README, "Performance").
template <class Yielder>
[[gnu::noinline]] void yield_in_a_call(Yielder& y, int value)
{
    y.yield(value);
}

Cpp20Generator<int> cpp20_minimal()
{
    for (int i = 0;; ++i)
        co_yield i;
}

Cpp20Generator<int> cpp20_once() { co_yield 1; }

/// A body that keeps `bytes` of locals alive across every yield: their
/// address escapes, so each yield might change them and the compiler keeps
/// them in memory.
template <class Yield>
void yield_holding(Yield& y, std::size_t bytes)
{
    auto* local = static_cast<unsigned char*>(alloca(bytes + 1));
    std::memset(local, 1, bytes + 1);
    keep(local);
    for (int i = 0;; ++i)
        y.yield(i + local[bytes]);
}

// ---------------------------------------------------------------- round trips

/// ns per next(), each value used as a caller would use it.
template <class Generator>
double time_next(const Settings& settings, Generator& generator)
{
    return median_ns_per_op(settings, [&](std::size_t n) {
        long sum = 0;
        for (std::size_t i = 0; i < n; ++i)
            sum += *generator.next();
        keep(sum);
    });
}

void roundtrip(const Settings& settings, std::vector<Result>& out)
{
    auto cg_generator = cg_minimal();
    out.push_back({"roundtrip", "cg", 0, time_next(settings, cg_generator), "ns"});
    cg::CopyGenerator<int> nested([](cg::Yielder<int>& y) {
        for (int i = 0;; ++i)
            yield_in_a_call(y, i);
    });
    out.push_back({"roundtrip", "cg_yield_in_a_call", 0, time_next(settings, nested), "ns"});
    cg_t* c_generator = cg_create(reinterpret_cast<void*>(&cg_bench_c_counter), 0, 0);
    out.push_back({"roundtrip", "cg_c", 0, median_ns_per_op(settings, [c_generator](std::size_t n) {
                       long sum = 0;
                       for (std::size_t i = 0; i < n; ++i)
                           sum += static_cast<long>(cg_invoke(c_generator, 0));
                       keep(sum);
                   }),
                   "ns"});
    cg_destroy(c_generator);
    BoostGenerator<int> boost_generator([](BoostGenerator<int>& y) {
        for (int i = 0;; ++i)
            y.yield(i);
    });
    out.push_back({"roundtrip", "boost_fiber", 0, time_next(settings, boost_generator), "ns"});
    BoostGenerator<int> boost_nested([](BoostGenerator<int>& y) {
        for (int i = 0;; ++i)
            yield_in_a_call(y, i);
    });
    out.push_back({"roundtrip", "boost_fiber_yield_in_a_call", 0, time_next(settings, boost_nested), "ns"});
    auto cpp20_generator = cpp20_minimal();
    out.push_back({"roundtrip", "cpp20", 0, time_next(settings, cpp20_generator), "ns"});
}

/// The median over a few instances of `make()`'s generator of time_next:
/// where a generator's stack or buffer lands relative to others (cache sets,
/// 4 KiB aliasing) moves a single instance's figure by up to 2x.
template <class Make>
double time_next_of_instances(const Settings& settings, Make make)
{
    std::vector<double> times;
    for (int i = 0; i < (settings.quick ? 1 : 5); ++i) {
        auto generator = make();
        times.push_back(time_next(settings, generator));
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

/// The floor: what a round trip must copy at least, out and back in, with
/// glibc's memcpy; the median over instances as for the generators.
double time_floor(const Settings& settings, std::size_t slice)
{
    std::vector<double> times;
    for (int i = 0; i < (settings.quick ? 1 : 5); ++i) {
        std::vector<unsigned char> buffer(slice), stack_side(slice, 2);
        times.push_back(median_ns_per_op(settings, [&](std::size_t n) {
            for (std::size_t j = 0; j < n; ++j) {
                std::memcpy(buffer.data(), stack_side.data(), slice);
                keep(buffer.data());
                std::memcpy(stack_side.data(), buffer.data(), slice);
                keep(stack_side.data());
            }
        }));
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

void roundtrip_size(const Settings& settings, std::vector<Result>& out)
{
    for (std::size_t bytes : {0, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384}) {
        auto make_cg = [bytes] {
            return cg::CopyGenerator<int>([bytes](cg::Yielder<int>& y) { yield_holding(y, bytes); });
        };
        auto probe = make_cg();
        probe.next();
        std::size_t slice = probe.slice_size();
        out.push_back({"roundtrip_size", "cg", bytes, time_next_of_instances(settings, make_cg), "ns"});

        auto make_boost = [bytes] {
            return BoostGenerator<int>([bytes](BoostGenerator<int>& y) { yield_holding(y, bytes); },
                                       bytes + 64 * 1024);
        };
        out.push_back({"roundtrip_size", "boost_fiber", bytes, time_next_of_instances(settings, make_boost), "ns"});

        out.push_back({"roundtrip_size", "memcpy_floor", bytes, time_floor(settings, slice), "ns"});
        if (!settings.csv)
            std::printf("  (a live local of %zu bytes makes cg's slice %zu bytes)\n", bytes, slice);
    }
}

// ---------------------------------------------------------------- cold

template <class Generator>
double round_robin(const Settings& settings, std::vector<Generator>& generators)
{
    for (auto& g : generators)
        keep(g->next()); // started, now suspended
    int passes = settings.quick ? 3 : 7;
    std::vector<double> samples;
    for (int pass = 0; pass < passes; ++pass) {
        long sum = 0;
        auto start = std::chrono::steady_clock::now();
        for (auto& g : generators)
            sum += *g->next();
        keep(sum);
        std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
        samples.push_back(took.count() / static_cast<double>(generators.size()));
    }
    std::sort(samples.begin(), samples.end());
    return samples[samples.size() / 2];
}

void cold_roundtrip(const Settings& settings, std::vector<Result>& out)
{
    for (std::uint64_t count : {1'000ull, 100'000ull, 1'000'000ull}) {
        {
            std::vector<std::unique_ptr<cg::CopyGenerator<int>>> generators;
            for (std::uint64_t i = 0; i < count; ++i)
                generators.push_back(std::make_unique<cg::CopyGenerator<int>>(cg_minimal()));
            // The handles themselves, as a server would hold them: in a vector.
            std::vector<cg::CopyGenerator<int>> flat;
            flat.reserve(count);
            for (auto& g : generators)
                flat.push_back(std::move(*g));
            generators.clear();
            std::vector<cg::CopyGenerator<int>*> pointers;
            for (auto& g : flat)
                pointers.push_back(&g);
            out.push_back({"cold_roundtrip", "cg", count, round_robin(settings, pointers), "ns"});
        }
        {
            std::vector<std::unique_ptr<Cpp20Generator<int>>> generators;
            for (std::uint64_t i = 0; i < count; ++i)
                generators.push_back(std::make_unique<Cpp20Generator<int>>(cpp20_minimal()));
            out.push_back({"cold_roundtrip", "cpp20", count, round_robin(settings, generators), "ns"});
        }
        if (count == 100'000) {
            // Slices of about 1 KiB, as libaco's cold figure in anchors.md.
            std::vector<std::unique_ptr<cg::CopyGenerator<int>>> generators;
            for (std::uint64_t i = 0; i < count; ++i)
                generators.push_back(std::make_unique<cg::CopyGenerator<int>>(
                    [](cg::Yielder<int>& y) { yield_holding(y, 1000); }));
            out.push_back({"cold_roundtrip", "cg_1k_slice", count, round_robin(settings, generators), "ns"});
        }
        if (count <= 100'000) { // a million fibers would take 6 GB
            std::vector<std::unique_ptr<BoostGenerator<int>>> generators;
            for (std::uint64_t i = 0; i < count; ++i)
                generators.push_back(std::make_unique<BoostGenerator<int>>([](BoostGenerator<int>& y) {
                    for (int v = 0;; ++v)
                        y.yield(v);
                }));
            out.push_back({"cold_roundtrip", "boost_fiber", count, round_robin(settings, generators), "ns"});
        }
    }
}

// ---------------------------------------------------------------- create + destroy

/// A yield three calls below the body (the empty asm keeps each call a
/// call), for cg and Boost alike; with `Holding`, the middle frame keeps an
/// object with a destructor across it.
struct HeldAcross {
    int value;
    ~HeldAcross() { keep(value); }
};

template <class Yielder, int Level, bool Holding>
[[gnu::noinline]] int yield_deep(Yielder& y)
{
    if constexpr (Level == 0) {
        y.yield(1);
        return 1;
    } else if constexpr (Holding && Level == 2) {
        HeldAcross held{Level};
        int r = yield_deep<Yielder, Level - 1, Holding>(y);
        __asm__ volatile("" : "+r"(r));
        return r + held.value;
    } else {
        int r = yield_deep<Yielder, Level - 1, Holding>(y);
        __asm__ volatile("" : "+r"(r));
        return r;
    }
}

void create_destroy(const Settings& settings, std::vector<Result>& out)
{
    out.push_back({"create_destroy", "cg", 0, median_ns_per_op(settings, [](std::size_t n) {
                       for (std::size_t i = 0; i < n; ++i) {
                           cg::CopyGenerator<int> g([](cg::Yielder<int>& y) { y.yield(1); });
                           keep(g.next()); // suspended at its yield, its frame holding nothing: discarded
                       }
                   }),
                   "ns"});
    out.push_back({"create_destroy", "cg_finished", 0, median_ns_per_op(settings, [](std::size_t n) {
                       for (std::size_t i = 0; i < n; ++i) {
                           cg::CopyGenerator<int> g([](cg::Yielder<int>& y) { y.yield(1); });
                           keep(g.next());
                           keep(g.next()); // finished: nothing to unwind
                       }
                   }),
                   "ns"});
    out.push_back({"create_destroy", "cg_empty", 0, median_ns_per_op(settings, [](std::size_t n) {
                       for (std::size_t i = 0; i < n; ++i) {
                           cg::CopyGenerator<int> g([](cg::Yielder<int>&) {});
                           keep(g.next()); // finished at once: yields nothing
                       }
                   }),
                   "ns"});
    out.push_back({"create_destroy", "cg_3_deep", 0, median_ns_per_op(settings, [](std::size_t n) {
                       for (std::size_t i = 0; i < n; ++i) {
                           cg::CopyGenerator<int> g([](cg::Yielder<int>& y) { yield_deep<cg::Yielder<int>, 3, false>(y); });
                           keep(g.next()); // its frames hold nothing: destroying it discards them
                       }
                   }),
                   "ns"});
    out.push_back({"create_destroy", "cg_3_deep_destructor", 0, median_ns_per_op(settings, [](std::size_t n) {
                       for (std::size_t i = 0; i < n; ++i) {
                           cg::CopyGenerator<int> g([](cg::Yielder<int>& y) { yield_deep<cg::Yielder<int>, 3, true>(y); });
                           keep(g.next());
                       }
                   }),
                   "ns"});
    out.push_back({"create_destroy", "boost_fiber_3_deep", 0, median_ns_per_op(settings, [](std::size_t n) {
                       for (std::size_t i = 0; i < n; ++i) {
                           BoostGenerator<int> g([](BoostGenerator<int>& y) { yield_deep<BoostGenerator<int>, 3, false>(y); });
                           keep(g.next());
                       }
                   }),
                   "ns"});
    out.push_back({"create_destroy", "cpp20", 0, median_ns_per_op(settings, [](std::size_t n) {
                       for (std::size_t i = 0; i < n; ++i) {
                           auto g = cpp20_once();
                           keep(g.next());
                       }
                   }),
                   "ns"});
    out.push_back({"create_destroy", "boost_fiber", 0, median_ns_per_op(settings, [](std::size_t n) {
                       for (std::size_t i = 0; i < n; ++i) {
                           BoostGenerator<int> g([](BoostGenerator<int>& y) { y.yield(1); });
                           keep(g.next());
                       }
                   }),
                   "ns"});
}

// ---------------------------------------------------------------- memory

/// In a fresh process (--memory-child SYSTEM COUNT): holds COUNT suspended
/// minimal generators of SYSTEM, and their handles, and prints its peak RSS.
int memory_child(const std::string& system, std::uint64_t count)
{
    auto report = [](auto& generators) {
        keep(generators.data());
        std::printf("%zu\n", own_peak_rss());
    };
    if (system == "cg") {
        std::vector<cg::CopyGenerator<int>> generators;
        generators.reserve(count);
        for (std::uint64_t i = 0; i < count; ++i) {
            generators.push_back(cg_minimal());
            keep(generators.back().next());
        }
        report(generators);
    } else if (system == "cpp20") {
        std::vector<Cpp20Generator<int>> generators;
        generators.reserve(count);
        for (std::uint64_t i = 0; i < count; ++i) {
            generators.push_back(cpp20_minimal());
            keep(generators.back().next());
        }
        report(generators);
    } else if (system == "boost_fiber") {
        std::vector<std::unique_ptr<BoostGenerator<int>>> generators;
        generators.reserve(count);
        for (std::uint64_t i = 0; i < count; ++i) {
            generators.push_back(std::make_unique<BoostGenerator<int>>([](BoostGenerator<int>& y) {
                for (int v = 0;; ++v)
                    y.yield(v);
            }));
            keep(generators.back()->next());
        }
        report(generators);
    } else {
        return 2;
    }
    std::fflush(stdout);
    std::_Exit(0); // the figure is out; tearing millions down would only take time
}

Result memory(const char* system, std::uint64_t count)
{
    std::size_t peak = fresh_process_peak_rss({"--memory-child", system, std::to_string(count)});
    return {"memory_per_generator", system, count, static_cast<double>(peak) / static_cast<double>(count), "bytes"};
}

void memory_per_generator(const Settings& settings, std::vector<Result>& out)
{
    auto small = settings.quick ? 100'000ull : 1'000'000ull;
    auto large = settings.quick ? 1'000'000ull : 10'000'000ull;
    for (std::uint64_t count : {small, large}) {
        out.push_back(memory("cg", count));
        out.push_back(memory("cpp20", count));
        out.push_back(memory("boost_fiber", count / 10)); // 6 KiB stacks: ten times fewer
    }
}

// ---------------------------------------------------------------- threads

/// Resumes per second of `threads` threads, each round-robining its own
/// 1000 generators for the same number of rounds.
double throughput(const Settings& settings, int threads)
{
    const int rounds = settings.quick ? 2'000 : 10'000;
    const int count = 1000;
    auto work = [rounds, count](int cpu) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        sched_setaffinity(0, sizeof one, &one);
        std::vector<cg::CopyGenerator<int>> generators;
        for (int i = 0; i < count; ++i)
            generators.push_back(cg_minimal());
        for (int round = 0; round < rounds; ++round)
            for (auto& g : generators)
                keep(g.next());
    };
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back(work, t % static_cast<int>(std::thread::hardware_concurrency()));
    for (auto& worker : workers)
        worker.join();
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    return threads * static_cast<double>(rounds) * count / took.count();
}

void threads_speedup(const Settings& settings, std::vector<Result>& out)
{
    double one = 0, two = 0;
    for (int repeat = 0; repeat < 3; ++repeat) { // best of three: the machine is shared
        one = std::max(one, throughput(settings, 1));
        two = std::max(two, throughput(settings, 2));
    }
    out.push_back({"threads_speedup", "cg", 1, 1.0, "x"});
    out.push_back({"threads_speedup", "cg", 2, two / one, "x"});
}

} // namespace

int main(int argc, char** argv)
{
    if (argc == 4 && std::string(argv[1]) == "--memory-child")
        return memory_child(argv[2], std::strtoull(argv[3], nullptr, 10));
    Settings settings = parse_arguments(argc, argv);
    int cpu = pin(settings);
    if (!settings.csv)
        std::printf("cg-bench: pinned to CPU %d%s\n", cpu, settings.quick ? ", quick" : "");
    std::vector<Result> results;
    const struct {
        const char* name;
        void (*run)(const Settings&, std::vector<Result>&);
    } metrics[] = {
        {"roundtrip", roundtrip},
        {"roundtrip_size", roundtrip_size},
        {"cold_roundtrip", cold_roundtrip},
        {"create_destroy", create_destroy},
        {"memory_per_generator", memory_per_generator},
        {"threads_speedup", threads_speedup},
    };
    for (const auto& metric : metrics)
        if (settings.runs(metric.name))
            metric.run(settings, results);
    print(settings, results);
}
