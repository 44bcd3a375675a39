// describe.cpp - the words and numbers of cg-dump's output (describe.hpp).
#include "describe.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <iterator>

#include "escaping.hpp"

namespace cg_dump {

std::string state_name(std::uint8_t state)
{
    static const char* const names[] = {"not-started", "suspended", "running", "finished"};
    return state < std::size(names) ? names[state] : "state " + std::to_string(state);
}

std::string kind_name(std::uint8_t kind)
{
    static const char* const names[] = {"c++", "c"};
    return kind < std::size(names) ? names[kind] : "kind " + std::to_string(kind);
}

std::string hex(std::uint64_t value)
{
    char text[24];
    std::snprintf(text, sizeof text, "0x%" PRIx64, value);
    return text;
}

std::string hex_word(std::uint64_t value)
{
    char text[24];
    std::snprintf(text, sizeof text, "0x%016" PRIx64, value);
    return text;
}

std::string utc_time(std::int64_t time_ns)
{
    // Whole seconds rounded down, so that the nanoseconds are never negative.
    std::int64_t seconds = time_ns / 1'000'000'000;
    std::int64_t nanoseconds = time_ns % 1'000'000'000;
    if (nanoseconds < 0) {
        seconds -= 1;
        nanoseconds += 1'000'000'000;
    }
    auto since_epoch = static_cast<std::time_t>(seconds);
    std::tm calendar;
    char date[64];
    if (::gmtime_r(&since_epoch, &calendar) == nullptr ||
        std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &calendar) == 0)
        return std::to_string(time_ns) + " ns since 1970";
    char fraction[16];
    std::snprintf(fraction, sizeof fraction, ".%09" PRId64 "Z", nanoseconds);
    return std::string(date) + fraction;
}

std::string function_and_offset(const std::string& function, std::uint64_t offset)
{
    return (function.empty() ? std::string("??") : printable(function)) + "+" + hex(offset);
}

namespace {

/// Whether a function is cg's own way from a yield to the trampoline: in
/// namespace cg (cg::yield, Yielder::yield, cg::detail::suspend, which a
/// build without inlining keeps as frames), or cg_yield for C generators
/// and the trampoline's entry it tail-calls.
bool is_yield_path(const std::string& function)
{
    std::string head = function.substr(0, function.find_first_of("(<"));
    head.erase(0, head.rfind(' ') + 1); // a template's return type: "void cg::detail::yield_from"
    return head.rfind("cg::", 0) == 0 || head == "cg_yield" || head == "cg_try_yield" ||
           head == "cg_arch_suspend_receiving";
}

} // namespace

std::string waiting_function(const Record& record)
{
    if (!record.where.empty())
        return printable(record.where);
    if (!record.has_details() || record.frames.empty())
        return "-";
    auto waiting = std::find_if(record.frames.begin(), record.frames.end(),
                                [](const Frame& frame) { return !is_yield_path(frame.function); });
    const std::string& function = (waiting != record.frames.end() ? *waiting : record.frames.front()).function;
    return function.empty() ? "??" : printable(function);
}

std::string section_status(const Section& section)
{
    std::string status = section.complete() ? "complete" : "no answer, metadata only";
    return section.thread_exited() ? "exited, " + status : status;
}

std::size_t generator_count(const Snapshot& snapshot)
{
    std::size_t count = 0;
    for (const Section& section : snapshot.sections)
        count += section.records.size();
    return count;
}

std::string plural(std::size_t count, const char* noun)
{
    return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

} // namespace cg_dump
