// Rule 11: misuse gets a clear error, never silent corruption. C++ callers
// get a cg::error saying what happened, and the generator is left intact;
// what cannot throw (destructors, the plain C calls) prints the message and
// aborts, which is tested in a child process.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <thread>

#include <cg.h>
#include <cg/copy_generator.hpp>

#include "support.hpp"

using cg::CopyGenerator;
using cg::Yielder;

namespace {

auto has_code(cg::errc code)
{
    return Catch::Predicate<cg::error>([code](const cg::error& e) { return e.code() == code; },
                                       "has code " + std::to_string(static_cast<int>(code)));
}

void require_aborted_with(const cg_test::ChildResult& child, const std::string& message)
{
    CHECK(child.signaled);
    CHECK(child.signal == SIGABRT);
    CHECK_THAT(child.error_output, Catch::Contains(message));
}

// Yields once from a frame with `bytes` of locals, so the slice is at least that big.
[[gnu::noinline]] void yield_from_deep(Yielder<std::string>& y, std::string& value, std::size_t bytes)
{
    char* locals = static_cast<char*>(__builtin_alloca(bytes));
    std::memset(locals, 1, bytes);
    y.yield(std::move(value));
    asm volatile("" : : "r"(locals) : "memory");
}

std::uintptr_t c_counter(std::uintptr_t start, std::uintptr_t)
{
    for (std::uintptr_t i = start;; ++i)
        cg_yield(nullptr, i);
}

std::uintptr_t c_once(std::uintptr_t value, std::uintptr_t last)
{
    cg_yield(nullptr, value);
    return last;
}

/// Yields from a frame of `bytes` of locals: a slice the inline bytes cannot hold.
std::uintptr_t c_yield_from_deep(std::uintptr_t bytes, std::uintptr_t)
{
    char* locals = static_cast<char*>(__builtin_alloca(bytes));
    std::memset(locals, 1, bytes);
    cg_yield(nullptr, 1);
    asm volatile("" : : "r"(locals) : "memory");
    return 0;
}

} // namespace

TEST_CASE("resuming a running generator from inside itself", "[misuse]")
{
    CopyGenerator<int>* self = nullptr;
    CopyGenerator<int> generator([&self](Yielder<int>& y) {
        try {
            self->next();
        } catch (const cg::error& e) {
            REQUIRE(e.code() == cg::errc::running);
            REQUIRE_THAT(e.what(), Catch::Contains("running"));
            y.yield(1);
        }
        y.yield(2);
    });
    self = &generator;
    REQUIRE(generator.next() == 1);
    REQUIRE(generator.next() == 2);
}

TEST_CASE("resuming through a cycle of generators", "[misuse]")
{
    CopyGenerator<int>* first = nullptr;
    CopyGenerator<int> second([&first](Yielder<int>& y) {
        REQUIRE_THROWS_MATCHES(first->next(), cg::error, has_code(cg::errc::running));
        y.yield(20);
    });
    CopyGenerator<int> first_generator([&second](Yielder<int>& y) {
        y.yield(*second.next() + 1);
        y.yield(2);
    });
    first = &first_generator;
    REQUIRE(first_generator.next() == 21);
    REQUIRE(first_generator.next() == 2);
}

TEST_CASE("resuming a finished generator", "[misuse]")
{
    CopyGenerator<int> generator([](Yielder<int>& y) { y.yield(1); });
    REQUIRE(generator.next() == 1);
    REQUIRE(generator.next() == std::nullopt);
    REQUIRE_THROWS_MATCHES(generator.next(), cg::error, has_code(cg::errc::finished));
    REQUIRE_THROWS_WITH(generator.next(), Catch::Contains("finished"));
    REQUIRE(generator.done());
}

TEST_CASE("resuming an empty (moved-from) generator", "[misuse]")
{
    CopyGenerator<int> generator([](Yielder<int>& y) { y.yield(1); });
    CopyGenerator<int> taken = std::move(generator);
    REQUIRE_THROWS_MATCHES(generator.next(), cg::error, has_code(cg::errc::invalid_argument));
    REQUIRE(taken.next() == 1);
}

TEST_CASE("yielding outside any generator", "[misuse]")
{
    REQUIRE_THROWS_MATCHES(cg::yield(1), cg::error, has_code(cg::errc::outside_generator));
    REQUIRE_THROWS_WITH(cg::yield(1), Catch::Contains("outside any generator"));
}

TEST_CASE("yielding through the handle of a generator that is not the innermost", "[misuse]")
{
    CopyGenerator<int> outer([](Yielder<int>& outer_yielder) {
        CopyGenerator<int> inner([&outer_yielder](Yielder<int>& y) {
            REQUIRE_THROWS_MATCHES(outer_yielder.yield(5), cg::error, has_code(cg::errc::outside_generator));
            y.yield(7);
        });
        outer_yielder.yield(*inner.next());
    });
    REQUIRE(outer.next() == 7);
    REQUIRE(outer.next() == std::nullopt);
}

TEST_CASE("cg::yield with the wrong type", "[misuse]")
{
    CopyGenerator<std::string> strings([](Yielder<std::string>& y) {
        REQUIRE_THROWS_MATCHES(cg::yield(42), cg::error, has_code(cg::errc::wrong_type));
        try {
            cg::yield(42);
        } catch (const cg::error& e) {
            REQUIRE_THAT(e.what(), Catch::Contains("cg::yield of a int"));
            REQUIRE_THAT(e.what(), Catch::Contains("basic_string"));
        }
        y.yield("still fine");
    });
    REQUIRE(strings.next() == "still fine");

    CopyGenerator<int, int> receiving([](Yielder<int, int>& y) {
        REQUIRE_THROWS_MATCHES(cg::yield(1), cg::error, has_code(cg::errc::wrong_type)); // receives nothing
        REQUIRE(cg::yield<int>(2) == 10); // the right receive type
        y.yield(3);
    });
    REQUIRE(receiving.next(0) == 2);
    REQUIRE(receiving.next(10) == 3);
}

TEST_CASE("slice-buffer growth that fails is a bad_alloc inside the generator, and nothing is lost",
          "[misuse]")
{
    CopyGenerator<std::string> generator([](Yielder<std::string>& y) {
        std::string local = "local state";
        y.yield("shallow"); // fits the inline bytes
        std::string value = "the value being yielded";
        {
            cg_test::AllocationFailure no_memory;
            REQUIRE_THROWS_AS(yield_from_deep(y, value, 4096), std::bad_alloc);
        }
        REQUIRE(value == "the value being yielded"); // not moved from
        REQUIRE(local == "local state");
        yield_from_deep(y, value, 4096); // memory again: this time it works
        y.yield(local);
    });
    REQUIRE(generator.next() == "shallow");
    REQUIRE(generator.next() == "the value being yielded");
    REQUIRE(generator.slice_size() > 4096);
    REQUIRE(generator.next() == "local state");
    REQUIRE(generator.next() == std::nullopt);
}

TEST_CASE("creation without memory is a bad_alloc", "[misuse]")
{
    cg_test::AllocationFailure no_memory;
    REQUIRE_THROWS_AS(CopyGenerator<int>([](Yielder<int>& y) { y.yield(1); }), std::bad_alloc);
    REQUIRE(cg_create(reinterpret_cast<void*>(&c_counter), 0, 0) == nullptr);
}

TEST_CASE("misuse that cannot throw aborts with a message", "[misuse][death]")
{
    SECTION("destroying a generator from inside itself")
    {
        auto child = cg_test::run_in_child([] {
            std::optional<CopyGenerator<int>> generator;
            generator.emplace([&generator](Yielder<int>&) { generator.reset(); });
            generator->next();
        });
        require_aborted_with(child, "cg: destroying a running generator");
    }
    SECTION("destroying a suspended generator on a thread that does not own it")
    {
        auto child = cg_test::run_in_child([] {
            auto* generator = new CopyGenerator<int>([](Yielder<int>& y) { y.yield(1); });
            generator->next();
            std::thread([generator] { delete generator; }).join();
        });
        require_aborted_with(child, "cg: destroying a started generator on a thread that does not own it");
    }
    SECTION("cg_invoke on a finished generator")
    {
        auto child = cg_test::run_in_child([] {
            cg_t* co = cg_create(reinterpret_cast<void*>(&c_once), 1, 2);
            cg_invoke(co, 0);
            cg_invoke(co, 0);
            cg_invoke(co, 0);
        });
        require_aborted_with(child, "cg: cg_invoke: cannot resume a generator that has finished");
    }
    SECTION("cg_yield outside any generator")
    {
        auto child = cg_test::run_in_child([] { cg_yield(nullptr, 1); });
        require_aborted_with(child, "cg: cg_yield: yield outside any generator");
    }
    // The slice buffer cannot grow: cg_yield cannot return an error.
    SECTION("cg_yield in a C generator, out of memory (the trampoline's no-room way out)")
    {
        auto child = cg_test::run_in_child([] {
            cg_t* co = cg_create(reinterpret_cast<void*>(&c_yield_from_deep), 8192, 0);
            cg_test::AllocationFailure no_memory;
            cg_invoke(co, 0);
        });
        require_aborted_with(child, "cg: cg_yield: out of memory growing the slice buffer");
    }
    SECTION("cg_yield in a C++ generator of uintptr_t, out of memory (the general way)")
    {
        auto child = cg_test::run_in_child([] {
            CopyGenerator<std::uintptr_t, std::uintptr_t> generator(
                [] { c_yield_from_deep(8192, 0); });
            cg_test::AllocationFailure no_memory;
            generator.next(0);
        });
        require_aborted_with(child, "cg: cg_yield: out of memory growing the slice buffer");
    }
}

TEST_CASE("the C API's checked calls return status codes", "[misuse][c_api]")
{
    REQUIRE(cg_resume(nullptr, 0, nullptr) == CG_EINVAL);

    cg_t* co = cg_create(reinterpret_cast<void*>(&c_once), 5, 99);
    REQUIRE(co != nullptr);
    REQUIRE(cg_set_headroom(co, 1024) == CG_OK);
    std::uintptr_t out = 0;
    REQUIRE(cg_resume(co, 0, &out) == CG_OK);
    REQUIRE(out == 5);
    REQUIRE(cg_set_headroom(co, 1024) == CG_ERUNNING); // too late: started
    int status = CG_OK;
    std::thread([&] { status = cg_resume(co, 0, &out); }).join();
    REQUIRE(status == CG_ETHREAD);
    REQUIRE(cg_resume(co, 0, &out) == CG_OK);
    REQUIRE(out == 99);
    REQUIRE(cg_is_done(co) == 1);
    REQUIRE(cg_resume(co, 0, &out) == CG_EFINISHED);
    cg_destroy(co);

    std::uintptr_t received = 0;
    REQUIRE(cg_try_yield(1, &received) == CG_EOUTSIDE);
    CopyGenerator<int> wrong([](Yielder<int>& y) {
        REQUIRE(cg_try_yield(1, nullptr) == CG_ETYPE);
        y.yield(0);
    });
    REQUIRE(wrong.next() == 0);

    REQUIRE(std::string(cg_strerror(CG_ETOODEEP)) == cg::describe(cg::errc::too_deep));
    REQUIRE(std::string(cg_strerror(12345)) == "unknown cg status");
}

TEST_CASE("a C generator resuming itself gets CG_ERUNNING", "[misuse][c_api]")
{
    static cg_t* self;
    auto body = +[](std::uintptr_t, std::uintptr_t) -> std::uintptr_t {
        return static_cast<std::uintptr_t>(cg_resume(self, 0, nullptr));
    };
    self = cg_create(reinterpret_cast<void*>(body), 0, 0);
    REQUIRE(cg_invoke(self, 0) == CG_ERUNNING);
    REQUIRE(cg_is_done(self));
    cg_destroy(self);
}

TEST_CASE("C generators: destroyed suspended, from any depth and thread", "[c_api]")
{
    cg_t* co = cg_create(reinterpret_cast<void*>(&c_counter), 10, 0);
    REQUIRE(cg_invoke(co, 0) == 10);
    REQUIRE(cg_invoke(co, 0) == 11);
    REQUIRE(cg_slice_size(co) > 0);
    std::thread([co] { cg_destroy(co); }).join(); // discarded: no C frame has a destructor
}

TEST_CASE("cg_try_yield reports CG_ENOMEM and the generator goes on", "[c_api]")
{
    auto deep = +[](std::uintptr_t, std::uintptr_t) -> std::uintptr_t {
        char* locals = static_cast<char*>(__builtin_alloca(8192));
        std::memset(locals, 2, 8192);
        int status;
        {
            cg_test::AllocationFailure no_memory;
            status = cg_try_yield(1, nullptr);
        }
        cg_yield(nullptr, static_cast<std::uintptr_t>(status));
        asm volatile("" : : "r"(locals) : "memory");
        return static_cast<std::uintptr_t>(locals[8191]);
    };
    cg_t* co = cg_create(reinterpret_cast<void*>(deep), 0, 0);
    REQUIRE(cg_invoke(co, 0) == CG_ENOMEM);
    REQUIRE(cg_invoke(co, 0) == 2);
    REQUIRE(cg_is_done(co));
    cg_destroy(co);
}
