// stats.cpp - cg-dump --stats (formatters.hpp): where the memory of a
// program's generators goes. A suspended generator holds its slice in a
// buffer of some capacity; what the buffers hold beyond their slices is
// what cg::trim_buffers would give back.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "describe.hpp"
#include "formatters.hpp"
#include "table.hpp"

namespace cg_dump {
namespace {

constexpr std::size_t bar_width = 40;
constexpr std::size_t top_functions = 10;

struct Totals {
    std::map<std::string, std::size_t> by_state;
    std::size_t with_details = 0; // generators whose slice and capacity are known: the suspended ones
    std::uint64_t slice_bytes = 0;
    std::uint64_t capacity = 0;
    std::uint64_t unused = 0; // capacity beyond the slice
    std::uint64_t largest_slice = 0;
    // Bucket b counts slices of [2^(b-1), 2^b) bytes; bucket 0 the empty ones.
    std::vector<std::size_t> histogram = std::vector<std::size_t>(33);
    std::map<std::string, std::size_t> waiting_in;
};

std::size_t bucket_of(std::uint64_t size)
{
    std::size_t bucket = 0;
    for (; size != 0; size >>= 1)
        ++bucket;
    return bucket;
}

Totals add_up(const Snapshot& snapshot)
{
    Totals totals;
    for (const Section& section : snapshot.sections)
        for (const Record& record : section.records) {
            ++totals.by_state[state_name(record.state)];
            if (!record.has_details())
                continue;
            ++totals.with_details;
            std::uint64_t slice = record.slice.size();
            totals.slice_bytes += slice;
            totals.capacity += record.capacity;
            totals.unused += record.capacity > slice ? record.capacity - slice : 0;
            totals.largest_slice = std::max(totals.largest_slice, slice);
            ++totals.histogram[bucket_of(slice)];
            ++totals.waiting_in[waiting_function(record)];
        }
    return totals;
}

void print_histogram(std::ostream& out, const std::vector<std::size_t>& histogram)
{
    auto used = [](std::size_t count) { return count != 0; };
    auto first = std::find_if(histogram.begin(), histogram.end(), used);
    if (first == histogram.end())
        return;
    auto end = std::find_if(histogram.rbegin(), histogram.rend(), used).base();
    std::size_t most = *std::max_element(first, end);
    using Align = Table::Align;
    Table table({{"slice bytes", Align::right}, {"generators", Align::right}, {"", Align::left}}, 2);
    for (auto bucket = first; bucket != end; ++bucket) {
        auto b = static_cast<std::size_t>(bucket - histogram.begin());
        std::string sizes = b == 0 ? "0" : std::to_string(std::uint64_t{1} << (b - 1)) + " - " +
                                               std::to_string((std::uint64_t{1} << b) - 1);
        std::size_t bar = (*bucket * bar_width + most - 1) / most; // rounded up: a count of 1 shows
        table.add({sizes, std::to_string(*bucket), std::string(bar, '#')});
    }
    out << "slice sizes of the suspended generators:\n";
    table.print(out);
    out << '\n';
}

std::string percent(std::uint64_t part, std::uint64_t whole)
{
    if (whole == 0)
        return "-";
    char text[16];
    std::snprintf(text, sizeof text, "%.1f%%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
    return text;
}

} // namespace

void print_stats(std::ostream& out, const Snapshot& snapshot)
{
    Totals totals = add_up(snapshot);
    out << "generators: " << generator_count(snapshot);
    const char* separator = " (";
    for (const auto& [state, count] : totals.by_state) {
        out << separator << count << ' ' << state;
        separator = ", ";
    }
    out << (totals.by_state.empty() ? "" : ")") << " in " << plural(snapshot.sections.size(), "thread") << "\n\n";

    print_histogram(out, totals.histogram);

    using Align = Table::Align;
    Table table({{"totals over generators with details", Align::left}, {"bytes", Align::right}, {"", Align::left}},
                2);
    table.add({"slice bytes", std::to_string(totals.slice_bytes), ""});
    table.add({"capacity", std::to_string(totals.capacity), ""});
    table.add({"capacity not in use", std::to_string(totals.unused), percent(totals.unused, totals.capacity)});
    table.add({"mean slice", totals.with_details == 0 ? "-" : std::to_string(totals.slice_bytes / totals.with_details),
               ""});
    table.add({"largest slice", std::to_string(totals.largest_slice), ""});
    table.print(out);

    if (totals.waiting_in.empty())
        return;
    // Most generators first, by name where the counts are equal.
    std::vector<std::pair<std::string, std::size_t>> functions(totals.waiting_in.begin(), totals.waiting_in.end());
    std::stable_sort(functions.begin(), functions.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    functions.resize(std::min(functions.size(), top_functions));
    Table waiting({{"generators", Align::right}, {"wait in", Align::left}}, 2);
    for (const auto& [function, count] : functions)
        waiting.add({std::to_string(count), function});
    out << '\n';
    waiting.print(out);
}

} // namespace cg_dump
