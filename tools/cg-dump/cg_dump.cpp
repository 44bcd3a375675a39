// cg_dump.cpp - cg-dump: shows the snapshots cg::snapshot writes, and the
// generators of a core file.
//
//     cg-dump [--backtrace | --hex ID | --stats | --json] FILE
//     cg-dump [--backtrace | --hex ID | --stats | --json] --core CORE [EXECUTABLE]
//
// Exit status: 0 shown; 1 the file cannot be read, is not a snapshot or
// core this cg-dump reads or has no generator ID (or the output cannot be
// written); 2 wrong usage.
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <new>
#include <string>
#include <string_view>

#include <sys/stat.h>

#include "core_snapshot.hpp"
#include "formatters.hpp"
#include "process_image.hpp"
#include "snapshot_file.hpp"
#include "snapshot_reader.hpp"

namespace {

constexpr int exit_shown = 0;
constexpr int exit_failed = 1;
constexpr int exit_usage = 2;

const char usage[] = "usage: cg-dump [--backtrace | --hex ID | --stats | --json] FILE\n"
                     "       cg-dump [--backtrace | --hex ID | --stats | --json] --core CORE [EXECUTABLE]\n"
                     "  FILE         a snapshot (cg::snapshot)\n"
                     "  --core       a core file of a program using cg (the files it maps must be where they\n"
                     "               were; EXECUTABLE: the program's file, if not where the core says)\n"
                     "  (none)       a line per generator: state, label, slice size, where it waits\n"
                     "  --backtrace  and each generator's frames\n"
                     "  --hex ID     one generator's saved registers and slice, word by word\n"
                     "  --stats      slice sizes, buffer capacity not in use, where generators wait\n"
                     "  --json       everything, as one JSON object\n";

enum class Mode { help, summary, backtrace, hex, stats, json };

struct Arguments {
    Mode mode = Mode::summary;
    std::uint64_t id = 0; // for Mode::hex
    std::string path;
    bool core = false;
    std::string executable; // with core: "" for the one the core names
};

/// A generator id as the summary shows it: hex, with or without 0x.
bool parse_id(std::string_view text, std::uint64_t& id)
{
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
        text.remove_prefix(2);
    if (text.empty() || text.size() > 16)
        return false;
    id = 0;
    for (char c : text) {
        int digit = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
        if (digit < 0)
            return false;
        id = id << 4 | static_cast<std::uint64_t>(digit);
    }
    return true;
}

/// False, with a message on stderr, if the arguments are not a valid use.
bool parse_arguments(int argc, char** argv, Arguments& arguments)
{
    int at = 1;
    if (at < argc && argv[at][0] == '-' && argv[at][1] != '\0' && std::string_view(argv[at]) != "--core") {
        std::string_view option = argv[at++];
        if (option == "--help" || option == "-h") {
            arguments.mode = Mode::help;
            return true;
        } else if (option == "--backtrace") {
            arguments.mode = Mode::backtrace;
        } else if (option == "--stats") {
            arguments.mode = Mode::stats;
        } else if (option == "--json") {
            arguments.mode = Mode::json;
        } else if (option == "--hex") {
            arguments.mode = Mode::hex;
            if (at >= argc || !parse_id(argv[at++], arguments.id)) {
                std::cerr << "cg-dump: --hex needs a generator id in hex, as the summary shows it\n";
                return false;
            }
        } else {
            std::cerr << "cg-dump: unknown option " << option << '\n';
            return false;
        }
    }
    if (at < argc && std::string_view(argv[at]) == "--core") {
        arguments.core = true;
        ++at;
        if (argc - at < 1 || argc - at > 2) {
            std::cerr << "cg-dump: " << (argc - at < 1 ? "--core needs a core file" : "--core takes a core file and "
                                                                                       "at most an executable")
                      << '\n';
            return false;
        }
        arguments.path = argv[at];
        if (argc - at == 2)
            arguments.executable = argv[at + 1];
        return true;
    }
    if (argc - at != 1) {
        std::cerr << "cg-dump: "
                  << (argc - at == 0 ? "no snapshot file given" : "one mode and one snapshot file at a time") << '\n';
        return false;
    }
    arguments.path = argv[at];
    return true;
}

/// The generators of a core, with the time it was written (its file's).
cg_dump::Snapshot read_core(const std::string& path, const std::string& executable)
{
    cg_dump::ProcessImage image(path, executable);
    struct stat status {};
    std::int64_t written = ::stat(path.c_str(), &status) == 0
                               ? std::int64_t{status.st_mtim.tv_sec} * 1'000'000'000 + status.st_mtim.tv_nsec
                               : 0;
    return cg_dump::snapshot_from_core(image, written);
}

} // namespace

int main(int argc, char** argv)
{
    Arguments arguments;
    if (!parse_arguments(argc, argv, arguments)) {
        std::cerr << usage;
        return exit_usage;
    }
    if (arguments.mode == Mode::help) {
        std::cout << usage;
        return exit_shown;
    }
    cg_dump::Snapshot snapshot;
    try {
        snapshot = arguments.core ? read_core(arguments.path, arguments.executable)
                                  : cg_dump::parse_snapshot(cg_dump::read_snapshot_file(arguments.path));
    } catch (const cg_dump::ReadError& error) {
        std::cerr << "cg-dump: " << arguments.path << ": " << error.what() << '\n';
        return exit_failed;
    } catch (const std::bad_alloc&) {
        // The readers bound what they hold by the file's size: a file too
        // large for this machine's memory.
        std::cerr << "cg-dump: " << arguments.path << ": out of memory reading it\n";
        return exit_failed;
    }
    switch (arguments.mode) {
    case Mode::help: // answered above
    case Mode::summary:
        cg_dump::print_summary(std::cout, snapshot);
        break;
    case Mode::backtrace:
        cg_dump::print_backtraces(std::cout, snapshot);
        break;
    case Mode::hex:
        if (cg_dump::print_hex(std::cout, snapshot, arguments.id) == 0) {
            std::cerr << "cg-dump: " << arguments.path << ": no generator 0x" << std::hex << arguments.id << " in the "
                      << snapshot.source << '\n';
            return exit_failed;
        }
        break;
    case Mode::stats:
        cg_dump::print_stats(std::cout, snapshot);
        break;
    case Mode::json:
        cg_dump::print_json(std::cout, snapshot);
        break;
    }
    std::cout.flush();
    if (!std::cout) {
        std::cerr << "cg-dump: cannot write the output: " << std::strerror(errno) << '\n';
        return exit_failed;
    }
    return exit_shown;
}
