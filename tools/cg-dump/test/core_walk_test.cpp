// core_walk_test.cpp - read_generators (core_snapshot.hpp) on generators
// laid out by hand (memory_image.hpp): what it finds in a well-formed
// image, and each way a corrupt or hostile one is refused.
#include <catch2/catch.hpp>

#include <cg/debug.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "bare_memory.hpp"
#include "core_snapshot.hpp"
#include "memory_image.hpp"

namespace {

using cg_dump_test::address_in_image;
using cg_dump_test::MemoryImage;

template <class T>
void put(std::string& bytes, std::size_t offset, T value)
{
    std::memcpy(bytes.data() + offset, &value, sizeof value);
}

const std::vector<cg_dump::CoreThread> no_threads;

cg_dump::Snapshot walk(const std::string& bytes)
{
    cg_dump::BareMemory memory(bytes);
    cg_dump::Snapshot snapshot;
    cg_dump::read_generators({memory, cg_dump::BareMemory::base, 0, no_threads, bytes.size()}, snapshot);
    return snapshot;
}

/// The ReadError the walk throws; "" if it does not.
std::string refusal(const std::string& bytes)
{
    try {
        walk(bytes);
        return "";
    } catch (const cg_dump::ReadError& error) {
        return error.what();
    }
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const cg_debug_descriptor_t& d = cg_debug_descriptor;

} // namespace

TEST_CASE("read_generators finds every generator of a well-formed image", "[walk]")
{
    MemoryImage image = cg_dump_test::memory_image();
    cg_dump::Snapshot snapshot = walk(image.bytes);
    REQUIRE(snapshot.sections.size() == 2);
    REQUIRE(snapshot.register_names.size() == d.register_count);
    CHECK(snapshot.register_names.front() == d.registers[0].name);

    const cg_dump::Section& one = snapshot.sections[0];
    CHECK(one.thread == 1);
    CHECK_FALSE(one.thread_exited());
    REQUIRE(one.records.size() == 3);
    const cg_dump::Record& inline_slice = one.records[0];
    CHECK(inline_slice.id == address_in_image(image.generators[0]));
    CHECK(inline_slice.label == "one/inline");
    CHECK(inline_slice.state == 1);
    CHECK(inline_slice.kind == 0);
    REQUIRE(inline_slice.has_details());
    CHECK(inline_slice.slice_top == MemoryImage::inline_slice_top);
    REQUIRE(inline_slice.slice.size() == MemoryImage::inline_slice);
    CHECK(inline_slice.slice[0] == 1);
    CHECK(inline_slice.slice[MemoryImage::inline_slice - 1] == MemoryImage::inline_slice);
    REQUIRE(inline_slice.registers.size() == d.register_count);
    CHECK((inline_slice.registers[0] & 0xff) == 0x40);
    CHECK(inline_slice.resume_sp == MemoryImage::inline_slice_top - MemoryImage::inline_slice + d.resume_sp_offset);

    const cg_dump::Record& heap = one.records[1];
    CHECK(heap.label == "one/heap");
    CHECK(heap.kind == 1); // its number is the descriptor's c_ops_number, its flag set
    CHECK(heap.capacity == MemoryImage::heap_capacity);
    REQUIRE(heap.slice.size() == MemoryImage::heap_slice);
    CHECK(static_cast<unsigned char>(heap.slice[0]) == 0x80);

    const cg_dump::Record& not_started = one.records[2];
    CHECK(not_started.state == 0);
    CHECK(not_started.label.empty());
    CHECK_FALSE(not_started.has_details());

    const cg_dump::Section& two = snapshot.sections[1];
    CHECK(two.thread == 2);
    CHECK(two.thread_exited());
    REQUIRE(two.records.size() == 2);
    CHECK(two.records[0].label == "two/running");
    CHECK(two.records[0].state == 2);
    CHECK(has(two.records[0].where, "its frames are on the stack below 0x7ffe0000"));
    CHECK(two.records[1].state == 3);
}

TEST_CASE("read_generators refuses corrupt and hostile structures", "[walk][hostile]")
{
    MemoryImage image = cg_dump_test::memory_image();
    std::string bytes = image.bytes;
    std::string expected;
    SECTION("another version")
    {
        put(bytes, 8, std::uint32_t{CG_DEBUG_VERSION + 1});
        expected = "debug descriptor version " + std::to_string(CG_DEBUG_VERSION + 1) +
                   "; this cg-dump reads version " + std::to_string(CG_DEBUG_VERSION);
    }
    SECTION("not a descriptor")
    {
        bytes[0] = 'X';
        expected = "does not start with \"cg-debug\"";
    }
    SECTION("an offset past any structure")
    {
        put(bytes, offsetof(cg_debug_descriptor_t, control_slice_top), std::uint16_t{5000});
        expected = "the debug descriptor at 0x10000 is corrupt";
    }
    SECTION("a huge table")
    {
        put(bytes, offsetof(cg_debug_descriptor_t, table_entries), std::uint32_t{1} << 24);
        expected = "is corrupt";
    }
    SECTION("the table past the memory")
    {
        put(bytes, offsetof(cg_debug_descriptor_t, registry_table), address_in_image(bytes.size() - 8));
        expected = "the registry table at";
    }
    SECTION("a chunk named twice")
    {
        put(bytes, image.table + 8, address_in_image(image.chunk));
        expected = "names the chunk at";
    }
    SECTION("a registry named twice")
    {
        put(bytes, image.chunk + 8, address_in_image(image.registries[0]));
        expected = "names the registry at";
    }
    SECTION("a generator list that loops")
    {
        put(bytes, image.generators[1] - d.control_next, address_in_image(image.generators[0]));
        expected = "the generators of thread 1 do not end";
    }
    SECTION("a generator in two lists")
    {
        put(bytes, image.generators[3] - d.control_next, address_in_image(image.generators[0]));
        expected = "do not end";
    }
    SECTION("a generator both listed and in a slab")
    {
        put(bytes, image.generators[1] - d.control_next, address_in_image(image.generators[2]));
        expected = "do not end";
    }
    SECTION("a slab list that loops")
    {
        put(bytes, image.slab + d.slab_next, address_in_image(image.slab));
        expected = "the slabs do not end (a cycle at";
    }
    SECTION("a slab of more pages than a slab has")
    {
        put(bytes, image.slab + d.slab_pages, std::uint32_t{1000});
        expected = "is corrupt: 1000 pages";
    }
    SECTION("a slab whose blocks overflow its page")
    {
        put(bytes, image.slab + d.slab_block_bytes, static_cast<std::uint32_t>(d.page_bytes));
        expected = "is corrupt";
    }
    SECTION("a slab past the memory")
    {
        put(bytes, image.slab_list, address_in_image(bytes.size() - 8));
        expected = "slab 0x";
    }
    SECTION("a label list that loops")
    {
        put(bytes, image.labels[1] + d.label_next, address_in_image(image.labels[0]));
        expected = "do not end (a cycle at";
    }
    SECTION("a slice larger than its buffer")
    {
        put(bytes, image.generators[1] + d.control_slice_size, MemoryImage::heap_capacity + 16);
        expected = "claims a slice of " + std::to_string(MemoryImage::heap_capacity + 16) + " bytes";
    }
    SECTION("a slice past the memory")
    {
        put(bytes, image.generators[1] + d.control_inline_bytes, address_in_image(bytes.size() - 8));
        expected = "the slice of generator";
    }
    SECTION("slices adding up to more than the memory could hold")
    {
        constexpr std::uint32_t large = 1 << 22; // within the format's 64 MiB
        put(bytes, image.generators[1] + d.control_slice_size, large);
        put(bytes, image.generators[1] + d.control_inline_bytes + 8, large); // the heap buffer's capacity
        expected = "more than the core could hold";
    }
    SECTION("a label of a gigabyte")
    {
        put(bytes, image.labels[0] + d.label_size, std::uint32_t{1} << 30);
        put(bytes, image.labels[0] + d.label_text, address_in_image(0));
        // Cut to the format's longest string, then read from the memory:
        // there, it is a label of 4096 bytes.
        CHECK(walk(bytes).sections[0].records[0].label.size() == 4096);
        return;
    }
    std::string error = refusal(bytes);
    INFO(error);
    CHECK(has(error, expected));
}

TEST_CASE("read_generators on every truncation of an image refuses or reads", "[walk][hostile]")
{
    std::string bytes = cg_dump_test::memory_image().bytes;
    std::size_t refused = 0;
    for (std::size_t length = 0; length <= bytes.size(); length += 8)
        if (!refusal(bytes.substr(0, length)).empty())
            ++refused;
    // Everything the walk needs lies below the label texts: shorter, refused.
    CHECK(refused >= 5120 / 8);
    CHECK(refusal(bytes).empty());
}
