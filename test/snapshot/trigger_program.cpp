// trigger_program.cpp - for triggers.sh: a program that knows nothing of
// snapshots, with a few suspended generators, asked for one from outside.
//     trigger-program signal   raises the signal CG_SNAPSHOT_SIGNAL names, then
//                              reaches a safe point (as an event loop would)
//     trigger-program exit     calls exit() with its generators alive
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <cg/copy_generator.hpp>

extern "C" [[gnu::noinline]] void waiting_for_input(cg::Yielder<int>& y, int id)
{
    char line[64] = {};
    line[0] = static_cast<char>(id);
    y.yield(id);
    asm volatile("" : : "r"(line) : "memory");
}

int main(int argc, char** argv)
{
    if (argc != 2)
        return 2;
    std::vector<cg::CopyGenerator<int>> connections;
    for (int id = 0; id < 3; ++id) {
        connections.emplace_back([id](cg::Yielder<int>& y) {
            for (;;)
                waiting_for_input(y, id);
        });
        connections.back().set_label("connection " + std::to_string(id));
        connections.back().next();
    }
    if (std::strcmp(argv[1], "signal") == 0) {
        std::raise(SIGUSR2);
        cg::safe_point();
        return 0;
    }
    if (std::strcmp(argv[1], "exit") == 0)
        std::exit(0); // no destructors run: the generators are alive at exit
    return 2;
}
