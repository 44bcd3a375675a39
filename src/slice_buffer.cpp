// slice_buffer.cpp - the size of slice buffers (policy: slice_buffer.hpp).
#include "slice_buffer.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include <cg/copy_generator.hpp>

#include "allocator.hpp"
#include "control.hpp"
#include "control_slab.hpp"
#include "registry.hpp"
#include "thread_state.hpp"

namespace cg::detail {
namespace {

std::size_t round_to_16(std::size_t bytes) noexcept { return (bytes + 15) / 16 * 16; }

/// Gives the generator a buffer of `capacity` bytes (the inline bytes if
/// that is enough), keeping the first `keep` bytes of the slice. False,
/// changing nothing, when out of memory.
bool replace_buffer(Control& generator, std::size_t capacity, std::size_t keep) noexcept
{
    if (capacity <= inline_capacity) {
        if (!has_heap_buffer(generator))
            return true;
        char* heap = slice_buffer(generator);
        std::uint32_t old_capacity = capacity_of(generator);
        // The heap buffer's address and capacity live in the inline bytes:
        // the slice goes there only after they are read.
        std::memcpy(generator.buffer, heap, keep);
        set_inline_buffer(generator);
        deallocate(heap, old_capacity);
        return true;
    }
    if (capacity > std::numeric_limits<std::uint32_t>::max())
        return false;
    void* heap = allocate(capacity);
    if (heap == nullptr)
        return false;
    std::memcpy(heap, slice_buffer(generator), keep);
    release_heap_buffer(generator);
    set_heap_buffer(generator, static_cast<char*>(heap), static_cast<std::uint32_t>(capacity));
    return true;
}

} // namespace

void release_heap_buffer(Control& generator) noexcept
{
    if (has_heap_buffer(generator)) {
        deallocate(slice_buffer(generator), capacity_of(generator));
        set_inline_buffer(generator);
    }
}

std::size_t trim_buffer(Control& generator) noexcept
{
    std::size_t before = has_heap_buffer(generator) ? capacity_of(generator) : 0;
    std::size_t slice = generator.head.slice_size;
    if (before == 0 || before == slice || !replace_buffer(generator, slice, slice))
        return 0;
    return before - (has_heap_buffer(generator) ? capacity_of(generator) : 0);
}

std::size_t trim_all_suspended() noexcept
{
    struct Trim {
        std::uint32_t suspended_here; // the status of this thread's suspended generators
        std::size_t freed;
    } trim{status_of(this_thread.number, State::suspended), 0};
    for_each_generator_of_this_thread(
        [](Control& generator, void* context) {
            auto& t = *static_cast<Trim*>(context);
            if (status_of(generator.head) == t.suspended_here)
                t.freed += trim_buffer(generator);
        },
        &trim);
    return trim.freed;
}

bool fit_buffer(Control& generator, std::uint32_t size) noexcept
{
    std::size_t capacity = capacity_of(generator);
    if (size > capacity) // grow
        return replace_buffer(generator, round_to_16(std::max<std::size_t>(size, capacity + capacity / 2)), 0);
    std::size_t previous = generator.head.slice_size;
    if (has_heap_buffer(generator) && std::size_t{size} * 4 <= capacity && previous * 4 <= capacity) // shrink
        replace_buffer(generator, size <= inline_capacity ? inline_capacity : round_to_16(size + size / 2), 0);
    return true; // a failed shrink changes nothing either
}

} // namespace cg::detail

std::size_t cg::trim_buffers() noexcept
{
    return cg::detail::trim_all_suspended() + cg::detail::give_back_kept_controls();
}
