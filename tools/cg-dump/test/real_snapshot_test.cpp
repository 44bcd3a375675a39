// real_snapshot_test.cpp - cg-dump on a snapshot the library wrote of this
// process: labeled generators suspended in named functions
// (waiting_generators.hpp), shown in every mode.
#include <catch2/catch.hpp>

#include <algorithm>

#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include <cg/inspect.hpp>

#include "describe.hpp"
#include "run_program.hpp"
#include "snapshot_file.hpp"
#include "snapshot_reader.hpp"
#include "waiting_generators.hpp"

using cg_dump_test::run_cg_dump;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// The number after `name` on its line of `text`.
std::string number_after(const std::string& text, const std::string& name)
{
    std::size_t at = text.find(name);
    if (at == std::string::npos)
        return "";
    at = text.find_first_not_of(' ', at + name.size());
    return text.substr(at, text.find_first_not_of("0123456789", at) - at);
}

/// A snapshot of three generators three calls deep and one not started.
class RealSnapshot {
public:
    RealSnapshot() : generators_(cg_dump_test::waiting_generators(3, 2, "worker"))
    {
        unstarted_.set_label("never started");
        cg::snapshot(path_.c_str());
    }
    ~RealSnapshot() { std::remove(path_.c_str()); }

    const std::string& path() const noexcept { return path_; }

private:
    std::string path_ = "/tmp/cg-dump-real-" + std::to_string(::getpid()) + ".cgsnap";
    std::vector<cg::CopyGenerator<int>> generators_;
    cg::CopyGenerator<int> unstarted_{[](cg::Yielder<int>& y) { y.yield(0); }};
};

} // namespace

TEST_CASE("cg-dump shows a snapshot the library wrote", "[real]")
{
    RealSnapshot snapshot;
    cg_dump::Snapshot parsed = cg_dump::parse_snapshot(cg_dump::read_snapshot_file(snapshot.path()));
    REQUIRE(parsed.sections.size() == 1);
    REQUIRE(parsed.sections[0].records.size() == 4);

    SECTION("the format: this CPU, its registers, where each generator resumes")
    {
        CHECK(parsed.version == 2);
        utsname host;
        REQUIRE(::uname(&host) == 0);
        CHECK(parsed.architecture == host.machine);
#if defined(__x86_64__)
        CHECK(parsed.register_names ==
              std::vector<std::string>{"rbx", "rbp", "r12", "r13", "r14", "r15", "mxcsr", "x87_control"});
#endif
        std::size_t suspended = 0;
        for (const cg_dump::Record& record : parsed.sections[0].records) {
            INFO(record.label);
            CHECK(record.registers.size() == parsed.register_names.size());
            if (!record.has_details())
                continue;
            ++suspended;
            // The innermost frame is where the generator resumes.
            REQUIRE_FALSE(record.frames.empty());
            CHECK(record.frames[0].pc == record.resume_pc);
            CHECK(record.frames[0].sp == record.resume_sp);
#if defined(__x86_64__)
            // On amd64 the yield's call pushed the resume pc at the slice's bottom.
            CHECK(cg_dump::little_endian(record.slice.substr(0, 8)) == record.resume_pc);
            CHECK(record.resume_sp == record.slice_bottom() + 8);
#endif
        }
        CHECK(suspended == 3);
    }

    SECTION("the summary: labels, states, where each waits")
    {
        cg_dump_test::Run run = run_cg_dump({snapshot.path()});
        CAPTURE(run.out, run.err);
        REQUIRE(run.exit_code == 0);
        CHECK(has(run.out, "snapshot of pid " + std::to_string(::getpid()) + " at "));
        CHECK(has(run.out, "arch        " + parsed.architecture + "\n"));
        CHECK(has(run.out, "4 generators in 1 thread\n"));
        CHECK(has(run.out, "thread " + std::to_string(parsed.sections[0].thread) + ": 4 generators, complete\n"));
        for (const char* label : {"worker 0", "worker 1", "worker 2"}) {
            INFO(label);
            std::size_t line = run.out.find(label);
            REQUIRE(line != std::string::npos);
            std::string rest = run.out.substr(line, run.out.find('\n', line) - line);
            CHECK(has(rest, "suspended"));
            CHECK(has(rest, "waiting_for_work"));
        }
        CHECK(has(run.out, "never started"));
        CHECK(has(run.out, "not-started"));
    }

    SECTION("backtraces: the named functions, innermost first")
    {
        cg_dump_test::Run run = run_cg_dump({"--backtrace", snapshot.path()});
        CAPTURE(run.out, run.err);
        REQUIRE(run.exit_code == 0);
        // Innermost first: waiting_for_work, descending three times, the body
        // (and at -O0, cg's own yield path before them).
        std::size_t innermost = run.out.find("    #0 0x");
        REQUIRE(innermost != std::string::npos);
        std::size_t waiting = run.out.find(" waiting_for_work+0x", innermost);
        REQUIRE(waiting != std::string::npos);
        CHECK(waiting < run.out.find(" descending+0x", innermost));
        CHECK(has(run.out, "    #3 0x"));
    }

    SECTION("the hex dump: saved registers, return addresses, pointers into the slice")
    {
        const cg_dump::Record& worker = parsed.sections[0].records.front().label == "never started"
                                            ? parsed.sections[0].records[1]
                                            : parsed.sections[0].records.front();
        cg_dump_test::Run run = run_cg_dump({"--hex", cg_dump::hex(worker.id), snapshot.path()});
        CAPTURE(run.out, run.err);
        REQUIRE(run.exit_code == 0);
        CHECK(has(run.out, "saved registers (control block):\n"));
        REQUIRE_FALSE(worker.frames.empty());
        CHECK(has(run.out, "\nresumes at pc " + cg_dump::hex(worker.resume_pc) + " " +
                               cg_dump::function_and_offset(worker.frames[0].function, worker.frames[0].offset) +
                               ", sp " + cg_dump::hex(worker.resume_sp)));
        for (const std::string& name : parsed.register_names)
            CHECK(has(run.out, "\n  " + name + " "));
#if defined(__x86_64__)
        CHECK(has(run.out, "the yield's return address -> "));
        CHECK(has(run.out, "return address -> waiting_for_work+0x")); // the yield's, unless -O0 kept cg's frames
#elif defined(__OPTIMIZE__)
        CHECK(has(run.out, "code address waiting_for_work+0x")); // x30: the yield's return address, in a register
#else
        // Without optimization cg's inline functions keep frames of their own:
        // x30 returns into the innermost, and waiting_for_work's return
        // address is in the slice.
        CHECK(has(run.out, "code address cg::detail::suspend("));
        CHECK(has(run.out, "return address -> waiting_for_work+0x"));
#endif
        CHECK(has(run.out, "return address -> descending+0x"));
        CHECK(has(run.out, "-> slice+0x"));
        CHECK(has(run.out, " waiting_for_work (sp 0x")); // the frame's heading
    }

    SECTION("stats: the totals are the sums over the generators")
    {
        std::uint64_t slices = 0, capacity = 0, unused = 0;
        for (const cg_dump::Record& record : parsed.sections[0].records)
            if (record.has_details()) {
                slices += record.slice.size();
                capacity += record.capacity;
                unused += record.capacity - record.slice.size();
            }
        REQUIRE(slices > 0);
        cg_dump_test::Run run = run_cg_dump({"--stats", snapshot.path()});
        CAPTURE(run.out, run.err);
        REQUIRE(run.exit_code == 0);
        CHECK(has(run.out, "generators: 4 (1 not-started, 3 suspended) in 1 thread\n"));
        std::string totals = run.out.substr(std::min(run.out.size(), run.out.find("totals over")));
        CHECK(number_after(totals, "\n  slice bytes") == std::to_string(slices));
        CHECK(number_after(totals, "\n  capacity") == std::to_string(capacity));
        CHECK(number_after(totals, "\n  capacity not in use") == std::to_string(unused));
        CHECK(number_after(totals, "\n  mean slice") == std::to_string(slices / 3));
        CHECK(has(run.out, "3  waiting_for_work"));
    }

    SECTION("JSON: valid, with the labels and the registers by name")
    {
        cg_dump_test::Run run = run_cg_dump({"--json", snapshot.path()});
        CAPTURE(run.err);
        REQUIRE(run.exit_code == 0);
        for (const char* label : {"\"worker 0\"", "\"worker 2\"", "\"never started\""})
            CHECK(has(run.out, label));
        CHECK(has(run.out, "\"architecture\": \"" + parsed.architecture + "\","));
        for (const std::string& name : parsed.register_names)
            CHECK(has(run.out, "\n            \"" + name + "\": \"0x"));
        CHECK(has(run.out, "\"function\": \"waiting_for_work\""));
        std::optional<bool> valid = cg_dump_test::valid_json(run.out);
        if (!valid)
            WARN("no python3: the JSON is not checked for validity");
        CHECK(valid.value_or(true));
    }
}
