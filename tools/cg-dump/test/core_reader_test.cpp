// core_reader_test.cpp - the readers of core files and of the ELF files
// they map (elf_core.hpp, elf_object.hpp, process_image.hpp): on a core
// gcore wrote of a child forked from this process, checked against what
// this process knows of itself (the child has its addresses); on the
// tests' own sample cores and libraries (elf_samples.hpp); and on all of
// them cut short, broken field by field and mutated at random, which must
// each parse or be refused with a ReadError that says why, never crash.
#include <catch2/catch.hpp>

#include <elf.h>
#include <sys/auxv.h>
#include <unistd.h>

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core_of_child.hpp"
#include "core_snapshot.hpp"
#include "describe.hpp"
#include "elf_core.hpp"
#include "elf_object.hpp"
#include "elf_samples.hpp"
#include "mapped_file.hpp"
#include "process_image.hpp"
#include "run_program.hpp"
#include "snapshot_file.hpp"
#include "snapshot_reader.hpp"

using cg_dump::ReadError;
using cg_dump_test::put;
using cg_dump_test::SampleCore;
using cg_dump_test::SampleObject;
using cg_dump_test::SampleSymbol;
using cg_dump_test::TemporaryFile;
namespace core_sample = cg_dump_test::core_sample;
namespace object_sample = cg_dump_test::object_sample;

extern "C" {
/// Named in the core: the child is a fork of this process, so it has this
/// function at the same address.
[[gnu::noinline]] int cg_dump_core_test_function(int x) { return x * 3 + 1; }
/// Set before the fork, to a value the core must hold.
volatile std::uint64_t cg_dump_core_test_marker = 0;
}

namespace {

constexpr std::uint64_t marker_value = 0x6367'2d64'756d'7021; // "!pmud-gc"

#if defined(__x86_64__)
constexpr std::uint16_t host_machine = EM_X86_64;
#elif defined(__aarch64__)
constexpr std::uint16_t host_machine = EM_AARCH64;
#endif

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// The ReadError `parse` throws; "" if it does not.
std::string error_of(const std::function<void()>& parse)
{
    try {
        parse();
        return "";
    } catch (const ReadError& error) {
        return error.what();
    }
}

std::string core_error(std::string_view bytes)
{
    return error_of([bytes] { cg_dump::parse_core(bytes); });
}

std::string object_error(std::string_view bytes)
{
    return error_of([bytes] { cg_dump::parse_elf_object(bytes); });
}

std::uint64_t function_address() { return reinterpret_cast<std::uintptr_t>(&cg_dump_core_test_function); }
std::uint64_t marker_address() { return reinterpret_cast<std::uintptr_t>(&cg_dump_core_test_marker); }

/// This process's bytes at the test function, as the child had them.
std::string function_bytes(std::size_t count)
{
    std::string bytes(count, '\0');
    std::memcpy(bytes.data(), reinterpret_cast<const void*>(function_address()), count);
    return bytes;
}

std::string self_path()
{
    char path[4096];
    ssize_t length = ::readlink("/proc/self/exe", path, sizeof path);
    REQUIRE(length > 0);
    return std::string(path, static_cast<std::size_t>(length));
}

bool in_segment(const cg_dump::CoreImage& core, std::uint64_t address)
{
    return std::any_of(core.segments.begin(), core.segments.end(), [address](const cg_dump::CoreSegment& segment) {
        return address >= segment.vaddr && address - segment.vaddr < segment.memsz;
    });
}

bool in_file_mapping(const cg_dump::CoreImage& core, std::uint64_t address)
{
    return std::any_of(core.files.begin(), core.files.end(), [address](const cg_dump::FileMapping& mapping) {
        return address >= mapping.start && address < mapping.end;
    });
}

/// The lengths below `size` to cut a file at: all below 256, all in the
/// last 64 bytes, and about `steps` between.
std::vector<std::size_t> cuts(std::size_t size, std::size_t steps)
{
    std::vector<std::size_t> lengths;
    std::size_t step = std::max<std::size_t>(1, size / steps);
    for (std::size_t length = 0; length < size; length += length < 256 || length + 64 >= size ? 1 : step)
        lengths.push_back(length);
    return lengths;
}

/// Every cut of `bytes` is refused by `error` (at most a few that are not
/// are reported).
void check_cuts_refused(std::string_view bytes, std::size_t steps,
                        const std::function<std::string(std::string_view)>& error)
{
    std::vector<std::size_t> accepted;
    for (std::size_t length : cuts(bytes.size(), steps))
        if (error(bytes.substr(0, length)).empty() && accepted.size() < 8)
            accepted.push_back(length);
    CAPTURE(bytes.size(), accepted);
    CHECK(accepted.empty());
}

/// `rounds` copies of `bytes` with a few bytes changed at random (more often
/// in the first 512, where the headers are): each must parse or be refused
/// with a ReadError; what parses is read from.
void check_mutations(const std::string& bytes, int rounds, std::uint32_t seed)
{
    std::mt19937 random(seed);
    for (int round = 0; round < rounds; ++round) {
        std::string mutated = bytes;
        int changes = 1 + static_cast<int>(random() % 4);
        for (int i = 0; i < changes; ++i) {
            std::size_t range = random() % 2 == 0 ? std::min<std::size_t>(512, mutated.size()) : mutated.size();
            std::size_t at = random() % range;
            // A byte at random, or one of the values lengths and counts go
            // wrong with.
            static const unsigned char specials[] = {0x00, 0xff, 0x7f, 0x80, 0x01, 0x40};
            mutated[at] = static_cast<char>(random() % 2 == 0 ? random() : specials[random() % std::size(specials)]);
        }
        try {
            cg_dump::CoreImage core = cg_dump::parse_core(mutated);
            std::uint64_t word;
            for (const cg_dump::CoreThread& thread : core.threads)
                cg_dump::read_core_memory(core, mutated, thread.sp, &word, sizeof word);
        } catch (const ReadError& error) {
            CHECK(std::strlen(error.what()) > 0);
        }
        try {
            cg_dump::ElfObject object = cg_dump::parse_elf_object(mutated);
            for (const cg_dump::ElfSymbol& symbol : object.functions)
                cg_dump::function_at(object, symbol.value + 1);
        } catch (const ReadError& error) {
            CHECK(std::strlen(error.what()) > 0);
        }
    }
}

/// Why a core of a child of this process would not be a core of this
/// program as it runs natively; "" if it would.
std::string why_no_core_of_this_program()
{
    // AddressSanitizer reserves terabytes that gcore would write out.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return "built with a sanitizer, whose reserved memory would make a core of gigabytes";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
    return "built with a sanitizer, whose reserved memory would make a core of gigabytes";
#endif
#endif
    // Under valgrind the core would be of valgrind, running this program.
#if __has_include(<valgrind/valgrind.h>)
    if (RUNNING_ON_VALGRIND)
        return "running under valgrind: a core would be of valgrind";
#endif
    return "";
}

/// A core gcore wrote of a child forked from this process (after setting
/// the marker), shared by the tests and removed at exit; none if gcore
/// could not write it.
class RealCore {
public:
    RealCore()
    {
        why_ = why_no_core_of_this_program();
        if (!why_.empty())
            return;
        cg_dump_core_test_marker = marker_value;
        cg_dump_test::PausedChild child;
        std::string path = "/tmp/cg-dump-core-test-" + std::to_string(::getpid()) + ".core";
        why_ = cg_dump_test::write_core_with_gcore(child.pid(), path);
        if (!why_.empty())
            return;
        path_ = path;
        pid_ = static_cast<std::uint32_t>(child.pid());
        try {
            file_ = cg_dump::MappedFile(path_);
        } catch (const ReadError& error) {
            ::unlink(path_.c_str());
            path_.clear();
            why_ = std::string("cannot read the core gcore wrote: ") + error.what();
        }
    }
    ~RealCore()
    {
        if (!path_.empty())
            ::unlink(path_.c_str());
    }
    RealCore(const RealCore&) = delete;
    RealCore& operator=(const RealCore&) = delete;

    const std::string& path() const noexcept { return path_; }
    std::uint32_t pid() const noexcept { return pid_; }
    std::string_view bytes() const noexcept { return file_.bytes(); }

    /// The shared core; nullptr (with a warning: the test is skipped) if
    /// there is none.
    static const RealCore* get()
    {
        static RealCore core;
        if (core.path_.empty()) {
            WARN("skipped: no core of a real process: " << core.why_);
            return nullptr;
        }
        return &core;
    }

private:
    std::string path_;
    std::string why_;
    std::uint32_t pid_ = 0;
    cg_dump::MappedFile file_;
};

/// The path, as the core names it, of a file mapped from offset 0 other
/// than this program: a shared library ("" if none).
std::string some_library(const cg_dump::CoreImage& core)
{
    std::string self = self_path();
    for (const cg_dump::FileMapping& mapping : core.files)
        if (mapping.file_offset == 0 && mapping.path != self && has(mapping.path, ".so"))
            return mapping.path;
    return "";
}

std::string replace_all(std::string text, const std::string& from, const std::string& to)
{
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

/// The symbols of the sample library most tests use: functions with and
/// without sizes, two names at one address, the same symbol twice (as
/// .symtab and .dynsym both list it), and symbols that are not kept.
std::vector<SampleSymbol> sample_symbols()
{
    return {
        {"f1", 0x1000, 0x10},
        {"f2_alias", 0x1020, 0},
        {"f2", 0x1020, 0},
        {"f3", 0x1100, 0x20},
        {"resolver", 0x1150, 8, STT_GNU_IFUNC},
        {"g", 0x1180, 0},
        {"f1", 0x1000, 0x10}, // again
        {"undefined_function", 0, 0, STT_FUNC, STB_GLOBAL, SHN_UNDEF},
        {"GLIBC_2.2.5", 0, 0, STT_OBJECT, STB_GLOBAL, SHN_ABS},
        {"table", 0x1400, 64, STT_OBJECT},
        {"asm_label", 0x1050, 0, STT_NOTYPE, STB_LOCAL},
        {"$x", 0x1000, 0, STT_NOTYPE, STB_LOCAL},
        {"tls_variable", 0x10, 8, STT_TLS},
        {"", 0x1000, 0, STT_SECTION, STB_LOCAL},
    };
}

} // namespace

TEST_CASE("a core gcore wrote of a child of this process", "[core][real]")
{
    const RealCore* real = RealCore::get();
    if (real == nullptr)
        return;
    cg_dump::CoreImage core = cg_dump::parse_core(real->bytes());
    std::string self = self_path();

    SECTION("the process: machine, pid, command, threads, mapped files, auxiliary vector")
    {
        CHECK(core.machine == host_machine);
        CHECK(core.pid == real->pid());
        // The kernel writes the first 15 bytes of the name and a NUL, gdb
        // the first 16.
        std::string name = self.substr(self.rfind('/') + 1);
        CAPTURE(core.command, name);
        CHECK(name.rfind(core.command, 0) == 0);
        CHECK(core.command.size() >= std::min<std::size_t>(name.size(), 15));
        REQUIRE(core.threads.size() == 1);
        const cg_dump::CoreThread& thread = core.threads[0];
        CHECK(thread.tid == real->pid());
        CAPTURE(cg_dump::elf::machine_name(core.machine), thread.pc, thread.sp);
        // In pause(), in libc's code, which gcore leaves out of the core
        // as the kernel does (it is in the file).
        CHECK(in_file_mapping(core, thread.pc));
        CHECK(in_segment(core, thread.sp));
        CHECK(std::any_of(core.files.begin(), core.files.end(), [&](const cg_dump::FileMapping& mapping) {
            return mapping.path == self && mapping.file_offset == 0;
        }));
        CHECK(in_file_mapping(core, function_address()));
        // The child inherited this process's auxiliary vector.
        auto auxv = [&](std::uint64_t type) -> std::optional<std::uint64_t> {
            for (const auto& [entry_type, value] : core.auxv)
                if (entry_type == type)
                    return value;
            return std::nullopt;
        };
        CHECK(auxv(AT_PHDR) == ::getauxval(AT_PHDR));
        CHECK(auxv(AT_PAGESZ) == static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)));
        CHECK(auxv(AT_ENTRY) == ::getauxval(AT_ENTRY));
    }

    SECTION("the memory the core holds")
    {
        std::uint64_t marker = 0;
        REQUIRE(cg_dump::read_core_memory(core, real->bytes(), marker_address(), &marker, sizeof marker));
        CHECK(marker == marker_value);
        std::uint64_t word;
        CHECK(cg_dump::read_core_memory(core, real->bytes(), core.threads.at(0).sp, &word, sizeof word));
        CHECK_FALSE(cg_dump::read_core_memory(core, real->bytes(), 0, &word, sizeof word));
        CHECK_FALSE(cg_dump::read_core_memory(core, real->bytes(), UINT64_MAX - 3, &word, sizeof word));
    }

    SECTION("the process image: this program first, its symbols, memory, functions")
    {
        cg_dump::ProcessImage process(real->path());
        CHECK(process.missing_files().empty());
        REQUIRE_FALSE(process.modules().empty());
        const cg_dump::ProcessImage::Module& program = process.modules().front();
        CHECK(process.main_program() == &program);
        CHECK(program.path == self);
        CHECK(process.module_at(function_address()) == &program);
        CHECK(std::any_of(process.modules().begin(), process.modules().end(),
                          [](const cg_dump::ProcessImage::Module& module) { return has(module.path, "/libc.so"); }));

        CHECK(process.symbol_address("cg_dump_core_test_function") == function_address());
        CHECK(process.symbol_address("cg_dump_core_test_marker") == marker_address());
        CHECK(process.symbol_address("no such symbol anywhere") == std::nullopt);

        std::uint64_t marker = 0;
        REQUIRE(process.read(marker_address(), &marker, sizeof marker));
        CHECK(marker == marker_value);
        std::string code(16, '\0');
        REQUIRE(process.read(function_address(), code.data(), code.size()));
        CHECK(code == function_bytes(code.size()));

        std::string name;
        std::uint64_t offset = 0;
        REQUIRE(process.function_at(function_address() + 1, name, offset));
        CHECK(name == "cg_dump_core_test_function");
        CHECK(offset == 1);
        // Where the child waits: a function of libc's (pause, or what it calls).
        CHECK(process.function_at(core.threads.at(0).pc, name, offset));
        CHECK_FALSE(process.function_at(0, name, offset));
    }
}

TEST_CASE("a core without its memory is read from the mapped files", "[core][real]")
{
    const RealCore* real = RealCore::get();
    if (real == nullptr)
        return;
    TemporaryFile reduced(cg_dump_test::without_memory(real->bytes()));
    cg_dump::ProcessImage process(reduced.path());
    const cg_dump::CoreImage& core = process.core();
    CHECK(std::all_of(core.segments.begin(), core.segments.end(),
                      [](const cg_dump::CoreSegment& segment) { return segment.filesz == 0; }));
    CHECK(core.threads.size() == 1);
    CHECK(core.pid == real->pid());

    // Code is in the file; the marker, in .bss, only in the memory the
    // core no longer holds: it is not made up.
    std::string code(16, '\0');
    REQUIRE(process.read(function_address(), code.data(), code.size()));
    CHECK(code == function_bytes(code.size()));
    std::uint64_t marker = 0;
    CHECK_FALSE(process.read(marker_address(), &marker, sizeof marker));

    std::string name;
    std::uint64_t offset = 0;
    REQUIRE(process.function_at(function_address() + 2, name, offset));
    CHECK(name == "cg_dump_core_test_function");
    CHECK(offset == 2);
}

TEST_CASE("the executable given is read in place of the one the core names", "[core][real]")
{
    const RealCore* real = RealCore::get();
    if (real == nullptr)
        return;

    SECTION("a copy of the program")
    {
        TemporaryFile copy(cg_dump::read_snapshot_file(self_path()));
        cg_dump::ProcessImage process(real->path(), copy.path());
        REQUIRE_FALSE(process.modules().empty());
        CHECK(process.modules().front().path == copy.path());
        CHECK(process.symbol_address("cg_dump_core_test_function") == function_address());
    }

    SECTION("another ELF file does not match the core")
    {
        std::string library = some_library(cg_dump::parse_core(real->bytes()));
        REQUIRE_FALSE(library.empty());
        std::string error = error_of([&] { cg_dump::ProcessImage(real->path(), library); });
        CAPTURE(error);
        CHECK(error.rfind(library + " does not match the core: ", 0) == 0);
        CHECK(has(error, "(rebuilt since the core was written?)"));
    }

    SECTION("a file that is not there")
    {
        std::string error = error_of([&] { cg_dump::ProcessImage(real->path(), "/nonexistent/program"); });
        CHECK(error == "/nonexistent/program: cannot open: No such file or directory");
    }
}

TEST_CASE("a mapped file that is gone is listed as missing", "[core][real]")
{
    const RealCore* real = RealCore::get();
    if (real == nullptr)
        return;
    // The core without its memory holds the paths only in NT_FILE: one of
    // them renamed there names a file that is not there.
    std::string library = some_library(cg_dump::parse_core(real->bytes()));
    REQUIRE_FALSE(library.empty());
    std::string gone = library;
    gone.back() = gone.back() == 'X' ? 'Y' : 'X';
    TemporaryFile core(replace_all(cg_dump_test::without_memory(real->bytes()), library, gone));
    cg_dump::ProcessImage process(core.path());
    CHECK(process.missing_files() == std::vector<std::string>{gone});
    for (const cg_dump::ProcessImage::Module& module : process.modules()) {
        CHECK(module.path != gone);
        CHECK(module.path != library);
    }
    REQUIRE_FALSE(process.modules().empty());
    CHECK(process.modules().front().path == self_path());
}

TEST_CASE("the sample cores of amd64 and aarch64 read the same whatever the host", "[core]")
{
    std::uint16_t machine = GENERATE(std::uint16_t{EM_X86_64}, std::uint16_t{EM_AARCH64});
    CAPTURE(machine);
    SampleCore sample = cg_dump_test::sample_core(machine);
    cg_dump::CoreImage core = cg_dump::parse_core(sample.bytes);
    CHECK(core.machine == machine);
    CHECK(core.pid == core_sample::pid);
    CHECK(core.command == core_sample::command);
    CHECK(core.signal == core_sample::signal);
    REQUIRE(core.threads.size() == 2);
    CHECK(core.threads[0].tid == core_sample::tid);
    CHECK(core.threads[0].pc == core_sample::pc);
    CHECK(core.threads[0].sp == core_sample::sp);
    CHECK(core.threads[1].tid == core_sample::pid);
    CHECK(core.threads[1].pc == 0x5000);
    CHECK(core.threads[1].sp == 0x6000);
    CHECK(core.auxv ==
          std::vector<std::pair<std::uint64_t, std::uint64_t>>{{AT_PHDR, core_sample::phdr}, {AT_PAGESZ, 4096}});
    REQUIRE(core.files.size() == 1);
    CHECK(core.files[0].start == core_sample::mapping_start);
    CHECK(core.files[0].end == core_sample::mapping_end);
    CHECK(core.files[0].file_offset == 0);
    CHECK(core.files[0].path == core_sample::mapped_path);
    REQUIRE(core.segments.size() == 1);
    CHECK(core.segments[0].vaddr == core_sample::segment_address);
    CHECK(core.segments[0].memsz == core_sample::segment_bytes);
    CHECK(core.segments[0].filesz == core_sample::segment_bytes);
    CHECK(core.segments[0].flags == (PF_R | PF_W));

    // Byte i of the segment is i * 7.
    unsigned char bytes[8];
    REQUIRE(cg_dump::read_core_memory(core, sample.bytes, core_sample::segment_address + 100, bytes, 8));
    for (std::uint64_t i = 0; i < 8; ++i)
        CHECK(bytes[i] == static_cast<unsigned char>((100 + i) * 7));
    std::uint64_t end = core_sample::segment_address + core_sample::segment_bytes;
    CHECK(cg_dump::read_core_memory(core, sample.bytes, end - 8, bytes, 8));
    CHECK_FALSE(cg_dump::read_core_memory(core, sample.bytes, end - 7, bytes, 8));
    CHECK_FALSE(cg_dump::read_core_memory(core, sample.bytes, core_sample::segment_address - 1, bytes, 8));
    CHECK_FALSE(cg_dump::read_core_memory(core, sample.bytes, UINT64_MAX - 3, bytes, 8));
    // The bytes a caller passes are checked too.
    CHECK_FALSE(cg_dump::read_core_memory(core, std::string_view(sample.bytes).substr(0, 100),
                                          core_sample::segment_address, bytes, 8));
}

TEST_CASE("cores of other machines parse, without registers; the pid without NT_PRPSINFO", "[core]")
{
    SECTION("another machine")
    {
        cg_dump::CoreImage core = cg_dump::parse_core(cg_dump_test::sample_core(EM_RISCV).bytes);
        CHECK(core.machine == EM_RISCV);
        REQUIRE(core.threads.size() == 2);
        CHECK(core.threads[0].tid == core_sample::tid);
        CHECK(core.threads[0].pc == 0);
        CHECK(core.threads[0].sp == 0);
    }

    SECTION("the first thread's pid when there is no NT_PRPSINFO")
    {
        SampleCore sample = cg_dump_test::sample_core(EM_X86_64);
        std::string bytes = replace_all(sample.bytes, core_sample::command, "other-program!");
        // The NT_PRPSINFO note follows NT_PRSTATUS: its type becomes one
        // nobody reads.
        std::size_t prpsinfo = sample.prstatus_note + 12 + 8 + 336;
        REQUIRE(cg_dump::elf::load<std::uint32_t>(bytes, prpsinfo + 8) == NT_PRPSINFO);
        put(bytes, prpsinfo + 8, std::uint32_t{0x7777});
        cg_dump::CoreImage core = cg_dump::parse_core(bytes);
        CHECK(core.pid == core_sample::tid);
        CHECK(core.command.empty());
    }
}

TEST_CASE("a process image of a sample core and the library it maps", "[core]")
{
    TemporaryFile library(cg_dump_test::sample_object(sample_symbols()).bytes);
    TemporaryFile core(cg_dump_test::sample_core(EM_X86_64, library.path()).bytes);
    constexpr std::uint64_t bias = core_sample::mapping_start - object_sample::load_address;

    SECTION("the library as the main program: placed, its symbols, its bytes")
    {
        cg_dump::ProcessImage process(core.path());
        CHECK(process.missing_files().empty());
        REQUIRE(process.modules().size() == 1);
        const cg_dump::ProcessImage::Module& module = process.modules()[0];
        CHECK(module.path == library.path());
        CHECK(module.bias == bias);
        CHECK(module.start == core_sample::mapping_start);
        CHECK(module.end == core_sample::mapping_end);
        CHECK(process.module_at(core_sample::mapping_end) == nullptr);

        CHECK(process.symbol_address("f3") == 0x1100 + bias);
        CHECK(process.symbol_address("table") == 0x1400 + bias);
        CHECK(process.symbol_address("undefined_function") == std::nullopt);
        std::string name;
        std::uint64_t offset = 0;
        REQUIRE(process.function_at(core_sample::pc, name, offset)); // 0x1050 in the file
        CHECK(name == "f2");
        CHECK(offset == 0x30);

        // The file holds the first 64 bytes of the segment; past them the
        // memory was zeros, and the core does not have it.
        char magic[4];
        REQUIRE(process.read(core_sample::mapping_start, magic, sizeof magic));
        CHECK(std::string(magic, 4) == "\x7f"
                                       "ELF");
        CHECK(process.read(core_sample::mapping_start + 60, magic, sizeof magic));
        CHECK_FALSE(process.read(core_sample::mapping_start + 61, magic, sizeof magic));
        std::uint64_t word;
        CHECK(process.read(core_sample::segment_address, &word, sizeof word));
        CHECK_FALSE(process.read(core_sample::mapping_end, &word, sizeof word));

        // Moved, it keeps its files and what was parsed from them.
        cg_dump::ProcessImage moved = std::move(process);
        CHECK(moved.symbol_address("f3") == 0x1100 + bias);
        REQUIRE(moved.read(core_sample::mapping_start, magic, sizeof magic));
        CHECK(std::string(magic, 4) == "\x7f"
                                       "ELF");
    }

    SECTION("another library given as the executable")
    {
        std::vector<SampleSymbol> symbols{{"other_function", 0x1040, 0x40}};
        TemporaryFile other(cg_dump_test::sample_object(symbols).bytes);
        cg_dump::ProcessImage process(core.path(), other.path());
        REQUIRE(process.modules().size() == 1);
        CHECK(process.modules()[0].path == other.path());
        std::string name;
        std::uint64_t offset = 0;
        REQUIRE(process.function_at(core_sample::pc, name, offset));
        CHECK(name == "other_function");
        CHECK(offset == 0x10);
    }

    SECTION("a library of another machine is data, and refused as the executable")
    {
        TemporaryFile aarch64_core(cg_dump_test::sample_core(EM_AARCH64, library.path()).bytes);
        cg_dump::ProcessImage process(aarch64_core.path());
        CHECK(process.modules().empty());
        CHECK(process.missing_files().empty());
        std::string error = error_of([&] { cg_dump::ProcessImage(aarch64_core.path(), library.path()); });
        CHECK(error == library.path() +
                           ": not an ELF64 little-endian executable or shared library for EM_AARCH64 (183), the "
                           "core's machine");
    }

    SECTION("a file that is not there is missing")
    {
        TemporaryFile lost(cg_dump_test::sample_core(EM_X86_64).bytes);
        cg_dump::ProcessImage process(lost.path());
        CHECK(process.modules().empty());
        CHECK(process.main_program() == nullptr);
        CHECK(process.missing_files() == std::vector<std::string>{core_sample::mapped_path});
        std::uint64_t word;
        CHECK(process.read(core_sample::segment_address + 8, &word, sizeof word));
    }

    SECTION("a broken library is an error that names it")
    {
        SampleObject broken = cg_dump_test::sample_object(sample_symbols());
        put(broken.bytes, broken.symtab_header + offsetof(Elf64_Shdr, sh_link), std::uint32_t{99});
        TemporaryFile broken_file(broken.bytes);
        TemporaryFile broken_core(cg_dump_test::sample_core(EM_X86_64, broken_file.path()).bytes);
        std::string error = error_of([&] { cg_dump::ProcessImage process(broken_core.path()); });
        CHECK(error == broken_file.path() +
                           ": section 2 (.symtab) links to section 99 for its names, out of range (4 sections)");
    }

    SECTION("the core must be a regular file that is there")
    {
        CHECK(error_of([] { cg_dump::ProcessImage process("/tmp"); }) == "not a regular file");
        CHECK(error_of([] { cg_dump::ProcessImage process("/nonexistent/core"); }) ==
              "cannot open: No such file or directory");
        TemporaryFile empty;
        CHECK(error_of([&] { cg_dump::ProcessImage process(empty.path()); }) ==
              "not an ELF file (no ELF magic at offset 0)");
    }
}

TEST_CASE("an ELF file must match the core's copy of its first page; a data file need not", "[core]")
{
    SampleObject library = cg_dump_test::sample_object(sample_symbols());
    TemporaryFile library_file(library.bytes);
    TemporaryFile data_file("not an ELF file, and not what the core has");
    // The core's segment moved to where the file is mapped: the core has
    // the file's first page (the segment's bytes, or the library's).
    auto core_holding = [](const std::string& mapped, const std::string* first_bytes) {
        SampleCore sample = cg_dump_test::sample_core(EM_X86_64, mapped);
        put(sample.bytes, sample.load_header + offsetof(Elf64_Phdr, p_vaddr), core_sample::mapping_start);
        if (first_bytes != nullptr) {
            auto segment = cg_dump::elf::load<Elf64_Phdr>(sample.bytes, sample.load_header);
            sample.bytes.replace(segment.p_offset, first_bytes->size(), *first_bytes);
        }
        return sample.bytes;
    };

    SECTION("an ELF file that differs")
    {
        TemporaryFile core(core_holding(library_file.path(), nullptr));
        std::string error = error_of([&] { cg_dump::ProcessImage process(core.path()); });
        CHECK(error == library_file.path() + " does not match the core: byte 0 of its first " +
                           std::to_string(library.bytes.size()) +
                           " differs from the core's copy at 0x400000 (rebuilt since the core was written?)");
    }

    SECTION("an ELF file the same as the core's copy")
    {
        TemporaryFile core(core_holding(library_file.path(), &library.bytes));
        cg_dump::ProcessImage process(core.path());
        REQUIRE(process.modules().size() == 1);
        CHECK(process.modules()[0].path == library_file.path());
    }

    SECTION("a data file that differs")
    {
        TemporaryFile core(core_holding(data_file.path(), nullptr));
        cg_dump::ProcessImage process(core.path());
        CHECK(process.modules().empty());
        CHECK(process.missing_files().empty());
        // As the executable, it is refused.
        std::string error = error_of([&] { cg_dump::ProcessImage(core.path(), data_file.path()); });
        CHECK(error == data_file.path() +
                           ": not an ELF64 little-endian executable or shared library for EM_X86_64 (62), the core's "
                           "machine");
    }

    SECTION("a data file where the core has an ELF file's page")
    {
        TemporaryFile core(core_holding(data_file.path(), &library.bytes));
        std::string error = error_of([&] { cg_dump::ProcessImage process(core.path()); });
        CHECK(error.rfind(data_file.path() + " does not match the core: byte 0 of its first ", 0) == 0);
    }
}

TEST_CASE("broken cores are refused with a message", "[core][hostile]")
{
    SampleCore sample = cg_dump_test::sample_core(EM_X86_64);
    const std::string& good = sample.bytes;
    REQUIRE(core_error(good).empty());
    std::size_t load = sample.load_header;
    std::size_t note = sample.note_header;

    struct Case {
        const char* what;
        std::string bytes;
        std::string message;
    };
    auto with = [&good](std::size_t offset, auto value) {
        std::string bytes = good;
        put(bytes, offset, value);
        return bytes;
    };
    auto with_byte = [&good](std::size_t offset, unsigned char value) {
        std::string bytes = good;
        bytes[offset] = static_cast<char>(value);
        return bytes;
    };
    std::string self = cg_dump::read_snapshot_file(self_path());
    std::uint64_t file_size = good.size();
    std::vector<Case> cases{
        {"empty", "", "not an ELF file (no ELF magic at offset 0)"},
        {"the magic alone",
         "\x7f"
         "ELF",
         "truncated ELF header: 4 bytes, the identification needs 16"},
        {"ELFCLASS32", with_byte(EI_CLASS, ELFCLASS32),
         "not a 64-bit ELF file (class 1, ELFCLASS32): only ELF64 little-endian is read"},
        {"big-endian", with_byte(EI_DATA, ELFDATA2MSB),
         "not a little-endian ELF file (data encoding 2, ELFDATA2MSB): only ELF64 little-endian is read"},
        {"ET_EXEC", with(offsetof(Elf64_Ehdr, e_type), std::uint16_t{ET_EXEC}),
         "not a core file: an ELF file of ET_EXEC (2), not ET_CORE (4)"},
        {"this program", self, "not a core file: an ELF file of ET_"},
        {"a library", cg_dump_test::sample_object(sample_symbols()).bytes,
         "not a core file: an ELF file of ET_DYN (3), not ET_CORE (4)"},
        {"program header entries too small", with(offsetof(Elf64_Ehdr, e_phentsize), std::uint16_t{32}),
         "program header entries of 32 bytes, less than Elf64_Phdr's 56"},
        {"e_phnum huge", with(offsetof(Elf64_Ehdr, e_phnum), std::uint16_t{0xfffe}),
         "program headers (65534 of 56 bytes) reach past the end of the file (offset 0x40, 3669904 bytes, file " +
             std::to_string(file_size) + " bytes)"},
        {"e_phoff huge", with(offsetof(Elf64_Ehdr, e_phoff), std::uint64_t{UINT64_MAX - 8}),
         "program headers (2 of 56 bytes) reach past the end of the file (offset 0xfffffffffffffff7"},
        {"PN_XNUM without section headers", with(offsetof(Elf64_Ehdr, e_phnum), std::uint16_t{PN_XNUM}),
         "e_phnum is PN_XNUM, but there are no section headers to hold the count"},
        {"a segment past the end", with(load + offsetof(Elf64_Phdr, p_offset), std::uint64_t{file_size - 100}),
         "program header 1 points past the end of the file (offset " + cg_dump::hex(file_size - 100) +
             ", 4096 bytes, file " + std::to_string(file_size) + " bytes)"},
        {"a segment at 2^64 - 1", with(load + offsetof(Elf64_Phdr, p_offset), std::uint64_t{UINT64_MAX}),
         "program header 1 points past the end of the file (offset 0xffffffffffffffff, 4096 bytes"},
        {"a segment holding more than it maps", with(load + offsetof(Elf64_Phdr, p_memsz), std::uint64_t{100}),
         "program header 1 (PT_LOAD) holds 4096 bytes of the file but maps 100 bytes"},
        {"a segment past the end of the address space",
         with(load + offsetof(Elf64_Phdr, p_vaddr), std::uint64_t{UINT64_MAX - 100}),
         "program header 1 (PT_LOAD) of 4096 bytes at 0xffffffffffffff9b reaches past the end of the address space"},
        {"notes past the end", with(note + offsetof(Elf64_Phdr, p_filesz), std::uint64_t{file_size}),
         "program header 0 points past the end of the file"},
        {"a note's namesz huge", with(sample.prstatus_note, std::uint32_t{0xffffffff}),
         "note 0 (type 1) in program header 0 claims a name of 4294967295 bytes and a description of 336 bytes, "
         "past the end of its notes"},
        {"a note's descsz huge", with(sample.prstatus_note + 4, std::uint32_t{0xfffffff0}),
         "note 0 (type 1) in program header 0 claims a name of 5 bytes and a description of 4294967280 bytes"},
        {"amd64's NT_PRSTATUS in an aarch64 core", with(offsetof(Elf64_Ehdr, e_machine), std::uint16_t{EM_AARCH64}),
         "NT_PRSTATUS in program header 0: 336 bytes, too few for the registers of EM_AARCH64 (183), which need "
         "384"},
        {"NT_AUXV not in entries", with(sample.auxv_note + 4, std::uint32_t{46}),
         "NT_AUXV in program header 0: 46 bytes, not a whole number of 16-byte (type, value) entries"},
        {"NT_FILE count 2^60", with(sample.file_desc, std::uint64_t{1} << 60),
         "NT_FILE in program header 0: count 1152921504606846976 claims at least 25 bytes each, the note has "},
        {"NT_FILE count 3", with(sample.file_desc, std::uint64_t{3}),
         "NT_FILE in program header 0: count 3 claims at least 25 bytes each, the note has 60 after its header"},
        {"NT_FILE mapping ends before it starts", with(sample.file_desc + 24, std::uint64_t{0x1000}),
         "NT_FILE in program header 0: mapping 0 ends at 0x1000, before it starts at 0x400000"},
        {"NT_FILE offset past 2^64", with(sample.file_desc + 32, std::uint64_t{1} << 60),
         "NT_FILE in program header 0: mapping 0's file offset of 1152921504606846976 pages of 4096 bytes is past "
         "2^64"},
        {"NT_FILE path without its NUL",
         with_byte(sample.file_desc + 16 + 24 + std::strlen(core_sample::mapped_path), 'x'),
         "NT_FILE in program header 0: mapping 0's path at offset 40 of 76 has no terminating NUL"},
        // With e_shnum 0, the count is section 0's sh_size: past the end too.
        {"section headers past the end", with(offsetof(Elf64_Ehdr, e_shoff), std::uint64_t{file_size - 10}),
         "section header 0, which holds the section count, points past the end of the file (offset " +
             cg_dump::hex(file_size - 10) + ", 64 bytes, file " + std::to_string(file_size) + " bytes)"},
    };
    for (const Case& broken : cases) {
        INFO(broken.what);
        std::string error = core_error(broken.bytes);
        CAPTURE(error);
        CHECK(error.rfind(broken.message, 0) == 0);
    }
}

TEST_CASE("cores cut short are refused, and mutated ones parse or are refused", "[core][hostile]")
{
    std::string sample = cg_dump_test::sample_core(EM_X86_64).bytes;
    check_cuts_refused(sample, sample.size(), core_error);
    check_mutations(sample, 3000, 1);
    std::string aarch64 = cg_dump_test::sample_core(EM_AARCH64).bytes;
    check_mutations(aarch64, 1000, 2);

    const RealCore* real = RealCore::get();
    if (real == nullptr)
        return;
    check_cuts_refused(real->bytes(), 2000, core_error);
    std::string reduced = cg_dump_test::without_memory(real->bytes());
    REQUIRE(core_error(reduced).empty());
    check_cuts_refused(reduced, reduced.size(), core_error);
    check_mutations(reduced, 1000, 3);
}

TEST_CASE("a library: segments, build id, the symbols kept, functions by address", "[object]")
{
    cg_dump::ElfObject object = cg_dump::parse_elf_object(cg_dump_test::sample_object(sample_symbols()).bytes);
    CHECK(object.machine == EM_X86_64);
    CHECK(object.type == ET_DYN);
    REQUIRE(object.loads.size() == 1);
    CHECK(object.loads[0].vaddr == object_sample::load_address);
    CHECK(object.loads[0].memsz == object_sample::load_bytes);
    CHECK(object.loads[0].offset == 0);
    CHECK(object.loads[0].filesz == sizeof(Elf64_Ehdr));
    CHECK(object.loads[0].flags == (PF_R | PF_X));
    CHECK(object.eh_frame_hdr == object_sample::eh_frame_hdr);
    CHECK(object.eh_frame_hdr_size == object_sample::eh_frame_hdr_bytes);
    CHECK(object.build_id == object_sample::build_id);

    std::vector<std::string> functions, objects;
    for (const cg_dump::ElfSymbol& symbol : object.functions)
        functions.push_back(symbol.name);
    for (const cg_dump::ElfSymbol& symbol : object.objects)
        objects.push_back(symbol.name);
    CHECK(functions == std::vector<std::string>{"f1", "f2", "f2_alias", "f3", "resolver", "g"});
    CHECK(objects == std::vector<std::string>{"asm_label", "table"});

    CHECK(cg_dump::find_symbol(object, "f3") == 0x1100);
    CHECK(cg_dump::find_symbol(object, "table") == 0x1400);
    CHECK(cg_dump::find_symbol(object, "asm_label") == 0x1050);
    for (const char* absent : {"undefined_function", "GLIBC_2.2.5", "tls_variable", "$x", "", "f"})
        CHECK(cg_dump::find_symbol(object, absent) == std::nullopt);

    struct Expected {
        std::uint64_t value;
        const char* function; // nullptr: none
    };
    for (Expected expected : std::vector<Expected>{
             {0x0fff, nullptr},
             {0x1000, "f1"},
             {0x100f, "f1"},
             {0x1010, nullptr}, // past f1's size
             {0x1020, "f2"},    // of two names, the first
             {0x10ff, "f2"},    // no size: up to the next function
             {0x1100, "f3"},
             {0x111f, "f3"},
             {0x1120, nullptr},
             {0x1157, "resolver"},
             {0x1158, nullptr},
             {0x1180, "g"},
             {0x11ff, "g"}, // no size, the last: up to the end of its segment
             {0x1200, nullptr},
             {UINT64_MAX, nullptr},
         }) {
        CAPTURE(expected.value);
        const cg_dump::ElfSymbol* function = cg_dump::function_at(object, expected.value);
        if (expected.function == nullptr) {
            CHECK(function == nullptr);
        } else {
            REQUIRE(function != nullptr);
            CHECK(function->name == expected.function);
        }
    }
}

TEST_CASE("names longer than the longest kept are cut", "[object]")
{
    std::string longest(cg_dump::max_symbol_name_bytes, 'e');
    std::string longer(cg_dump::max_symbol_name_bytes + 1000, 'r');
    cg_dump::ElfObject object = cg_dump::parse_elf_object(
        cg_dump_test::sample_object({{longest, 0x1000, 0x10}, {longer, 0x1100, 0x10}}).bytes);
    REQUIRE(object.functions.size() == 2);
    CHECK(object.functions[0].name == longest);
    CHECK(object.functions[1].name == longer.substr(0, cg_dump::max_symbol_name_bytes));
}

TEST_CASE("this program read as a library", "[object]")
{
    std::string bytes = cg_dump::read_snapshot_file(self_path());
    cg_dump::ElfObject object = cg_dump::parse_elf_object(bytes);
    CHECK(object.machine == host_machine);
    CHECK((object.type == ET_DYN || object.type == ET_EXEC));
    CHECK_FALSE(object.loads.empty());
    CHECK(object.eh_frame_hdr != 0);
    if (object.build_id.empty())
        WARN("this program has no build id (linked without --build-id)");
    CHECK(object.build_id.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(object.build_id.size() % 2 == 0);
    CHECK(std::is_sorted(object.functions.begin(), object.functions.end(),
                         [](const cg_dump::ElfSymbol& a, const cg_dump::ElfSymbol& b) { return a.value < b.value; }));
    std::optional<std::uint64_t> value = cg_dump::find_symbol(object, "cg_dump_core_test_function");
    REQUIRE(value);
    const cg_dump::ElfSymbol* function = cg_dump::function_at(object, *value + 1);
    REQUIRE(function != nullptr);
    CHECK(function->name == "cg_dump_core_test_function");
    CHECK(cg_dump::find_symbol(object, "main").has_value());
    CHECK(cg_dump::find_symbol(object, "cg_dump_core_test_marker").has_value());
}

TEST_CASE("broken libraries are refused with a message", "[object][hostile]")
{
    SampleObject sample = cg_dump_test::sample_object(sample_symbols());
    const std::string& good = sample.bytes;
    REQUIRE(object_error(good).empty());
    auto with = [&good](std::size_t offset, auto value) {
        std::string bytes = good;
        put(bytes, offset, value);
        return bytes;
    };
    std::size_t symtab = sample.symtab_header;
    std::size_t strtab = sample.strtab_header;
    std::uint64_t file_size = good.size();
    std::size_t first_symbol = sample.symbols + sizeof(Elf64_Sym);

    // 2000 symbols named by one name of 4000 bytes: more names than the
    // file is large, many times over.
    std::vector<SampleSymbol> repeated(2000, SampleSymbol{"", 0x1000, 0});
    repeated[0].name = std::string(4000, 'n');
    SampleObject repeating = cg_dump_test::sample_object(repeated);
    for (std::size_t i = 1; i <= repeated.size(); ++i)
        put(repeating.bytes, repeating.symbols + i * sizeof(Elf64_Sym) + offsetof(Elf64_Sym, st_name),
            std::uint32_t{1});

    // The last name of the string table loses its NUL.
    SampleObject no_nul = cg_dump_test::sample_object({{"f1", 0x1000, 0x10}, {"last", 0x1100, 0x10}});
    no_nul.bytes[cg_dump::elf::load<Elf64_Shdr>(no_nul.bytes, no_nul.strtab_header).sh_offset + no_nul.strtab_bytes -
                 1] = 'x';

    struct Case {
        const char* what;
        std::string bytes;
        std::string message;
    };
    std::vector<Case> cases{
        {"a core", cg_dump_test::sample_core(EM_X86_64).bytes,
         "not an executable or shared library: an ELF file of ET_CORE (4)"},
        {"section headers past the end", with(offsetof(Elf64_Ehdr, e_shoff), std::uint64_t{file_size - 64}),
         "section headers (4 of 64 bytes) reach past the end of the file (offset " + cg_dump::hex(file_size - 64) +
             ", 256 bytes, file " + std::to_string(file_size) + " bytes)"},
        {"section headers at 2^64 - 1", with(offsetof(Elf64_Ehdr, e_shoff), std::uint64_t{UINT64_MAX}),
         "section headers (4 of 64 bytes) reach past the end of the file (offset 0xffffffffffffffff"},
        {"section header entries too small", with(offsetof(Elf64_Ehdr, e_shentsize), std::uint16_t{10}),
         "section header entries of 10 bytes, less than Elf64_Shdr's 64"},
        {"e_shnum 0 and a huge count in section 0", with(offsetof(Elf64_Ehdr, e_shnum), std::uint16_t{0}),
         "section headers (0 of 64 bytes)"},
        {"sh_link out of range", with(symtab + offsetof(Elf64_Shdr, sh_link), std::uint32_t{99}),
         "section 2 (.symtab) links to section 99 for its names, out of range (4 sections)"},
        {"sh_link to a section that is not a string table",
         with(symtab + offsetof(Elf64_Shdr, sh_link), std::uint32_t{1}),
         "section 2 (.symtab) links to section 1 for its names, which is not a string table (type 1)"},
        {"sh_entsize 0", with(symtab + offsetof(Elf64_Shdr, sh_entsize), std::uint64_t{0}),
         "section 2 (.symtab): symbol entries of 0 bytes, less than Elf64_Sym's 24"},
        {"a symbol count huge", with(symtab + offsetof(Elf64_Shdr, sh_size), std::uint64_t{24} << 56),
         "section 2 points past the end of the file"},
        {"the string table past the end", with(strtab + offsetof(Elf64_Shdr, sh_offset), std::uint64_t{file_size}),
         "section 3 points past the end of the file (offset " + cg_dump::hex(file_size) + ", " +
             std::to_string(sample.strtab_bytes) + " bytes"},
        {"st_name past the string table",
         with(first_symbol + offsetof(Elf64_Sym, st_name), std::uint32_t(sample.strtab_bytes + 5)),
         "section 2 (.symtab): symbol 1's name at offset " + std::to_string(sample.strtab_bytes + 5) +
             " is past the end of its string table (" + std::to_string(sample.strtab_bytes) + " bytes)"},
        {"a name without its NUL", no_nul.bytes,
         "section 2 (.symtab): symbol 2's name at offset 4 has no terminating NUL in its string table"},
        // A budget of 2^16 + 4 * 6001 bytes: 22 names of 4000 bytes fit.
        {"names repeated past the budget", repeating.bytes,
         "section 2 (.symtab): symbol 23's name overdraws the budget for names"},
        {"notes past the end", with(64 + sizeof(Elf64_Phdr) + offsetof(Elf64_Phdr, p_offset), std::uint64_t{file_size}),
         "program header 1 points past the end of the file"},
    };
    // Section 0's sh_size is the count when e_shnum is 0: make it huge.
    put(cases[4].bytes, cg_dump::elf::load<Elf64_Ehdr>(good, 0).e_shoff + offsetof(Elf64_Shdr, sh_size),
        std::uint64_t{1} << 40);
    cases[4].message = "section headers (1099511627776 of 64 bytes) reach past the end of the file";
    for (const Case& broken : cases) {
        INFO(broken.what);
        std::string error = object_error(broken.bytes);
        CAPTURE(error);
        CHECK(error.rfind(broken.message, 0) == 0);
    }
}

TEST_CASE("libraries cut short are refused, and mutated ones parse or are refused", "[object][hostile]")
{
    std::string sample = cg_dump_test::sample_object(sample_symbols()).bytes;
    check_cuts_refused(sample, sample.size(), object_error);
    check_mutations(sample, 3000, 4);
    std::string self = cg_dump::read_snapshot_file(self_path());
    check_cuts_refused(self, 2000, object_error);
}

TEST_CASE("the generators of a core: another CPU's core and a program without cg are refused", "[core]")
{
    TemporaryFile library(cg_dump_test::sample_object(sample_symbols()).bytes);
    SECTION("a core of the other CPU cg runs on")
    {
        std::uint16_t other = host_machine == EM_X86_64 ? EM_AARCH64 : EM_X86_64;
        TemporaryFile core(cg_dump_test::sample_core(other, library.path()).bytes);
        std::string error = error_of([&] { cg_dump::snapshot_from_core(cg_dump::ProcessImage(core.path()), 0); });
        INFO(error);
        CHECK(has(error, std::string("the core is of a program for ") +
                             (other == EM_X86_64 ? "EM_X86_64 (62)" : "EM_AARCH64 (183)")));
        CHECK(has(error, "use the cg-dump built for that CPU"));
    }
    SECTION("a core of this CPU, of a program without cg")
    {
        TemporaryFile core(cg_dump_test::sample_core(host_machine, library.path()).bytes);
        std::string error = error_of([&] { cg_dump::snapshot_from_core(cg_dump::ProcessImage(core.path()), 0); });
        INFO(error);
        CHECK(has(error, "no cg_debug_descriptor in the program or the libraries it mapped"));
    }
}
