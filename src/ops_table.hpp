// ops_table.hpp - the numbers control blocks name their GeneratorOps by
// (ops_of, in cg/detail/runtime.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include <cg/detail/runtime.hpp>

namespace cg::detail {

/// The number of the C API's operations, given before any other.
inline constexpr std::uint32_t c_ops_number = 1;

/// Whether a generator is a C one (cg_create's), read from any thread: the
/// number's bytes, not the word ops_number_of loads, whose last byte the
/// owner may be writing meanwhile (a yield moving the slice to the heap).
inline bool is_c_generator(const ControlHead& generator) noexcept
{
    static_assert(c_ops_number < 256);
    return generator.ops_number[0] == c_ops_number && generator.ops_number[1] == 0 && generator.ops_number[2] == 0;
}

/// Numbers the first ops_by_number has room for (0 included): a program
/// with more types of generators than that makes larger copies of it.
inline constexpr std::uint32_t first_ops_numbers = 64;

/// Gives `ops` a number (number_of). Throws std::bad_alloc when the table
/// cannot grow, or every number is given.
std::uint32_t give_number(const GeneratorOps& ops);

/// The number of `ops`, given now if they have none yet. The acquire pairs
/// with give_number's release: a thread that reads a number finds it in
/// ops_by_number.
inline std::uint32_t number_of(const GeneratorOps& ops)
{
    if (std::uint32_t number = __atomic_load_n(ops.number, __ATOMIC_ACQUIRE); number != 0) [[likely]]
        return number;
    return give_number(ops);
}

/// Names the operations of a new generator, whose slice bytes will be
/// inline: one store of the word ops_number_of loads, the flag after the
/// number (heap_buffer) 0. (Byte by byte, the stores would keep that load
/// waiting until they reached the cache, a dozen cycles in every start.)
inline void set_ops_number(ControlHead& generator, std::uint32_t number) noexcept
{
    static_assert(offsetof(ControlHead, heap_buffer) == offsetof(ControlHead, ops_number) + 3);
    std::memcpy(reinterpret_cast<unsigned char*>(&generator) + offsetof(ControlHead, ops_number), &number,
                sizeof number);
}

} // namespace cg::detail
