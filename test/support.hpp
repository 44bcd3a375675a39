// support.hpp - what every test file shares.
//
// Every test is also a leak check: main() installs a counting allocator with
// cg_set_allocator, and a listener fails the run if a test case ends with
// more cg allocations outstanding than it started with.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <string>

namespace cg_test {

/// Frames are as small as the compiler makes them: optimized, and without
/// AddressSanitizer's red zones. Only then do the size figures hold.
#if defined(__OPTIMIZE__) && !defined(__SANITIZE_ADDRESS__)
inline constexpr bool lean_frames = true;
#else
inline constexpr bool lean_frames = false;
#endif

/// The figures README.md quotes for each CPU, for lean frames: the slice
/// of the minimal C++ generator and of a minimal C one; and the bytes of a
/// suspended minimal generator's block in its slab (its control block:
/// head, saved registers, inline bytes; and its body of 4 bytes).
#if defined(__aarch64__)
inline constexpr std::size_t minimal_slice = 48, minimal_c_slice = 48, minimal_generator_bytes = 264;
#else
inline constexpr std::size_t minimal_slice = 32, minimal_c_slice = 32, minimal_generator_bytes = 120;
#endif

/// Bytes of slice a control block holds itself on this CPU (a new
/// generator's buffer capacity): a slice that fits needs no allocation.
std::size_t inline_capacity();

/// Installs the counting allocator (main does, before any test).
void use_counting_allocator();

/// Allocations cg has made and not yet freed, and their bytes (after
/// giving back the control blocks this thread keeps for reuse).
std::size_t outstanding_allocations();
std::size_t outstanding_bytes();
/// Allocations cg has made so far, freed or not.
std::size_t allocations_made();

/// While alive, every cg allocation fails (returns null).
class AllocationFailure {
public:
    AllocationFailure();
    ~AllocationFailure();
    AllocationFailure(const AllocationFailure&) = delete;
    AllocationFailure& operator=(const AllocationFailure&) = delete;
};

/// While alive, the n-th cg allocation from now on fails (1: the next one),
/// and only that one.
class FailNthAllocation {
public:
    explicit FailNthAllocation(std::size_t n);
    ~FailNthAllocation();
    FailNthAllocation(const FailNthAllocation&) = delete;
    FailNthAllocation& operator=(const FailNthAllocation&) = delete;
    /// Whether the n-th allocation came, and failed.
    bool failed() const;
};

/// How a child process ended.
struct ChildResult {
    bool signaled = false;
    int signal = 0;
    int exit_code = 0;
    std::string error_output; // what it wrote to stderr
};

/// Runs `body` in a forked child process and reports how the child ended.
/// The child exits with 0 if `body` returns.
ChildResult run_in_child(const std::function<void()>& body);

/// Calls `body` from a frame at least `bytes` deeper than the caller's.
void at_depth(std::size_t bytes, const std::function<void()>& body);

/// Overwrites `bytes` of the stack below the caller with a pattern, so
/// that anything left there from a generator's frames is destroyed.
void scribble_stack(std::size_t bytes);

/// Counts constructions and destructions; tests check they balance.
struct Tracked {
    static std::atomic<long> alive;
    static std::atomic<long> copies;
    static std::atomic<long> moves;
    int value;

    explicit Tracked(int v = 0) : value(v) { ++alive; }
    Tracked(const Tracked& other) : value(other.value) { ++alive, ++copies; }
    Tracked(Tracked&& other) noexcept : value(other.value) { ++alive, ++moves; }
    Tracked& operator=(const Tracked& other) { value = other.value; ++copies; return *this; }
    Tracked& operator=(Tracked&& other) noexcept { value = other.value; ++moves; return *this; }
    ~Tracked() { --alive; }

    static void reset_counts() { copies = 0, moves = 0; }
};

} // namespace cg_test
