// sanitizers.hpp - what AddressSanitizer needs to be told about stack copying.
//
// Poisoning. ASan keeps, for every stack byte, whether it may be accessed:
// instrumented functions poison red zones around their locals on entry and
// clear them on return. A generator's frames do not return when it yields,
// so their poison stays on the home and would be taken for the poison of
// whatever runs there next (another generator sharing the home, or the
// resumer); and the frames copied back on resume find the poison of
// whatever ran there meanwhile. So the home is cleared whenever its contents
// change hands. This costs a few red zones' worth of detection inside
// suspended frames and nothing else.
//
// Fake stacks. With detect_stack_use_after_return, ASan moves locals into
// "fake frames" on the heap and, after any throw or longjmp, frees those
// whose real frame lies below the current one: exactly where every suspended
// generator's frames lie. Giving each generator its own fake stack (ASan's
// fiber interface) would cost an mmap of hundreds of KiB per generator. So
// cg turns that detection off, when a program that enabled it starts its
// first generator, and says so once on stderr.
//
// The symbols are weak so that the library, built with or without ASan,
// does this whenever the program runs under ASan: a user's sanitized build
// works with no special flags. The poison is forgotten by
// forget_stack_poison (cg/detail/runtime.hpp), which the inline hot path
// calls too.
#pragma once

#include <cg/detail/runtime.hpp>

extern "C" int __asan_option_detect_stack_use_after_return __attribute__((weak));

namespace cg::detail {

/// Turns off ASan's stack-use-after-return detection if it is on.
void turn_off_fake_stacks() noexcept;

} // namespace cg::detail
