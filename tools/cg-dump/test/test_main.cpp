// test_main.cpp - Catch2's main for cg-dump's tests, with one option more:
// --cg-dump PATH, the program under test (Meson passes the one it built).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "run_program.hpp"

int main(int argc, char** argv)
{
    Catch::Session session;
    std::string cg_dump;
    session.cli(session.cli() | Catch::clara::Opt(cg_dump, "path")["--cg-dump"]("the cg-dump program to test"));
    if (int error = session.applyCommandLine(argc, argv); error != 0)
        return error;
    cg_dump_test::set_cg_dump_path(cg_dump);
    return session.run();
}
