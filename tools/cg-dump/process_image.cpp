// process_image.cpp - a dead process's memory and code (process_image.hpp).
#include "process_image.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "describe.hpp"
#include "snapshot_reader.hpp"

namespace cg_dump {
namespace {

std::optional<std::uint64_t> auxv_value(const CoreImage& core, std::uint64_t type)
{
    for (const auto& [entry_type, value] : core.auxv)
        if (entry_type == type)
            return value;
    return std::nullopt;
}

/// The process's page size: AT_PAGESZ if it is one, else the smallest
/// there is on amd64 and aarch64.
std::uint64_t page_size(const CoreImage& core)
{
    std::uint64_t size = auxv_value(core, AT_PAGESZ).value_or(0);
    return size >= 4096 && size <= (1 << 16) && (size & (size - 1)) == 0 ? size : 4096;
}

/// The path, as the core names it, of the main program: the file mapped
/// where the kernel says it put the program's headers (AT_PHDR), or its
/// entry point (AT_ENTRY).
std::optional<std::string> main_program_path(const CoreImage& core)
{
    for (std::uint64_t type : {AT_PHDR, AT_ENTRY}) {
        std::optional<std::uint64_t> address = auxv_value(core, type);
        if (!address)
            continue;
        for (const FileMapping& mapping : core.files)
            if (*address >= mapping.start && *address < mapping.end)
                return mapping.path;
    }
    return std::nullopt;
}

/// Whether a file's header says it is an executable or shared library for
/// `machine` in the only ELF flavour read (elf_file.hpp); the rest of it is
/// parse_elf_object's to check.
bool is_object_for(std::string_view bytes, std::uint16_t machine)
{
    if (bytes.size() < sizeof(Elf64_Ehdr) || std::memcmp(bytes.data(), ELFMAG, SELFMAG) != 0)
        return false;
    auto header = elf::load<Elf64_Ehdr>(bytes, 0);
    return header.e_ident[EI_CLASS] == ELFCLASS64 && header.e_ident[EI_DATA] == ELFDATA2LSB &&
           (header.e_type == ET_EXEC || header.e_type == ET_DYN) && header.e_machine == machine;
}

/// Runtime address minus file value for a file whose mappings are those of
/// core.files at `mappings`: where the segment that begins the file (the
/// one with p_offset 0, which holds the ELF header) was mapped, less its
/// page's address in the file. nullopt if no mapping of the file starts
/// with that segment.
std::optional<std::uint64_t> load_bias(const CoreImage& core, const std::vector<std::size_t>& mappings,
                                       const ElfObject& object, std::uint64_t page)
{
    const LoadSegment* first = nullptr;
    for (const LoadSegment& load : object.loads)
        if (first == nullptr || load.offset < first->offset)
            first = &load;
    if (first == nullptr)
        return std::nullopt;
    std::uint64_t file_page = first->offset & ~(page - 1);
    for (std::size_t i : mappings)
        if (core.files[i].file_offset == file_page)
            return core.files[i].start - (first->vaddr & ~(page - 1)); // modulo 2^64, as the loader adds it
    return std::nullopt;
}

} // namespace

ProcessImage::ProcessImage(const std::string& core_path, const std::string& executable)
    : core_file_(core_path), core_(parse_core(core_file_.bytes()))
{
    open_files(executable);
}

void ProcessImage::open_files(const std::string& executable)
{
    std::optional<std::string> main_path = main_program_path(core_);
    if (!executable.empty() && !main_path)
        throw ReadError(executable + ": cannot tell which of the core's mapped files is the main program "
                                     "(no mapping holds the auxiliary vector's AT_PHDR or AT_ENTRY)");

    // Each file's mappings, by path, in one pass (a core may name very many);
    // then the distinct files mapped from offset 0, main program first.
    std::unordered_map<std::string_view, std::vector<std::size_t>> mappings_of;
    for (std::size_t i = 0; i < core_.files.size(); ++i)
        mappings_of[core_.files[i].path].push_back(i);
    std::vector<std::string> paths;
    std::unordered_set<std::string_view> listed;
    if (main_path && mappings_of.count(*main_path) != 0) {
        paths.push_back(*main_path);
        listed.insert(mappings_of.find(*main_path)->first);
    }
    for (const FileMapping& mapping : core_.files)
        if (mapping.file_offset == 0 && listed.insert(mapping.path).second)
            paths.push_back(mapping.path);

    std::uint64_t page = page_size(core_);
    mapping_files_.assign(core_.files.size(), -1);
    for (const std::string& path : paths) {
        bool given = main_path && path == *main_path && !executable.empty();
        const std::string& opened = given ? executable : path;
        const std::vector<std::size_t>& mappings = mappings_of.find(path)->second;
        auto first_index = std::find_if(mappings.begin(), mappings.end(),
                                        [&](std::size_t i) { return core_.files[i].file_offset == 0; });
        const FileMapping* first = first_index == mappings.end() ? nullptr : &core_.files[*first_index];
        if (first == nullptr) {
            if (given)
                throw ReadError(opened + " does not match the core: the core maps no part of it from offset 0");
            continue; // a main program mapped from elsewhere: not an ELF object's mapping
        }

        auto file = std::make_unique<OpenedFile>();
        if (given) {
            try {
                file->bytes = MappedFile(opened);
            } catch (const ReadError& error) {
                throw ReadError(opened + ": " + error.what());
            }
        } else {
            // Only regular files are opened: a device (a GPU's, mapped at
            // offset 0) may do things when opened.
            struct stat status;
            if (::stat(opened.c_str(), &status) != 0) {
                missing_files_.push_back(path);
                continue;
            }
            if (!S_ISREG(status.st_mode))
                continue;
            try {
                file->bytes = MappedFile(opened);
            } catch (const ReadError&) {
                missing_files_.push_back(path);
                continue;
            }
        }
        std::string_view bytes = file->bytes.bytes();
        // A data file (a locale archive, a file the program mapped itself)
        // may have changed since without harm: only ELF files, as they are
        // now or as the core has them, must match.
        char magic[SELFMAG];
        bool core_has_elf = read_core_memory(core_, core_file_.bytes(), first->start, magic, sizeof magic) &&
                            std::memcmp(magic, ELFMAG, SELFMAG) == 0;
        if (core_has_elf || bytes.starts_with(std::string_view(ELFMAG, SELFMAG)))
            check_matches_core(*file, *first, opened);
        if (!is_object_for(bytes, core_.machine)) {
            if (given)
                throw ReadError(opened + ": not an ELF64 little-endian executable or shared library for " +
                                elf::machine_name(core_.machine) + ", the core's machine");
            continue; // data, or another machine's ELF file mapped as data
        }
        try {
            file->object = parse_elf_object(bytes);
        } catch (const ReadError& error) {
            throw ReadError(opened + ": " + error.what());
        }
        std::optional<std::uint64_t> bias = load_bias(core_, mappings, file->object, page);
        if (!bias) {
            if (given)
                throw ReadError(opened + " does not match the core: the core has no mapping of its first segment");
            continue;
        }

        file->bias = *bias;
        Module module{opened, *bias, &file->object, first->start, first->end};
        for (std::size_t i : mappings) {
            mapping_files_[i] = static_cast<std::ptrdiff_t>(files_.size());
            module.start = std::min(module.start, core_.files[i].start);
            module.end = std::max(module.end, core_.files[i].end);
        }
        files_.push_back(std::move(file));
        modules_.push_back(std::move(module));
        if (main_path && path == *main_path)
            has_main_program_ = true; // the first one: paths begins with it
    }
}

void ProcessImage::check_matches_core(const OpenedFile& file, const FileMapping& first,
                                      const std::string& shown_path) const
{
    // As much of the file's first page as the core holds: the kernel dumps
    // the first page of each mapped ELF file (coredump_filter's bit 4, set
    // by default), gcore too.
    std::uint64_t held = dumped_at(core_, core_file_.bytes(), first.start).size();
    std::string_view bytes = file.bytes.bytes();
    std::uint64_t compared = std::min({page_size(core_), held, std::uint64_t{bytes.size()}, first.end - first.start});
    if (compared == 0)
        return;
    std::string copy(compared, '\0');
    if (!read_core_memory(core_, core_file_.bytes(), first.start, copy.data(), copy.size()))
        return;
    auto [differs, unused] = std::mismatch(copy.begin(), copy.end(), bytes.begin());
    if (differs != copy.end())
        throw ReadError(shown_path + " does not match the core: byte " + std::to_string(differs - copy.begin()) +
                        " of its first " + std::to_string(compared) + " differs from the core's copy at " +
                        hex(first.start) + " (rebuilt since the core was written?)");
}

std::size_t ProcessImage::read_some(std::uint64_t address, char* out, std::size_t size) const
{
    if (std::string_view dumped = dumped_at(core_, core_file_.bytes(), address); !dumped.empty()) {
        std::size_t some = std::min(size, dumped.size());
        std::memcpy(out, dumped.data(), some);
        return some;
    }
    for (std::size_t i = 0; i < core_.files.size(); ++i) {
        const FileMapping& mapping = core_.files[i];
        if (mapping_files_[i] < 0 || address < mapping.start || address >= mapping.end)
            continue;
        // The file holds the bytes where a segment of it maps them; past
        // its filesz the loader put zeros (bss), and the core holds those
        // once written.
        const OpenedFile& file = *files_[static_cast<std::size_t>(mapping_files_[i])];
        std::uint64_t value = address - file.bias;
        std::string_view bytes = file.bytes.bytes();
        for (const LoadSegment& load : file.object.loads) {
            if (value < load.vaddr || value - load.vaddr >= load.filesz)
                continue;
            // Within the file: parse_elf_object checked the segment is.
            std::uint64_t into = value - load.vaddr;
            std::size_t some = static_cast<std::size_t>(
                std::min<std::uint64_t>({size, load.filesz - into, mapping.end - address}));
            std::memcpy(out, bytes.data() + load.offset + into, some);
            return some;
        }
    }
    return 0;
}

bool ProcessImage::read(std::uint64_t address, void* out, std::size_t size) const
{
    // Piece by piece: a range may span segments, such as a library's .bss
    // that begins in the last page of its file-backed data and goes on in
    // an anonymous mapping (two segments of the core).
    auto* to = static_cast<char*>(out);
    while (size > 0) {
        std::size_t some = read_some(address, to, size);
        if (some == 0)
            return false;
        address += some;
        to += some;
        size -= some;
    }
    return true;
}

const ProcessImage::Module* ProcessImage::module_at(std::uint64_t address) const noexcept
{
    for (const Module& module : modules_)
        if (address >= module.start && address < module.end)
            return &module;
    return nullptr;
}

std::optional<std::uint64_t> ProcessImage::symbol_address(std::string_view name) const
{
    for (const Module& module : modules_)
        if (std::optional<std::uint64_t> value = find_symbol(*module.object, name))
            return *value + module.bias;
    return std::nullopt;
}

bool ProcessImage::function_at(std::uint64_t address, std::string& name, std::uint64_t& offset) const
{
    const Module* module = module_at(address);
    if (module == nullptr)
        return false;
    std::uint64_t value = address - module->bias;
    const ElfSymbol* function = cg_dump::function_at(*module->object, value);
    if (function == nullptr)
        return false;
    name = function->name;
    offset = value - function->value;
    return true;
}

} // namespace cg_dump
