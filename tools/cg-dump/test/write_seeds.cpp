// write_seeds.cpp - write-seeds DIR: snapshots for fuzz.sh to start from.
// Real ones the library writes of this process (various numbers of
// generators, labels and depths, every kind of section), and the tests'
// sample file with the room a later format version might take.
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

} // namespace

int main(int argc, char** argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: write-seeds DIR\n");
        return 2;
    }
    std::string dir = argv[1];
    int written = 0;
    auto seed = [&](const std::string& name) { return dir + "/" + name + ".cgsnap"; };

    for (Shape shape : {Shape{0, 0, ""}, Shape{1, 0, "one"}, Shape{3, 2, "worker"}, Shape{8, 6, "a longer label"}}) {
        auto generators = cg_dump_test::waiting_generators(shape.count, shape.depth, shape.label);
        cg::snapshot(seed("real-" + std::to_string(shape.count) + "-deep-" + std::to_string(shape.depth)).c_str());
        ++written;
    }

    // A thread that has exited and left a suspended generator: a section of
    // its own, marked exited.
    cg_t* left_behind = nullptr;
    std::thread([&] {
        left_behind = cg_create(reinterpret_cast<void*>(+[](std::uintptr_t, std::uintptr_t) -> std::uintptr_t {
                                    cg_yield(nullptr, 1);
                                    return 0;
                                }),
                                0, 0);
        cg_set_label(left_behind, "left behind");
        cg_invoke(left_behind, 0);
    }).join();
    auto mine = cg_dump_test::waiting_generators(2, 1, "mine");
    cg::snapshot(seed("real-all-threads").c_str(), {.all_threads = true, .wait = std::chrono::milliseconds(100)});
    ++written;
    cg_destroy(left_behind);

    for (std::size_t padding : {0, 9}) {
        std::ofstream(seed("sample-padding-" + std::to_string(padding)), std::ios::binary)
            << cg_dump_test::sample_file({.header_padding = padding, .first_record_padding = padding}).bytes;
        ++written;
    }
    std::printf("write-seeds: %d snapshots in %s\n", written, dir.c_str());
    return 0;
}
