// elf_core.cpp - parsing a core file (elf_core.hpp).
//
// The notes the kernel (fs/binfmt_elf.c) and gcore write are C structs of
// the machine that dumped: struct elf_prstatus and elf_prpsinfo, whose
// layouts are the same on amd64 and aarch64 (both LP64 with 32-bit uid_t
// and pid_t) except for the registers in pr_reg. The offsets are written
// out here so that an aarch64 core reads the same on an amd64 host, and
// checked against <sys/procfs.h> where the host is one of the two.
#include "elf_core.hpp"

#include <algorithm>
#include <cstring>

#include "describe.hpp"
#include "snapshot_reader.hpp"

#if defined(__x86_64__) || defined(__aarch64__)
#include <sys/procfs.h>
#include <sys/user.h>

#include <cstddef>
#endif

namespace cg_dump {
namespace {

using elf::load;

// struct elf_prstatus: pr_info (struct elf_siginfo: si_signo, si_code,
// si_errno), pr_cursig (short), pr_sigpend, pr_sighold (unsigned long),
// pr_pid, ..., four struct timevals, then pr_reg.
constexpr std::size_t prstatus_signo = 0;
constexpr std::size_t prstatus_cursig = 12;
constexpr std::size_t prstatus_pid = 32;
constexpr std::size_t prstatus_reg = 112;

// struct elf_prpsinfo: four chars, pr_flag (unsigned long), pr_uid, pr_gid,
// pr_pid, pr_ppid, pr_pgrp, pr_sid, then pr_fname[16].
constexpr std::size_t prpsinfo_pid = 24;
constexpr std::size_t prpsinfo_fname = 40;
constexpr std::size_t prpsinfo_fname_bytes = 16;

/// Where pc and sp are among a machine's pr_reg words, and how many words
/// pr_reg has.
struct RegisterLayout {
    std::size_t words, pc, sp;
};
// amd64's struct user_regs_struct: r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax
// rcx rdx rsi rdi orig_rax rip cs eflags rsp ss fs_base gs_base ds es fs gs.
constexpr RegisterLayout x86_64_registers{27, 16, 19};
// aarch64's struct user_pt_regs: x0..x30, sp, pc, pstate.
constexpr RegisterLayout aarch64_registers{34, 32, 31};

#if defined(__x86_64__) || defined(__aarch64__)
static_assert(offsetof(elf_prstatus, pr_cursig) == prstatus_cursig);
static_assert(offsetof(elf_prstatus, pr_pid) == prstatus_pid);
static_assert(offsetof(elf_prstatus, pr_reg) == prstatus_reg);
static_assert(offsetof(elf_prpsinfo, pr_pid) == prpsinfo_pid);
static_assert(offsetof(elf_prpsinfo, pr_fname) == prpsinfo_fname);
static_assert(sizeof(elf_prpsinfo::pr_fname) == prpsinfo_fname_bytes);
#endif
#if defined(__x86_64__)
static_assert(sizeof(elf_gregset_t) == x86_64_registers.words * 8);
static_assert(offsetof(user_regs_struct, rip) == x86_64_registers.pc * 8);
static_assert(offsetof(user_regs_struct, rsp) == x86_64_registers.sp * 8);
#elif defined(__aarch64__)
static_assert(sizeof(elf_gregset_t) == aarch64_registers.words * 8);
static_assert(offsetof(user_regs_struct, pc) == aarch64_registers.pc * 8);
static_assert(offsetof(user_regs_struct, sp) == aarch64_registers.sp * 8);
#endif

/// NT_FILE: a u64 count and page size, count {start, end, page offset},
/// then count NUL-terminated paths.
constexpr std::uint64_t file_header_bytes = 16;
constexpr std::uint64_t file_entry_bytes = 24;

/// Reads the notes into `core`; the first of NT_PRPSINFO, NT_AUXV and
/// NT_FILE counts, every NT_PRSTATUS is a thread.
class NoteReader {
public:
    explicit NoteReader(CoreImage& core) : core_(core) {}

    void read(const elf::Note& note, const std::string& where)
    {
        // Other writers' notes ("LINUX": NT_X86_XSTATE, "GDB": the target
        // description) and the CORE notes not needed here are skipped.
        if (note.name != "CORE")
            return;
        switch (note.type) {
        case NT_PRSTATUS:
            read_prstatus(note.desc, where);
            break;
        case NT_PRPSINFO:
            if (!have_prpsinfo_)
                read_prpsinfo(note.desc, where);
            have_prpsinfo_ = true;
            break;
        case NT_AUXV:
            if (!have_auxv_)
                read_auxv(note.desc, where);
            have_auxv_ = true;
            break;
        case NT_FILE:
            if (!have_files_)
                read_files(note.desc, where);
            have_files_ = true;
            break;
        default:
            break;
        }
    }

    /// The process id when there was no NT_PRPSINFO: the first thread's.
    /// (Not first choice: a thread other than the main one may have
    /// dumped, and come first.)
    void finish()
    {
        if (!have_prpsinfo_ && !core_.threads.empty())
            core_.pid = core_.threads.front().tid;
    }

private:
    [[noreturn]] static void fail(const char* note, const std::string& where, const std::string& why)
    {
        throw ReadError(std::string(note) + " in " + where + ": " + why);
    }

    void read_prstatus(std::string_view desc, const std::string& where)
    {
        const RegisterLayout* layout = core_.machine == EM_X86_64    ? &x86_64_registers
                                       : core_.machine == EM_AARCH64 ? &aarch64_registers
                                                                     : nullptr;
        std::size_t needed = layout ? prstatus_reg + layout->words * 8 : prstatus_pid + 4;
        if (desc.size() < needed)
            fail("NT_PRSTATUS", where,
                 std::to_string(desc.size()) + " bytes, too few for " +
                     (layout ? "the registers of " + elf::machine_name(core_.machine) + ", which need " +
                                   std::to_string(needed)
                             : "pr_pid, which needs " + std::to_string(needed)));
        CoreThread thread;
        thread.tid = load<std::uint32_t>(desc, prstatus_pid);
        if (layout) {
            thread.pc = load<std::uint64_t>(desc, prstatus_reg + layout->pc * 8);
            thread.sp = load<std::uint64_t>(desc, prstatus_reg + layout->sp * 8);
        }
        if (core_.threads.empty()) {
            // Both hold the signal in cores the kernel writes; gcore
            // leaves pr_cursig 0 in some versions.
            int signal = load<std::int16_t>(desc, prstatus_cursig);
            core_.signal = signal != 0 ? signal : load<std::int32_t>(desc, prstatus_signo);
        }
        core_.threads.push_back(thread);
    }

    void read_prpsinfo(std::string_view desc, const std::string& where)
    {
        std::size_t needed = prpsinfo_fname + prpsinfo_fname_bytes;
        if (desc.size() < needed)
            fail("NT_PRPSINFO", where,
                 std::to_string(desc.size()) + " bytes, too few for pr_fname, which needs " + std::to_string(needed));
        core_.pid = load<std::uint32_t>(desc, prpsinfo_pid);
        std::string_view name = desc.substr(prpsinfo_fname, prpsinfo_fname_bytes);
        core_.command = name.substr(0, name.find('\0'));
    }

    void read_auxv(std::string_view desc, const std::string& where)
    {
        if (desc.size() % 16 != 0)
            fail("NT_AUXV", where,
                 std::to_string(desc.size()) + " bytes, not a whole number of 16-byte (type, value) entries");
        core_.auxv.reserve(desc.size() / 16);
        for (std::size_t at = 0; at < desc.size(); at += 16) {
            auto type = load<std::uint64_t>(desc, at);
            if (type == AT_NULL)
                break;
            core_.auxv.emplace_back(type, load<std::uint64_t>(desc, at + 8));
        }
    }

    void read_files(std::string_view desc, const std::string& where)
    {
        if (desc.size() < file_header_bytes)
            fail("NT_FILE", where,
                 std::to_string(desc.size()) + " bytes, too few for its count and page size (16 bytes)");
        auto count = load<std::uint64_t>(desc, 0);
        auto page_size = load<std::uint64_t>(desc, 8);
        // The entries must fit before anything is allocated for them; and
        // each path takes its NUL at least.
        std::uint64_t room = desc.size() - file_header_bytes;
        if (count > room / (file_entry_bytes + 1))
            fail("NT_FILE", where,
                 "count " + std::to_string(count) + " claims at least " + std::to_string(file_entry_bytes + 1) +
                     " bytes each, the note has " + std::to_string(room) + " after its header");
        std::uint64_t path_at = file_header_bytes + count * file_entry_bytes;
        core_.files.reserve(count);
        for (std::uint64_t i = 0; i < count; ++i) {
            std::uint64_t entry_at = file_header_bytes + i * file_entry_bytes;
            FileMapping mapping;
            mapping.start = load<std::uint64_t>(desc, entry_at);
            mapping.end = load<std::uint64_t>(desc, entry_at + 8);
            auto page_offset = load<std::uint64_t>(desc, entry_at + 16);
            auto which = [i] { return "mapping " + std::to_string(i); };
            if (mapping.end < mapping.start)
                fail("NT_FILE", where,
                     which() + " ends at " + hex(mapping.end) + ", before it starts at " + hex(mapping.start));
            // The kernel counts the offset in pages; gcore writes a page
            // size of 1 and the offset in bytes.
            if (__builtin_mul_overflow(page_offset, page_size, &mapping.file_offset))
                fail("NT_FILE", where,
                     which() + "'s file offset of " + std::to_string(page_offset) + " pages of " +
                         std::to_string(page_size) + " bytes is past 2^64");
            std::size_t nul = desc.find('\0', path_at);
            if (nul == std::string_view::npos)
                fail("NT_FILE", where,
                     which() + "'s path at offset " + std::to_string(path_at) + " of " + std::to_string(desc.size()) +
                         " has no terminating NUL");
            mapping.path = desc.substr(path_at, nul - path_at);
            path_at = nul + 1;
            core_.files.push_back(std::move(mapping));
        }
    }

    CoreImage& core_;
    bool have_prpsinfo_ = false;
    bool have_auxv_ = false;
    bool have_files_ = false;
};

} // namespace

CoreImage parse_core(std::string_view bytes)
{
    Elf64_Ehdr header = elf::read_header(bytes);
    if (header.e_type != ET_CORE)
        throw ReadError("not a core file: an ELF file of " + elf::type_name(header.e_type) + ", not ET_CORE (4)");
    CoreImage core;
    core.machine = header.e_machine;
    std::vector<Elf64_Phdr> program_headers = elf::read_program_headers(bytes, header);
    // Only checked: gdb writes section headers last, so a core cut short
    // loses them first, and is then refused like one that lost a segment.
    elf::read_section_headers(bytes, header);

    NoteReader notes(core);
    for (std::size_t i = 0; i < program_headers.size(); ++i) {
        const Elf64_Phdr& program = program_headers[i];
        if (program.p_type == PT_LOAD) {
            core.segments.push_back(elf::load_segment(program));
        } else if (program.p_type == PT_NOTE) {
            std::string where = "program header " + std::to_string(i);
            std::uint64_t alignment = program.p_align == 8 ? 8 : 4;
            for (const elf::Note& note : elf::read_notes(bytes, program.p_offset, program.p_filesz, alignment, where))
                notes.read(note, where);
        }
    }
    notes.finish();
    return core;
}

std::string_view dumped_at(const CoreImage& core, std::string_view bytes, std::uint64_t address) noexcept
{
    for (const CoreSegment& segment : core.segments) {
        // Checked by parse_core for the bytes it parsed; checked again for
        // a caller that passes others.
        if (address < segment.vaddr || address - segment.vaddr >= segment.filesz ||
            !elf::fits(segment.offset, segment.filesz, bytes.size()))
            continue;
        std::uint64_t into = address - segment.vaddr;
        return bytes.substr(segment.offset + into, segment.filesz - into);
    }
    return {};
}

bool read_core_memory(const CoreImage& core, std::string_view bytes, std::uint64_t address, void* out, std::size_t size)
{
    std::string_view dumped = dumped_at(core, bytes, address);
    if (dumped.size() < size || (size == 0 && dumped.empty()))
        return false;
    std::memcpy(out, dumped.data(), size);
    return true;
}

} // namespace cg_dump
