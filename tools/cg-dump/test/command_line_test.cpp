// command_line_test.cpp - cg-dump's arguments and exit status: 0 shown, 1
// bad input, 2 wrong usage.
#include <catch2/catch.hpp>

#include <string>

#include "run_program.hpp"
#include "sample_file.hpp"

using cg_dump_test::run_cg_dump;
using cg_dump_test::TemporaryFile;

TEST_CASE("every mode shows the sample file", "[command_line]")
{
    TemporaryFile file(cg_dump_test::sample_file().bytes);
    for (const char* mode : {"--backtrace", "--stats", "--json"}) {
        INFO(mode);
        cg_dump_test::Run run = run_cg_dump({mode, file.path()});
        CHECK(run.exit_code == 0);
        CHECK(run.err.empty());
        if (std::string(mode) != "--stats")
            CHECK(run.out.find("0x1000") != std::string::npos);
    }
    cg_dump_test::Run summary = run_cg_dump({file.path()});
    CHECK(summary.exit_code == 0);
    CHECK(summary.out.find("4 generators in 3 threads") != std::string::npos);
    for (const char* id : {"1000", "0x1000", "0X1000"}) {
        INFO(id);
        cg_dump_test::Run hex = run_cg_dump({"--hex", id, file.path()});
        CHECK(hex.exit_code == 0);
        CHECK(hex.out.find("saved registers (control block)") != std::string::npos);
    }
    CHECK(run_cg_dump({"--help"}).exit_code == 0);
}

TEST_CASE("a generator that is not in the snapshot, a file that cannot be read: exit status 1", "[command_line]")
{
    TemporaryFile file(cg_dump_test::sample_file().bytes);
    cg_dump_test::Run unknown = run_cg_dump({"--hex", "0xabc", file.path()});
    CHECK(unknown.exit_code == 1);
    CHECK(unknown.out.empty());
    CHECK(unknown.err == "cg-dump: " + file.path() + ": no generator 0xabc in the snapshot\n");

    cg_dump_test::Run missing = run_cg_dump({"/nonexistent/x.cgsnap"});
    CHECK(missing.exit_code == 1);
    CHECK(missing.err == "cg-dump: /nonexistent/x.cgsnap: cannot open: No such file or directory\n");
    cg_dump_test::Run directory = run_cg_dump({"/tmp"});
    CHECK(directory.exit_code == 1);
    CHECK(directory.err == "cg-dump: /tmp: cannot read: Is a directory\n");
}

TEST_CASE("wrong usage: exit status 2 and the usage", "[command_line]")
{
    const std::vector<std::vector<std::string>> wrong = {
        {},                              // no file
        {"a.cgsnap", "b.cgsnap"},        // two
        {"--frobnicate", "a.cgsnap"},    // an unknown option
        {"--hex", "a.cgsnap"},           // no id
        {"--hex", "xyz", "a.cgsnap"},    // not hex
        {"--hex", "0x", "a.cgsnap"},     // no digits
        {"--hex", "12345678901234567", "a.cgsnap"}, // more than 64 bits
        {"--stats", "--json", "a.cgsnap"},          // two modes
        {"--core"},                                 // no core file
        {"--core", "core", "program", "more"},      // more than a core and an executable
        {"--json", "--core"},                       // a mode, no core file
    };
    for (const auto& arguments : wrong) {
        INFO((arguments.empty() ? "(none)" : arguments[0]) << " ...");
        cg_dump_test::Run run = run_cg_dump(arguments);
        CHECK(run.exit_code == 2);
        CHECK(run.out.empty());
        CHECK(run.err.find("usage: cg-dump") != std::string::npos);
    }
}
