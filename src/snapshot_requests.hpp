// snapshot_requests.hpp - the safe points at which a thread adds its
// generators to a snapshot that waits for them (snapshot_requests.cpp).
#pragma once

#include <atomic>
#include <cstdint>

namespace cg::detail {

/// The epoch of the snapshot waiting for threads' answers, 0 if none; each
/// thread remembers the last it answered.
extern std::atomic<std::uint64_t> open_snapshot_epoch;
extern constinit thread_local std::uint64_t answered_snapshot_epoch __attribute__((tls_model("initial-exec")));
/// Set by the signal handler of CG_SNAPSHOT_SIGNAL.
extern std::atomic<bool> snapshot_signal_pending;

/// Whether a snapshot waits for this thread, or a signal asked for one:
/// three loads, inline. Creating and destroying a generator check it.
inline bool snapshot_wanted() noexcept
{
    return open_snapshot_epoch.load(std::memory_order_relaxed) != answered_snapshot_epoch ||
           snapshot_signal_pending.load(std::memory_order_relaxed);
}

/// What a safe point does when snapshot_wanted().
void act_at_safe_point() noexcept;

/// The number of a signal given by name ("SIGUSR2", "USR2") or number; -1
/// if it is not one cg accepts for CG_SNAPSHOT_SIGNAL.
int signal_number(const char* name) noexcept;

} // namespace cg::detail
