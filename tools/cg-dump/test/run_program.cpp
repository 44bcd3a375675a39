// run_program.cpp - running programs from the tests (run_program.hpp).
#include "run_program.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>
#include <utility>

extern char** environ;

namespace cg_dump_test {
namespace {

std::string cg_dump_path;

[[noreturn]] void fail(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

} // namespace

TemporaryFile::TemporaryFile(const std::string& contents)
{
    char name[] = "/tmp/cg-dump-test-XXXXXX";
    int fd = ::mkstemp(name);
    if (fd < 0)
        fail("mkstemp");
    path_ = name;
    ::close(fd);
    std::ofstream(path_, std::ios::binary) << contents;
}

TemporaryFile::~TemporaryFile() { ::unlink(path_.c_str()); }

std::string TemporaryFile::contents() const
{
    std::ifstream file(path_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(file), {});
}

Run run_program(const std::string& program, const std::vector<std::string>& arguments)
{
    // Output goes to files, not pipes: nothing to read while waiting, and
    // no output large enough to fill a pipe can block the program.
    TemporaryFile out, err;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.path().c_str(), O_WRONLY | O_TRUNC, 0);
    posix_spawn_file_actions_addopen(&actions, 2, err.path().c_str(), O_WRONLY | O_TRUNC, 0);
    std::vector<char*> argv{const_cast<char*>(program.c_str())};
    for (const std::string& argument : arguments)
        argv.push_back(const_cast<char*>(argument.c_str()));
    argv.push_back(nullptr);
    pid_t child;
    int error = posix_spawnp(&child, program.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (error != 0) {
        errno = error;
        fail(program.c_str());
    }
    int status;
    while (::waitpid(child, &status, 0) < 0)
        if (errno != EINTR)
            fail("waitpid");
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out.contents(), err.contents()};
}

std::optional<bool> valid_json(const std::string& json)
{
    TemporaryFile file(json);
    Run check;
    try {
        check = run_program("python3", {"-m", "json.tool", file.path()});
    } catch (const std::system_error&) {
        return std::nullopt; // not installed
    }
    return check.exit_code == 0;
}

void set_cg_dump_path(std::string path) { cg_dump_path = std::move(path); }

Run run_cg_dump(const std::vector<std::string>& arguments)
{
    if (cg_dump_path.empty())
        throw std::logic_error("no --cg-dump PATH given to the test program");
    return run_program(cg_dump_path, arguments);
}

} // namespace cg_dump_test
