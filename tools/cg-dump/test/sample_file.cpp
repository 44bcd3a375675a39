// sample_file.cpp - the tests' own snapshot encoder and its sample file
// (sample_file.hpp).
#include "sample_file.hpp"

#include <algorithm>
#include <initializer_list>
#include <iterator>

namespace cg_dump_test {
namespace {

constexpr char magic[8] = {'C', 'G', 'S', 'N', 'A', 'P', '\x1a', '\n'};
constexpr std::uint32_t thrd = 'T' | 'H' << 8 | 'R' << 16 | 'D' << 24;
constexpr std::uint32_t complete = 1, thread_exited = 2; // section flags
constexpr std::uint16_t details = 1;                    // record flag
constexpr std::uint8_t not_started = 0, suspended = 1;  // states
constexpr std::uint8_t cpp = 0, c = 1;                  // kinds

struct Frame {
    std::uint64_t pc, sp, offset;
    std::string function;
};

struct Symbol {
    std::uint64_t address, offset;
    std::string function;
};

struct Generator {
    std::uint64_t id;
    std::uint8_t state, kind;
    std::uint16_t flags;
    std::string label;
    std::uint64_t slice_top = 0;
    std::uint32_t capacity = 0;
    std::uint64_t registers[6] = {};
    std::uint32_t mxcsr = 0;
    std::uint16_t x87_control = 0;
    std::string slice{};
    std::vector<Frame> frames{};
    std::vector<Symbol> symbols{};
};

void put_record(Encoder& out, const Generator& generator, std::size_t padding)
{
    out.mark("record_bytes");
    std::size_t start = out.size();
    out.put(std::uint32_t{0}); // record_bytes, patched below
    out.put(generator.id);
    out.put(generator.state);
    out.put(generator.kind);
    out.put(generator.flags);
    out.mark("label");
    out.string(generator.label);
    out.put(generator.slice_top);
    out.mark("slice_size");
    out.put(static_cast<std::uint32_t>(generator.slice.size()));
    out.put(generator.capacity);
    for (std::uint64_t value : generator.registers)
        out.put(value);
    out.put(generator.mxcsr);
    out.put(generator.x87_control);
    out.put(std::uint16_t{0});
    out.mark("slice");
    out.raw(generator.slice);
    out.mark("frame_count");
    out.put(static_cast<std::uint32_t>(generator.frames.size()));
    for (const Frame& frame : generator.frames) {
        out.put(frame.pc);
        out.put(frame.sp);
        out.put(frame.offset);
        out.mark("function");
        out.string(frame.function);
    }
    out.mark("symbol_count");
    out.put(static_cast<std::uint32_t>(generator.symbols.size()));
    for (const Symbol& symbol : generator.symbols) {
        out.put(symbol.address);
        out.put(symbol.offset);
        out.string(symbol.function);
    }
    out.raw(std::string(padding, '\x5a'));
    out.patch(start, static_cast<std::uint32_t>(out.size() - start - sizeof(std::uint32_t)));
}

/// `padding` after the first record of the section.
void put_section(Encoder& out, std::uint32_t thread, std::uint32_t flags, const std::vector<Generator>& generators,
                 std::size_t padding = 0)
{
    std::size_t start = out.size();
    out.mark("tag");
    out.put(thrd);
    out.put(thread);
    out.put(flags);
    out.mark("generator_count");
    out.put(static_cast<std::uint32_t>(generators.size()));
    out.mark("section_bytes");
    out.put(std::uint64_t{0}); // patched below
    std::size_t records = out.size();
    for (const Generator& generator : generators) {
        put_record(out, generator, padding);
        padding = 0;
    }
    out.patch(start + 16, static_cast<std::uint64_t>(out.size() - records));
}

std::string words(std::initializer_list<std::uint64_t> values)
{
    Encoder out;
    for (std::uint64_t value : values)
        out.put(value);
    return out.bytes();
}

Generator reader(const std::string& label)
{
    using namespace sample;
    Generator generator{0x1000, suspended, cpp, details, label};
    generator.slice_top = slice_top;
    generator.capacity = capacity;
    std::uint64_t registers[6] = {1, rbp, 3, 4, 5, 6};
    std::copy(std::begin(registers), std::end(registers), generator.registers);
    generator.mxcsr = 0x1f80;
    generator.x87_control = 0x37f;
    // The yield's return address; a pointer to slice+0x28; the generator's
    // own id; frame #1's return address; two plain words.
    generator.slice = words({waits_here, slice_bottom + 0x28, 0x1000, calls_it, 0, 0x123456789});
    generator.frames = {{waits_here, slice_bottom + 8, 0x10, "waits_here"},
                        {calls_it, slice_bottom + 32, 0x20, "calls_it"}};
    generator.symbols = {{waits_here, 0x10, "waits_here"}, {calls_it, 0x20, "calls_it"}};
    return generator;
}

} // namespace

SampleFile sample_file(const SampleOptions& options)
{
    Encoder out;
    out.raw(std::string_view(magic, sizeof magic));
    out.mark("version");
    out.put(std::uint32_t{1});
    out.mark("header_bytes");
    out.put(std::uint32_t{0}); // patched below
    out.put(sample::pid);
    out.put(sample::time_ns);
    out.mark("executable");
    out.string(sample::executable);
    out.string(sample::build_id);
    out.raw(std::string(options.header_padding, '\x5a'));
    out.patch(out.fields().at("header_bytes"), static_cast<std::uint32_t>(out.size()));
    std::vector<std::size_t> boundaries{out.size()};

    put_section(out, 1, complete, {reader(options.first_label), Generator{0x2000, not_started, c, 0, ""}},
                options.first_record_padding);
    boundaries.push_back(out.size());
    Generator exited{0x3000, suspended, cpp, details, sample::odd_label};
    exited.slice_top = 0x7ffd0000'2000;
    exited.capacity = 16;
    exited.slice = std::string(sample::exited_slice_size, '\x11');
    put_section(out, 2, complete | thread_exited, {exited});
    boundaries.push_back(out.size());
    put_section(out, 3, 0, {Generator{0x4000, suspended, cpp, 0, "silent"}});
    boundaries.push_back(out.size());
    return {out.bytes(), out.fields(), boundaries};
}

} // namespace cg_dump_test
