// A signal storm: a timer interrupts the switches thousands of times
// a second. Its handler runs on whatever stack is current (the resumer's, a
// generator's, or the trampoline's in the middle of copying a slice) and
// uses 8 or 16 KiB of it. The trampoline never writes below the stack
// pointer, so nothing it is copying can be under the handler's frame.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/time.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <string>
#include <vector>

#include <cg/copy_generator.hpp>

#include "support.hpp"

using cg::CopyGenerator;
using cg::Yielder;

namespace {

std::atomic<long> handled{0};

void use_stack(int)
{
    int saved_errno = errno;
    volatile unsigned char bytes[8192];
    for (std::size_t i = 0; i < sizeof bytes; i += 16)
        bytes[i] = static_cast<unsigned char>(i);
    handled.fetch_add(1 + bytes[16] % 1, std::memory_order_relaxed);
    errno = saved_errno;
}

// Yields from a frame with `bytes` of locals and checks all of them after
// every resume, along with a string and a pointer into its own frame.
CopyGenerator<long> checked_generator(int id, std::size_t bytes)
{
    return CopyGenerator<long>([id, bytes](Yielder<long>& y) {
        auto* locals = static_cast<unsigned char*>(__builtin_alloca(bytes));
        std::string text(id % 2 ? 50 : 5, static_cast<char>('a' + id % 26));
        unsigned char* middle = locals + bytes / 2;
        for (long round = 0;; ++round) {
            for (std::size_t i = 0; i < bytes; ++i)
                locals[i] = static_cast<unsigned char>(i * 7 + static_cast<std::size_t>(id) + static_cast<std::size_t>(round));
            y.yield(id * 1'000'000L + round);
            for (std::size_t i = 0; i < bytes; ++i)
                if (locals[i] != static_cast<unsigned char>(i * 7 + static_cast<std::size_t>(id) + static_cast<std::size_t>(round)))
                    FAIL("generator " << id << ": byte " << i << " of its locals changed");
            REQUIRE(middle == locals + bytes / 2);
            REQUIRE(text == std::string(id % 2 ? 50 : 5, static_cast<char>('a' + id % 26)));
        }
    });
}

// A handler whose frame is one large array, every byte of it written: under
// AddressSanitizer, instrumented code poisons only the red zones around a
// frame's locals on entry and assumes the rest is clean, so poison left on
// the stack by a suspended generator's frames would be reported here as a
// stack-buffer-overflow in the handler. Signals arrive at any instruction,
// the instants right after a switch among them; the home lies under the
// handler's frame then (the kernel puts the handler some KiB below the
// interrupted stack pointer).
std::atomic<long> large_handled{0};

/// Writes every 8-byte word: every granule of ASan's shadow is checked.
[[gnu::noinline]] void fill(std::uint64_t* words, std::size_t count)
{
    for (std::size_t i = 0; i < count; ++i)
        words[i] = i;
}

void use_large_array(int)
{
    int saved_errno = errno;
    std::uint64_t words[2048]; // 16 KiB
    fill(words, std::size(words));
    large_handled.fetch_add(1 + words[100] % 1, std::memory_order_relaxed);
    errno = saved_errno;
}

/// Keeps `bytes` of locals, and a small array beside them (red zones between
/// them), across its yields.
CopyGenerator<long> poisoning_generator(std::size_t bytes)
{
    return CopyGenerator<long>([bytes](Yielder<long>& y) {
        auto* locals = static_cast<unsigned char*>(__builtin_alloca(bytes));
        char small[24];
        std::memset(small, 1, sizeof small);
        for (long round = 0;; ++round) {
            locals[round % static_cast<long>(bytes)] = static_cast<unsigned char>(round);
            y.yield(round + small[round % 24]);
        }
    });
}

/// A storm of SIGALRM from a repeating timer for the life of the object,
/// caught by `handler`, which counts each signal in `count`, on whatever
/// stack is current (no SA_ONSTACK).
///
/// The period is `wanted`, or four times what one delivery of the signal
/// costs here if that is longer (the interrupted code keeps at least three
/// quarters of the time), measured first by raising the signal: under
/// emulation one delivery may cost more than `wanted`. Under qemu at -O0,
/// one delivery of use_large_array (16 KiB written) costs 26 us, and 62 us
/// when fill's loop straddles a page boundary (qemu chains translated
/// blocks only within a page, so each iteration then goes through its
/// lookup of the next block). At 62 us a delivery, a signal every 50 us
/// left the interrupted code no instruction in between two deliveries and
/// the test never ended; which loops straddle a page moves with any change
/// to the binary.
class SignalStorm {
public:
    SignalStorm(void (*handler)(int), const std::atomic<long>& count, std::chrono::microseconds wanted)
        : count_(count)
    {
        struct sigaction action {};
        action.sa_handler = handler;
        action.sa_flags = SA_RESTART;
        sigemptyset(&action.sa_mask);
        REQUIRE(sigaction(SIGALRM, &action, &previous_) == 0);
        period_ = std::max(wanted, 4 * delivery_cost());
        auto microseconds = period_.count();
        timeval each{microseconds / 1'000'000, microseconds % 1'000'000};
        itimerval every{each, each};
        int started = setitimer(ITIMER_REAL, &every, nullptr);
        if (started != 0)
            sigaction(SIGALRM, &previous_, nullptr); // the destructor will not run
        REQUIRE(started == 0);
        before_ = count_.load();
        began_ = std::chrono::steady_clock::now();
    }

    SignalStorm(const SignalStorm&) = delete;
    SignalStorm& operator=(const SignalStorm&) = delete;

    /// Stops the timer and restores the previous action, also when a
    /// failed assertion leaves the test case early.
    ~SignalStorm()
    {
        itimerval off{};
        setitimer(ITIMER_REAL, &off, nullptr);
        sigaction(SIGALRM, &previous_, nullptr);
    }

    std::chrono::microseconds period() const { return period_; }

    /// Signals handled since the timer started.
    long signals() const { return count_.load() - before_; }

    /// Whether a test should go on to see enough of the storm: until it has
    /// lasted `at_least` and brought 1,000 signals, whichever is later, but
    /// no longer than a minute (a bound on slow progress; what prevents a
    /// livelock is the period).
    bool wants_more(std::chrono::steady_clock::duration at_least) const
    {
        auto lasted = std::chrono::steady_clock::now() - began_;
        return (lasted < at_least || signals() < 1000) && lasted < std::chrono::minutes(1);
    }

private:
    /// The median of five batches of twenty deliveries: one preemption of
    /// this process inflates one batch, not the figure.
    static std::chrono::microseconds delivery_cost()
    {
        constexpr int batches = 5, deliveries = 20;
        std::chrono::steady_clock::duration each[batches];
        for (auto& batch : each) {
            auto start = std::chrono::steady_clock::now();
            for (int i = 0; i < deliveries; ++i)
                raise(SIGALRM); // delivered before raise returns
            batch = (std::chrono::steady_clock::now() - start) / deliveries;
        }
        std::sort(std::begin(each), std::end(each));
        return std::chrono::ceil<std::chrono::microseconds>(each[batches / 2]);
    }

    const std::atomic<long>& count_;
    struct sigaction previous_ {};
    std::chrono::microseconds period_{};
    long before_ = 0;
    std::chrono::steady_clock::time_point began_;
};

} // namespace

TEST_CASE("a signal handler with a large stack array meets no stale poison", "[signals]")
{
    std::vector<CopyGenerator<long>> generators;
    for (std::size_t bytes : {64u, 1000u, 4000u, 9000u})
        generators.push_back(poisoning_generator(bytes));
    SignalStorm storm(use_large_array, large_handled, std::chrono::microseconds(50));
    long rounds = 0;
    while (storm.wants_more(std::chrono::seconds(2)))
        for (int repeat = 0; repeat < 1000; ++repeat, ++rounds)
            for (auto& generator : generators)
                REQUIRE(*generator.next() == rounds + 1);

    INFO(storm.signals() << " signals, one every " << storm.period().count() << " us, handled during "
                         << rounds * 4 << " resumes");
    REQUIRE(storm.signals() >= 1000);
}

TEST_CASE("a signal storm during millions of switches corrupts nothing", "[signals]")
{
    std::vector<CopyGenerator<long>> generators;
    for (int id = 0; id < 64; ++id)
        generators.push_back(checked_generator(id, id % 4 == 0 ? 4096 : 64 + static_cast<std::size_t>(id) * 8));

    SignalStorm storm(use_stack, handled, std::chrono::microseconds(200));
    // 1.28 million resumes, twice as many switches, and more if they were
    // over before the storm had brought 1,000 signals.
    long round = 0;
    for (; round < 20'000 || storm.wants_more({}); ++round)
        for (int id = 0; id < 64; ++id)
            if (*generators[static_cast<std::size_t>(id)].next() != id * 1'000'000L + round)
                FAIL("generator " << id << " yielded a wrong value in round " << round);

    INFO(storm.signals() << " signals, one every " << storm.period().count() << " us, handled during "
                         << round * 64 << " resumes");
    REQUIRE(storm.signals() >= 1000);
}
