// waiting_generators.cpp - real suspended generators for the tests
// (waiting_generators.hpp).
#include "waiting_generators.hpp"

extern "C" {

[[gnu::noinline]] void waiting_for_work(cg::Yielder<int>& y, int id)
{
    char buffer[32] = {static_cast<char>(id)};
    // Volatile: kept in the frame, so the slice holds a pointer into itself.
    char* volatile cursor = buffer + 8;
    y.yield(id);
    *cursor = 1;
    asm volatile("" : : "r"(buffer) : "memory");
}

[[gnu::noinline]] void descending(cg::Yielder<int>& y, int id, std::size_t depth)
{
    if (depth == 0)
        waiting_for_work(y, id);
    else
        descending(y, id, depth - 1);
    asm volatile(""); // not a tail call: every level keeps its frame
}

} // extern "C"

namespace cg_dump_test {

std::vector<cg::CopyGenerator<int>> waiting_generators(std::size_t count, std::size_t depth, const std::string& label)
{
    std::vector<cg::CopyGenerator<int>> generators;
    for (std::size_t i = 0; i < count; ++i) {
        generators.emplace_back([depth, id = static_cast<int>(i)](cg::Yielder<int>& y) {
            for (;;)
                descending(y, id, depth);
        });
        generators.back().set_label(label + " " + std::to_string(i));
        generators.back().next();
    }
    return generators;
}

} // namespace cg_dump_test
