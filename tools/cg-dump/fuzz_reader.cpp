// fuzz_reader.cpp - libFuzzer's entry point (fuzz.sh builds and runs it):
// any bytes through the reader, and whatever it accepts through every
// output mode, since hostile but well-formed fields (a slice_top below its
// slice, frames outside it, labels of control bytes) reach the formatters.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string_view>

#include "formatters.hpp"
#include "snapshot_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    cg_dump::Snapshot snapshot;
    try {
        snapshot = cg_dump::parse_snapshot(std::string_view(reinterpret_cast<const char*>(data), size));
    } catch (const cg_dump::ReadError&) {
        return 0; // refused with a message: what bad input must get
    }
    std::ostringstream sink;
    cg_dump::print_summary(sink, snapshot);
    cg_dump::print_backtraces(sink, snapshot);
    cg_dump::print_stats(sink, snapshot);
    cg_dump::print_json(sink, snapshot);
    // The hex dump of the first few generators: each call searches them all.
    std::size_t dumped = 0;
    for (const cg_dump::Section& section : snapshot.sections)
        for (const cg_dump::Record& record : section.records)
            if (dumped++ < 4)
                cg_dump::print_hex(sink, snapshot, record.id);
    return 0;
}
