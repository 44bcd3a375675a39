// registry_layout.hpp - the data of the registries (registry.hpp): kept by
// registry.cpp, and described to debuggers by debug_descriptor.cpp, which
// needs the offsets of what a reader of a core file follows (cg/debug.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>
#include <unordered_map>

#include <cg/detail/runtime.hpp>

#include "spin_lock.hpp"

namespace cg::detail {

struct Control;

/// A generator's label. Its registry finds it by the generator (an index)
/// and a debugger by walking the registry's list of labels, so the text is
/// plain bytes, not a std::string whose layout is the C++ library's.
struct LabelEntry {
    LabelEntry* next = nullptr;
    LabelEntry* previous = nullptr;
    const Control* generator;
    char* text;
    std::uint32_t size;

    /// Throws std::bad_alloc.
    LabelEntry(const Control* labeled, std::string_view label);
    LabelEntry(const LabelEntry&) = delete;
    LabelEntry& operator=(const LabelEntry&) = delete;
    ~LabelEntry() { delete[] text; }

    std::string_view view() const noexcept { return {text, size}; }
    /// Throws std::bad_alloc, leaving the old text.
    void replace(std::string_view label);
};

struct Registry {
    SpinLock lock;
    // Guarded by lock, as are the links of the generators listed: those
    // whose control blocks are too large for a slab, linked through the
    // RegistryLinks before each (control_slab.hpp, unslabbed_prefix). The
    // others are found by walking the slabs.
    Control* first = nullptr;
    std::uint64_t generators = 0;    // guarded by lock: whose status names its thread
    LabelEntry* labels = nullptr;    // guarded by lock: every label of one of its generators
    bool orphaned = false;           // guarded by lock: its thread has exited (its thread_locals are going)
    bool released = false;           // guarded by lock: its thread is done with it (registry.cpp, release)
    std::uint32_t number;            // of its thread
    // Guarded by lock: the labels by generator. Few generators have one: an
    // index beside the list costs nothing to those that do not. Its nodes
    // stay put, so the list links the entries inside them.
    std::unordered_map<const Control*, LabelEntry> label_index;

    explicit Registry(std::uint32_t thread) noexcept : number(thread) {}
};

// Thread number -> its registry, in two levels so that the table costs
// nothing for numbers never given out. Entries are set by their own thread
// and cleared by whoever frees the registry (under the table's mutex); read
// without a lock only for a registry known to list a generator, which keeps
// it alive.
inline constexpr std::uint32_t chunk_bits = 15;
inline constexpr std::uint32_t chunk_size = 1u << chunk_bits;
static_assert(chunk_size * chunk_size >= unowned, "the table covers every thread number");
struct Chunk {
    std::atomic<Registry*> entries[chunk_size];
};
extern std::atomic<Chunk*> registry_table[chunk_size];

} // namespace cg::detail
