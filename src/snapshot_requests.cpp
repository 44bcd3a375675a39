// snapshot_requests.cpp - who writes which part of a snapshot, and when.
//
// Only a generator's owning thread may read its slice buffer: yields and
// resumes change it without a lock. So the thread that asks for a snapshot
// writes its own generators in full, and those of threads that have exited
// (nothing changes them any more); every other live thread is asked to add
// its own at its next safe point (cg::safe_point, or creating or destroying
// a generator), and the asker waits for them a bounded time. A thread that
// does not answer in time is written without details: its generators' ids,
// kinds, states and labels, which are safe to read from any thread.
//
// Two triggers need no change to the program (README.md, "Inspecting a
// program"): CG_SNAPSHOT_AT_EXIT=path writes one when the process exits, and
// CG_SNAPSHOT_SIGNAL=SIGUSR2 (say) writes one to CG_SNAPSHOT_PATH when that
// signal comes: the handler only sets a flag, and the next safe point acts.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <set>
#include <string>
#include <system_error>

#include <cg/inspect.hpp>

#include "errors.hpp"
#include "snapshot.hpp"
#include "snapshot_requests.hpp"
#include "thread_state.hpp"

namespace cg::detail {

std::atomic<std::uint64_t> open_snapshot_epoch{0};
constinit thread_local std::uint64_t answered_snapshot_epoch __attribute__((tls_model("initial-exec"))) = 0;
std::atomic<bool> snapshot_signal_pending{false};

namespace {

/// A snapshot waiting for live threads' sections.
struct Request {
    std::mutex mutex;
    std::condition_variable answered;
    int fd = -1;                      // open while waiting; sections are appended to it
    std::set<std::uint32_t> waiting;  // threads that have not answered yet
};
Request request;

std::uint64_t last_epoch = 0; // under request.mutex
const char* signal_path = nullptr;

std::int64_t now_ns()
{
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

std::string section_of_this_thread(Symbolizer& symbols)
{
    struct Build {
        std::string out;
        Symbolizer& symbols;
    } build{{}, symbols};
    visit_this_thread_registry(
        [](Registry& registry, void* b) {
            auto& [out, names] = *static_cast<Build*>(b);
            append_section(out, registry, Detail::full, names);
        },
        &build);
    return build.out;
}

/// Sections of the other registries: in full for threads that have exited;
/// for live ones, the numbers go to `live`, and a metadata section is
/// written only if `metadata` says so.
std::string other_sections(Symbolizer& symbols, std::set<std::uint32_t>* live,
                           const std::set<std::uint32_t>* metadata_for)
{
    struct Build {
        std::string out;
        Symbolizer& symbols;
        std::set<std::uint32_t>* live;
        const std::set<std::uint32_t>* metadata_for;
    } build{{}, symbols, live, metadata_for};
    visit_other_registries(
        [](Registry& registry, void* b) {
            auto& build = *static_cast<Build*>(b);
            std::uint32_t thread = registry_thread(registry);
            if (registry_thread_exited(registry)) {
                if (build.live != nullptr) // (the first pass writes exited threads)
                    append_section(build.out, registry, Detail::full, build.symbols);
            } else if (build.live != nullptr) {
                build.live->insert(thread);
            } else if (build.metadata_for->count(thread) != 0) {
                append_section(build.out, registry, Detail::metadata, build.symbols);
            }
        },
        &build);
    return build.out;
}

[[noreturn]] void throw_io(const char* path)
{
    throw std::system_error(errno, std::generic_category(), std::string("cg::snapshot: ") + path);
}

/// This thread's answer to the request waiting, if it has not given it.
void answer_request() noexcept
{
    std::unique_lock lock(request.mutex);
    std::uint64_t epoch = open_snapshot_epoch.load(std::memory_order_relaxed);
    answered_snapshot_epoch = epoch;
    std::uint32_t me = this_thread.number;
    if (epoch == 0 || request.waiting.count(me) == 0)
        return;
    try {
        Symbolizer symbols;
        write_fully(request.fd, section_of_this_thread(symbols)); // a failure shows as a missing section
    } catch (const std::bad_alloc&) {
        // No memory for the section: it will be written without details.
        return;
    }
    request.waiting.erase(me);
    request.answered.notify_all();
}

void on_signal(int) { snapshot_signal_pending.store(true, std::memory_order_relaxed); }

void snapshot_at_exit()
{
    try {
        snapshot(std::getenv("CG_SNAPSHOT_AT_EXIT"), {.all_threads = true, .wait = std::chrono::milliseconds(0)});
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cg: CG_SNAPSHOT_AT_EXIT: %s\n", e.what());
    }
}

/// Reads CG_SNAPSHOT_AT_EXIT and CG_SNAPSHOT_SIGNAL when the library loads.
[[gnu::constructor]] void install_triggers()
{
    if (const char* path = std::getenv("CG_SNAPSHOT_AT_EXIT"); path != nullptr && *path != '\0')
        std::atexit(snapshot_at_exit);
    const char* name = std::getenv("CG_SNAPSHOT_SIGNAL");
    if (name == nullptr || *name == '\0')
        return;
    int number = signal_number(name);
    if (number <= 0) {
        std::fprintf(stderr, "cg: CG_SNAPSHOT_SIGNAL=%s: not a signal cg can use (try SIGUSR2)\n", name);
        return;
    }
    signal_path = std::getenv("CG_SNAPSHOT_PATH");
    if (signal_path == nullptr || *signal_path == '\0') {
        static char fallback[64];
        std::snprintf(fallback, sizeof fallback, "cg-%ld.cgsnap", static_cast<long>(::getpid()));
        signal_path = fallback;
    }
    struct sigaction action {};
    action.sa_handler = on_signal;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(number, &action, nullptr);
}

} // namespace

int signal_number(const char* name) noexcept
{
    static const struct {
        const char* name;
        int number;
    } usable[] = {{"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"HUP", SIGHUP}, {"WINCH", SIGWINCH}};
    if (std::strncmp(name, "SIG", 3) == 0)
        name += 3;
    for (const auto& signal : usable)
        if (std::strcmp(name, signal.name) == 0)
            return signal.number;
    char* end = nullptr;
    long number = std::strtol(name, &end, 10);
    return end != name && *end == '\0' && number > 0 && number < NSIG ? static_cast<int>(number) : -1;
}

void act_at_safe_point() noexcept
{
    if (open_snapshot_epoch.load(std::memory_order_relaxed) != answered_snapshot_epoch)
        answer_request();
    if (snapshot_signal_pending.exchange(false, std::memory_order_relaxed)) {
        try {
            snapshot(signal_path, {.all_threads = true});
        } catch (const std::exception& e) {
            std::fprintf(stderr, "cg: CG_SNAPSHOT_SIGNAL: %s\n", e.what());
        }
    }
}


} // namespace cg::detail

void cg::safe_point() noexcept
{
    if (detail::snapshot_wanted())
        detail::act_at_safe_point();
}

void cg::snapshot(const char* path, const SnapshotOptions& options)
{
    using namespace cg::detail;
    std::int64_t asked_at = now_ns();
    int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        throw_io(path);
    struct Close {
        int fd;
        ~Close() { ::close(fd); }
    } close_at_end{fd};

    Symbolizer symbols;
    std::set<std::uint32_t> live;
    std::string bytes = snapshot_header(asked_at) + section_of_this_thread(symbols);
    if (options.all_threads)
        bytes += other_sections(symbols, &live, nullptr);
    if (!write_fully(fd, bytes))
        throw_io(path);
    if (live.empty())
        return;

    // Ask the live threads; each appends its section at its next safe point.
    std::unique_lock lock(request.mutex);
    if (open_snapshot_epoch.load(std::memory_order_relaxed) != 0)
        live.clear(); // another snapshot is asking: these threads are written without details
    else {
        request.fd = fd;
        request.waiting = live;
        open_snapshot_epoch.store(++last_epoch, std::memory_order_relaxed);
        request.answered.wait_for(lock, options.wait, [] { return request.waiting.empty(); });
        open_snapshot_epoch.store(0, std::memory_order_relaxed);
        live = std::move(request.waiting);
        request.waiting.clear();
        request.fd = -1;
    }
    lock.unlock();
    if (!live.empty() && !write_fully(fd, other_sections(symbols, nullptr, &live)))
        throw_io(path);
}
