// cg_bench.cpp - what a generator costs: time per round trip, time to
// create, run and destroy one, memory per suspended generator.
//
//     taskset -c 1 build/bench/cg-bench [--quick] [--csv]
#include <cstdio>
#include <vector>

#include <cg/copy_generator.hpp>

#include "harness.hpp"

namespace {

using namespace cg_bench;

// The minimal integer generator every figure is about.
cg::CopyGenerator<int> minimal_generator()
{
    return cg::CopyGenerator<int>([](cg::Yielder<int>& y) {
        for (int i = 0;; ++i)
            y.yield(i);
    });
}

Result roundtrip(const Settings& settings)
{
    auto generator = minimal_generator();
    double ns = median_ns_per_op(settings, [&](std::size_t n) {
        for (std::size_t i = 0; i < n; ++i)
            keep(generator.next());
    });
    return {"roundtrip", "cg", 0, ns, "ns"};
}

Result create_destroy(const Settings& settings)
{
    double ns = median_ns_per_op(settings, [](std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            cg::CopyGenerator<int> generator([](cg::Yielder<int>& y) { y.yield(1); });
            keep(generator.next());
        }
    });
    return {"create_destroy", "cg", 0, ns, "ns"};
}

// Peak RSS of a process holding `count` suspended minimal generators (and
// the vector of their handles), divided by `count`: everything counted.
Result memory_per_generator(std::size_t count)
{
    std::size_t peak = child_peak_rss([count] {
        std::vector<cg::CopyGenerator<int>> generators;
        generators.reserve(count);
        for (std::size_t i = 0; i < count; ++i) {
            generators.push_back(minimal_generator());
            keep(generators.back().next());
        }
    });
    return {"memory_per_generator", "cg", count, static_cast<double>(peak) / static_cast<double>(count), "bytes"};
}

} // namespace

int main(int argc, char** argv)
{
    Settings settings = parse_arguments(argc, argv);
    int cpu = pin(settings);
    if (!settings.csv)
        std::printf("cg-bench: pinned to CPU %d%s\n", cpu, settings.quick ? ", quick" : "");
    std::vector<Result> results;
    results.push_back(roundtrip(settings));
    results.push_back(create_destroy(settings));
    results.push_back(memory_per_generator(1'000'000));
    print(settings, results);
}
