// A control block names its generator's operations by a number
// (cg/detail/runtime.hpp, src/ops_table.cpp): generators of more types than
// the first table of numbers holds, and types numbered by several threads
// at once, each run and are destroyed by their own operations.
#include <catch2/catch.hpp>

#include <array>
#include <cstring>
#include <memory>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include <cg.h>
#include <cg/copy_generator.hpp>

#include "control.hpp"
#include "ops_table.hpp"

using cg::CopyGenerator;
using cg::Yielder;

namespace {

/// Types of generators: more than the first table has numbers for, twice.
constexpr int type_count = 3 * cg::detail::first_ops_numbers;

/// Records its destruction: a generator destroyed by another type's
/// operations would destroy the wrong body, or none.
struct Witness {
    int* destroyed;
    Witness(int* where) : destroyed(where) {}
    Witness(const Witness&) = delete;
    ~Witness() { ++*destroyed; }
};

/// A generator of its own type (the lambda's, one per Family and Type),
/// which yields Type + 1, then its negation, keeping a Witness on its frame
/// across the yields; its body captures `destroyed`, so it is stored.
template <int Family, int Type>
CopyGenerator<int> of_type(int* destroyed)
{
    return CopyGenerator<int>([destroyed](Yielder<int>& y) {
        Witness witness(destroyed);
        y.yield(Type + 1);
        y.yield(-(Type + 1));
    });
}

using Maker = CopyGenerator<int> (*)(int*);

template <int Family, int... Types>
constexpr std::array<Maker, sizeof...(Types)> makers_of(std::integer_sequence<int, Types...>)
{
    return {&of_type<Family, Types>...};
}

constexpr std::array<Maker, type_count> makers = makers_of<0>(std::make_integer_sequence<int, type_count>{});
/// Types no other test uses: the threads' test numbers them first.
constexpr int thread_type_count = cg::detail::first_ops_numbers;
constexpr std::array<Maker, thread_type_count> thread_makers =
    makers_of<1>(std::make_integer_sequence<int, thread_type_count>{});

/// The number a generator's control block names its operations by.
std::uint32_t number_of(const CopyGenerator<int>& generator)
{
    cg::detail::Control* control;
    static_assert(sizeof generator == sizeof control);
    std::memcpy(&control, &generator, sizeof control);
    return cg::detail::ops_number_of(control->head);
}

} // namespace

TEST_CASE("generators of more types than the first table of numbers run and end by their own operations",
          "[operations]")
{
    int destroyed = 0;
    // Suspended before the table grows; resumed and destroyed after.
    CopyGenerator<int> first = makers[0](&destroyed);
    REQUIRE(first.next() == 1);
    std::vector<CopyGenerator<int>> suspended;
    std::set<std::uint32_t> numbers;
    for (int type = 0; type < type_count; ++type) {
        suspended.push_back(makers[static_cast<std::size_t>(type)](&destroyed));
        CopyGenerator<int>& g = suspended.back();
        REQUIRE(g.next() == type + 1);
        numbers.insert(number_of(g));
    }
    // One number per type, none the C API's, beyond the first table's.
    CHECK(numbers.size() == type_count);
    CHECK(numbers.count(cg::detail::c_ops_number) == 0);
    CHECK(*numbers.rbegin() >= 2 * cg::detail::first_ops_numbers);
    CHECK(number_of(first) == number_of(suspended[0]));
    REQUIRE(first.next() == -1);
    REQUIRE(destroyed == 0);
    // Every second one runs to its end; the others are destroyed suspended,
    // unwound by their own entry, which destroys their own Witness.
    for (int type = 0; type < type_count; type += 2) {
        CopyGenerator<int>& g = suspended[static_cast<std::size_t>(type)];
        REQUIRE(g.next() == -(type + 1));
        REQUIRE_FALSE(g.next().has_value());
    }
    CHECK(destroyed == type_count / 2);
    suspended.clear();
    CHECK(destroyed == type_count);
    first = CopyGenerator<int>();
    CHECK(destroyed == type_count + 1);
}

TEST_CASE("a generator whose slice moved to a heap buffer keeps its number beside the flag saying so",
          "[operations]")
{
    CopyGenerator<int> deep([](Yielder<int>& y) {
        volatile char bytes[512] = {}; // live across the yields: a slice larger than the inline bytes
        y.yield(bytes[0] + 1);
        y.yield(bytes[511] + 2);
    });
    std::uint32_t before = number_of(deep);
    cg::detail::Control* control;
    std::memcpy(&control, &deep, sizeof control);
    REQUIRE_FALSE(cg::detail::has_heap_buffer(*control));
    REQUIRE(deep.next() == 1);
    REQUIRE(cg::detail::has_heap_buffer(*control));
    CHECK(number_of(deep) == before);
    CHECK(before != cg::detail::c_ops_number);
    REQUIRE(deep.next() == 2);
    REQUIRE_FALSE(deep.next().has_value());
    CHECK_FALSE(cg::detail::has_heap_buffer(*control));
    CHECK(number_of(deep) == before);
}

TEST_CASE("a C generator keeps the C API's number among C++ generators of many types", "[operations]")
{
    int destroyed = 0;
    std::vector<CopyGenerator<int>> others;
    for (int type = 0; type < type_count; type += 7)
        others.push_back(makers[static_cast<std::size_t>(type)](&destroyed));
    auto add_one = [](std::uintptr_t first, std::uintptr_t) -> std::uintptr_t {
        return cg_yield(nullptr, first + 1) + 1;
    };
    std::uintptr_t (*function)(std::uintptr_t, std::uintptr_t) = add_one;
    cg_t* c = cg_create(reinterpret_cast<void*>(function), 41, 0);
    REQUIRE(c != nullptr);
    CHECK(cg::detail::ops_number_of(reinterpret_cast<cg::detail::Control*>(c)->head) == cg::detail::c_ops_number);
    CHECK(cg_invoke(c, 0) == 42);
    CHECK(cg_invoke(c, 1) == 2);
    CHECK(cg_is_done(c) == 1);
    cg_destroy(c);
}

TEST_CASE("threads that number the same types at once agree on their numbers", "[operations]")
{
    constexpr int threads = 4;
    std::vector<std::vector<std::uint32_t>> seen(threads);
    std::vector<int> destroyed(threads, 0);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([t, &seen, &destroyed] {
            for (int type = 0; type < thread_type_count; ++type) {
                CopyGenerator<int> g =
                    thread_makers[static_cast<std::size_t>(type)](&destroyed[static_cast<std::size_t>(t)]);
                if (g.next() != type + 1)
                    return; // seen stays short: reported below
                seen[static_cast<std::size_t>(t)].push_back(number_of(g));
            }
        });
    for (std::thread& worker : workers)
        worker.join();
    for (int t = 0; t < threads; ++t) {
        REQUIRE(seen[static_cast<std::size_t>(t)].size() == thread_type_count);
        CHECK(seen[static_cast<std::size_t>(t)] == seen[0]);
        CHECK(destroyed[static_cast<std::size_t>(t)] == thread_type_count);
    }
    CHECK(std::set<std::uint32_t>(seen[0].begin(), seen[0].end()).size() == thread_type_count);
}
