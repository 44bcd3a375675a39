// elf_object.cpp - parsing an ELF executable or shared library
// (elf_object.hpp).
#include "elf_object.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <tuple>

#include "snapshot_reader.hpp"

namespace cg_dump {
namespace {

using elf::load;

std::string to_hex(std::string_view bytes)
{
    static const char digits[] = "0123456789abcdef";
    std::string text;
    text.reserve(bytes.size() * 2);
    for (char byte : bytes) {
        auto value = static_cast<unsigned char>(byte);
        text += digits[value >> 4];
        text += digits[value & 15];
    }
    return text;
}

/// The first NT_GNU_BUILD_ID of the notes at [offset, offset + size).
bool find_build_id(std::string_view bytes, std::uint64_t offset, std::uint64_t size, std::uint64_t align,
                   const std::string& where, std::string& build_id)
{
    for (const elf::Note& note : elf::read_notes(bytes, offset, size, align == 8 ? 8 : 4, where))
        if (note.name == "GNU" && note.type == NT_GNU_BUILD_ID) {
            build_id = to_hex(note.desc);
            return true;
        }
    return false;
}

/// A symbol that names a place in the file: not undefined, and not an
/// absolute value (such as glibc's version symbols, all at 0) nor a common
/// block, which have no place until linked.
bool defined(const Elf64_Sym& symbol)
{
    return symbol.st_shndx != SHN_UNDEF && symbol.st_shndx != SHN_ABS && symbol.st_shndx != SHN_COMMON;
}

/// Reads the symbols of symbol tables into an ElfObject, within a budget
/// for their names.
class SymbolReader {
public:
    SymbolReader(std::string_view bytes, const std::vector<Elf64_Shdr>& sections, ElfObject& object)
        : bytes_(bytes), sections_(sections), object_(object)
    {
    }

    void read_table(std::size_t index)
    {
        const Elf64_Shdr& table = sections_[index];
        std::string where = "section " + std::to_string(index) +
                            (table.sh_type == SHT_SYMTAB ? " (.symtab)" : " (.dynsym)");
        if (table.sh_entsize < sizeof(Elf64_Sym))
            throw ReadError(where + ": symbol entries of " + std::to_string(table.sh_entsize) +
                            " bytes, less than Elf64_Sym's " + std::to_string(sizeof(Elf64_Sym)));
        if (table.sh_link >= sections_.size())
            throw ReadError(where + " links to section " + std::to_string(table.sh_link) +
                            " for its names, out of range (" + std::to_string(sections_.size()) + " sections)");
        const Elf64_Shdr& strings = sections_[table.sh_link];
        if (strings.sh_type != SHT_STRTAB)
            throw ReadError(where + " links to section " + std::to_string(table.sh_link) +
                            " for its names, which is not a string table (type " + std::to_string(strings.sh_type) +
                            ")");
        // Both lie within the file (read_section_headers).
        std::string_view names = bytes_.substr(strings.sh_offset, strings.sh_size);
        // Names may be shared, but not so often that they take more than
        // a few times the string table: memory stays in proportion to the
        // file however many symbols name the same long string.
        name_budget_ += 4 * names.size();

        // Symbol 0 is the undefined symbol every table begins with.
        std::uint64_t count = table.sh_size / table.sh_entsize;
        for (std::uint64_t i = 1; i < count; ++i) {
            auto symbol = load<Elf64_Sym>(bytes_, table.sh_offset + i * table.sh_entsize);
            if (!defined(symbol))
                continue;
            unsigned char type = ELF64_ST_TYPE(symbol.st_info);
            std::vector<ElfSymbol>* list = type == STT_FUNC || type == STT_GNU_IFUNC  ? &object_.functions
                                           : type == STT_OBJECT || type == STT_NOTYPE ? &object_.objects
                                                                                      : nullptr;
            if (list == nullptr)
                continue; // sections, files, TLS offsets
            std::string_view name = name_of(symbol, names, where, i);
            // A label without a name, or one of the mapping symbols ($x,
            // $d) and local labels (.L) that name no function or object.
            if (type == STT_NOTYPE && (name.empty() || name[0] == '$' || name.starts_with(".L")))
                continue;
            if (name.size() > name_budget_)
                throw ReadError(where + ": symbol " + std::to_string(i) +
                                "'s name overdraws the budget for names, four times the string tables' bytes: "
                                "too many symbols share long names");
            name_budget_ -= name.size();
            list->push_back({symbol.st_value, symbol.st_size, std::string(name)});
        }
    }

private:
    static std::string_view name_of(const Elf64_Sym& symbol, std::string_view names, const std::string& where,
                                    std::uint64_t index)
    {
        if (symbol.st_name >= names.size())
            throw ReadError(where + ": symbol " + std::to_string(index) + "'s name at offset " +
                            std::to_string(symbol.st_name) + " is past the end of its string table (" +
                            std::to_string(names.size()) + " bytes)");
        // The NUL is looked for no further than the longest name kept:
        // many symbols naming one long string cost no more than short ones.
        std::string_view rest = names.substr(symbol.st_name);
        std::size_t length = rest.substr(0, max_symbol_name_bytes + 1).find('\0');
        if (length != std::string_view::npos)
            return rest.substr(0, length);
        if (rest.size() > max_symbol_name_bytes)
            return rest.substr(0, max_symbol_name_bytes); // cut (its NUL is not checked for)
        throw ReadError(where + ": symbol " + std::to_string(index) + "'s name at offset " +
                        std::to_string(symbol.st_name) + " has no terminating NUL in its string table");
    }

    std::string_view bytes_;
    const std::vector<Elf64_Shdr>& sections_;
    ElfObject& object_;
    std::uint64_t name_budget_ = 1 << 16;
};

/// Sorted by value and name, each value and name once (.symtab and
/// .dynsym both list what a library exports); of two the same, the one
/// with a size.
void sort_symbols(std::vector<ElfSymbol>& symbols)
{
    std::sort(symbols.begin(), symbols.end(), [](const ElfSymbol& a, const ElfSymbol& b) {
        return std::tie(a.value, a.name, b.size) < std::tie(b.value, b.name, a.size);
    });
    auto end = std::unique(symbols.begin(), symbols.end(), [](const ElfSymbol& a, const ElfSymbol& b) {
        return a.value == b.value && a.name == b.name;
    });
    symbols.erase(end, symbols.end());
}

} // namespace

ElfObject parse_elf_object(std::string_view bytes)
{
    Elf64_Ehdr header = elf::read_header(bytes);
    if (header.e_type != ET_EXEC && header.e_type != ET_DYN)
        throw ReadError("not an executable or shared library: an ELF file of " + elf::type_name(header.e_type));
    ElfObject object;
    object.machine = header.e_machine;
    object.type = header.e_type;

    bool have_build_id = false;
    std::vector<Elf64_Phdr> program_headers = elf::read_program_headers(bytes, header);
    for (std::size_t i = 0; i < program_headers.size(); ++i) {
        const Elf64_Phdr& program = program_headers[i];
        if (program.p_type == PT_LOAD) {
            object.loads.push_back(elf::load_segment(program));
        } else if (program.p_type == PT_GNU_EH_FRAME) {
            object.eh_frame_hdr = program.p_vaddr;
            object.eh_frame_hdr_size = program.p_memsz;
        } else if (program.p_type == PT_NOTE && !have_build_id) {
            have_build_id = find_build_id(bytes, program.p_offset, program.p_filesz, program.p_align,
                                          "program header " + std::to_string(i), object.build_id);
        }
    }

    std::vector<Elf64_Shdr> sections = elf::read_section_headers(bytes, header);
    SymbolReader symbols(bytes, sections, object);
    for (std::size_t i = 0; i < sections.size(); ++i) {
        const Elf64_Shdr& section = sections[i];
        if (section.sh_type == SHT_SYMTAB || section.sh_type == SHT_DYNSYM)
            symbols.read_table(i);
        // A file without program headers' notes (a separate debug file's
        // may be empty) may still have the note section.
        else if (section.sh_type == SHT_NOTE && !have_build_id)
            have_build_id = find_build_id(bytes, section.sh_offset, section.sh_size, section.sh_addralign,
                                          "section " + std::to_string(i), object.build_id);
    }
    sort_symbols(object.functions);
    sort_symbols(object.objects);
    return object;
}

std::optional<std::uint64_t> find_symbol(const ElfObject& object, std::string_view name)
{
    for (const std::vector<ElfSymbol>* list : {&object.functions, &object.objects})
        for (const ElfSymbol& symbol : *list)
            if (symbol.name == name)
                return symbol.value;
    return std::nullopt;
}

const ElfSymbol* function_at(const ElfObject& object, std::uint64_t value)
{
    const std::vector<ElfSymbol>& functions = object.functions;
    // The functions starting at the highest value at or below `value`:
    // [first, last).
    auto last = std::upper_bound(functions.begin(), functions.end(), value,
                                 [](std::uint64_t v, const ElfSymbol& symbol) { return v < symbol.value; });
    if (last == functions.begin())
        return nullptr;
    std::uint64_t start = std::prev(last)->value;
    auto first = std::lower_bound(functions.begin(), last, start,
                                  [](const ElfSymbol& symbol, std::uint64_t v) { return symbol.value < v; });
    for (auto symbol = first; symbol != last; ++symbol)
        if (symbol->size != 0 && value - start < symbol->size)
            return &*symbol;

    // One without a size reaches to the next function, and not past the
    // end of its segment (the last function of a file).
    auto unsized = std::find_if(first, last, [](const ElfSymbol& symbol) { return symbol.size == 0; });
    if (unsized == last)
        return nullptr;
    bool bounded = last != functions.end(); // and last starts above value
    for (const LoadSegment& load : object.loads)
        if (start >= load.vaddr && start - load.vaddr < load.memsz) {
            if (value - load.vaddr >= load.memsz)
                return nullptr;
            bounded = true;
            break;
        }
    return bounded ? &*unsized : nullptr;
}

} // namespace cg_dump
