// control_cache.cpp - control blocks kept for reuse (control_cache.hpp).
#include "control_cache.hpp"

#include "allocator.hpp"
#include "control.hpp"
#include "memcheck.hpp"
#include "per_thread.hpp"
#include "sanitizers.hpp"

namespace cg::detail {
namespace {

/// Block sizes are kept in steps of 8 bytes: a block of any size in a
/// step serves any other (malloc rounds to 16 anyway).
constexpr std::size_t kept_size(std::size_t size) noexcept { return (size + 7) / 8 * 8; }

/// Which of the kept sizes a block of `kept` bytes is; kept_sizes if none.
constexpr std::size_t size_index(std::size_t kept) noexcept
{
    std::size_t index = (kept - sizeof(Control)) / 8;
    return index < kept_sizes ? index : kept_sizes;
}

/// A thread's kept blocks, on the heap (per_thread.hpp): 1 KiB of
/// pointers, and the blocks themselves.
struct ControlCache {
    void* kept[kept_sizes][kept_per_size] = {};
    std::uint8_t count[kept_sizes] = {};
    Allocator from = allocator_in_force(); // the functions the kept blocks came from
    std::uint32_t changes = allocator_changes();
    ControlCacheCounts counts = {};

    ControlCache() = default;
    ControlCache(const ControlCache&) = delete;
    ControlCache& operator=(const ControlCache&) = delete;
    ~ControlCache() { give_back(); }

    /// Gives every kept block back; returns their bytes.
    std::size_t give_back() noexcept
    {
        std::size_t bytes = 0;
        for (std::size_t index = 0; index < kept_sizes; ++index) {
            std::size_t size = sizeof(Control) + 8 * index;
            for (; count[index] != 0; bytes += size) {
                void* block = kept[index][--count[index]];
                reveal(block, size);
                from.deallocate(block, size, from.context);
            }
        }
        return bytes;
    }

    /// After cg_set_allocator: the kept blocks go back to the functions
    /// they came from, and new ones come from the functions now in force.
    void follow_allocator() noexcept
    {
        if (allocator_changes() != changes) [[unlikely]]
            adopt_allocator();
    }
    [[gnu::noinline, gnu::cold]] void adopt_allocator() noexcept
    {
        give_back();
        changes = allocator_changes();
        from = allocator_in_force();
    }

    // While kept, a block is off limits to the program, as freed memory
    // is: ASan and memcheck report a use of a destroyed generator's memory,
    // as they would without the cache. Out of line, so that the hot paths
    // keep their registers.
    static bool watched() noexcept { return poison_to_forget() || under_valgrind; }
    [[gnu::noinline, gnu::cold]] static void hide(void* block, std::size_t size) noexcept
    {
        poison_kept_memory(block, size);
        mark_unusable(block, size);
    }
    [[gnu::noinline, gnu::cold]] static void reveal(void* block, std::size_t size) noexcept
    {
        unpoison_kept_memory(block, size);
        mark_allocated(block, size);
    }
};

} // namespace

void* allocate_control(std::size_t size) noexcept
{
    std::size_t kept = kept_size(size);
    std::size_t index = size_index(kept);
    ControlCache* cache = PerThread<ControlCache>::get();
    if (cache == nullptr) // out of memory, or the thread is exiting
        return allocate(kept);
    if (index == kept_sizes) {
        ++cache->counts.uncached;
        return allocate(kept);
    }
    cache->follow_allocator();
    if (cache->count[index] == 0) {
        ++cache->counts.allocated;
        return allocate(kept);
    }
    ++cache->counts.reused;
    void* block = cache->kept[index][--cache->count[index]];
    if (ControlCache::watched()) [[unlikely]]
        ControlCache::reveal(block, kept);
    return block;
}

void deallocate_control(void* block, std::size_t size) noexcept
{
    std::size_t kept = kept_size(size);
    std::size_t index = size_index(kept);
    ControlCache* cache = PerThread<ControlCache>::get();
    if (cache == nullptr)
        return deallocate(block, kept);
    if (index == kept_sizes) {
        ++cache->counts.uncached;
        return deallocate(block, kept);
    }
    cache->follow_allocator();
    if (cache->count[index] == kept_per_size) {
        ++cache->counts.overflowed;
        return deallocate(block, kept);
    }
    ++cache->counts.kept;
    if (ControlCache::watched()) [[unlikely]]
        ControlCache::hide(block, kept);
    cache->kept[index][cache->count[index]++] = block;
}

std::size_t give_back_kept_controls() noexcept
{
    ControlCache* cache = PerThread<ControlCache>::get();
    return cache == nullptr ? 0 : cache->give_back();
}

ControlCacheCounts control_cache_counts_of_this_thread() noexcept
{
    ControlCache* cache = PerThread<ControlCache>::get();
    return cache == nullptr ? ControlCacheCounts{} : cache->counts;
}

} // namespace cg::detail
