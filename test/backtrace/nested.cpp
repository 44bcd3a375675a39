// nested.cpp - see nested.hpp. The functions are extern "C", out of line
// and exported (the programs link with -rdynamic), so that dladdr and gdb
// know them by name.
#include "nested.hpp"

#include <cg/copy_generator.hpp>

namespace {
cg::Yielder<int>* inner_yielder = nullptr;
cg::Yielder<int>* outer_yielder = nullptr;
} // namespace

extern "C" [[gnu::noinline]] void inner_body(const std::function<void()>& probe)
{
    probe(); // run by the first resume (cg_arch_start)
    inner_yielder->yield(1);
    probe(); // and by a later one (cg_arch_resume)
    inner_yielder->yield(42);
    asm volatile(""); // not a tail call
}

extern "C" [[gnu::noinline]] void outer_body(const std::function<void()>& probe)
{
    cg::CopyGenerator<int> inner([&](cg::Yielder<int>& y) {
        inner_yielder = &y;
        inner_body(probe);
    });
    inner.next();
    outer_yielder->yield(0);
    outer_yielder->yield(*inner.next()); // the second time round for both
    asm volatile("");
}

[[gnu::noinline]] int resumer_of_outer(const std::function<void()>& probe)
{
    cg::CopyGenerator<int> outer([&](cg::Yielder<int>& y) {
        outer_yielder = &y;
        outer_body(probe);
    });
    outer.next();
    int value = *outer.next();
    asm volatile("");
    return value;
}
