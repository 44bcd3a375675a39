// plugin.cpp - frames in a library loaded with dlopen, for
// discarding_destroy: a destroy must find their unwind tables too (libgcc
// finds the library's FDEs; the cache of what the tables say is dropped
// when a library comes or goes).
#include <cg/copy_generator.hpp>

#include "plugin.h"

namespace {

[[gnu::noinline]] int yield_here(cg::Yielder<int>& y)
{
    y.yield(7);
    return 7;
}

/// Counts the objects with a destructor alive in this library's frames.
int alive = 0;

struct Held {
    Held() { ++alive; }
    ~Held() { --alive; }
};

} // namespace

extern "C" {

__attribute__((visibility("default"))) int plugin_yield_plain(cg::Yielder<int>& y)
{
    int r = yield_here(y);
    __asm__ volatile("" : "+r"(r)); // a call, not a tail call: a frame of this library
    return r;
}

__attribute__((visibility("default"))) int plugin_yield_holding(cg::Yielder<int>& y)
{
    Held held;
    int r = yield_here(y);
    __asm__ volatile("" : "+r"(r));
    return r;
}

__attribute__((visibility("default"))) int plugin_alive() { return alive; }
}
