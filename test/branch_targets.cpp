// branch_targets.cpp (aarch64) - with Branch Target Identification enforced,
// every indirect branch into cg's code, and into the generators' code the
// trampoline calls, lands on an instruction that allows it.
//
// A loader guards the pages of an object marked with the GNU property note
// for BTI (mprotect with PROT_BTI); Debian 12's startup files carry no such
// note, so no program linked with them is marked, whatever its own objects
// say (README.md, "CPUs"). This program therefore guards the code of
// libcg.so and its own itself, as such a loader would, runs generators
// through every switch (start, yield, resume, the end, a throw through the
// trampoline, destroys that unwind a suspended slice, nesting, the C API),
// and unguards before exit, whose startup-file code has no landing pads.
// It first shows that the guard is enforced here: a call to a guarded page
// that does not begin with `bti c` must stop the program with SIGILL.
//
// Exit status: 0 every switch ran guarded; 1 a check failed (a fault in a
// guarded page ends the program with SIGILL); 77 (skip) not built with
// -mbranch-protection, or a CPU without BTI (qemu's default CPU).
#include <link.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include <cg.h>
#include <cg/copy_generator.hpp>

#ifndef PROT_BTI
#define PROT_BTI 0x10 // <asm/mman.h> on aarch64
#endif

namespace {

int failures = 0;

void check(bool ok, const char* what)
{
    std::printf("%s: %s\n", ok ? "ok" : "FAILED", what);
    failures += !ok;
}

const long page_size = sysconf(_SC_PAGESIZE);

/// Sets the protection of the executable segments of this program and of
/// libcg.so: guarded (PROT_BTI) or not. False if either was not found.
bool guard_code(bool guarded)
{
    struct Request {
        int protection;
        int objects_found;
    } request{PROT_READ | PROT_EXEC | (guarded ? PROT_BTI : 0), 0};
    dl_iterate_phdr(
        [](dl_phdr_info* object, std::size_t, void* data) {
            auto& request = *static_cast<Request*>(data);
            std::string name = object->dlpi_name;
            bool program = name.empty(), library = name.find("/libcg.so") != std::string::npos;
            if (!program && !library)
                return 0;
            for (int i = 0; i < object->dlpi_phnum; ++i) {
                const ElfW(Phdr)& segment = object->dlpi_phdr[i];
                if (segment.p_type != PT_LOAD || (segment.p_flags & PF_X) == 0)
                    continue;
                std::uintptr_t begin = (object->dlpi_addr + segment.p_vaddr) / page_size * page_size;
                std::uintptr_t end = object->dlpi_addr + segment.p_vaddr + segment.p_memsz;
                if (mprotect(reinterpret_cast<void*>(begin), end - begin, request.protection) != 0)
                    return 1;
                ++request.objects_found;
            }
            return 0;
        },
        &request);
    return request.objects_found == 2;
}

/// A function in a page of its own: `mov x0, #42; ret`, after `bti c` or
/// not, in a guarded page. Returns what calling it returned, or -SIGNAL if
/// the call (made in a child process) ended with that signal.
int call_guarded(bool landing_pad)
{
    const std::uint32_t bti_c = 0xd503245f, mov_x0_42 = 0xd2800540, ret = 0xd65f03c0;
    std::uint32_t code[3] = {bti_c, mov_x0_42, ret};
    const std::uint32_t* first = landing_pad ? code : code + 1;
    std::size_t bytes = landing_pad ? sizeof code : sizeof code - 4;
    void* page = mmap(nullptr, page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        return -1;
    std::memcpy(page, first, bytes);
    __builtin___clear_cache(static_cast<char*>(page), static_cast<char*>(page) + bytes);
    int result = -1;
    if (mprotect(page, page_size, PROT_READ | PROT_EXEC | PROT_BTI) == 0) {
        pid_t child = fork();
        if (child == 0)
            _exit(reinterpret_cast<int (*)()>(page)());
        int status = 0;
        if (child > 0 && waitpid(child, &status, 0) == child)
            result = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? -WTERMSIG(status) : -1;
    }
    munmap(page, page_size);
    return result;
}

/// A generator a few frames deep, with a frame of `pad` bytes in between.
template <std::size_t pad>
[[gnu::noinline]] void deep_yields(cg::Yielder<int>& y, int from)
{
    volatile char frame[pad];
    frame[0] = static_cast<char>(from);
    for (int i = from; i < from + 3; ++i)
        y.yield(i + frame[0] - static_cast<char>(from));
}

template <std::size_t pad>
int sum_of_deep_yields()
{
    cg::CopyGenerator<int> g([](cg::Yielder<int>& y) { deep_yields<pad>(y, 10); });
    int sum = 0;
    for (int value : g)
        sum += value;
    return sum;
}

std::uintptr_t c_counter(std::uintptr_t from, std::uintptr_t to)
{
    for (std::uintptr_t i = from; i < to; ++i)
        cg_yield(nullptr, i);
    return to;
}

struct Counted {
    int& destroyed;
    ~Counted() { ++destroyed; }
};

void run_generators()
{
    check(sum_of_deep_yields<16>() == 33, "a slice in the inline bytes");
    check(sum_of_deep_yields<200>() == 33, "a small slice on the heap");
    check(sum_of_deep_yields<20000>() == 33, "a large slice");

    cg::CopyGenerator<int> thrower([](cg::Yielder<int>& y) {
        y.yield(1);
        throw std::runtime_error("from the generator");
    });
    bool caught = false;
    try {
        thrower.next();
        thrower.next();
    }
    catch (const std::runtime_error&) {
        caught = true;
    }
    check(caught, "an exception thrown through the trampoline");

    int destroyed = 0;
    bool seen_by_catch_all = false;
    {
        cg::CopyGenerator<int> suspended([&](cg::Yielder<int>& y) {
            Counted guard{destroyed};
            try {
                deep_yields<64>(y, 0);
            }
            catch (...) {
                seen_by_catch_all = true;
                throw;
            }
        });
        suspended.next();
    }
    check(destroyed == 1 && seen_by_catch_all, "a destroy that unwinds a suspended generator");

    cg::CopyGenerator<int> outer([](cg::Yielder<int>& y) {
        cg::CopyGenerator<int> inner([](cg::Yielder<int>& z) {
            z.yield(5);
            z.yield(6);
        });
        for (int value : inner)
            y.yield(value * 10);
    });
    int nested = 0;
    for (int value : outer)
        nested += value;
    check(nested == 110, "a generator resumed by a generator");

    cg_t* c = cg_create(reinterpret_cast<void*>(&c_counter), 3, 6);
    std::uintptr_t total = 0;
    for (std::uintptr_t value = cg_invoke(c, 0); !cg_is_done(c); value = cg_invoke(c, 0))
        total += value;
    cg_destroy(c);
    check(c != nullptr && total == 3 + 4 + 5, "a C function driven by cg_invoke and cg_yield");
}

} // namespace

int main()
{
#if defined(__ARM_FEATURE_BTI_DEFAULT)
    constexpr bool built_with_bti = true;
#else
    constexpr bool built_with_bti = false;
#endif
    if (!built_with_bti) {
        std::printf("skipped: built without -mbranch-protection=bti or standard\n");
        return 77;
    }
    if ((getauxval(AT_HWCAP2) & HWCAP2_BTI) == 0) {
        std::printf("skipped: this CPU does not implement BTI (under qemu: QEMU_CPU=max)\n");
        return 77;
    }
    check(call_guarded(true) == 42, "a call to a guarded page that begins with bti c returns");
    check(call_guarded(false) == -SIGILL, "a call to a guarded page without bti c stops with SIGILL");
    if (!guard_code(true)) {
        std::printf("FAILED: could not guard this program's and libcg.so's code\n");
        return 1;
    }
    run_generators();
    check(guard_code(false), "the code unguarded for the exit");
    return failures == 0 ? 0 : 1;
}
