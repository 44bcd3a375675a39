// ops_table.cpp - the table of every GeneratorOps a control block may name
// (ops_by_number).
#include "ops_table.hpp"

#include <algorithm>
#include <mutex>
#include <new>

#include "control.hpp"

namespace cg::detail {
namespace {

// The first array is here from the start, holding the C API's operations.
constinit const GeneratorOps* first_array[first_ops_numbers] = {nullptr, &c_ops};

// Under numbering_lock.
constinit std::mutex numbering_lock;
constinit std::uint32_t next_number = c_ops_number + 1;
constinit std::uint32_t size = first_ops_numbers;
// The arrays replaced, kept for the threads that may still read them, and
// so that leak checkers see them reachable: one per doubling up to 2^24.
// `used`: nothing reads them, and without it the stores go (valgrind then
// found the replaced arrays lost).
[[gnu::used]] constinit const GeneratorOps** retired[ops_number_bits] = {};
[[gnu::used]] constinit std::uint32_t retired_count = 0;

/// The array in use, which numbering_lock guards the writes of.
const GeneratorOps** writable() noexcept { return const_cast<const GeneratorOps**>(ops_by_number); }

} // namespace

// Code inlined into programs reads it through the GOT, and so does the
// library (it is exported, and -Bsymbolic-functions binds functions only):
// with a copy relocation in a program, both read the program's copy. Bound
// locally here, the library would replace an array the program never saw.
constinit const GeneratorOps* const* ops_by_number = first_array;

std::uint32_t give_number(const GeneratorOps& ops)
{
    std::lock_guard lock(numbering_lock);
    if (std::uint32_t number = __atomic_load_n(ops.number, __ATOMIC_RELAXED); number != 0)
        return number; // another thread got there first
    std::uint32_t number = next_number;
    if (number >> ops_number_bits != 0)
        throw std::bad_alloc();
    if (number == size) {
        const GeneratorOps** larger = new const GeneratorOps*[std::size_t{size} * 2]();
        std::copy(ops_by_number, ops_by_number + size, larger);
        retired[retired_count++] = writable();
        size *= 2;
        __atomic_store_n(&ops_by_number, larger, __ATOMIC_RELEASE);
    }
    writable()[number] = &ops;
    next_number = number + 1;
    __atomic_store_n(ops.number, number, __ATOMIC_RELEASE);
    return number;
}

} // namespace cg::detail
