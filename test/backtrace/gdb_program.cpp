// gdb_program.cpp - for gdb_backtrace.sh: stops (at a breakpoint on
// probe_point) inside a generator driven by another generator, in the
// first run of both and in a later one.
#include "nested.hpp"

extern "C" [[gnu::noinline]] void probe_point() { asm volatile(""); }

int main() { return resumer_of_outer(&probe_point) == 42 ? 0 : 1; }
