// cg-stress: a randomized differential stress test of cg.
//
// Each iteration generates a program from a seed: a few generators of
// random kinds and headrooms, whose bodies recurse with random locals,
// yield from random depths, drive nested generators, throw exceptions that
// are caught at random levels or escape, and check all their locals after
// every resume. A driver resumes them from random depths (within the
// headroom, shallower, and too deep, which must be refused), sometimes from
// inside its own catch blocks, and destroys some early from random depths,
// half of those from below their home's top, for every slice class (its
// report counts them, and a run of 200 programs or more that misses one
// fails).
// Every event it observes is compared with the same bodies run as plain
// functions (reference.cpp), and every counted object must be destroyed.
//
//     cg-stress [--seed N] [--seconds S | --iterations N] [--threads T]
//               [--signals] [--max-steps K] [--verbose]
//
// Iteration i of thread t runs the program of seed N + t * 2^32 + i. On a
// failure it prints that seed and the first step that shows it; replay it
// alone with --seed <that seed> --iterations 1 --verbose.
#include <signal.h>
#include <sys/time.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <cg.h>

#include "cleanup_scan.hpp"  // src/: destroy_counts_of_this_thread
#include "control_slab.hpp" // src/: control_slab_counts_of_this_thread
#include "driver.hpp"
#include "generators.hpp"

namespace {

using namespace cg_stress;

struct Settings {
    std::uint64_t seed = 0;
    bool seed_given = false;
    double seconds = 60;
    long iterations = -1; // -1: run for `seconds`
    int threads = 1;
    bool signals = false;
    int max_steps = 400;
    bool verbose = false;
};

[[noreturn]] void usage(const char* program, int status)
{
    std::fprintf(status == 0 ? stdout : stderr,
                 "usage: %s [--seed N] [--seconds S | --iterations N] [--threads T] [--signals]\n"
                 "          [--max-steps K] [--verbose]\n",
                 program);
    std::exit(status);
}

Settings parse(int argc, char** argv)
{
    Settings settings;
    for (int i = 1; i < argc; ++i) {
        std::string option = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc)
                usage(argv[0], 2);
            return argv[++i];
        };
        if (option == "--seed")
            settings.seed = std::strtoull(value(), nullptr, 0), settings.seed_given = true;
        else if (option == "--seconds")
            settings.seconds = std::strtod(value(), nullptr);
        else if (option == "--iterations")
            settings.iterations = std::strtol(value(), nullptr, 0);
        else if (option == "--threads")
            settings.threads = std::max(1, std::atoi(value()));
        else if (option == "--signals")
            settings.signals = true;
        else if (option == "--max-steps")
            settings.max_steps = std::atoi(value());
        else if (option == "--verbose")
            settings.verbose = true;
        else
            usage(argv[0], option == "--help" ? 0 : 2);
    }
    if (!settings.seed_given)
        settings.seed = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) &
                        0xffffffffull;
    return settings;
}

// --signals: a timer interrupts the switches thousands of times a second;
// its handler runs on whatever stack is current and uses several KiB of it.
std::atomic<std::uint64_t> signals_handled{0};

void touch_stack(int)
{
    int saved_errno = errno;
    volatile unsigned char bytes[8192];
    for (std::size_t i = 0; i < sizeof bytes; i += 32)
        bytes[i] = static_cast<unsigned char>(i);
    signals_handled.fetch_add(1 + bytes[64] % 1, std::memory_order_relaxed);
    errno = saved_errno;
}

void start_signal_storm()
{
    struct sigaction action {};
    action.sa_handler = touch_stack;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(SIGALRM, &action, nullptr);
    itimerval every{{0, 50}, {0, 50}}; // every 50 microseconds
    setitimer(ITIMER_REAL, &every, nullptr);
}

void stop_signal_storm()
{
    itimerval off{};
    setitimer(ITIMER_REAL, &off, nullptr);
}

// Every cg allocation is counted: none may be outstanding at the end.
std::atomic<long> cg_allocations{0};
void* counting_allocate(std::size_t size, void*)
{
    void* memory = std::malloc(size);
    if (memory != nullptr)
        ++cg_allocations;
    return memory;
}
void counting_deallocate(void* memory, std::size_t, void*)
{
    --cg_allocations;
    std::free(memory);
}

#if defined(__OPTIMIZE__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
constexpr bool lean_frames = true;
#else
constexpr bool lean_frames = false;
#endif

/// Runs of at least this many programs must reach every case they count.
constexpr std::uint64_t min_programs_for_coverage = 200;

std::mutex report_lock;
std::atomic<bool> failed{false};

void run_thread(const Settings& settings, int thread, std::chrono::steady_clock::time_point deadline, Totals& totals)
{
    std::uint64_t base = settings.seed + (static_cast<std::uint64_t>(thread) << 32);
    for (long i = 0; settings.iterations < 0 || i < settings.iterations; ++i) {
        if (failed.load() || (settings.iterations < 0 && std::chrono::steady_clock::now() >= deadline))
            return;
        std::uint64_t seed = base + static_cast<std::uint64_t>(i);
        try {
            run_program(seed, settings.max_steps, settings.verbose, totals);
        } catch (const Failure& failure) {
            std::lock_guard<std::mutex> hold(report_lock);
            failed = true;
            std::printf("cg-stress: FAILED: program seed %llu, step %d: %s\n",
                        static_cast<unsigned long long>(failure.seed), failure.step, failure.what());
            std::printf("cg-stress: replay with: cg-stress --seed %llu --iterations 1 --max-steps %d --verbose\n",
                        static_cast<unsigned long long>(failure.seed), failure.step + 1);
            return;
        }
    }
}

void run_counted(const Settings& settings, int thread, std::chrono::steady_clock::time_point deadline, Totals& totals)
{
    run_thread(settings, thread, deadline, totals);
    totals.resumes = resumes_made;
    for (int c = 0; c < slice_class_count; ++c)
        totals.destroyed_below_home[c] = destroyed_below_home[c];
    cg::detail::DestroyCounts destroys = cg::detail::destroy_counts_of_this_thread();
    totals.discarded = destroys.discarded;
    totals.unwound = destroys.unwound;
    totals.blocks = cg::detail::control_slab_counts_of_this_thread();
}

} // namespace

int main(int argc, char** argv)
{
    Settings settings = parse(argc, argv);
    cg_set_allocator(&counting_allocate, &counting_deallocate, nullptr);
    std::printf("cg-stress: seed %llu, %s, %d thread(s)%s\n", static_cast<unsigned long long>(settings.seed),
                settings.iterations < 0 ? (std::to_string(settings.seconds) + " seconds").c_str()
                                        : (std::to_string(settings.iterations) + " iterations").c_str(),
                settings.threads, settings.signals ? ", signal storm" : "");
    std::fflush(stdout);
    if (settings.signals)
        start_signal_storm();
    auto started = std::chrono::steady_clock::now();
    auto deadline = started + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                  std::chrono::duration<double>(settings.seconds));
    std::vector<Totals> totals(static_cast<std::size_t>(settings.threads));
    std::vector<std::thread> threads;
    for (int t = 1; t < settings.threads; ++t)
        threads.emplace_back(run_counted, std::cref(settings), t, deadline, std::ref(totals[static_cast<std::size_t>(t)]));
    run_counted(settings, 0, deadline, totals[0]);
    for (std::thread& thread : threads)
        thread.join();
    if (settings.signals)
        stop_signal_storm();
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    Totals sum;
    for (const Totals& t : totals) {
        sum.programs += t.programs;
        sum.generators += t.generators;
        sum.resumes += t.resumes;
        sum.refused += t.refused;
        sum.destroyed_early += t.destroyed_early;
        for (int c = 0; c < slice_class_count; ++c)
            sum.destroyed_below_home[c] += t.destroyed_below_home[c];
        sum.discarded += t.discarded;
        sum.unwound += t.unwound;
        sum.blocks.reused += t.blocks.reused;
        sum.blocks.taken += t.blocks.taken;
        sum.blocks.kept += t.blocks.kept;
        sum.blocks.slabs_made += t.blocks.slabs_made;
        sum.blocks.freed_here += t.blocks.freed_here;
        sum.blocks.freed_elsewhere += t.blocks.freed_elsewhere;
        sum.blocks.collected += t.blocks.collected;
        sum.blocks.slabs_given_back += t.blocks.slabs_given_back;
        sum.blocks.unslabbed += t.blocks.unslabbed;
    }
    std::printf("cg-stress: %llu programs, %llu generators, %llu resumes (%llu refused as too deep, as planned), "
                "%llu destroyed early, %.1f s",
                static_cast<unsigned long long>(sum.programs), static_cast<unsigned long long>(sum.generators),
                static_cast<unsigned long long>(sum.resumes), static_cast<unsigned long long>(sum.refused),
                static_cast<unsigned long long>(sum.destroyed_early), took);
    if (settings.signals)
        std::printf(", %llu signals handled", static_cast<unsigned long long>(signals_handled.load()));
    std::printf("\ncg-stress: suspended generators destroyed from below their home's top, by slice:");
    bool every_class = true;
    for (int c = 0; c < slice_class_count; ++c) {
        std::printf(" %s %llu", name(static_cast<SliceClass>(c)),
                    static_cast<unsigned long long>(sum.destroyed_below_home[c]));
        // Only optimized builds without sanitizers make frames small enough
        // to be sure of every class below 512 bytes (the inline bytes, the
        // trampoline's heap slices, the core's two copies below 512).
        bool small = static_cast<SliceClass>(c) != SliceClass::large_heap;
        bool reachable = lean_frames || !small;
        every_class = every_class && (sum.destroyed_below_home[c] > 0 || !reachable);
    }
    std::printf("\ncg-stress: destroys of suspended generators: frames discarded %llu, unwound %llu\n",
                static_cast<unsigned long long>(sum.discarded), static_cast<unsigned long long>(sum.unwound));
    const cg::detail::ControlSlabCounts& blocks = sum.blocks;
    std::printf("cg-stress: control blocks: reused %llu, taken from slabs %llu, slabs made %llu, kept %llu, freed "
                "by their slab's thread %llu, by another %llu, collected %llu, slabs given back %llu, too large "
                "for a slab %llu\n",
                static_cast<unsigned long long>(blocks.reused), static_cast<unsigned long long>(blocks.taken),
                static_cast<unsigned long long>(blocks.slabs_made), static_cast<unsigned long long>(blocks.kept),
                static_cast<unsigned long long>(blocks.freed_here),
                static_cast<unsigned long long>(blocks.freed_elsewhere),
                static_cast<unsigned long long>(blocks.collected),
                static_cast<unsigned long long>(blocks.slabs_given_back),
                static_cast<unsigned long long>(blocks.unslabbed));
    if (failed)
        return 1;
    // A sanitizer's instrumentation may give a frame a landing pad of its
    // own: only lean frames are sure to be discarded.
    every_class = every_class && sum.unwound > 0 && (sum.discarded > 0 || !lean_frames);
    // Each program's generators live on one thread: blocks freed by another
    // thread are test/control_slab.cpp's.
    every_class = every_class && blocks.reused > 0 && blocks.taken > 0 && blocks.slabs_made > 0 &&
                  blocks.kept > 0 && blocks.freed_here > 0 && blocks.slabs_given_back > 0 && blocks.unslabbed > 0;
    // The programs must reach each case; a few hundred are enough to.
    if (!every_class && sum.programs >= min_programs_for_coverage) {
        std::printf("cg-stress: FAILED: %llu programs destroyed no generator of some slice class from below its "
                    "home's top, or none some way, or missed a way of the slabs of control blocks: the program "
                    "generator misses a case\n",
                    static_cast<unsigned long long>(sum.programs));
        return 1;
    }
    cg::detail::give_back_kept_controls(); // the other threads' slabs went back as they exited
    if (cg_allocations.load() != 0) {
        std::printf("cg-stress: FAILED: %ld cg allocations outstanding at the end\n", cg_allocations.load());
        return 1;
    }
    std::printf("cg-stress: no failure\n");
    return 0;
}
