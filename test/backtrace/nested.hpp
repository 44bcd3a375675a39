// nested.hpp - two generators, one driving the other, each body a named
// function: where the inner one runs, a backtrace must pass through both
// trampolines into resumer_of_outer and main. Shared by the libunwind and
// glibc test (through_trampoline.cpp) and the gdb one (gdb_program.cpp).
#pragma once

#include <functional>

/// Runs `probe` inside inner_body, inside outer_body, each a generator,
/// the outer one resumed by resumer_of_outer: twice, once in the first run
/// of both, once in a later one. Returns what the inner one last yielded,
/// relayed by the outer one (42).
int resumer_of_outer(const std::function<void()>& probe);

extern "C" {
void inner_body(const std::function<void()>& probe);
void outer_body(const std::function<void()>& probe);
}
