// summary.cpp - cg-dump's default output and --backtrace (formatters.hpp):
// what the snapshot is of, then one line per generator.
#include <string>

#include "describe.hpp"
#include "escaping.hpp"
#include "formatters.hpp"
#include "table.hpp"

namespace cg_dump {
namespace {

void print_header(std::ostream& out, const Snapshot& snapshot)
{
    out << printable(snapshot.source) << " of pid " << snapshot.pid << " at " << utc_time(snapshot.time_ns) << '\n'
        << "executable  " << (snapshot.executable.empty() ? "(unknown)" : printable(snapshot.executable)) << '\n'
        << "build id    " << (snapshot.build_id.empty() ? "(none)" : printable(snapshot.build_id)) << '\n'
        << "arch        " << (snapshot.architecture.empty() ? "(unknown)" : printable(snapshot.architecture)) << '\n'
        << plural(generator_count(snapshot), "generator") << " in " << plural(snapshot.sections.size(), "thread")
        << "\n\n";
    // Which threads' generators have their details, and which could not.
    for (const Section& section : snapshot.sections)
        out << "thread " << section.thread << ": " << plural(section.records.size(), "generator") << ", "
            << section_status(section) << '\n';
    if (!snapshot.sections.empty())
        out << '\n';
}

/// A line per generator, in the order of the file.
Table generator_table(const Snapshot& snapshot)
{
    using Align = Table::Align;
    Table table({{"id", Align::left},
                 {"thread", Align::right},
                 {"label", Align::left},
                 {"state", Align::left},
                 {"slice", Align::right},
                 {"capacity", Align::right},
                 {"frames", Align::right},
                 {"waits in", Align::left}});
    for (const Section& section : snapshot.sections)
        for (const Record& record : section.records) {
            bool details = record.has_details();
            auto detail = [details](std::size_t value) { return details ? std::to_string(value) : "-"; };
            table.add({hex(record.id), std::to_string(section.thread), printable(record.label),
                       state_name(record.state), detail(record.slice.size()), detail(record.capacity),
                       detail(record.frames.size()), waiting_function(record)});
        }
    return table;
}

} // namespace

void print_summary(std::ostream& out, const Snapshot& snapshot)
{
    print_header(out, snapshot);
    generator_table(snapshot).print(out);
}

void print_backtraces(std::ostream& out, const Snapshot& snapshot)
{
    print_header(out, snapshot);
    Table table = generator_table(snapshot);
    table.print_heading(out);
    std::size_t row = 0;
    for (const Section& section : snapshot.sections)
        for (const Record& record : section.records) {
            table.print_row(out, row++);
            for (std::size_t i = 0; i < record.frames.size(); ++i) {
                const Frame& frame = record.frames[i];
                out << "    #" << i << ' ' << hex(frame.pc) << ' ' << function_and_offset(frame.function, frame.offset)
                    << " (sp " << hex(frame.sp) << ")\n";
            }
        }
}

} // namespace cg_dump
