// Rule 1: a slice is only ever restored where it ran, so every pointer into
// the generator's frames, into its resumer's frames and into the heap stays
// valid across yields.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <numeric>
#include <string>

#include <cg/copy_generator.hpp>

#include "support.hpp"

using cg::CopyGenerator;
using cg::Yielder;

namespace {

// Yields through a pointer to a local of its caller; the caller checks the
// writes after each resume.
[[gnu::noinline]] void count_through(int* counter, Yielder<std::uintptr_t>& y)
{
    for (int i = 0; i < 3; ++i) {
        ++*counter;
        y.yield(reinterpret_cast<std::uintptr_t>(counter));
    }
}

} // namespace

TEST_CASE("pointers into the generator's own frames stay valid across yields", "[same_address]")
{
    constexpr int rounds = 1000;
    CopyGenerator<int> generator([](Yielder<int>& y) {
        std::string small = "sso";          // its characters live inside the object
        const char* small_chars = small.data();
        REQUIRE(small_chars >= reinterpret_cast<const char*>(&small));
        REQUIRE(small_chars < reinterpret_cast<const char*>(&small + 1));
        std::array<int, 16> numbers{};
        std::iota(numbers.begin(), numbers.end(), 100);
        auto it = numbers.begin();          // an iterator into a local array
        int local = 0;
        int* to_local = &local;             // a pointer to a local
        for (int i = 0; i < rounds; ++i) {
            y.yield(i);
            REQUIRE(small.data() == small_chars);
            REQUIRE(small == "sso");
            REQUIRE(*it == 100 + i % 16);
            if (++it == numbers.end())
                it = numbers.begin();
            ++*to_local;
            REQUIRE(local == i + 1);
        }
    });
    for (int expected = 0; expected < rounds; ++expected) {
        // Whatever the resumer does with the stack in between, the frames
        // come back intact.
        cg_test::scribble_stack(4096);
        REQUIRE(generator.next() == expected);
    }
    REQUIRE(generator.next() == std::nullopt);
    REQUIRE(generator.done());
}

TEST_CASE("a pointer to a local passed down to a nested call survives its yields", "[same_address]")
{
    CopyGenerator<std::uintptr_t> generator([](Yielder<std::uintptr_t>& y) {
        int counter = 0;
        count_through(&counter, y);
        REQUIRE(counter == 3);
        y.yield(0);
    });
    std::uintptr_t address = *generator.next();
    cg_test::scribble_stack(2048);
    REQUIRE(generator.next() == address); // the same local, at the same address
    cg_test::scribble_stack(2048);
    REQUIRE(generator.next() == address);
    REQUIRE(generator.next() == 0u);
    REQUIRE(generator.next() == std::nullopt);
}

TEST_CASE("pointers from the generator into its resumer's frames and the heap stay valid", "[same_address]")
{
    int resumer_local = 0;
    auto heap = std::make_unique<std::array<int, 64>>();
    CopyGenerator<int> generator([&resumer_local, data = heap.get()](Yielder<int>& y) {
        for (int i = 0; i < 64; ++i) {
            resumer_local += i;  // a write into the resumer's frame
            (*data)[static_cast<std::size_t>(i)] = i * i; // and into the heap
            y.yield(i);
        }
    });
    int sum = 0;
    for (int i : generator) {
        sum += i;
        REQUIRE(resumer_local == sum);
        REQUIRE((*heap)[static_cast<std::size_t>(i)] == i * i);
    }
    REQUIRE(sum == 63 * 64 / 2);
}

TEST_CASE("a large slice is restored byte for byte", "[same_address]")
{
    CopyGenerator<int> generator([](Yielder<int>& y) {
        std::array<unsigned char, 12000> bytes;
        for (std::size_t i = 0; i < bytes.size(); ++i)
            bytes[i] = static_cast<unsigned char>(i * 7 + 3);
        for (int round = 0; round < 50; ++round) {
            y.yield(round);
            for (std::size_t i = 0; i < bytes.size(); ++i)
                REQUIRE(bytes[i] == static_cast<unsigned char>(i * 7 + 3 + round));
            for (auto& b : bytes)
                ++b;
        }
    });
    for (int round = 0; round < 50; ++round) {
        cg_test::scribble_stack(16384);
        REQUIRE(generator.next() == round);
        REQUIRE(generator.slice_size() > 12000);
        REQUIRE(generator.buffer_capacity() >= generator.slice_size());
    }
    REQUIRE(generator.next() == std::nullopt);
}
