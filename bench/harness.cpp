// harness.cpp - timing, pinning, child-process memory, output.
#include "harness.hpp"

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace cg_bench {

double median_ns_per_op(const Settings& settings, const std::function<void(std::size_t)>& batch)
{
    using Clock = std::chrono::steady_clock;
    const auto target = std::chrono::milliseconds(settings.quick ? 5 : 40);
    const int runs = settings.quick ? 5 : 15;
    // Find a batch size that takes about `target`.
    std::size_t n = 64;
    for (;;) {
        auto start = Clock::now();
        batch(n);
        auto took = Clock::now() - start;
        if (took >= target || n >= (std::size_t{1} << 32))
            break;
        n *= took < target / 8 ? 8 : 2;
    }
    std::vector<double> samples;
    for (int run = 0; run < runs; ++run) {
        auto start = Clock::now();
        batch(n);
        std::chrono::duration<double, std::nano> took = Clock::now() - start;
        samples.push_back(took.count() / static_cast<double>(n));
    }
    std::nth_element(samples.begin(), samples.begin() + runs / 2, samples.end());
    return samples[static_cast<std::size_t>(runs / 2)];
}

std::size_t own_peak_rss()
{
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmHWM:", 0) == 0)
            return std::strtoul(line.c_str() + 6, nullptr, 10) * 1024;
    return 0;
}

std::size_t fresh_process_peak_rss(const std::vector<std::string>& arguments)
{
    int ends[2];
    if (::pipe(ends) != 0)
        return 0;
    std::fflush(nullptr);
    pid_t child = ::fork();
    if (child == 0) {
        ::dup2(ends[1], STDOUT_FILENO);
        ::close(ends[0]);
        ::close(ends[1]);
        std::vector<char*> argv;
        std::string self = "/proc/self/exe";
        argv.push_back(self.data());
        for (const std::string& argument : arguments)
            argv.push_back(const_cast<char*>(argument.c_str()));
        argv.push_back(nullptr);
        ::execv("/proc/self/exe", argv.data());
        std::_Exit(127);
    }
    ::close(ends[1]);
    std::string text;
    char chunk[64];
    ssize_t n;
    while ((n = ::read(ends[0], chunk, sizeof chunk)) > 0)
        text.append(chunk, static_cast<std::size_t>(n));
    ::close(ends[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    return std::strtoull(text.c_str(), nullptr, 10);
}

int pin(const Settings& settings)
{
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0)
        return -1;
    int cpu = settings.cpu;
    if (cpu < 0)
        for (int c = CPU_SETSIZE - 1; c >= 0; --c)
            if (CPU_ISSET(c, &allowed)) {
                cpu = c;
                break;
            }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    return sched_setaffinity(0, sizeof one, &one) == 0 ? cpu : -1;
}

void print(const Settings& settings, const std::vector<Result>& results)
{
    if (settings.csv) {
        std::printf("metric,system,param,value,unit\n");
        for (const Result& r : results)
            std::printf("%s,%s,%llu,%.3f,%s\n", r.metric.c_str(), r.system.c_str(),
                        static_cast<unsigned long long>(r.param), r.value, r.unit.c_str());
        return;
    }
    std::printf("%-22s %-14s %12s %14s  %s\n", "metric", "system", "param", "value", "unit");
    for (const Result& r : results)
        std::printf("%-22s %-14s %12llu %14.3f  %s\n", r.metric.c_str(), r.system.c_str(),
                    static_cast<unsigned long long>(r.param), r.value, r.unit.c_str());
}

bool Settings::runs(const std::string& metric) const
{
    return only.empty() || std::find(only.begin(), only.end(), metric) != only.end();
}

Settings parse_arguments(int argc, char** argv)
{
    Settings settings;
    for (int i = 1; i < argc; ++i) {
        std::string argument = argv[i];
        if (argument == "--quick")
            settings.quick = true;
        else if (argument == "--csv")
            settings.csv = true;
        else if (argument == "--cpu" && i + 1 < argc)
            settings.cpu = std::atoi(argv[++i]);
        else if (argument == "--only" && i + 1 < argc)
            settings.only.push_back(argv[++i]);
        else {
            std::fprintf(stderr, "usage: %s [--quick] [--csv] [--cpu N] [--only METRIC]...\n", argv[0]);
            std::exit(argument == "--help" ? 0 : 2);
        }
    }
    return settings;
}

} // namespace cg_bench
