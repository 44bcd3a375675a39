// test_main.cpp - the main of cg-dump's tests, with one option more than
// Catch2's: --cg-dump PATH, the program under test (Meson passes the one it
// built). Catch2's implementation is test/catch2_implementation.cpp.
#include "catch2_session.hpp"
#include "run_program.hpp"

int main(int argc, char** argv)
{
    static constexpr catch2_session::Option cg_dump{
        "--cg-dump", "the cg-dump program to test",
        [](const std::string& path) { cg_dump_test::set_cg_dump_path(path); }};
    return catch2_session::run(argc, argv, &cg_dump);
}
