// cpu_features.cpp - what the amd64 trampoline may use on this CPU: read
// once, at load, before any generator can run.
#include <cstdlib>

extern "C" {
// Nonzero when the CPU and the kernel support AVX2 (switch.S: cg_amd64_copy_large).
__attribute__((visibility("hidden"))) unsigned char cg_amd64_avx2 = 0;
}

namespace {

__attribute__((constructor)) void detect_cpu_features()
{
    __builtin_cpu_init(); // required before __builtin_cpu_supports in a constructor
    // CG_DISABLE_AVX2 (any value) forces the SSE2 loops, so that they can be
    // tested on a CPU that has AVX2.
    cg_amd64_avx2 = __builtin_cpu_supports("avx2") && std::getenv("CG_DISABLE_AVX2") == nullptr ? 1 : 0;
}

} // namespace
