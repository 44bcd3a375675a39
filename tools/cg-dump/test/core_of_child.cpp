// core_of_child.cpp - real cores for the tests (core_of_child.hpp).
#include "core_of_child.hpp"

#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <vector>

extern char** environ;

namespace cg_dump_test {

PausedChild::PausedChild()
{
    int ready[2];
    if (::pipe(ready) != 0)
        throw std::system_error(errno, std::generic_category(), "pipe");
    pid_ = ::fork();
    if (pid_ < 0)
        throw std::system_error(errno, std::generic_category(), "fork");
    if (pid_ == 0) {
        // Only async-signal-safe calls from here on.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY); // EINVAL without Yama: nothing to allow
        char byte = 1;
        [[maybe_unused]] ssize_t written = ::write(ready[1], &byte, 1);
        for (;;)
            ::pause();
    }
    ::close(ready[1]);
    char byte = 0;
    ssize_t got;
    while ((got = ::read(ready[0], &byte, 1)) < 0 && errno == EINTR) {
    }
    ::close(ready[0]);
}

PausedChild::~PausedChild()
{
    ::kill(pid_, SIGKILL);
    int status;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
}

std::string write_core_with_gcore(pid_t pid, const std::string& path)
{
    // gcore -o PREFIX PID writes PREFIX.PID.
    std::string written = path + "." + std::to_string(pid);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    std::string pid_text = std::to_string(pid);
    std::vector<char*> argv{const_cast<char*>("gcore"), const_cast<char*>("-o"), const_cast<char*>(path.c_str()),
                            pid_text.data(), nullptr};
    pid_t gcore;
    int error = posix_spawnp(&gcore, "gcore", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (error == ENOENT)
        return "gcore is not installed (it comes with gdb)";
    if (error != 0)
        return std::string("cannot run gcore: ") + std::strerror(error);
    int status = 0;
    while (::waitpid(gcore, &status, 0) < 0)
        if (errno != EINTR)
            return std::string("waitpid: ") + std::strerror(errno);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || ::access(written.c_str(), R_OK) != 0) {
        ::unlink(written.c_str());
        return "gcore failed (exit status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
               "): may this process trace its children (ptrace)?";
    }
    if (std::rename(written.c_str(), path.c_str()) != 0)
        return std::string("cannot rename the core: ") + std::strerror(errno);
    return "";
}

std::string without_memory(std::string_view core)
{
    Elf64_Ehdr header;
    if (core.size() < sizeof header)
        throw std::runtime_error("without_memory: not a core");
    std::memcpy(&header, core.data(), sizeof header);
    if (header.e_phnum == PN_XNUM || header.e_phentsize != sizeof(Elf64_Phdr) || header.e_phoff > core.size() ||
        header.e_phnum * sizeof(Elf64_Phdr) > core.size() - header.e_phoff)
        throw std::runtime_error("without_memory: program headers it does not handle");
    std::vector<Elf64_Phdr> programs(header.e_phnum);
    std::memcpy(programs.data(), core.data() + header.e_phoff, programs.size() * sizeof(Elf64_Phdr));

    std::string notes;
    std::size_t notes_at = sizeof header + programs.size() * sizeof(Elf64_Phdr);
    for (Elf64_Phdr& program : programs) {
        if (program.p_type == PT_NOTE) {
            if (program.p_offset > core.size() || program.p_filesz > core.size() - program.p_offset)
                throw std::runtime_error("without_memory: notes past the end");
            notes.resize((notes.size() + 7) & ~std::size_t{7}, '\0');
            std::string_view bytes(core.data() + program.p_offset, program.p_filesz);
            program.p_offset = notes_at + notes.size();
            notes += bytes;
        } else {
            program.p_offset = 0;
            program.p_filesz = 0;
        }
    }
    header.e_phoff = sizeof header;
    header.e_shoff = 0;
    header.e_shnum = 0;
    header.e_shstrndx = SHN_UNDEF;
    std::string reduced(reinterpret_cast<const char*>(&header), sizeof header);
    reduced.append(reinterpret_cast<const char*>(programs.data()), programs.size() * sizeof(Elf64_Phdr));
    return reduced + notes;
}

} // namespace cg_dump_test
