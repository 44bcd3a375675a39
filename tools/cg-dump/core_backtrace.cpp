// core_backtrace.cpp - unwinding a suspended generator of a core
// (core_backtrace.hpp). libunwind walks with accessors of ours: memory is
// the slice (read from the generator's buffer in the core), the link frame
// as the trampoline writes it, and the program's mapped files; unwind
// tables are found from each file's .eh_frame_hdr.
#include "core_backtrace.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "demangle.hpp"
#include "frame_layout.h" // arch/<cpu>/: the link frame, libunwind's numbers for pc and sp

// CG_DUMP_HAVE_LIBUNWIND: set by meson.build when libunwind-generic is found.
#if CG_DUMP_HAVE_LIBUNWIND
#include <libunwind.h>

// libunwind's search of a binary-search table (.eh_frame_hdr) in another
// address space: exported, though not declared by its headers.
extern "C" int UNW_OBJ(dwarf_search_unwind_table)(unw_addr_space_t space, unw_word_t ip, unw_dyn_info_t* table,
                                                  unw_proc_info_t* info, int need_unwind_info, void* arg);
#endif

namespace cg_dump {

bool name_code_address(const ProcessMemory& image, std::uint64_t address, std::string& function,
                       std::uint64_t& offset)
{
    std::string symbol;
    if (!image.function_at(address, symbol, offset))
        return false;
    function = cg::detail::demangle(std::move(symbol));
    return true;
}

#if CG_DUMP_HAVE_LIBUNWIND

namespace {

struct Walk {
    const ProcessMemory& image;
    const SuspendedStack& stack;
    cg_arch_link link;
};

Walk& walk_of(void* arg) { return *static_cast<Walk*>(arg); }

/// Reads a little-endian value of the dead process's memory.
template <class Integer>
bool read(const ProcessMemory& image, std::uint64_t address, Integer& value)
{
    return image.read(address, &value, sizeof value);
}

// The unwind table of the file mapped at ip: its .eh_frame_hdr's binary
// search table, when it has the usual encodings (as GNU ld writes it).
int find_proc_info(unw_addr_space_t space, unw_word_t ip, unw_proc_info_t* info, int need_unwind_info, void* arg)
{
    const ProcessMemory& image = walk_of(arg).image;
    const MappedModule* module = image.module_at(ip);
    if (module == nullptr || module->object->eh_frame_hdr == 0)
        return -UNW_ENOINFO;
    std::uint64_t header = module->object->eh_frame_hdr + module->bias;
    unsigned char encodings[4]; // version, eh_frame_ptr, fde_count, table
    std::uint32_t fde_count = 0;
    constexpr unsigned char udata4 = 0x03, datarel_sdata4 = 0x3b;
    if (!image.read(header, encodings, sizeof encodings) || encodings[0] != 1 || encodings[2] != udata4 ||
        encodings[3] != datarel_sdata4 || (encodings[1] & 0x0f) != 0x0b /* sdata4, as GNU ld writes it */ ||
        !read(image, header + 8, fde_count) || fde_count == 0)
        return -UNW_ENOINFO;
    unw_dyn_info_t table{};
    table.format = UNW_INFO_FORMAT_REMOTE_TABLE;
    table.start_ip = module->start;
    table.end_ip = module->end;
    table.u.rti.segbase = header;
    table.u.rti.table_data = header + 12;
    static_assert(sizeof(unw_word_t) == 8);
    table.u.rti.table_len = fde_count; // in words: each entry is two 4-byte offsets
    return UNW_OBJ(dwarf_search_unwind_table)(space, ip, &table, info, need_unwind_info, arg);
}

// libunwind frees the DWARF unwind info it makes itself.
void put_unwind_info(unw_addr_space_t, unw_proc_info_t*, void*) {}

int get_dyn_info_list_addr(unw_addr_space_t, unw_word_t*, void*) { return -UNW_ENOINFO; }

// The slice, the link frame above it, and the mapped files (unwind tables):
// nothing else, so that a corrupt frame cannot lead the walk into stale
// stack memory.
int access_mem(unw_addr_space_t, unw_word_t address, unw_word_t* value, int write, void* arg)
{
    const Walk& walk = walk_of(arg);
    const SuspendedStack& stack = walk.stack;
    if (write)
        return -UNW_EINVAL;
    if (address >= stack.bottom && address < stack.top && stack.top - address >= sizeof *value) {
        std::memcpy(value, stack.slice->data() + (address - stack.bottom), sizeof *value);
        return 0;
    }
    if (address >= stack.top && address - stack.top <= sizeof walk.link - sizeof *value) {
        std::memcpy(value, reinterpret_cast<const char*>(&walk.link) + (address - stack.top), sizeof *value);
        return 0;
    }
    if (walk.image.module_at(address) != nullptr && walk.image.read(address, value, sizeof *value))
        return 0;
    return -UNW_EINVAL;
}

int access_reg(unw_addr_space_t, unw_regnum_t reg, unw_word_t* value, int write, void* arg)
{
    const SuspendedStack& stack = walk_of(arg).stack;
    if (write)
        return -UNW_EINVAL;
    if (reg == cg::arch::dwarf_pc) {
        *value = stack.pc;
        return 0;
    }
    if (reg == cg::arch::dwarf_sp) {
        *value = stack.sp;
        return 0;
    }
    for (const auto& [number, saved] : stack.registers)
        if (number == reg) {
            *value = saved;
            return 0;
        }
    return -UNW_EBADREG; // caller-saved: dead at the yield
}

int access_fpreg(unw_addr_space_t, unw_regnum_t, unw_fpreg_t*, int, void*) { return -UNW_EBADREG; }

int resume(unw_addr_space_t, unw_cursor_t*, void*) { return -UNW_EINVAL; }

int get_proc_name(unw_addr_space_t, unw_word_t ip, char* name, std::size_t size, unw_word_t* offset, void* arg)
{
    std::string function;
    std::uint64_t into = 0;
    if (size == 0 || !walk_of(arg).image.function_at(ip, function, into))
        return -UNW_ENOINFO;
    std::size_t length = std::min(function.size(), size - 1);
    std::memcpy(name, function.data(), length);
    name[length] = '\0';
    *offset = into;
    return length == function.size() ? 0 : -UNW_ENOMEM;
}

unw_accessors_t core_accessors = {&find_proc_info, &put_unwind_info, &get_dyn_info_list_addr,
                                  &access_mem,     &access_reg,      &access_fpreg,
                                  &resume,         &get_proc_name};

/// As many as the library's own backtraces keep (src/backtrace.cpp).
constexpr std::size_t max_frames = 256;

} // namespace

std::vector<Frame> unwind_suspended(const ProcessMemory& image, const SuspendedStack& stack)
{
    std::vector<Frame> frames;
    if (stack.slice == nullptr || stack.top - stack.bottom != stack.slice->size())
        return frames;
    Walk walk{image, stack, cg::arch::link_frame(stack.entry_return, 0)};
    unw_addr_space_t space = unw_create_addr_space(&core_accessors, 0);
    if (space == nullptr)
        return frames;
    unw_cursor_t cursor;
    if (unw_init_remote(&cursor, space, &walk) == 0) {
        do {
            unw_word_t ip = 0, sp = 0;
            // UNW_REG_IP: the frame's pc as libunwind tracks it through steps.
            if (unw_get_reg(&cursor, UNW_REG_IP, &ip) != 0 || unw_get_reg(&cursor, UNW_REG_SP, &sp) != 0 ||
                ip == 0 || ip == stack.entry_return)
                break; // below the entry: the link frame, rewritten by every resume
            Frame& frame = frames.emplace_back();
            frame.pc = ip;
            frame.sp = sp;
            name_code_address(image, ip, frame.function, frame.offset);
        } while (frames.size() < max_frames && unw_step(&cursor) > 0);
    }
    unw_destroy_addr_space(space);
    return frames;
}

#else // no libunwind at build time: no frames

std::vector<Frame> unwind_suspended(const ProcessMemory&, const SuspendedStack&) { return {}; }

#endif

} // namespace cg_dump
