// catch2_implementation.cpp - Catch2's implementation, compiled once for
// every test program, and the one function their mains call to run it
// (catch2_session.hpp).
#define CATCH_CONFIG_RUNNER // the implementation, without a main of Catch2's
#include <catch2/catch.hpp>

#include "catch2_session.hpp"

namespace catch2_session {

int run(int argc, char** argv, const Option* option)
{
    Catch::Session session;
    std::string value;
    if (option != nullptr)
        session.cli(session.cli() | Catch::clara::Opt(value, "value")[option->name](option->description));
    if (int error = session.applyCommandLine(argc, argv); error != 0)
        return error;
    if (option != nullptr)
        option->take(value);
    return session.run();
}

} // namespace catch2_session
