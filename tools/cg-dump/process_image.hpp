// process_image.hpp - a dead process's memory and code: its core, and the
// executable and shared libraries it had mapped, opened where the core
// names them. Memory the core left out (code, read-only data) is read from
// those files; functions are named from their symbols.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "elf_core.hpp"
#include "elf_object.hpp"
#include "mapped_file.hpp"
#include "process_memory.hpp"

namespace cg_dump {

class ProcessImage : public ProcessMemory {
public:
    /// Maps and parses the core at `core_path` (which must be a regular
    /// file), then each distinct file of its NT_FILE that is mapped from
    /// offset 0 and is an ELF executable or shared library for the core's
    /// machine (others, such as locale archives, are data). The main program
    /// is the file whose mapping holds the auxiliary vector's AT_PHDR; if
    /// `executable` is not "", it is read in place of the file the core
    /// names for it (which then need not exist).
    ///
    /// A named file that cannot be opened is skipped and listed in
    /// missing_files(); one that is not a regular file is skipped. An ELF
    /// file whose first page differs from the core's copy of it (where the
    /// core has one) is an error: it is not what the process had mapped.
    ///
    /// Throws ReadError. A message about the core itself does not name it
    /// (the caller knows the path, as with a snapshot); one about another
    /// file begins with that file's path.
    explicit ProcessImage(const std::string& core_path, const std::string& executable = "");
    ProcessImage(ProcessImage&&) noexcept = default;
    ProcessImage& operator=(ProcessImage&&) noexcept = default;
    ProcessImage(const ProcessImage&) = delete;
    ProcessImage& operator=(const ProcessImage&) = delete;

    const CoreImage& core() const noexcept { return core_; }
    std::string_view core_bytes() const noexcept { return core_file_.bytes(); }

    /// Copies `size` bytes of the process's memory at `address`: each from
    /// what the core holds, else from the file mapped there if the file has
    /// it as contents of a segment (not bss, nor the other sections that
    /// follow a segment's end in its last page). false if a byte has
    /// neither.
    bool read(std::uint64_t address, void* out, std::size_t size) const override;

    using Module = MappedModule;
    /// The main program first (if it was found and read), then the others
    /// in NT_FILE's order.
    const std::vector<Module>& modules() const noexcept { return modules_; }
    /// The main program's module; nullptr if it is missing (or unknown).
    const Module* main_program() const noexcept { return has_main_program_ ? &modules_.front() : nullptr; }
    const Module* module_at(std::uint64_t address) const noexcept override;

    /// The runtime address of a defined symbol: the first module defining
    /// it, in modules() order.
    std::optional<std::uint64_t> symbol_address(std::string_view name) const;

    /// The (mangled) name of the function containing a runtime address, and
    /// the address's offset from its start. false if no module has one
    /// there.
    bool function_at(std::uint64_t address, std::string& name, std::uint64_t& offset) const override;

    /// The paths, as the core names them, of the files that could not be
    /// opened (deleted, moved, another machine's).
    const std::vector<std::string>& missing_files() const noexcept { return missing_files_; }

private:
    /// A file read for the mappings of one path; behind a pointer, so
    /// that Module::object stays put when the ProcessImage moves.
    struct OpenedFile {
        MappedFile bytes;
        ElfObject object;
        std::uint64_t bias = 0;
    };

    void open_files(const std::string& executable);
    /// Copies the bytes at `address` that one segment of the core, or else
    /// one segment of a mapped file, holds: at most `size`; 0 if none does.
    std::size_t read_some(std::uint64_t address, char* out, std::size_t size) const;
    void check_matches_core(const OpenedFile& file, const FileMapping& first, const std::string& shown_path) const;

    MappedFile core_file_;
    CoreImage core_;
    std::vector<std::unique_ptr<OpenedFile>> files_;
    /// For each of core_.files: the index in files_ of the file read for
    /// it, or -1.
    std::vector<std::ptrdiff_t> mapping_files_;
    std::vector<Module> modules_;
    std::vector<std::string> missing_files_;
    bool has_main_program_ = false;
};

} // namespace cg_dump
