// harness.hpp - how cg-bench measures: medians of repeated timed runs on a
// pinned CPU, peak RSS in a child process, results as CSV rows
// `metric,system,param,value,unit`.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace cg_bench {

struct Settings {
    bool quick = false; // scaled down: the whole run in well under a minute
    bool csv = false;
    int cpu = -1;       // pinned to this CPU; -1: the last one allowed
    std::vector<std::string> only; // the metrics to run; empty: all

    /// Whether `metric` is to run.
    bool runs(const std::string& metric) const;
};

struct Result {
    std::string metric, system;
    std::uint64_t param;
    double value;
    std::string unit;
};

/// Keeps `value` (and everything it points to) from being optimized away.
template <class T>
inline void keep(const T& value)
{
    asm volatile("" : : "r,m"(value) : "memory");
}

/// Nanoseconds per call of `batch(n)`, which must do n operations: the
/// median of several runs, each long enough to swamp the clock's cost.
double median_ns_per_op(const Settings& settings, const std::function<void(std::size_t n)>& batch);

/// Peak resident set, in bytes, of a fresh process: this program run again
/// with `arguments` (see memory_child in cg_bench.cpp), which must print
/// nothing on stdout. A forked child would count the parent's pages.
std::size_t fresh_process_peak_rss(const std::vector<std::string>& arguments);

/// In such a process, after its work: its own peak resident set, in bytes.
std::size_t own_peak_rss();

/// Pins the calling thread as `settings` say; returns the CPU, or -1.
int pin(const Settings& settings);

void print(const Settings& settings, const std::vector<Result>& results);

Settings parse_arguments(int argc, char** argv);

} // namespace cg_bench
