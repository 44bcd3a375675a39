// backtrace.cpp - a suspended generator's frames, unwound by libunwind from
// its slice buffer (backtrace.hpp).
#include "backtrace.hpp"

#include <dlfcn.h>
#include <link.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "control.hpp"
#include "demangle.hpp"
#include "memcheck.hpp"

// CG_HAVE_LIBUNWIND: set by meson.build (option libunwind).
#if CG_HAVE_LIBUNWIND
#include <libunwind.h> // the types and constants only: the functions come from dlopen
#endif

namespace cg::detail {

LoadedObjects::LoadedObjects()
{
    dl_iterate_phdr(
        [](dl_phdr_info* object, std::size_t, void* self) {
            auto& ranges = *static_cast<std::vector<Range>*>(self);
            static const std::uintptr_t page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
            for (int i = 0; i < object->dlpi_phnum; ++i) {
                const ElfW(Phdr)& segment = object->dlpi_phdr[i];
                if (segment.p_type != PT_LOAD)
                    continue;
                std::uintptr_t begin = object->dlpi_addr + segment.p_vaddr;
                // Mapped in whole pages: an aligned word near the end is readable.
                std::uintptr_t end = (begin + segment.p_memsz + page - 1) / page * page;
                ranges.push_back({begin, end, (segment.p_flags & PF_X) != 0});
            }
            return 0;
        },
        &ranges_);
}

bool LoadedObjects::readable(std::uintptr_t address) const noexcept
{
    return std::any_of(ranges_.begin(), ranges_.end(), [address](const Range& range) {
        return address >= range.begin && address <= range.end - 8;
    });
}

bool LoadedObjects::is_code(std::uintptr_t address) const noexcept
{
    return std::any_of(ranges_.begin(), ranges_.end(), [address](const Range& range) {
        return range.executable && address >= range.begin && address < range.end;
    });
}

#if CG_HAVE_LIBUNWIND

namespace {

/// The part of libunwind cg uses, from the library loaded privately.
struct Unwinder {
    unw_addr_space_t (*create_addr_space)(unw_accessors_t*, int);
    void (*destroy_addr_space)(unw_addr_space_t);
    int (*init_remote)(unw_cursor_t*, unw_addr_space_t, void*);
    int (*step)(unw_cursor_t*);
    int (*get_reg)(unw_cursor_t*, unw_regnum_t, unw_word_t*);
    unw_accessors_t* (*get_accessors)(unw_addr_space_t);
    unw_addr_space_t local; // the process itself: its lookups of unwind tables and symbols
};

const Unwinder* load_unwinder() noexcept
{
    void* library = dlopen(arch::libunwind_soname, RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr)
        return nullptr;
    auto* unwinder = new (std::nothrow) Unwinder;
    // libunwind's functions carry their CPU in their names (arch::libunwind_prefix).
    auto symbol = [library](const char* name) {
        return dlsym(library, (std::string(arch::libunwind_prefix) + name).c_str());
    };
    auto* local = static_cast<unw_addr_space_t*>(symbol("local_addr_space"));
    bool found = unwinder != nullptr && local != nullptr;
    auto bind = [&](auto& function, const char* name) {
        void* address = symbol(name);
        found = found && address != nullptr;
        function = reinterpret_cast<std::remove_reference_t<decltype(function)>>(address);
    };
    if (unwinder != nullptr) {
        bind(unwinder->create_addr_space, "create_addr_space");
        bind(unwinder->destroy_addr_space, "destroy_addr_space");
        bind(unwinder->init_remote, "init_remote");
        bind(unwinder->step, "step");
        bind(unwinder->get_reg, "get_reg");
        bind(unwinder->get_accessors, "get_accessors");
    }
    if (!found) {
        delete unwinder;
        dlclose(library);
        return nullptr;
    }
    unwinder->local = *local;
    return unwinder; // kept for the life of the process
}

const Unwinder* unwinder() noexcept
{
    static const Unwinder* const loaded = load_unwinder();
    return loaded;
}

/// What the accessors below read: the slice as it was at home, and the
/// registers as the yield left them.
struct SavedStack {
    const Unwinder* unwinder;
    const LoadedObjects* objects;
    std::uintptr_t bottom, top; // the slice's place in the home: [bottom, top)
    const unsigned char* bytes; // and its saved bytes
    cg_arch_link link;          // the link frame above it, as a resume writes it
    cg_arch_registers registers;
    arch::ResumePoint resume;
};

SavedStack& stack_of(void* arg) { return *static_cast<SavedStack*>(arg); }

unw_accessors_t* local_accessors(const SavedStack& stack)
{
    return stack.unwinder->get_accessors(stack.unwinder->local);
}

// Unwind tables are looked up, and symbols named, as for the process itself.
int find_proc_info(unw_addr_space_t, unw_word_t ip, unw_proc_info_t* info, int need_unwind_info, void* arg)
{
    const SavedStack& stack = stack_of(arg);
    return local_accessors(stack)->find_proc_info(stack.unwinder->local, ip, info, need_unwind_info, nullptr);
}

void put_unwind_info(unw_addr_space_t, unw_proc_info_t* info, void* arg)
{
    const SavedStack& stack = stack_of(arg);
    local_accessors(stack)->put_unwind_info(stack.unwinder->local, info, nullptr);
}

int get_dyn_info_list_addr(unw_addr_space_t, unw_word_t*, void*) { return -UNW_ENOINFO; }

// Memory: the slice from its buffer, the link frame as the trampoline
// writes it, the loaded objects (unwind tables) as they are; nothing else,
// so that a corrupt frame cannot make this read anywhere.
int access_mem(unw_addr_space_t, unw_word_t address, unw_word_t* value, int write, void* arg)
{
    const SavedStack& stack = stack_of(arg);
    if (write)
        return -UNW_EINVAL;
    if (address >= stack.bottom && address + sizeof *value <= stack.top) {
        std::memcpy(value, stack.bytes + (address - stack.bottom), sizeof *value);
        mark_inspected(value, sizeof *value);
    }
    else if (address >= stack.top && address + sizeof *value <= stack.top + sizeof stack.link)
        std::memcpy(value, reinterpret_cast<const char*>(&stack.link) + (address - stack.top), sizeof *value);
    else if (stack.objects->readable(address))
        std::memcpy(value, reinterpret_cast<const void*>(address), sizeof *value);
    else
        return -UNW_EINVAL;
    return 0;
}

int access_reg(unw_addr_space_t, unw_regnum_t reg, unw_word_t* value, int write, void* arg)
{
    const SavedStack& stack = stack_of(arg);
    if (write)
        return -UNW_EINVAL;
    if (reg == arch::dwarf_pc) {
        *value = stack.resume.pc;
        return 0;
    }
    if (reg == arch::dwarf_sp) {
        *value = stack.resume.sp;
        return 0;
    }
    for (const arch::SavedRegister& saved : arch::saved_registers)
        if (saved.dwarf == reg && saved.size == sizeof *value) {
            std::memcpy(value, reinterpret_cast<const char*>(&stack.registers) + saved.offset, sizeof *value);
            return 0;
        }
    return -UNW_EBADREG; // caller-saved: dead at the yield
}

int access_fpreg(unw_addr_space_t, unw_regnum_t, unw_fpreg_t*, int, void*) { return -UNW_EBADREG; }

int resume(unw_addr_space_t, unw_cursor_t*, void*) { return -UNW_EINVAL; }

int get_proc_name(unw_addr_space_t, unw_word_t ip, char* name, std::size_t size, unw_word_t* offset, void* arg)
{
    const SavedStack& stack = stack_of(arg);
    return local_accessors(stack)->get_proc_name(stack.unwinder->local, ip, name, size, offset, nullptr);
}

unw_accessors_t saved_stack_accessors = {&find_proc_info, &put_unwind_info, &get_dyn_info_list_addr,
                                         &access_mem,     &access_reg,      &access_fpreg,
                                         &resume,         &get_proc_name};

constexpr int max_frames = 256;

} // namespace

bool unwinder_available() noexcept { return unwinder() != nullptr; }

bool Symbolizer::name(std::uintptr_t pc, std::string& function, std::uintptr_t& offset)
{
    auto known = names_.find(pc);
    if (known == names_.end()) {
        const Unwinder* u = unwinder();
        char raw[1024];
        unw_word_t off = 0;
        std::pair<std::string, std::uintptr_t> answer;
        if (u != nullptr && u->get_accessors(u->local)->get_proc_name(u->local, pc, raw, sizeof raw, &off, nullptr) == 0)
            answer = {demangle(raw), off};
        known = names_.emplace(pc, std::move(answer)).first;
    }
    function = known->second.first;
    offset = known->second.second;
    return !function.empty();
}

std::vector<Frame> backtrace_of(const Control& generator, Symbolizer& symbols)
{
    std::vector<Frame> frames;
    const Unwinder* u = unwinder();
    if (u == nullptr || generator.head.slice_size == 0)
        return frames;
    const ControlHead& head = generator.head;
    auto top = reinterpret_cast<std::uintptr_t>(head.slice_top);
    auto bytes = reinterpret_cast<const unsigned char*>(slice_buffer(const_cast<Control&>(generator)));
    SavedStack stack{u,
                     &symbols.objects(),
                     top - head.slice_size,
                     top,
                     bytes,
                     arch::link_frame(reinterpret_cast<std::uintptr_t>(cg_arch_entry_return), 0),
                     generator.registers,
                     arch::resume_point(generator.registers, top - head.slice_size, bytes)};
    mark_inspected(&stack, sizeof stack); // the copies of the registers and of the resume point

    unw_addr_space_t space = u->create_addr_space(&saved_stack_accessors, 0);
    if (space == nullptr)
        return frames;
    unw_cursor_t cursor;
    if (u->init_remote(&cursor, space, &stack) == 0) {
        do {
            unw_word_t ip = 0, sp = 0;
            // UNW_REG_IP: the frame's pc as libunwind tracks it through steps (on
            // aarch64 that is x30's number; its pc register keeps the first frame's).
            if (u->get_reg(&cursor, UNW_REG_IP, &ip) != 0 || u->get_reg(&cursor, UNW_REG_SP, &sp) != 0 ||
                ip == reinterpret_cast<unw_word_t>(cg_arch_entry_return))
                break; // below the entry: the link frame, rewritten by every resume
            Frame& frame = frames.emplace_back();
            frame.pc = ip;
            frame.sp = sp;
            symbols.name(ip, frame.function, frame.offset);
        } while (frames.size() < max_frames && u->step(&cursor) > 0);
    }
    u->destroy_addr_space(space);
    return frames;
}

#else // no libunwind headers at build time: no backtraces

bool unwinder_available() noexcept { return false; }

bool Symbolizer::name(std::uintptr_t, std::string& function, std::uintptr_t& offset)
{
    function.clear();
    offset = 0;
    return false;
}

std::vector<Frame> backtrace_of(const Control&, Symbolizer&) { return {}; }

#endif

} // namespace cg::detail
