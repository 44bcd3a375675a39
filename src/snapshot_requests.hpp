// snapshot_requests.hpp - the safe points at which a thread adds its
// generators to a snapshot that waits for them (snapshot_requests.cpp).
#pragma once

namespace cg::detail {

/// Whether a snapshot waits for this thread, or a signal asked for one:
/// two loads. Creating and destroying a generator check it.
bool snapshot_wanted() noexcept;

/// What a safe point does when snapshot_wanted().
void act_at_safe_point() noexcept;

/// The number of a signal given by name ("SIGUSR2", "USR2") or number; -1
/// if it is not one cg accepts for CG_SNAPSHOT_SIGNAL.
int signal_number(const char* name) noexcept;

} // namespace cg::detail
