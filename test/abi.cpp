// Rule 10: the floating-point control state each side sets stays its own;
// the stack is 16-byte aligned at every call inside a generator; varargs and
// printf-family calls work there.
#include <catch2/catch.hpp>

#include <cfenv>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <string>

#include <cg/copy_generator.hpp>

#include "support.hpp"

#if defined(__x86_64__)
#include <fpu_control.h>
#endif

using cg::CopyGenerator;
using cg::Yielder;

namespace {

// 1/3 rounded to float by the current SSE rounding mode.
[[gnu::noinline]] float third()
{
    volatile float one = 1.0f, three = 3.0f;
    return one / three;
}

[[gnu::noinline]] std::uintptr_t misalignment()
{
    alignas(16) volatile char probe[16] = {};
    return reinterpret_cast<std::uintptr_t>(&probe[0]) % 16;
}

std::string format(const char* format, ...)
{
    char text[256];
    va_list arguments;
    va_start(arguments, format);
    std::vsnprintf(text, sizeof text, format, arguments);
    va_end(arguments);
    return text;
}

} // namespace

TEST_CASE("each side keeps its own rounding mode", "[abi]")
{
    REQUIRE(std::fegetround() == FE_TONEAREST);
    const float down = [] {
        std::fesetround(FE_DOWNWARD);
        float v = third();
        std::fesetround(FE_TONEAREST);
        return v;
    }();
    const float up = [] {
        std::fesetround(FE_UPWARD);
        float v = third();
        std::fesetround(FE_TONEAREST);
        return v;
    }();
    REQUIRE(down < up);

    CopyGenerator<int> generator([&](Yielder<int>& y) {
        REQUIRE(std::fegetround() == FE_TONEAREST); // inherited at the start
        std::fesetround(FE_DOWNWARD);
        for (int i = 0; i < 3; ++i) {
            y.yield(std::fegetround());
            REQUIRE(std::fegetround() == FE_DOWNWARD); // the resumer's change did not leak in
            REQUIRE(third() == down);
        }
    });
    REQUIRE(generator.next() == FE_DOWNWARD);
    REQUIRE(std::fegetround() == FE_TONEAREST); // the generator's change did not leak out
    std::fesetround(FE_UPWARD);
    REQUIRE(generator.next() == FE_DOWNWARD);
    REQUIRE(std::fegetround() == FE_UPWARD);
    REQUIRE(third() == up);
    std::fesetround(FE_TONEAREST);
    REQUIRE(generator.next() == FE_DOWNWARD);
    REQUIRE(generator.next() == std::nullopt); // finishing restores the resumer's too
    REQUIRE(std::fegetround() == FE_TONEAREST);
}

#if defined(__x86_64__)
TEST_CASE("each side keeps its own x87 control word", "[abi]")
{
    fpu_control_t resumer_word;
    _FPU_GETCW(resumer_word);
    CopyGenerator<fpu_control_t> generator([](Yielder<fpu_control_t>& y) {
        fpu_control_t word;
        _FPU_GETCW(word);
        word = static_cast<fpu_control_t>((word & ~_FPU_EXTENDED) | _FPU_SINGLE); // 24-bit precision
        _FPU_SETCW(word);
        for (int i = 0; i < 2; ++i) {
            y.yield(word);
            fpu_control_t now;
            _FPU_GETCW(now);
            REQUIRE(now == word);
        }
    });
    fpu_control_t generator_word = *generator.next();
    REQUIRE(generator_word != resumer_word);
    fpu_control_t now;
    _FPU_GETCW(now);
    REQUIRE(now == resumer_word);
    REQUIRE(generator.next() == generator_word);
    _FPU_GETCW(now);
    REQUIRE(now == resumer_word);
    REQUIRE(generator.next() == std::nullopt);
    _FPU_GETCW(now);
    REQUIRE(now == resumer_word);
}
#endif

TEST_CASE("the stack is 16-byte aligned at every call inside a generator", "[abi]")
{
    auto recurse = [](auto& self, Yielder<std::uintptr_t>& y, int depth) -> void {
        // Frames of many sizes.
        volatile char* odd = static_cast<char*>(__builtin_alloca(static_cast<std::size_t>(depth % 13) * 8 + 1));
        odd[0] = 0;
        y.yield(misalignment());
        if (depth > 0)
            self(self, y, depth - 1);
        y.yield(misalignment());
    };
    CopyGenerator<std::uintptr_t> generator([&](Yielder<std::uintptr_t>& y) {
        y.yield(misalignment());
        recurse(recurse, y, 40);
    });
    int calls = 0;
    for (std::uintptr_t offset : generator) {
        REQUIRE(offset == 0);
        ++calls;
    }
    REQUIRE(calls == 1 + 2 * 41);
}

TEST_CASE("printf-family and varargs calls work inside a generator", "[abi]")
{
    CopyGenerator<std::string> generator([](Yielder<std::string>& y) {
        for (int i = 0; i < 3; ++i) {
            double x = i + 0.25;
            y.yield(format("%d %.2f %s %e %Lf", i, x, "text", x * 1e10, static_cast<long double>(x)));
        }
    });
    REQUIRE(generator.next() == "0 0.25 text 2.500000e+09 0.250000");
    REQUIRE(generator.next() == "1 1.25 text 1.250000e+10 1.250000");
    REQUIRE(generator.next() == "2 2.25 text 2.250000e+10 2.250000");
}
