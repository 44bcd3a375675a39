// State that must survive a switch: errno and the C++ exception state are
// kept per side; thread-local data is the thread's, as it is for any code.
// (The floating-point control state has its tests in abi.cpp.)
#include <catch2/catch.hpp>

#include <cerrno>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>

#include <cg/copy_generator.hpp>

#include "support.hpp"

using cg::CopyGenerator;
using cg::Yielder;

namespace {

struct Problem : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string current_message()
{
    if (!std::current_exception())
        return "none";
    try {
        throw;
    } catch (const std::exception& e) {
        return e.what();
    }
}

thread_local int per_thread = 0;

} // namespace

TEST_CASE("each side sees its own errno", "[state]")
{
    errno = EDOM;
    CopyGenerator<int> generator([](Yielder<int>& y) {
        y.yield(errno); // started: the resumer's errno, as a called function would see it
        errno = EAGAIN;
        for (int i = 0; i < 3; ++i) {
            y.yield(errno);
            REQUIRE(errno == EAGAIN); // not the resumer's, which changed meanwhile
        }
        errno = ENOENT;
    });
    REQUIRE(generator.next() == EDOM);
    errno = EINTR;
    REQUIRE(generator.next() == EAGAIN);
    REQUIRE(errno == EINTR); // not the generator's
    errno = ERANGE;
    REQUIRE(generator.next() == EAGAIN);
    REQUIRE(errno == ERANGE);
    REQUIRE(generator.next() == EAGAIN);
    REQUIRE(generator.next() == std::nullopt);
    REQUIRE(errno == ERANGE); // finishing gives the resumer its own back too
}

TEST_CASE("a generator reads the thread-local data of the thread it runs on", "[state]")
{
    per_thread = 1;
    CopyGenerator<int> here([](Yielder<int>& y) {
        for (;;)
            y.yield(per_thread);
    });
    REQUIRE(here.next() == 1);
    per_thread = 2;
    REQUIRE(here.next() == 2);

    CopyGenerator<int> elsewhere([](Yielder<int>& y) {
        y.yield(per_thread);
        y.yield(per_thread);
    });
    int seen_there = 0, seen_after = 0;
    std::thread other([&] {
        per_thread = 40;
        seen_there = *elsewhere.next(); // started on this thread: its thread-locals
        per_thread = 41;
        seen_after = *elsewhere.next();
        REQUIRE(elsewhere.next() == std::nullopt);
    });
    other.join();
    REQUIRE(seen_there == 40);
    REQUIRE(seen_after == 41);
    REQUIRE(per_thread == 2);
}

TEST_CASE("a yield inside a catch block while the resumer throws, catches and rethrows its own", "[state]")
{
    CopyGenerator<std::string> generator([](Yielder<std::string>& y) {
        try {
            throw Problem("generator's");
        } catch (const Problem&) {
            y.yield(current_message());
            y.yield(std::to_string(std::uncaught_exceptions()));
            try {
                throw; // still the generator's exception
            } catch (const Problem& again) {
                y.yield(again.what());
            }
        }
        y.yield(current_message());
    });
    REQUIRE(generator.next() == "generator's");

    // The resumer throws and catches its own between resumes, and resumes
    // from inside its catch block; each side's `throw;`,
    // current_exception() and uncaught_exceptions() stay its own.
    try {
        throw Problem("resumer's");
    } catch (const Problem&) {
        REQUIRE(generator.next() == "0");
        REQUIRE(current_message() == "resumer's");
        try {
            throw;
        } catch (const Problem& again) {
            REQUIRE(std::string(again.what()) == "resumer's");
            REQUIRE(generator.next() == "generator's");
        }
        REQUIRE(current_message() == "resumer's");
    }
    REQUIRE(current_message() == "none");
    REQUIRE(generator.next() == "none");
    REQUIRE(std::uncaught_exceptions() == 0);
}

TEST_CASE("a generator resumed while its resumer unwinds sees none of it", "[state]")
{
    CopyGenerator<int> generator([](Yielder<int>& y) {
        for (;;)
            y.yield(std::uncaught_exceptions() * 10 + (std::current_exception() ? 1 : 0));
    });
    REQUIRE(generator.next() == 0);
    struct ResumesWhileUnwinding {
        CopyGenerator<int>& generator;
        int& generator_saw;
        int& resumer_saw;
        ~ResumesWhileUnwinding()
        {
            generator_saw = *generator.next();
            resumer_saw = std::uncaught_exceptions();
        }
    };
    int generator_saw = -1, resumer_saw = -1;
    try {
        ResumesWhileUnwinding guard{generator, generator_saw, resumer_saw};
        throw Problem("unwinding");
    } catch (const Problem&) {
    }
    REQUIRE(resumer_saw == 1);   // the resumer's exception was in flight ...
    REQUIRE(generator_saw == 0); // ... and the generator saw none of it
    REQUIRE(generator.next() == 0);
}
