// memory_image.hpp - a process's generators laid out by hand in a run of
// bytes (bare_memory.hpp), with the layout this libcg's debug descriptor
// gives: what the tests of read_generators break field by field, and the
// seed of the fuzzer's walk (write_core_seeds.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace cg_dump_test {

/// Two threads' registries. Thread 1: "one/inline" suspended with a slice
/// in its inline bytes, "one/heap" suspended with a slice in a heap buffer
/// (a C generator), both listed by the registry (as control blocks too
/// large for a slab are), and one not started and unlabeled, in a slab.
/// Thread 2 (exited): "two/running" running (listed), one finished (in the
/// slab). The slab's other block is free.
struct MemoryImage {
    std::string bytes; ///< at BareMemory::base, the descriptor first
    // Offsets into bytes.
    std::size_t table = 0;
    std::size_t chunk = 0;
    std::size_t registries[2] = {};
    std::size_t generators[5] = {};
    std::size_t labels[3] = {};
    std::size_t heap_buffer = 0;
    std::size_t slab_list = 0;
    std::size_t slab = 0;
    // What the walk must find.
    static constexpr std::uint32_t inline_slice = 32, heap_slice = 96, heap_capacity = 128; // above every CPU's inline bytes
    static constexpr std::uint64_t inline_slice_top = 0x7fff0000, heap_slice_top = 0x7fff1000;
    static constexpr std::uint64_t running_home_top = 0x7ffe0000;
};

MemoryImage memory_image();

/// The address at `offset` into an image's bytes.
std::uint64_t address_in_image(std::size_t offset);

} // namespace cg_dump_test
