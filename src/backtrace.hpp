// backtrace.hpp - the frames of a suspended generator, read from its slice
// buffer as if the slice were at home, without resuming it.
//
// libunwind walks them: in an address space of its "remote" interface whose
// memory reads come from the slice buffer for addresses in the home, and
// from the process for its loaded code and unwind tables, and whose
// registers are those saved at the yield. libunwind is loaded on first use,
// privately (dlopen, RTLD_LOCAL): linked in, its own _Unwind_* functions
// could take the place of libgcc's for every C++ exception of the program.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <cg/inspect.hpp>

namespace cg::detail {

struct Control;

/// The address ranges of the program's loaded objects, taken once.
class LoadedObjects {
public:
    LoadedObjects();
    /// Whether the 8-byte word at `address` may be read: it lies in a
    /// loaded segment.
    bool readable(std::uintptr_t address) const noexcept;
    /// Whether `address` lies in an executable segment: code.
    bool is_code(std::uintptr_t address) const noexcept;

private:
    struct Range {
        std::uintptr_t begin, end;
        bool executable;
    };
    std::vector<Range> ranges_;
};

/// Names code addresses, remembering each answer: one per backtrace or
/// snapshot, where the same return addresses come back many times.
class Symbolizer {
public:
    /// The demangled name of the function holding `pc` and pc's offset in
    /// it; false if unknown (or libunwind is not available).
    bool name(std::uintptr_t pc, std::string& function, std::uintptr_t& offset);

    const LoadedObjects& objects() const noexcept { return objects_; }

private:
    LoadedObjects objects_;
    std::unordered_map<std::uintptr_t, std::pair<std::string, std::uintptr_t>> names_;
};

/// Whether libunwind could be loaded.
bool unwinder_available() noexcept;

/// The frames of a suspended generator of the calling thread, innermost
/// first, up to its entry. Empty if libunwind is not available.
std::vector<Frame> backtrace_of(const Control& generator, Symbolizer& symbols);

} // namespace cg::detail
