// catch2_session.hpp - runs Catch2's test cases from a test program's own
// main. Catch2's implementation, its Session class with it, is compiled
// once, in catch2_implementation.cpp, for every test program: cg's
// (support.cpp) and cg-dump's (tools/cg-dump/test/test_main.cpp).
#pragma once

#include <string>

namespace catch2_session {

/// A command-line option of the program's own, with one value, given to
/// `take` once the command line is read and before any test case runs.
struct Option {
    const char* name; // e.g. "--cg-dump"
    const char* description;
    void (*take)(const std::string& value);
};

/// Runs the test cases the command line selects; returns Catch2's status
/// (nonzero if any failed, or the command line is wrong).
int run(int argc, char** argv, const Option* option = nullptr);

} // namespace catch2_session
