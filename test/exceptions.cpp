// Rule 5: an exception escaping the body is rethrown from the resume and the
// generator is finished; try/catch works across yields, including a yield
// inside a catch block; each side keeps its own exception state.
#include <catch2/catch.hpp>

#include <exception>
#include <stdexcept>
#include <string>

#include <cg/copy_generator.hpp>

#include "support.hpp"

using cg::CopyGenerator;
using cg::Yielder;

namespace {

struct Boom : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string message_of(const std::exception_ptr& e)
{
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& caught) {
        return caught.what();
    }
}

} // namespace

TEST_CASE("an exception escaping the body is rethrown from the resume", "[exceptions]")
{
    CopyGenerator<int> generator([](Yielder<int>& y) {
        y.yield(1);
        throw Boom("from the body");
    });
    REQUIRE(generator.next() == 1);
    REQUIRE_THROWS_MATCHES(generator.next(), Boom, Catch::Message("from the body"));
    REQUIRE(generator.done());
    REQUIRE_THROWS_AS(generator.next(), cg::error);
}

TEST_CASE("an exception thrown at depth before the first yield", "[exceptions]")
{
    auto deep = [](auto& self, int n) -> void {
        if (n == 0)
            throw Boom("deep");
        self(self, n - 1);
    };
    CopyGenerator<int> generator([&deep](Yielder<int>&) { deep(deep, 20); });
    REQUIRE_THROWS_AS(generator.next(), Boom);
    REQUIRE(generator.done());
}

TEST_CASE("try/catch inside the generator works across yields", "[exceptions]")
{
    CopyGenerator<std::string> generator([](Yielder<std::string>& y) {
        try {
            y.yield("in try");
            throw Boom("thrown after a yield");
        } catch (const Boom& e) {
            y.yield(std::string("caught: ") + e.what());
        }
        y.yield("after");
    });
    REQUIRE(generator.next() == "in try");
    REQUIRE(generator.next() == "caught: thrown after a yield");
    REQUIRE(generator.next() == "after");
    REQUIRE(generator.next() == std::nullopt);
}

TEST_CASE("a yield inside a catch block, with the resumer catching its own in between", "[exceptions]")
{
    CopyGenerator<std::string> generator([](Yielder<std::string>& y) {
        try {
            throw Boom("generator's");
        } catch (const Boom&) {
            y.yield(message_of(std::current_exception()));
            // The resumer threw and caught in between: this catch block's
            // exception is still the current one, and `throw;` rethrows it.
            y.yield(message_of(std::current_exception()));
            try {
                throw;
            } catch (const Boom& again) {
                y.yield(std::string("rethrown ") + again.what());
            }
        }
        y.yield(std::current_exception() ? "still one" : "none");
    });
    REQUIRE(generator.next() == "generator's");
    try {
        throw Boom("resumer's");
    } catch (const Boom&) {
        // The resumer resumes from inside its own catch block.
        REQUIRE(generator.next() == "generator's");
        REQUIRE(message_of(std::current_exception()) == "resumer's");
        REQUIRE(generator.next() == "rethrown generator's");
        REQUIRE(message_of(std::current_exception()) == "resumer's");
    }
    REQUIRE(generator.next() == "none");
    REQUIRE(std::current_exception() == nullptr);
    REQUIRE(generator.next() == std::nullopt);
}

TEST_CASE("the generator does not see the resumer's caught exception", "[exceptions]")
{
    CopyGenerator<bool> generator([](Yielder<bool>& y) {
        for (;;)
            y.yield(std::current_exception() != nullptr);
    });
    try {
        throw Boom("resumer's");
    } catch (...) {
        REQUIRE(generator.next() == false);
        REQUIRE(std::current_exception() != nullptr);
    }
}

TEST_CASE("std::uncaught_exceptions() is counted per side", "[exceptions]")
{
    CopyGenerator<int> generator([](Yielder<int>& y) {
        struct YieldsWhileUnwinding {
            Yielder<int>& y;
            ~YieldsWhileUnwinding()
            {
                // Runs while Boom propagates through the body.
                y.yield(std::uncaught_exceptions());
                y.yield(std::uncaught_exceptions());
            }
        };
        y.yield(std::uncaught_exceptions());
        YieldsWhileUnwinding guard{y};
        throw Boom("unwinding");
    });
    REQUIRE(generator.next() == 0);
    REQUIRE(generator.next() == 1); // inside the generator: its own exception in flight
    REQUIRE(std::uncaught_exceptions() == 0); // not the resumer's
    REQUIRE(generator.next() == 1);
    REQUIRE_THROWS_AS(generator.next(), Boom);
}
