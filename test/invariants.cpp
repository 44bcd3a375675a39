// Builds with assertions (debug, debugoptimized) check the invariants of a
// switch before every copy of a slice (src/trampoline.cpp): the slice lies
// in its home, its buffer holds it, the copying code's frame lies below
// what it copies. Each case breaks one in a child process, which must die
// naming it. (Such states come only from a bug of cg's, or from a program
// that wrote over a control block; this test reaches into one.)
#include <catch2/catch.hpp>

#include <csignal>
#include <cstring>

#include <cg/copy_generator.hpp>

#include "control.hpp"
#include "support.hpp"

using cg::CopyGenerator;
using cg::Yielder;

namespace {

/// The control block of a CopyGenerator: its only member.
cg::detail::Control& control_of(CopyGenerator<int>& generator)
{
    static_assert(sizeof generator == sizeof(cg::detail::Control*));
    cg::detail::Control* control;
    std::memcpy(&control, &generator, sizeof control);
    return *control;
}

[[gnu::noinline]] void yield_deep(Yielder<int>& y, int value)
{
    volatile char locals[600];
    locals[0] = 1;
    y.yield(value + locals[0] - 1);
}

CopyGenerator<int> deep_generator()
{
    return CopyGenerator<int>([](Yielder<int>& y) {
        for (int i = 0;; ++i)
            yield_deep(y, i);
    });
}

void require_death(const cg_test::ChildResult& child, const char* message)
{
    INFO("stderr: " << child.error_output);
    REQUIRE(child.signaled);
    REQUIRE(child.signal == SIGABRT);
    REQUIRE(child.error_output.find(std::string("cg: internal error: ") + message) != std::string::npos);
}

} // namespace

TEST_CASE("a resume whose buffer does not hold the slice dies naming it", "[invariants]")
{
    require_death(cg_test::run_in_child([] {
        auto generator = deep_generator();
        generator.next();
        cg::detail::Control& control = control_of(generator);
        if (!cg::detail::has_heap_buffer(control))
            std::abort(); // not the death the test expects
        cg::detail::set_heap_buffer(control, cg::detail::slice_buffer(control),
                                    static_cast<std::uint32_t>(generator.slice_size() - 16));
        generator.next();
    }),
                  "the slice buffer does not hold the slice");
}

TEST_CASE("a resume of a slice that does not fit its home dies naming it", "[invariants]")
{
    require_death(cg_test::run_in_child([] {
        auto generator = deep_generator();
        generator.next();
        control_of(generator).head.slice_size -= 8; // no longer a multiple of 16
        generator.next();
    }),
                  "a slice to restore does not lie in its home");
}

TEST_CASE("a yield from below a home that moved dies naming it", "[invariants]")
{
    require_death(cg_test::run_in_child([] {
        CopyGenerator<int> generator;
        generator = CopyGenerator<int>([&generator](Yielder<int>& y) {
            y.yield(0);
            // The home's top, as the control block says, now lies below this frame.
            control_of(generator).head.slice_top = reinterpret_cast<char*>(__builtin_frame_address(0)) - 4096;
            y.yield(1);
        });
        generator.next();
        generator.next();
    }),
                  "a slice to save does not lie in its home");
}

TEST_CASE("the same generators run when nothing is broken", "[invariants]")
{
    auto generator = deep_generator();
    for (int i = 0; i < 100; ++i)
        REQUIRE(generator.next() == i);
}
