// sample_file.cpp - the tests' own snapshot encoder and its sample file
// (sample_file.hpp).
#include "sample_file.hpp"

#include <initializer_list>

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
    std::uint64_t resume_pc = 0, resume_sp = 0; // version 2 only
    std::vector<std::uint64_t> registers{};     // as the header names them; 0 where missing
    std::string slice{};
    std::vector<Frame> frames{};
    std::vector<Symbol> symbols{};
};

/// Version 1's fixed register fields: six words, then mxcsr, x87_control
/// and the unused u16.
void put_v1_registers(Encoder& out, const std::vector<std::uint64_t>& registers)
{
    auto value = [&](std::size_t i) { return i < registers.size() ? registers[i] : 0; };
    for (std::size_t i = 0; i < 6; ++i)
        out.put(value(i));
    out.put(static_cast<std::uint32_t>(value(6)));
    out.put(static_cast<std::uint16_t>(value(7)));
    out.put(std::uint16_t{0});
}

void put_record(Encoder& out, std::uint32_t version, std::size_t register_count, const Generator& generator,
                std::size_t padding)
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
    if (version == 1) {
        put_v1_registers(out, generator.registers);
    } else {
        out.mark("resume_pc");
        out.put(generator.resume_pc);
        out.put(generator.resume_sp);
        out.mark("registers");
        for (std::size_t i = 0; i < register_count; ++i)
            out.put(i < generator.registers.size() ? generator.registers[i] : std::uint64_t{0});
    }
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
void put_section(Encoder& out, std::uint32_t version, std::size_t register_count, std::uint32_t thread,
                 std::uint32_t flags, const std::vector<Generator>& generators, std::size_t padding = 0)
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
        put_record(out, version, register_count, generator, padding);
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

/// Generator 0x1000 as amd64 leaves it: the yield's return address at the
/// slice's bottom, frame #1's just below its sp, callee-saved registers
/// and the SSE and x87 control words in the control block.
Generator x86_64_reader(const std::string& label)
{
    using namespace sample;
    Generator generator{0x1000, suspended, cpp, details, label};
    generator.slice_top = slice_top;
    generator.capacity = capacity;
    generator.resume_pc = waits_here;
    generator.resume_sp = slice_bottom + 8;
    generator.registers = {1, rbp, 3, 4, 5, 6, mxcsr, x87_control};
    // The yield's return address; a pointer to slice+0x28; the generator's
    // own id; frame #1's return address; two plain words.
    generator.slice = words({waits_here, slice_bottom + 0x28, 0x1000, calls_it, 0, 0x123456789});
    generator.frames = {{waits_here, slice_bottom + 8, 0x10, "waits_here"},
                        {calls_it, slice_bottom + 32, 0x20, "calls_it"}};
    generator.symbols = {{waits_here, 0x10, "waits_here"}, {calls_it, 0x20, "calls_it"}};
    return generator;
}

/// Generator 0x1000 as aarch64 leaves it: the resume pc in x30 (not in the
/// slice), sp at the slice's bottom, where waits_here's frame record holds
/// the caller's x29 and x30.
Generator aarch64_reader(const std::string& label)
{
    using namespace sample;
    Generator generator{0x1000, suspended, cpp, details, label};
    generator.slice_top = slice_top;
    generator.capacity = capacity;
    generator.resume_pc = waits_here;
    generator.resume_sp = slice_bottom;
    // x19..x28 hold 0x19..0x28; x29 x30 sp; d8..d15 hold 1.0..8.0; fpcr.
    generator.registers = {0x19, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, x29, waits_here, slice_bottom,
                           d8, 0x4000000000000000, 0x4008000000000000, 0x4010000000000000, 0x4014000000000000,
                           0x4018000000000000, 0x401c000000000000, d15, fpcr};
    // waits_here's frame record: calls_it's x29 (its frame record, at
    // slice+0x20) and x30 (the return address into calls_it); two words of
    // waits_here's locals: the generator's own id and 0; calls_it's frame
    // record: x29 0 (the outermost frame) and an x30 no symbol names.
    generator.slice = words({slice_bottom + 0x20, calls_it, 0x1000, 0, 0, 0x123456789});
    generator.frames = {{waits_here, slice_bottom, 0x10, "waits_here"},
                        {calls_it, slice_bottom + 0x20, 0x20, "calls_it"}};
    generator.symbols = {{calls_it, 0x20, "calls_it"}};
    return generator;
}

} // namespace

SampleFile sample_file(const SampleOptions& options)
{
    std::uint32_t version = options.writer == Writer::x86_64_v1 ? 1 : 2;
    bool aarch64 = options.writer == Writer::aarch64;
    const std::vector<std::string>& register_names = aarch64 ? sample::aarch64_registers : sample::x86_64_registers;

    Encoder out;
    out.raw(std::string_view(magic, sizeof magic));
    out.mark("version");
    out.put(version);
    out.mark("header_bytes");
    out.put(std::uint32_t{0}); // patched below
    out.put(sample::pid);
    out.put(sample::time_ns);
    out.mark("executable");
    out.string(sample::executable);
    out.string(sample::build_id);
    if (version == 2) {
        out.mark("architecture");
        out.string(aarch64 ? "aarch64" : "x86_64");
        out.mark("register_count");
        out.put(static_cast<std::uint32_t>(register_names.size()));
        out.mark("register_name");
        for (const std::string& name : register_names)
            out.string(name);
    }
    out.raw(std::string(options.header_padding, '\x5a'));
    out.patch(out.fields().at("header_bytes"), static_cast<std::uint32_t>(out.size()));
    std::vector<std::size_t> boundaries{out.size()};

    std::size_t count = register_names.size();
    Generator reader = aarch64 ? aarch64_reader(options.first_label) : x86_64_reader(options.first_label);
    put_section(out, version, count, 1, complete, {reader, Generator{0x2000, not_started, c, 0, ""}},
                options.first_record_padding);
    boundaries.push_back(out.size());
    Generator exited{0x3000, suspended, cpp, details, sample::odd_label};
    exited.slice_top = sample::exited_slice_top;
    exited.capacity = 16;
    exited.slice = std::string(options.exited_slice_size, '\x11');
    // On amd64 the slice's first word (if it has one) and the sp above it;
    // on aarch64 x30 and sp, from the control block.
    std::uint64_t exited_bottom = sample::exited_slice_top - options.exited_slice_size;
    exited.resume_pc = aarch64 ? sample::waits_here : options.exited_slice_size >= 8 ? 0x1111111111111111 : 0;
    exited.resume_sp = exited_bottom + (aarch64 ? 0 : 8);
    put_section(out, version, count, 2, complete | thread_exited, {exited});
    boundaries.push_back(out.size());
    put_section(out, version, count, 3, 0, {Generator{0x4000, suspended, cpp, 0, "silent"}});
    boundaries.push_back(out.size());
    return {out.bytes(), out.fields(), boundaries};
}

} // namespace cg_dump_test
