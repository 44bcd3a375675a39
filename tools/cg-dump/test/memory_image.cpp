// memory_image.cpp - generators laid out by hand (memory_image.hpp).
#include "memory_image.hpp"

#include <cg/debug.h>

#include <cstring>
#include <string_view>

#include "bare_memory.hpp"

namespace cg_dump_test {
namespace {

template <class T>
void put(std::string& bytes, std::size_t offset, T value)
{
    std::memcpy(bytes.data() + offset, &value, sizeof value);
}

/// A label entry with its text, linked after `next` (0: the last).
void put_label(std::string& bytes, const cg_debug_descriptor_t& d, std::size_t entry, std::size_t text,
               std::uint64_t generator, std::string_view label, std::uint64_t next)
{
    bytes.replace(text, label.size(), label);
    put(bytes, entry + d.label_next, next);
    put(bytes, entry + d.label_generator, generator);
    put(bytes, entry + d.label_text, address_in_image(text));
    put(bytes, entry + d.label_size, static_cast<std::uint32_t>(label.size()));
}

} // namespace

std::uint64_t address_in_image(std::size_t offset) { return cg_dump::BareMemory::base + offset; }

MemoryImage memory_image()
{
    const cg_debug_descriptor_t& real = cg_debug_descriptor;
    MemoryImage image;
    std::string& bytes = image.bytes;
    bytes.assign(9216, '\0');
    constexpr std::size_t control_bytes = 512; // more than a control block on any CPU
    image.table = 1024;
    image.chunk = 1088;
    image.registries[0] = 1152;
    image.registries[1] = 1280;
    image.slab_list = 1016;
    image.slab = 6144;
    constexpr std::uint32_t slab_first_offset = 8;
    auto slab_block = [&](std::size_t index) { return image.slab + slab_first_offset + index * control_bytes; };
    image.generators[0] = 2048;
    image.generators[1] = 2048 + control_bytes;
    image.generators[2] = slab_block(1); // block 0 is the slab's header, block 2 is free
    image.generators[3] = 2048 + 3 * control_bytes;
    image.generators[4] = slab_block(3);
    image.heap_buffer = 4608;
    for (std::size_t i = 0; i < 3; ++i)
        image.labels[i] = 4736 + i * 64;
    constexpr std::size_t texts = 5120;

    // The descriptor: this libcg's, but for a table of four chunks of four.
    cg_debug_descriptor_t d = real;
    d.registry_table = reinterpret_cast<const void*>(address_in_image(image.table));
    d.table_entries = 4;
    d.chunk_entries = 4;
    d.slab_list = reinterpret_cast<const void*>(address_in_image(image.slab_list));
    std::memcpy(bytes.data(), &d, sizeof d);
    put(bytes, image.table, address_in_image(image.chunk));
    put(bytes, image.chunk, address_in_image(image.registries[0]));
    put(bytes, image.chunk + 16, address_in_image(image.registries[1]));

    auto status = [&](std::uint32_t thread, std::uint32_t state) { return thread << d.state_bits | state; };
    // Thread 1: inline -> heap -> not started.
    std::size_t r = image.registries[0];
    put(bytes, r + d.registry_number, std::uint32_t{1});
    put(bytes, r + d.registry_first, address_in_image(image.generators[0]));
    put(bytes, r + d.registry_labels, address_in_image(image.labels[0]));
    std::size_t g = image.generators[0];
    put(bytes, g + d.control_status, status(1, 1));
    put(bytes, g + d.control_ops_number, d.c_ops_number + 6); // a C++ generator's, its buffer inline
    put(bytes, g + d.control_slice_top, MemoryImage::inline_slice_top);
    put(bytes, g + d.control_slice_size, MemoryImage::inline_slice);
    for (std::uint32_t i = 0; i < MemoryImage::inline_slice; ++i)
        bytes[g + d.control_inline_bytes + i] = static_cast<char>(i + 1);
    for (std::uint32_t k = 0; k < d.register_count; ++k)
        bytes.replace(g + d.control_registers + d.registers[k].offset, d.registers[k].size, d.registers[k].size,
                      static_cast<char>(0x40 + k));
    put(bytes, g - d.control_next, address_in_image(image.generators[1]));

    g = image.generators[1];
    put(bytes, g + d.control_status, status(1, 1));
    put(bytes, g + d.control_ops_number, d.c_ops_number); // a C generator's (the flag after it, below)
    put(bytes, g + d.control_slice_top, MemoryImage::heap_slice_top);
    put(bytes, g + d.control_slice_size, MemoryImage::heap_slice);
    bytes[g + d.control_heap_buffer] = 1;
    put(bytes, g + d.control_inline_bytes, address_in_image(image.heap_buffer));
    put(bytes, g + d.control_inline_bytes + 8, MemoryImage::heap_capacity);
    for (std::uint32_t i = 0; i < MemoryImage::heap_slice; ++i)
        bytes[image.heap_buffer + i] = static_cast<char>(0x80 + i);

    // The slab: one page of four blocks.
    put(bytes, image.slab_list, address_in_image(image.slab));
    put(bytes, image.slab + d.slab_pages, std::uint32_t{1});
    put(bytes, image.slab + d.slab_header_blocks, std::uint32_t{1});
    put(bytes, image.slab + d.slab_page_blocks, std::uint32_t{4});
    put(bytes, image.slab + d.slab_last_page_blocks, std::uint32_t{4});
    put(bytes, image.slab + d.slab_first_offset, slab_first_offset);
    put(bytes, image.slab + d.slab_block_bytes, static_cast<std::uint32_t>(control_bytes));
    put(bytes, slab_block(2) + d.control_status, d.free_status);

    g = image.generators[2];
    put(bytes, g + d.control_status, status(1, 0));
    put(bytes, g + d.control_ops_number, d.c_ops_number + 6);

    // Thread 2, exited: running -> finished.
    r = image.registries[1];
    put(bytes, r + d.registry_number, std::uint32_t{2});
    bytes[r + d.registry_exited] = 1;
    put(bytes, r + d.registry_first, address_in_image(image.generators[3]));
    put(bytes, r + d.registry_labels, address_in_image(image.labels[2]));
    g = image.generators[3];
    put(bytes, g + d.control_status, status(2, 2));
    put(bytes, g + d.control_slice_top, MemoryImage::running_home_top);
    put(bytes, image.generators[4] + d.control_status, status(2, 3));

    put_label(bytes, d, image.labels[0], texts, address_in_image(image.generators[0]), "one/inline",
              address_in_image(image.labels[1]));
    put_label(bytes, d, image.labels[1], texts + 32, address_in_image(image.generators[1]), "one/heap", 0);
    put_label(bytes, d, image.labels[2], texts + 64, address_in_image(image.generators[3]), "two/running", 0);
    return image;
}

} // namespace cg_dump_test
