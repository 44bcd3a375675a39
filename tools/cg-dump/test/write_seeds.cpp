// write_seeds.cpp - write-seeds DIR: snapshots for fuzz.sh to start from.
// Real ones the library writes of this process (various numbers of
// generators, labels and depths, every kind of section), and the tests'
// sample files: amd64's with and without the room a later format version
// might take, format version 1's, and aarch64's (the reader's other paths).
#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <cg.h>
#include <cg/inspect.hpp>

#include "sample_file.hpp"
#include "waiting_generators.hpp"

namespace {

struct Shape {
    std::size_t count, depth;
    const char* label;
};

/// The body of a C generator (cg_create): it yields once.
std::uintptr_t yield_once(std::uintptr_t, std::uintptr_t)
{
    cg_yield(nullptr, 1);
    return 0;
}

/// A suspended C generator whose thread has exited, for a section marked
/// exited; the caller destroys it.
cg_t* left_by_an_exited_thread()
{
    cg_t* generator = nullptr;
    std::thread([&generator] {
        generator = cg_create(reinterpret_cast<void*>(&yield_once), 0, 0);
        cg_set_label(generator, "left behind");
        cg_invoke(generator, 0);
    }).join();
    return generator;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: write-seeds DIR\n");
        return 2;
    }
    std::string dir = argv[1];
    ::mkdir(dir.c_str(), 0777); // if it exists, fine; if it cannot be made, the first snapshot says why
    int written = 0;
    auto seed = [&](const std::string& name) { return dir + "/" + name + ".cgsnap"; };

    for (Shape shape : {Shape{0, 0, ""}, Shape{1, 0, "one"}, Shape{3, 2, "worker"}, Shape{8, 6, "a longer label"}}) {
        auto generators = cg_dump_test::waiting_generators(shape.count, shape.depth, shape.label);
        cg::snapshot(seed("real-" + std::to_string(shape.count) + "-deep-" + std::to_string(shape.depth)).c_str());
        ++written;
    }

    cg_t* left_behind = left_by_an_exited_thread();
    auto mine = cg_dump_test::waiting_generators(2, 1, "mine");
    cg::snapshot(seed("real-all-threads").c_str(), {.all_threads = true, .wait = std::chrono::milliseconds(100)});
    ++written;
    cg_destroy(left_behind);

    auto sample = [&](const std::string& name, const cg_dump_test::SampleOptions& options) {
        std::ofstream(seed("sample-" + name), std::ios::binary) << cg_dump_test::sample_file(options).bytes;
        ++written;
    };
    using cg_dump_test::Writer;
    for (std::size_t padding : {0, 9})
        sample("padding-" + std::to_string(padding), {.header_padding = padding, .first_record_padding = padding});
    sample("v1", {.writer = Writer::x86_64_v1});
    sample("aarch64", {.writer = Writer::aarch64});
    std::printf("write-seeds: %d snapshots in %s\n", written, dir.c_str());
    return 0;
}
