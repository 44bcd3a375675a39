// support.cpp - the tests' main, the counting allocator, child processes.
#define CATCH_CONFIG_EXTERNAL_INTERFACES // the listener's base class
#include <catch2/catch.hpp>

#include "catch2_session.hpp"

#include "support.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <alloca.h>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <cg.h>

#include "control_slab.hpp" // src/: give_back_kept_controls

namespace cg_test {

std::atomic<long> Tracked::alive{0};
std::atomic<long> Tracked::copies{0};
std::atomic<long> Tracked::moves{0};

namespace {

std::atomic<std::size_t> allocations{0};
std::atomic<std::size_t> made{0};
std::atomic<std::size_t> bytes{0};
std::atomic<int> failing{0};
std::atomic<std::size_t> fail_at{0};     // 0: no single failure armed
std::atomic<std::size_t> seen_since{0};  // allocations since it was armed
std::atomic<bool> single_failed{false};

void* counting_allocate(std::size_t size, void*)
{
    if (failing.load() > 0)
        return nullptr;
    if (fail_at.load() != 0 && ++seen_since == fail_at.load()) {
        single_failed = true;
        return nullptr;
    }
    void* memory = std::malloc(size);
    if (memory != nullptr) {
        ++made;
        ++allocations;
        bytes += size;
    }
    return memory;
}

void counting_deallocate(void* memory, std::size_t size, void*)
{
    --allocations;
    bytes -= size;
    std::free(memory);
}

std::vector<std::string> leaking_tests;

struct LeakCheck : Catch::TestEventListenerBase {
    using TestEventListenerBase::TestEventListenerBase;
    std::size_t at_start = 0;

    void testCaseStarting(const Catch::TestCaseInfo&) override { at_start = outstanding_allocations(); }
    void testCaseEnded(const Catch::TestCaseStats& stats) override
    {
        std::size_t now = outstanding_allocations();
        if (now != at_start) {
            std::fprintf(stderr, "LEAK: test case \"%s\" ended with %zu cg allocations outstanding (%zu at start)\n",
                         stats.testInfo.name.c_str(), now, at_start);
            leaking_tests.push_back(stats.testInfo.name);
        }
    }
};

} // namespace

CATCH_REGISTER_LISTENER(LeakCheck)

std::size_t inline_capacity()
{
    static const std::size_t capacity = [] {
        cg_t* fresh = cg_create(reinterpret_cast<void*>(+[](std::uintptr_t, std::uintptr_t) -> std::uintptr_t { return 0; }),
                                0, 0);
        std::size_t bytes = cg_buffer_capacity(fresh);
        cg_destroy(fresh);
        return bytes;
    }();
    return capacity;
}

void use_counting_allocator() { cg_set_allocator(&counting_allocate, &counting_deallocate, nullptr); }

std::size_t outstanding_allocations()
{
    cg::detail::give_back_kept_controls();
    return allocations.load();
}

std::size_t outstanding_bytes()
{
    cg::detail::give_back_kept_controls();
    return bytes.load();
}

std::size_t allocations_made() { return made.load(); }

AllocationFailure::AllocationFailure()
{
    cg::detail::give_back_kept_controls();
    ++failing;
}

AllocationFailure::~AllocationFailure() { --failing; }

FailNthAllocation::FailNthAllocation(std::size_t n)
{
    cg::detail::give_back_kept_controls();
    seen_since = 0;
    single_failed = false;
    fail_at = n;
}
FailNthAllocation::~FailNthAllocation() { fail_at = 0; }
bool FailNthAllocation::failed() const { return single_failed.load(); }

ChildResult run_in_child(const std::function<void()>& body)
{
    int pipe_ends[2];
    REQUIRE(::pipe(pipe_ends) == 0);
    std::fflush(nullptr);
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // Die as the program would, not through Catch2's handlers, and
        // without the test report on stdout.
        for (int signal : {SIGABRT, SIGSEGV, SIGILL, SIGFPE, SIGBUS, SIGTERM})
            std::signal(signal, SIG_DFL);
        int null_output = ::open("/dev/null", O_WRONLY);
        ::dup2(null_output, STDOUT_FILENO);
        ::dup2(pipe_ends[1], STDERR_FILENO);
        ::close(pipe_ends[0]);
        ::close(pipe_ends[1]);
        body();
        std::_Exit(0);
    }
    ::close(pipe_ends[1]);
    ChildResult result;
    char chunk[512];
    ssize_t n;
    while ((n = ::read(pipe_ends[0], chunk, sizeof chunk)) > 0)
        result.error_output.append(chunk, static_cast<std::size_t>(n));
    ::close(pipe_ends[0]);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    result.signaled = WIFSIGNALED(status);
    result.signal = result.signaled ? WTERMSIG(status) : 0;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

[[gnu::noinline]] void at_depth(std::size_t bytes_deeper, const std::function<void()>& body)
{
    char* pad = static_cast<char*>(alloca(bytes_deeper));
    std::memset(pad, 0x5a, bytes_deeper);
    asm volatile("" : : "r"(pad) : "memory"); // keep the pad alive across the call
    body();
    asm volatile("" : : "r"(pad) : "memory");
}

[[gnu::noinline]] void scribble_stack(std::size_t bytes_below)
{
    char* pad = static_cast<char*>(alloca(bytes_below));
    std::memset(pad, 0xa5, bytes_below);
    asm volatile("" : : "r"(pad) : "memory");
}

} // namespace cg_test

int main(int argc, char** argv)
{
    cg_test::use_counting_allocator();
    int failed = catch2_session::run(argc, argv);
    if (!cg_test::leaking_tests.empty()) {
        std::fprintf(stderr, "%zu test case(s) leaked cg allocations\n", cg_test::leaking_tests.size());
        return 1;
    }
    return failed;
}
