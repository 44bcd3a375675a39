// write_core_seeds.cpp - write-core-seeds DIR: cores and libraries for
// fuzz.sh's second target (fuzz_core.cpp) to start from, each under its
// 64 KiB inputs: the tests' sample cores (amd64's, aarch64's) and sample
// library, generators laid out by hand (memory_image.hpp), and if gcore
// can write one, a real core of a child of this
// process without its memory (its headers and notes) and the first 64 KiB
// of it whole.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include <elf.h>

#include "core_of_child.hpp"
#include "elf_samples.hpp"
#include "memory_image.hpp"

namespace {

void write(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

std::string contents(const std::string& path)
{
    std::ifstream file(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(file), {});
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: write-core-seeds DIR\n");
        return 2;
    }
    std::string dir = argv[1];
    write(dir + "/sample-core-x86_64", cg_dump_test::sample_core(EM_X86_64).bytes);
    write(dir + "/sample-core-aarch64", cg_dump_test::sample_core(EM_AARCH64).bytes);
    // The fuzzer also walks its input as memory for generators.
    write(dir + "/memory-image", cg_dump_test::memory_image().bytes);
    write(
        dir + "/sample-library",
        cg_dump_test::sample_object({{"f1", 0x1000, 0x10}, {"f2", 0x1020, 0}, {"table", 0x1100, 8, STT_OBJECT}}).bytes);

    std::string path = dir + "/.core-" + std::to_string(::getpid());
    std::string why;
    {
        cg_dump_test::PausedChild child;
        why = cg_dump_test::write_core_with_gcore(child.pid(), path);
    }
    if (!why.empty()) {
        std::fprintf(stderr, "write-core-seeds: no real core: %s\n", why.c_str());
        return 0;
    }
    std::string core = contents(path);
    std::remove(path.c_str());
    write(dir + "/core-without-memory", cg_dump_test::without_memory(core));
    write(dir + "/core-head", core.substr(0, 1 << 16));
    return 0;
}
