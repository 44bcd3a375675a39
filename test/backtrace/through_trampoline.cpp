// Inside a running generator, backtraces continue past the trampoline into
// the resumer's frames, up to main: libunwind's unw_backtrace and glibc's
// backtrace(), from a generator driven by another generator. (gdb's bt:
// gdb_backtrace.sh.) libunwind is loaded privately, as cg loads it: linked
// in, its _Unwind_* would replace libgcc's for this program's exceptions.
#include <dlfcn.h>
#include <execinfo.h>
#include <sys/auxv.h>

#include <cstdio>
#include <string>
#include <vector>

#include "nested.hpp"

namespace {

using Backtrace = int (*)(void** pcs, int size);

/// The names dladdr gives the return addresses, innermost first.
std::vector<std::string> names(void* const* pcs, int count)
{
    std::vector<std::string> found;
    for (int i = 0; i < count; ++i) {
        Dl_info info{};
        if (dladdr(pcs[i], &info) != 0 && info.dli_sname != nullptr)
            found.emplace_back(info.dli_sname);
        else
            found.emplace_back("?");
    }
    return found;
}

/// Whether `wanted` appear in `names` in this order (others between).
bool in_order(const std::vector<std::string>& names, const std::vector<std::string>& wanted)
{
    std::size_t next = 0;
    for (const std::string& name : names)
        if (next < wanted.size() && name == wanted[next])
            ++next;
    return next == wanted.size();
}

int check(const char* what, Backtrace backtrace_of)
{
    const std::vector<std::string> wanted = {"inner_body", "outer_body", "_Z16resumer_of_outerRKSt8functionIFvvEE",
                                             "main"};
    int probes = 0, failures = 0;
    resumer_of_outer([&] {
        void* pcs[256];
        std::vector<std::string> seen = names(pcs, backtrace_of(pcs, 256));
        bool ok = in_order(seen, wanted);
        std::printf("%s, %s run: %s\n", what, ++probes == 1 ? "first" : "a later",
                    ok ? "passes through both trampolines to main" : "FAILED; the frames were:");
        if (!ok)
            for (const std::string& name : seen)
                std::printf("  %s\n", name.c_str());
        failures += !ok;
    });
    return probes == 2 && failures == 0 ? 0 : 1;
}

/// Whether this program's return addresses are signed: built with pointer
/// authentication, on a CPU that implements it.
bool return_addresses_signed()
{
#if defined(__aarch64__) && defined(__ARM_FEATURE_PAC_DEFAULT)
    return (getauxval(AT_HWCAP) & HWCAP_PACA) != 0;
#else
    return false;
#endif
}

} // namespace

int main()
{
    int failures = check("glibc backtrace()", &::backtrace);
    if (return_addresses_signed()) {
        // Its own walk, not cg's: it stops at the first signed return
        // address in any program (README.md, "CPUs").
        std::printf("libunwind's unw_backtrace: not run: libunwind 1.6.2 stops at the first function that "
                    "signs its return address\n");
        return failures;
    }
    void* libunwind = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
    auto unw_backtrace = libunwind != nullptr ? reinterpret_cast<Backtrace>(dlsym(libunwind, "unw_backtrace")) : nullptr;
    if (unw_backtrace == nullptr) {
        std::printf("libunwind's unw_backtrace: libunwind.so.8 not found\n");
        return 1;
    }
    failures += check("libunwind's unw_backtrace", unw_backtrace);
    return failures == 0 ? 0 : 1;
}
