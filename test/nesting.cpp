// Rule 7: generators create and drive other generators in their bodies, to
// any depth; generators first resumed from the same call site share a home
// and interleave freely.
#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <cg/copy_generator.hpp>

#include "support.hpp"

using cg::CopyGenerator;
using cg::Yielder;

namespace {

struct Node {
    int value;
    std::unique_ptr<Node> left, right;
};

std::unique_ptr<Node> insert(std::unique_ptr<Node> node, int value)
{
    if (!node)
        return std::make_unique<Node>(Node{value, nullptr, nullptr});
    if (value < node->value)
        node->left = insert(std::move(node->left), value);
    else
        node->right = insert(std::move(node->right), value);
    return node;
}

// One generator per tree node: each pulls from its children's generators.
CopyGenerator<int> walk(const Node* node)
{
    return CopyGenerator<int>([node](Yielder<int>& y) {
        if (node == nullptr)
            return;
        for (int v : walk(node->left.get()))
            y.yield(v);
        y.yield(node->value);
        for (int v : walk(node->right.get()))
            y.yield(v);
    });
}

} // namespace

TEST_CASE("a filter pulls from a source inside its body", "[nesting]")
{
    CopyGenerator<int> evens([](Yielder<int>& y) {
        CopyGenerator<int> source([](Yielder<int>& s) {
            for (int i = 0; i < 100; ++i)
                s.yield(i);
        });
        for (int v : source)
            if (v % 2 == 0)
                y.yield(v);
    });
    int expected = 0;
    for (int v : evens) {
        REQUIRE(v == expected);
        expected += 2;
    }
    REQUIRE(expected == 100);
}

TEST_CASE("a recursive tree walker with one generator per level", "[nesting]")
{
    std::unique_ptr<Node> root;
    std::vector<int> values;
    std::uint32_t state = 12345;
    for (int i = 0; i < 500; ++i) {
        state = state * 1103515245u + 12345u;
        int v = static_cast<int>(state >> 8) % 10000;
        values.push_back(v);
        root = insert(std::move(root), v);
    }
    std::sort(values.begin(), values.end());
    std::vector<int> walked;
    for (int v : walk(root.get()))
        walked.push_back(v);
    REQUIRE(walked == values);
}

TEST_CASE("a chain of nested generators 200 deep", "[nesting]")
{
    // Each level adds one to what the level below yields.
    std::function<CopyGenerator<int>(int)> chain = [&chain](int depth) {
        return CopyGenerator<int>([depth, &chain](Yielder<int>& y) {
            if (depth == 0) {
                for (int i = 0; i < 5; ++i)
                    y.yield(i * 1000);
                return;
            }
            for (int v : chain(depth - 1))
                y.yield(v + 1);
        });
    };
    auto top = chain(200);
    for (int i = 0; i < 5; ++i)
        REQUIRE(top.next() == i * 1000 + 200);
    REQUIRE(top.next() == std::nullopt);
}

TEST_CASE("generators first resumed from the same call site share the home", "[nesting]")
{
    auto make = [](char letter) {
        return CopyGenerator<std::uintptr_t>([letter](Yielder<std::uintptr_t>& y) {
            std::string mine(40, letter); // beyond the small buffer: on the heap
            char local = letter;
            for (int i = 0; i < 100; ++i) {
                y.yield(reinterpret_cast<std::uintptr_t>(&local));
                REQUIRE(local == letter);
                REQUIRE(mine == std::string(40, letter));
            }
        });
    };
    std::vector<CopyGenerator<std::uintptr_t>> generators;
    for (char c = 'a'; c <= 'e'; ++c)
        generators.push_back(make(c));
    auto resume = [](CopyGenerator<std::uintptr_t>& g) { return *g.next(); };
    std::uintptr_t first = resume(generators[0]);
    for (std::size_t i = 1; i < generators.size(); ++i)
        REQUIRE(resume(generators[i]) == first); // the same home, the same addresses
    for (int round = 1; round < 100; ++round)
        for (std::size_t i = 0; i < generators.size(); ++i)
            REQUIRE(resume(generators[(i * 3 + static_cast<std::size_t>(round)) % generators.size()]) == first);
}
