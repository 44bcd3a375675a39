// snapshot.cpp - encoding snapshots (snapshot.hpp, snapshot_format.hpp).
#include "snapshot.hpp"

#include <link.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <vector>

#include "control.hpp"
#include "memcheck.hpp"
#include "ops_table.hpp"
#include "snapshot_format.hpp"

namespace cg::detail {
namespace {

namespace format = cg::snapshot_format;

// Little-endian, unaligned, as the format says: as the CPUs cg runs on
// store them.
static_assert(std::endian::native == std::endian::little);
static_assert(std::size(arch::saved_registers) <= format::max_registers, "readers refuse more registers");

template <class Integer>
void put(std::string& out, Integer value)
{
    static_assert(std::is_integral_v<Integer>);
    char bytes[sizeof value];
    std::memcpy(bytes, &value, sizeof value);
    out.append(bytes, sizeof value);
}

void put_string(std::string& out, std::string_view text)
{
    text = text.substr(0, format::max_string_bytes);
    put(out, static_cast<std::uint32_t>(text.size()));
    out.append(text);
}

/// Overwrites the integer at `at` (a length known only once what it
/// measures is written).
template <class Integer>
void patch(std::string& out, std::size_t at, Integer value)
{
    std::memcpy(out.data() + at, &value, sizeof value);
}

std::string executable_path()
{
    char path[4096];
    ssize_t length = ::readlink("/proc/self/exe", path, sizeof path);
    return length > 0 ? std::string(path, static_cast<std::size_t>(length)) : std::string();
}

/// The main program's GNU build id, in hex.
std::string build_id()
{
    std::string hex;
    dl_iterate_phdr(
        [](dl_phdr_info* object, std::size_t, void* result) {
            auto& id = *static_cast<std::string*>(result);
            for (int i = 0; i < object->dlpi_phnum; ++i) {
                const ElfW(Phdr)& segment = object->dlpi_phdr[i];
                if (segment.p_type != PT_NOTE)
                    continue;
                auto* note = reinterpret_cast<const char*>(object->dlpi_addr + segment.p_vaddr);
                const char* end = note + segment.p_memsz;
                while (note + sizeof(ElfW(Nhdr)) <= end) {
                    auto* header = reinterpret_cast<const ElfW(Nhdr)*>(note);
                    const char* name = note + sizeof *header;
                    const char* desc = name + (header->n_namesz + 3) / 4 * 4;
                    if (header->n_type == NT_GNU_BUILD_ID && header->n_namesz == 4 &&
                        std::memcmp(name, "GNU", 4) == 0 && desc + header->n_descsz <= end) {
                        static const char digits[] = "0123456789abcdef";
                        for (std::size_t b = 0; b < header->n_descsz; ++b) {
                            auto byte = static_cast<unsigned char>(desc[b]);
                            id += digits[byte >> 4];
                            id += digits[byte & 15];
                        }
                        return 1;
                    }
                    note = desc + (header->n_descsz + 3) / 4 * 4;
                }
            }
            return 1; // the first object is the main program: look no further
        },
        &hex);
    return hex;
}

void append_record(std::string& out, const Control& generator, std::string_view label, Detail detail,
                   Symbolizer& symbols)
{
    std::size_t start = out.size();
    put(out, std::uint32_t{0}); // record_bytes, patched below
    put(out, static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(&generator)));
    State state = state_of(generator);
    bool details = detail == Detail::full && state == State::suspended;
    put(out, static_cast<std::uint8_t>(state));
    put(out, static_cast<std::uint8_t>(is_c_generator(generator.head) ? format::Kind::c : format::Kind::cpp));
    put(out, static_cast<std::uint16_t>(details ? format::record_details : 0));
    put_string(out, label);
    const ControlHead& head = generator.head;
    std::uint32_t slice_size = details ? head.slice_size : 0;
    const unsigned char* slice =
        details ? reinterpret_cast<const unsigned char*>(slice_buffer(const_cast<Control&>(generator))) : nullptr;
    put(out, static_cast<std::uint64_t>(details ? reinterpret_cast<std::uintptr_t>(head.slice_top) : 0));
    put(out, slice_size);
    put(out, details ? capacity_of(generator) : std::uint32_t{0});
    arch::ResumePoint resume{};
    if (details)
        resume = arch::resume_point(generator.registers, reinterpret_cast<std::uintptr_t>(slice_bottom(generator)),
                                    slice);
    put(out, resume.pc);
    put(out, resume.sp);
    for (const arch::SavedRegister& saved : arch::saved_registers) {
        std::uint64_t value = 0;
        if (details)
            std::memcpy(&value, reinterpret_cast<const char*>(&generator.registers) + saved.offset, saved.size);
        put(out, value);
    }
    std::size_t slice_at = out.size();
    out.append(reinterpret_cast<const char*>(slice), slice_size);
    mark_inspected(out.data() + start, out.size() - start); // registers and slice

    std::vector<Frame> frames = details ? backtrace_of(generator, symbols) : std::vector<Frame>();
    put(out, static_cast<std::uint32_t>(frames.size()));
    for (const Frame& frame : frames) {
        put(out, static_cast<std::uint64_t>(frame.pc));
        put(out, static_cast<std::uint64_t>(frame.sp));
        put(out, static_cast<std::uint64_t>(frame.offset));
        put_string(out, frame.function);
    }

    // Every word of the slice that points into code, named now: cg-dump
    // runs in another process, after this one may be gone.
    std::size_t symbol_count_at = out.size();
    put(out, std::uint32_t{0});
    std::uint32_t symbol_count = 0;
    for (std::uint32_t at = 0; at + 8 <= slice_size; at += 8) {
        std::uint64_t word;
        std::memcpy(&word, out.data() + slice_at + at, sizeof word); // out grows: no pointer kept
        std::string function;
        std::uintptr_t offset = 0;
        if (!symbols.objects().is_code(word) || !symbols.name(word, function, offset))
            continue;
        put(out, word);
        put(out, static_cast<std::uint64_t>(offset));
        put_string(out, function);
        ++symbol_count;
    }
    patch(out, symbol_count_at, symbol_count);
    patch(out, start, static_cast<std::uint32_t>(out.size() - start - sizeof(std::uint32_t)));
}

} // namespace

std::string snapshot_header(std::int64_t time_ns)
{
    std::string out(format::magic, sizeof format::magic);
    put(out, format::version);
    std::size_t header_bytes_at = out.size();
    put(out, std::uint32_t{0});
    put(out, static_cast<std::uint64_t>(::getpid()));
    put(out, time_ns);
    put_string(out, executable_path());
    put_string(out, build_id());
    put_string(out, arch::name);
    put(out, static_cast<std::uint32_t>(std::size(arch::saved_registers)));
    for (const arch::SavedRegister& saved : arch::saved_registers)
        put_string(out, saved.name);
    patch(out, header_bytes_at, static_cast<std::uint32_t>(out.size()));
    return out;
}

void append_section(std::string& out, const Registry& registry, Detail detail, Symbolizer& symbols)
{
    std::size_t start = out.size();
    bool exited = registry_thread_exited(registry);
    std::uint32_t flags = (detail == Detail::full ? format::section_complete : 0) |
                          (exited ? format::section_thread_exited : 0);
    put(out, format::section_tag);
    put(out, registry_thread(registry));
    put(out, flags);
    put(out, std::uint32_t{0}); // generator_count, patched below
    put(out, std::uint64_t{0}); // section_bytes, patched below
    // The generators first, then their records, once the walk of the slabs
    // is over: a record's backtrace may wait for the dynamic loader's lock,
    // which a thread may hold while it waits for the walk to end (a
    // library's constructor whose generator needs a new slab). The
    // registry's lock, held throughout, keeps them from being destroyed.
    std::vector<Control*> generators;
    for_each_generator_in(
        registry,
        [](Control& generator, void* list) { static_cast<std::vector<Control*>*>(list)->push_back(&generator); },
        &generators);
    for (Control* generator : generators)
        append_record(out, *generator, registry_label(registry, *generator), detail, symbols);
    auto count = static_cast<std::uint32_t>(generators.size());
    patch(out, start + 12, count);
    patch(out, start + 16, static_cast<std::uint64_t>(out.size() - start - format::section_header_bytes));
}

bool write_fully(int fd, const std::string& bytes) noexcept
{
    const char* rest = bytes.data();
    std::size_t left = bytes.size();
    while (left > 0) {
        ssize_t written = ::write(fd, rest, left);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            return false;
        rest += written;
        left -= static_cast<std::size_t>(written);
    }
    return true;
}

} // namespace cg::detail
