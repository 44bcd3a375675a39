// sanitizers.hpp - what AddressSanitizer needs to be told about stack copying.
//
// Poisoning. ASan keeps, for every stack byte, whether it may be accessed:
// instrumented functions poison red zones around their locals on entry and
// clear them on return. A generator's frames do not return when it yields,
// so their poison would stay on the home, below the resumer's stack
// pointer, and be taken for the poison of whatever runs there next:
// another generator sharing the home, the resumer's next call, or a signal
// handler that arrives at any instruction after the switch. So the core
// clears the home as part of every yield, before the switch
// (src/trampoline.cpp): at no instant is stale poison left below a stack
// pointer. The same when a destroyer's frames are parked and put back.
// This costs a few red zones' worth of detection inside suspended frames
// and nothing else, and nothing on the inline hot path.
//
// Fake stacks. With detect_stack_use_after_return, ASan moves locals into
// "fake frames" on the heap and, after any throw or longjmp, frees those
// whose real frame lies below the current one: exactly where every suspended
// generator's frames lie. Giving each generator its own fake stack (ASan's
// fiber interface) would cost an mmap of hundreds of KiB per generator. So
// cg turns that detection off, when a program that enabled it starts its
// first generator, and says so once on stderr.
//
// Kept memory. Free control blocks in their slabs, and those a thread
// keeps for reuse (control_slab.hpp), are poisoned, so that ASan reports a
// use of a destroyed generator's memory as it would after free().
//
// The symbols are weak so that the library, built with or without ASan,
// does this whenever the program runs under ASan: a user's sanitized build
// works with no special flags.
#pragma once

#include <cstddef>

extern "C" int __asan_option_detect_stack_use_after_return __attribute__((weak));
extern "C" void __asan_unpoison_memory_region(void const volatile* address, std::size_t size) __attribute__((weak));
extern "C" void __asan_poison_memory_region(void const volatile* address, std::size_t size) __attribute__((weak));

namespace cg::detail {

/// Whether the program runs under ASan: switches then forget the poison
/// of the stack bytes they move.
inline bool poison_to_forget() noexcept { return &__asan_unpoison_memory_region != nullptr; }

/// Clears ASan's poison on [lowest, lowest + size), under ASan.
inline void forget_stack_poison(const char* lowest, std::size_t size) noexcept
{
    if (poison_to_forget())
        __asan_unpoison_memory_region(lowest, size);
}

/// Poisons [lowest, lowest + size) under ASan: memory kept, not in use.
inline void poison_kept_memory(const void* lowest, std::size_t size) noexcept
{
    if (&__asan_poison_memory_region != nullptr)
        __asan_poison_memory_region(lowest, size);
}

/// Clears the poison of kept memory put to use again.
inline void unpoison_kept_memory(const void* lowest, std::size_t size) noexcept
{
    if (poison_to_forget())
        __asan_unpoison_memory_region(lowest, size);
}

/// Turns off ASan's stack-use-after-return detection if it is on.
void turn_off_fake_stacks() noexcept;
/// Whether ASan is in the process, whose fake stacks turn_off_fake_stacks
/// may have to turn off.
inline bool fake_stacks_possible() noexcept { return &__asan_option_detect_stack_use_after_return != nullptr; }

} // namespace cg::detail
