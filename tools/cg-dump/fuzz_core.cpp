// fuzz_core.cpp - libFuzzer's second entry point (fuzz.sh builds and runs
// it): any bytes through the core reader and the ELF object reader, both
// from the same input, and whatever they accept through what reads from
// them: memory at the threads' pc and sp and the segments' edges, functions
// by address and symbols by name. The same bytes, as a process's memory
// with a debug descriptor at its start (bare_memory.hpp), through the walk
// of its generators (core_snapshot.hpp) and every output mode.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string_view>
#include <vector>

#include "bare_memory.hpp"
#include "core_snapshot.hpp"
#include "elf_core.hpp"
#include "elf_object.hpp"
#include "formatters.hpp"
#include "snapshot_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    try {
        cg_dump::CoreImage core = cg_dump::parse_core(bytes);
        char buffer[16];
        for (const cg_dump::CoreThread& thread : core.threads) {
            cg_dump::read_core_memory(core, bytes, thread.pc, buffer, sizeof buffer);
            cg_dump::read_core_memory(core, bytes, thread.sp, buffer, sizeof buffer);
        }
        for (const cg_dump::CoreSegment& segment : core.segments) {
            cg_dump::read_core_memory(core, bytes, segment.vaddr, buffer, sizeof buffer);
            cg_dump::read_core_memory(core, bytes, segment.vaddr + segment.filesz - 1, buffer, 1);
        }
    } catch (const cg_dump::ReadError&) {
        // refused with a message: what bad input must get
    }
    try {
        cg_dump::ElfObject object = cg_dump::parse_elf_object(bytes);
        // The first few of each: a lookup by name searches them all.
        std::size_t count = std::min<std::size_t>(object.functions.size(), 16);
        for (std::size_t i = 0; i < count; ++i) {
            const cg_dump::ElfSymbol& function = object.functions[i];
            cg_dump::function_at(object, function.value);
            cg_dump::function_at(object, function.value + function.size);
            cg_dump::function_at(object, function.value - 1);
            cg_dump::find_symbol(object, function.name);
        }
        for (std::size_t i = 0; i < std::min<std::size_t>(object.objects.size(), 4); ++i)
            cg_dump::find_symbol(object, object.objects[i].name);
    } catch (const cg_dump::ReadError&) {
    }
    try {
        cg_dump::BareMemory memory(bytes);
        const std::vector<cg_dump::CoreThread> threads{{1, 0, 0x7ffe0000 - 0x1000}};
        cg_dump::Snapshot snapshot;
        cg_dump::read_generators({memory, cg_dump::BareMemory::base, 0, threads, size}, snapshot);
        std::ostringstream sink;
        cg_dump::print_summary(sink, snapshot);
        cg_dump::print_stats(sink, snapshot);
        cg_dump::print_json(sink, snapshot);
        if (!snapshot.sections.empty() && !snapshot.sections.front().records.empty())
            cg_dump::print_hex(sink, snapshot, snapshot.sections.front().records.front().id);
    } catch (const cg_dump::ReadError&) {
    }
    return 0;
}
