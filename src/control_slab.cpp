// control_slab.cpp - control blocks carved from per-thread slabs
// (control_slab.hpp).
//
// A slab, in the allocation it came from (addresses grow right):
//
//   | lost | page 0                    | page 1             | ... | last page, maybe partial |
//          | Slab (header) | blocks... | Slab* | blocks...  |     | Slab* | blocks...        |
//          ^ the allocation's first page boundary (pages: page_bytes below)
//
// Every page starts with the slab's address (in page 0, the header's first
// member), so the slab of a block is one load from the block's page. Each
// page's blocks have one 64-bit word of free bits; the blocks the header
// covers in page 0 are never free. malloc's slabs start on a page
// boundary, with nothing lost before it; cg_set_allocator's functions need
// not align, so their slabs ask for a page more, and lose what precedes
// the first boundary.
#include "control_slab.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <mutex>
#include <new>
#include <type_traits>

#include "allocator.hpp"
#include "control.hpp"
#include "control_slab_layout.hpp"
#include "memcheck.hpp"
#include "per_thread.hpp"
#include "sanitizers.hpp"
#include "spin_lock.hpp"

namespace cg::detail {

constinit Slab* all_slabs = nullptr;

namespace {

/// Block sizes go in steps of 8 bytes: sizeof(Control) + 8 * class.
constexpr std::size_t block_size(std::size_t size) noexcept { return (size + 7) / 8 * 8; }
constexpr std::size_t size_class(std::size_t block) noexcept
{
    std::size_t index = (block - sizeof(Control)) / 8;
    return index < slab_classes ? index : slab_classes;
}
static_assert(sizeof(Control) % 8 == 0 && size_class(block_size(sizeof(Control) + 8 * (slab_classes - 1))) < slab_classes &&
                  size_class(block_size(sizeof(Control) + 8 * (slab_classes - 1) + 1)) == slab_classes,
              "in_slab (control_slab.hpp): a slab holds blocks up to sizeof(Control) + 8 * (slab_classes - 1)");

/// Where a page's first block is: after the word naming the slab, and on
/// a 16-byte boundary for the sizes a body aligned to 16 can have.
constexpr std::uint32_t first_block_offset(std::size_t block) noexcept { return block % 16 == 0 ? 16 : 8; }

std::atomic<std::uint64_t> slab_set_ids{0};

/// The slab a block lies in.
Slab& slab_of(const void* block) noexcept
{
    Slab* slab;
    std::memcpy(&slab, reinterpret_cast<const void*>(reinterpret_cast<std::uintptr_t>(block) & -page_bytes),
                sizeof slab);
    return *slab;
}

/// A block's place in its slab: its page, and its bit in that page's word.
struct BlockPlace {
    std::uint32_t page;
    std::uint64_t bit;
};
BlockPlace place_of(Slab& slab, const void* block) noexcept
{
    auto offset = static_cast<std::uint64_t>(reinterpret_cast<const char*>(block) - reinterpret_cast<char*>(&slab));
    auto in_page = static_cast<std::uint32_t>(offset % page_bytes) - slab.first_offset;
    return {static_cast<std::uint32_t>(offset / page_bytes),
            std::uint64_t{1} << ((std::uint64_t{in_page} * slab.reciprocal) >> 32)};
}

/// The first 8 bytes of a control block, which hold its status: always
/// readable (ASan poisons in steps of 8 bytes).
constexpr std::size_t status_word_bytes = 8;
static_assert(offsetof(ControlHead, status) < status_word_bytes);

// While free, a block is off limits to the program, as freed memory is:
// ASan and memcheck report a use of a destroyed generator's memory, as they
// would without the slabs. Out of line, so that the hot paths keep their
// registers. Valgrind asked each time, not under_valgrind: in a program
// linked with libcg.a, a static constructor may create a generator before
// that is initialized.
bool watched() noexcept { return poison_to_forget() || running_under_valgrind(); }
[[gnu::noinline, gnu::cold]] void hide(const void* bytes, std::size_t size) noexcept
{
    poison_kept_memory(bytes, size);
    mark_unusable(bytes, size);
}
/// A free block but its status word, which walks of every block read
/// (for_each_slab_generator, and debuggers).
void hide_block(const void* block, std::size_t size) noexcept
{
    hide(static_cast<const char*>(block) + status_word_bytes, size - status_word_bytes);
}
[[gnu::noinline, gnu::cold]] void reveal(const void* bytes, std::size_t size) noexcept
{
    unpoison_kept_memory(bytes, size);
    mark_allocated(bytes, size);
}

/// Pages of the next slab of a size that has had `made` slabs.
std::uint32_t pages_for(std::uint32_t made) noexcept
{
    return static_cast<std::uint32_t>(first_slab_bytes / page_bytes << std::min(made, 3u));
}

/// Every slab, under its lock. Taken when a slab is made or given back,
/// and for a walk of every block (for_each_slab_generator).
std::mutex all_slabs_lock;

/// A new slab of `pages` pages for blocks of `block` bytes, all free but
/// those its header covers, each with the status of a free block; null
/// when out of memory.
Slab* make_slab(std::uint32_t block, std::uint32_t pages, std::atomic<Slab*>* owner_stack,
                std::uint64_t owner_id) noexcept
{
    const Allocator from = allocator_in_force();
    std::size_t bytes;
    void* memory;
    if (from.allocate_aligned != nullptr) {
        // malloc's: the pages exactly, from an 8 KiB boundary. 8 bytes short
        // of whole pages, so that malloc's chunk (the bytes and its 8-byte
        // header) is whole pages: the next slab starts on a boundary too,
        // and nothing between them is lost.
        bytes = pages * page_bytes - 8;
        memory = from.allocate_aligned(bytes, first_slab_bytes);
    } else {
        bytes = slab_bytes(pages);
        memory = from.allocate(bytes, from.context);
    }
    if (memory == nullptr)
        return nullptr;
    const auto start = reinterpret_cast<std::uintptr_t>(memory);
    const std::uintptr_t end = start + bytes;
    const std::uintptr_t first = (start + page_bytes - 1) & -page_bytes;
    const std::uint32_t offset = first_block_offset(block);
    // Pages with room for a block: the whole ones, and the partial one at
    // the end if it has room.
    std::uint32_t count = static_cast<std::uint32_t>((end - first) / page_bytes);
    const std::uintptr_t tail = (end - first) % page_bytes;
    if (tail >= offset + block)
        ++count;
    Slab* slab =
        ::new (reinterpret_cast<void*>(first)) Slab(memory, bytes, from, block, offset, count, owner_stack, owner_id);
    slab->page_blocks = static_cast<std::uint32_t>((page_bytes - offset) / block);
    slab->last_page_blocks = tail < offset + block ? slab->page_blocks : static_cast<std::uint32_t>((tail - offset) / block);
    slab->header_blocks = static_cast<std::uint32_t>((sizeof(Slab) - offset + block - 1) / block);
    for (std::uint32_t page = 0; page < count; ++page) {
        if (page != 0)
            ::new (slab->page(page)) Slab*(slab);
        std::uint32_t blocks = page + 1 < count ? slab->page_blocks : slab->last_page_blocks;
        std::uint32_t taken = page == 0 ? slab->header_blocks : 0;
        std::uint64_t bits = blocks == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << blocks) - 1;
        bits &= ~std::uint64_t{0} << taken;
        slab->free_bits[page] = bits;
        slab->free_count += static_cast<std::uint32_t>(std::popcount(bits));
        for (std::uint32_t index = taken; index < blocks; ++index) {
            char* free_block = slab->block(page, index);
            std::memcpy(free_block + offsetof(ControlHead, status), &free_status, sizeof free_status);
            if (watched()) [[unlikely]]
                hide_block(free_block, block);
        }
    }
    std::lock_guard hold(all_slabs_lock);
    slab->all_next = all_slabs;
    if (all_slabs != nullptr)
        all_slabs->all_previous = slab;
    all_slabs = slab;
    return slab;
}

/// Gives a slab back to the allocator it came from; returns its bytes.
std::size_t release(Slab& slab) noexcept
{
    {
        std::lock_guard hold(all_slabs_lock);
        if (slab.all_previous != nullptr)
            slab.all_previous->all_next = slab.all_next;
        else
            all_slabs = slab.all_next;
        if (slab.all_next != nullptr)
            slab.all_next->all_previous = slab.all_previous;
    }
    void* memory = slab.memory;
    const std::size_t bytes = slab.memory_bytes;
    const Allocator from = slab.from;
    slab.~Slab();
    if (watched()) [[unlikely]]
        reveal(memory, bytes);
    from.deallocate(memory, bytes, from.context);
    return bytes;
}

/// Takes a free block out of a slab that has one. Inline: a create's path.
[[gnu::always_inline]] inline char* take(Slab& slab) noexcept
{
    std::uint32_t page = slab.hint;
    while (slab.free_bits[page] == 0)
        ++page;
    slab.hint = page;
    std::uint64_t& bits = slab.free_bits[page];
    auto index = static_cast<std::uint32_t>(std::countr_zero(bits));
    bits &= bits - 1;
    --slab.free_count;
    ++slab.used;
    return slab.page(page) + slab.first_offset + index * slab.block_bytes;
}

/// A slab list: partial or full.
void push(Slab*& list, Slab& slab, Listed listed) noexcept
{
    slab.listed = listed;
    slab.previous = nullptr;
    slab.next = list;
    if (list != nullptr)
        list->previous = &slab;
    list = &slab;
}
void unlist(Slab*& list, Slab& slab) noexcept
{
    if (slab.previous != nullptr)
        slab.previous->next = slab.next;
    else
        list = slab.next;
    if (slab.next != nullptr)
        slab.next->previous = slab.previous;
}

/// Frees a block into a slab another thread owns, or that is orphaned;
/// returns the slab's bytes if it went back.
std::size_t free_elsewhere(Slab& slab, const void* block) noexcept;

/// Blocks a thread freed last are kept for its next creates of their size,
/// before they go back to their slabs: a create after a destroy (a server's
/// handlers, one per request) then takes one with two loads and a store,
/// where a slab's bookkeeping costs about 5 ns more (measured on a create
/// and a destroy).
constexpr std::uint32_t kept_per_size = 8;

/// One size's slabs on their owner's thread: the one blocks are taken
/// from, those with free blocks, and those without; and the blocks of that
/// size the thread freed last.
struct SizeSlabs {
    std::uint32_t kept_count = 0;
    void* kept[kept_per_size];
    Slab* current = nullptr;
    Slab* partial = nullptr;
    Slab* full = nullptr;
    std::uint32_t made = 0;

    Slab*& list(Listed listed) noexcept { return listed == Listed::partial ? partial : full; }

    template <class Visit>
    void for_each(Visit visit) noexcept
    {
        if (current != nullptr)
            visit(*current);
        for (Slab* list : {partial, full})
            for (Slab* next; list != nullptr; list = next) {
                next = list->next; // visit may release it
                visit(*list);
            }
    }
};

/// A thread's slabs, on the heap (per_thread.hpp).
struct SlabSet {
    // What every create and destroy reads, first: one cache line.
    const std::uint64_t id = slab_set_ids.fetch_add(1, std::memory_order_relaxed) + 1;
    std::uint32_t changes = allocator_changes();
    /// What size_slabs_for_kept compares allocator_changes() with:
    /// `changes`, or beyond any uint32_t if ASan or valgrind watches the
    /// blocks (neither comes or goes while the process runs).
    std::uint64_t kept_key = key_for(changes);
    // The slabs into which other threads freed blocks since the last
    // collection: pushed by those threads, taken whole by the owner.
    std::atomic<Slab*> returned_slabs{nullptr};
    ControlSlabCounts counts = {};
    SizeSlabs sizes[slab_classes];

    SlabSet() = default;
    SlabSet(const SlabSet&) = delete;
    SlabSet& operator=(const SlabSet&) = delete;
    ~SlabSet() { orphan_all(); }

    bool owns(const Slab& slab) const noexcept { return slab.owner.load(std::memory_order_relaxed) == id; }

    std::size_t give_back(Slab& slab) noexcept
    {
        ++counts.slabs_given_back;
        return release(slab);
    }

    /// After the owner freed a block in a slab not current: one with no
    /// block taken goes back; a full one has room. Returns the bytes given
    /// back.
    std::size_t settle(SizeSlabs& size, Slab& slab) noexcept
    {
        if (slab.used == 0) {
            unlist(size.list(slab.listed), slab);
            return give_back(slab);
        }
        if (slab.listed == Listed::full) {
            unlist(size.full, slab);
            push(size.partial, slab, Listed::partial);
        }
        return 0;
    }

    /// Frees a block into its slab, this set's or another's; returns the
    /// bytes of the slab if it went back.
    std::size_t free_to_slab(std::size_t index, void* block) noexcept
    {
        Slab& slab = slab_of(block);
        if (!owns(slab)) [[unlikely]] {
            ++counts.freed_elsewhere;
            return free_elsewhere(slab, block);
        }
        ++counts.freed_here;
        BlockPlace place = place_of(slab, block);
        slab.free_bits[place.page] |= place.bit;
        ++slab.free_count;
        --slab.used;
        slab.hint = std::min(slab.hint, place.page);
        if (slab.listed != Listed::current) [[unlikely]]
            return settle(sizes[index], slab);
        return 0;
    }

    /// The kept blocks go back to their slabs; returns the bytes of the
    /// slabs that went back.
    std::size_t free_kept() noexcept
    {
        std::size_t bytes = 0;
        for (std::size_t index = 0; index < slab_classes; ++index)
            while (sizes[index].kept_count != 0)
                bytes += free_to_slab(index, sizes[index].kept[--sizes[index].kept_count]);
        return bytes;
    }

    /// Takes back the blocks other threads freed into these slabs. A slab
    /// that gets some has room, and stays even if it has no block taken:
    /// the next refill of its size takes blocks from it.
    void collect() noexcept
    {
        if (returned_slabs.load(std::memory_order_relaxed) == nullptr)
            return;
        for (Slab *slab = returned_slabs.exchange(nullptr, std::memory_order_acquire), *next; slab != nullptr;
             slab = next) {
            {
                std::lock_guard hold(slab->lock);
                next = std::exchange(slab->next_returned, nullptr);
                for (std::uint32_t page = 0; page < slab->pages; ++page)
                    slab->free_bits[page] |= std::exchange(slab->returned[page], 0);
                counts.collected += slab->returned_count;
                slab->free_count += slab->returned_count;
                slab->used -= std::exchange(slab->returned_count, 0);
                slab->hint = 0;
            }
            if (slab->listed == Listed::full) {
                SizeSlabs& size = sizes[size_class(slab->block_bytes)];
                unlist(size.full, *slab);
                push(size.partial, *slab, Listed::partial);
            }
        }
    }

    /// Gives back every slab with no block taken; returns their bytes.
    std::size_t give_back_empty() noexcept
    {
        std::size_t bytes = free_kept();
        collect();
        for (SizeSlabs& size : sizes)
            size.for_each([&](Slab& slab) {
                if (slab.used != 0)
                    return;
                if (slab.listed == Listed::current)
                    size.current = nullptr;
                else
                    unlist(size.list(slab.listed), slab);
                bytes += give_back(slab);
            });
        return bytes;
    }

    /// A slab with a free block for `size`, the one blocks are then taken
    /// from; null when out of memory.
    [[gnu::noinline]] Slab* refill(SizeSlabs& size, std::size_t index) noexcept
    {
        collect();
        Slab* slab = size.current;
        if (slab != nullptr && slab->free_count != 0)
            return slab;
        if (slab != nullptr)
            push(size.full, *slab, Listed::full);
        size.current = nullptr;
        if (size.partial != nullptr) {
            slab = size.partial;
            unlist(size.partial, *slab);
        } else {
            slab = make_slab(static_cast<std::uint32_t>(sizeof(Control) + 8 * index), pages_for(size.made), &returned_slabs, id);
            if (slab == nullptr)
                return nullptr;
            ++size.made;
            ++counts.slabs_made;
        }
        slab->listed = Listed::current;
        size.current = slab;
        return slab;
    }

    /// The owner lets go of every slab: each goes back when its last block
    /// is freed, now if it holds none.
    void orphan_all() noexcept
    {
        free_kept();
        for (SizeSlabs& size : sizes) {
            size.for_each([](Slab& slab) {
                bool empty;
                {
                    std::lock_guard hold(slab.lock);
                    for (std::uint32_t page = 0; page < slab.pages; ++page)
                        slab.free_bits[page] |= std::exchange(slab.returned[page], 0);
                    slab.used -= std::exchange(slab.returned_count, 0);
                    slab.live = slab.used;
                    slab.owner.store(0, std::memory_order_relaxed);
                    slab.owner_stack = nullptr;
                    empty = slab.live == 0;
                }
                if (empty)
                    release(slab);
            });
            size = SizeSlabs{};
        }
        // No thread pushes onto it any more; what it lists is orphaned,
        // collected above, maybe given back.
        returned_slabs.store(nullptr, std::memory_order_relaxed);
    }

    /// After cg_set_allocator: the slabs go back to the functions they came
    /// from, and new ones come from the functions now in force.
    void follow_allocator() noexcept
    {
        if (allocator_changes() != changes) [[unlikely]]
            adopt_allocator();
    }
    [[gnu::noinline, gnu::cold]] void adopt_allocator() noexcept
    {
        orphan_all();
        changes = allocator_changes();
        kept_key = key_for(changes);
    }
    static std::uint64_t key_for(std::uint32_t changes) noexcept
    {
        static_assert(std::is_same_v<decltype(allocator_changes()), std::uint32_t>, "a watcher's key exceeds every count");
        return std::uint64_t{watched()} << 32 | changes;
    }
};

/// A block from a slab of its own, orphaned from the start (the thread has
/// no slab set: out of memory, or it is exiting); null when out of memory.
[[gnu::noinline, gnu::cold]] void* allocate_alone(std::size_t block) noexcept
{
    Slab* slab = make_slab(static_cast<std::uint32_t>(block), first_slab_bytes / page_bytes, nullptr, 0);
    if (slab == nullptr)
        return nullptr;
    char* taken = take(*slab);
    slab->live = 1;
    if (watched()) [[unlikely]]
        reveal(taken, block);
    return taken;
}

[[gnu::noinline]] std::size_t free_elsewhere(Slab& slab, const void* block) noexcept
{
    BlockPlace place = place_of(slab, block);
    bool last = false;
    {
        std::lock_guard hold(slab.lock);
        if (slab.owner.load(std::memory_order_relaxed) != 0) {
            slab.returned[place.page] |= place.bit;
            if (slab.returned_count++ == 0) { // onto the owner's stack, where it is not yet
                std::atomic<Slab*>& stack = *slab.owner_stack;
                slab.next_returned = stack.load(std::memory_order_relaxed);
                while (!stack.compare_exchange_weak(slab.next_returned, &slab, std::memory_order_release,
                                                    std::memory_order_relaxed)) {
                }
            }
        } else {
            slab.free_bits[place.page] |= place.bit;
            last = --slab.live == 0;
        }
    }
    return last ? release(slab) : 0;
}

/// A block's size and size class (slab_classes: too large for a slab), and
/// the calling thread's slabs (null if it has none: out of memory, or
/// exiting). Counts a block too large for a slab.
struct Request {
    std::size_t block;
    std::size_t index;
    SlabSet* set;
};
[[gnu::always_inline]] inline Request request_for(std::size_t size) noexcept
{
    std::size_t block = block_size(size);
    std::size_t index = size_class(block);
    SlabSet* set = PerThread<SlabSet>::get();
    if (index == slab_classes && set != nullptr)
        ++set->counts.unslabbed;
    return {block, index, set};
}

/// The thread's slabs of a size, whose kept blocks a create after a
/// destroy finds first, if nothing watches the blocks (ASan, valgrind) and
/// the allocator is the one the slabs follow (one comparison: kept_key).
/// No call: the common create and destroy save no registers here. Null:
/// the *_slowly functions do the rest.
[[gnu::always_inline]] inline SizeSlabs* size_slabs_for_kept(std::size_t size, SlabSet*& set) noexcept
{
    std::size_t index = size_class(block_size(size));
    set = PerThread<SlabSet>::existing();
    if (index == slab_classes || set == nullptr || set->kept_key != allocator_changes()) [[unlikely]]
        return nullptr;
    return &set->sizes[index];
}

[[gnu::noinline]] void* allocate_control_slowly(std::size_t size) noexcept
{
    auto [block, index, set] = request_for(size);
    if (index == slab_classes) {
        char* memory = static_cast<char*>(allocate(unslabbed_prefix + block));
        return memory == nullptr ? nullptr : memory + unslabbed_prefix;
    }
    if (set == nullptr) // out of memory, or the thread is exiting
        return allocate_alone(block);
    set->follow_allocator();
    SizeSlabs& size_slabs = set->sizes[index];
    char* taken;
    if (size_slabs.kept_count != 0) {
        ++set->counts.reused;
        taken = static_cast<char*>(size_slabs.kept[--size_slabs.kept_count]);
    } else {
        Slab* slab = size_slabs.current;
        if (slab == nullptr || slab->free_count == 0) [[unlikely]] {
            slab = set->refill(size_slabs, index);
            if (slab == nullptr)
                return nullptr;
        }
        ++set->counts.taken;
        taken = take(*slab);
    }
    if (watched()) [[unlikely]]
        reveal(taken, block);
    return taken;
}

[[gnu::noinline]] void deallocate_control_slowly(void* memory, std::size_t size) noexcept
{
    auto [block, index, set] = request_for(size);
    if (index == slab_classes)
        return deallocate(static_cast<char*>(memory) - unslabbed_prefix, unslabbed_prefix + block);
    if (watched()) [[unlikely]]
        hide_block(memory, block);
    if (set == nullptr) // the thread is exiting, or out of memory
        return (void)free_elsewhere(slab_of(memory), memory);
    set->follow_allocator();
    SizeSlabs& size_slabs = set->sizes[index];
    if (size_slabs.kept_count == kept_per_size) [[unlikely]]
        return (void)set->free_to_slab(index, memory);
    ++set->counts.kept;
    size_slabs.kept[size_slabs.kept_count++] = memory;
}

} // namespace

std::size_t slab_page_bytes() noexcept { return page_bytes; }

std::size_t slab_bytes(std::size_t pages) noexcept
{
    // Functions that need not align: room for the pages wherever the
    // allocation starts (aligned to 16, as malloc's). What precedes the
    // first page boundary is lost; what follows the last whole page is a
    // partial page.
    return pages * page_bytes + page_bytes - 16;
}

void* allocate_control(std::size_t size) noexcept
{
    SlabSet* set;
    SizeSlabs* kept = size_slabs_for_kept(size, set);
    if (kept == nullptr || kept->kept_count == 0) [[unlikely]]
        return allocate_control_slowly(size);
    ++set->counts.reused;
    return kept->kept[--kept->kept_count];
}

void deallocate_control(void* memory, std::size_t size) noexcept
{
    SlabSet* set;
    SizeSlabs* kept = size_slabs_for_kept(size, set);
    if (kept == nullptr || kept->kept_count == kept_per_size) [[unlikely]]
        return deallocate_control_slowly(memory, size);
    ++set->counts.kept;
    kept->kept[kept->kept_count++] = memory;
}

void for_each_slab_generator(void (*visit)(Control& generator, void* context), void* context)
{
    std::lock_guard hold(all_slabs_lock);
    for (Slab* slab = all_slabs; slab != nullptr; slab = slab->all_next)
        for (std::uint32_t page = 0; page < slab->pages; ++page) {
            std::uint32_t blocks = page + 1 < slab->pages ? slab->page_blocks : slab->last_page_blocks;
            for (std::uint32_t index = page == 0 ? slab->header_blocks : 0; index < blocks; ++index) {
                auto* generator = reinterpret_cast<Control*>(slab->block(page, index));
                if (__atomic_load_n(&generator->head.status, __ATOMIC_ACQUIRE) != free_status)
                    visit(*generator, context);
            }
        }
}

std::size_t give_back_kept_controls() noexcept
{
    SlabSet* set = PerThread<SlabSet>::get();
    if (set == nullptr)
        return 0;
    return set->give_back_empty();
}

ControlSlabCounts control_slab_counts_of_this_thread() noexcept
{
    SlabSet* set = PerThread<SlabSet>::get();
    return set == nullptr ? ControlSlabCounts{} : set->counts;
}

} // namespace cg::detail
