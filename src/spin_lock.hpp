// spin_lock.hpp - the lock of a registry (registry_layout.hpp) and of a
// slab of control blocks (control_slab.cpp).
#pragma once

#include <atomic>

#include <sched.h>

#include "frame_layout.h" // arch::spin_pause

namespace cg::detail {

/// Taken for a few instructions by create and destroy, longer only by the
/// rare walks of a whole registry. Taking it costs one atomic exchange and
/// releasing it a plain store, where std::mutex pays an atomic operation
/// for each (about 10 ns more per create + destroy, measured on this
/// project's machine).
class SpinLock {
public:
    void lock() noexcept
    {
        if (locked_.exchange(true, std::memory_order_acquire)) [[unlikely]]
            wait();
    }
    void unlock() noexcept { locked_.store(false, std::memory_order_release); }

private:
    /// Out of line: a function that takes the lock and calls nothing else
    /// then saves no registers for it.
    [[gnu::noinline]] void wait() noexcept
    {
        do
            for (unsigned spins = 0; locked_.load(std::memory_order_relaxed); ++spins)
                if (spins < 100)
                    arch::spin_pause();
                else
                    sched_yield(); // a walk of the list: let it finish
        while (locked_.exchange(true, std::memory_order_acquire));
    }

    std::atomic<bool> locked_{false};
};

} // namespace cg::detail
