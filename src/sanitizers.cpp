// sanitizers.cpp - see sanitizers.hpp.
#include "sanitizers.hpp"

#include <unistd.h>

#include <atomic>

namespace cg::detail {

void turn_off_fake_stacks() noexcept
{
    static std::atomic<bool> done{false};
    if (!fake_stacks_possible() || done.load(std::memory_order_relaxed))
        return;
    if (done.exchange(true) || __asan_option_detect_stack_use_after_return == 0)
        return;
    __asan_option_detect_stack_use_after_return = 0;
    static const char note[] =
        "cg: turned off AddressSanitizer's detect_stack_use_after_return: its fake stacks would free the "
        "frames of suspended generators\n";
    ssize_t written = ::write(STDERR_FILENO, note, sizeof note - 1);
    (void)written;
}

} // namespace cg::detail
