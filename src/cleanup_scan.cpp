// cleanup_scan.cpp - may a suspended generator's frames be discarded
// (cleanup_scan.hpp)? A walk of its frames in the saved slice, as an
// unwinder's would go, asking the unwind tables about each.
#include "cleanup_scan.hpp"

#include <link.h>

#include <cstring>

#include "control.hpp"
#include "eh_tables.hpp"
#include "memcheck.hpp"
#include "per_thread.hpp"

namespace cg::detail {
namespace {

/// What the tables say of recently seen return addresses, per thread (no
/// lock): the same yield sites come back destroy after destroy. On the
/// heap (per_thread.hpp): 2.5 KiB.
struct StepCache {
    static constexpr std::size_t size = 64;
    struct Entry {
        std::uintptr_t return_address; // 0: empty
        FrameStep step;
    } entries[size];
    // The loaded objects the entries were read from: dl_iterate_phdr's
    // counters of objects added and removed.
    unsigned long long adds, subs;
};

constinit thread_local DestroyCounts counts = {};

/// Empties the cache if an object was loaded or unloaded since it was
/// filled: an address may hold other code now.
void check_loaded_objects(StepCache& cache) noexcept
{
    struct Counters {
        unsigned long long adds, subs;
    } now{};
    dl_iterate_phdr(
        [](dl_phdr_info* object, std::size_t, void* out) {
            *static_cast<Counters*>(out) = {object->dlpi_adds, object->dlpi_subs};
            return 1; // the counters are in every object's entry: the first is enough
        },
        &now);
    if (now.adds != cache.adds || now.subs != cache.subs) {
        std::memset(cache.entries, 0, sizeof cache.entries);
        cache.adds = now.adds;
        cache.subs = now.subs;
    }
}

const FrameStep& step_at(StepCache& cache, std::uintptr_t return_address) noexcept
{
    StepCache::Entry& entry =
        cache.entries[(return_address ^ return_address >> 6 ^ return_address >> 12) % StepCache::size];
    if (entry.return_address != return_address || return_address == 0)
        entry = {return_address, frame_step_at(return_address)};
    return entry.step;
}

/// The landing pad of a noted call of entry<>, 0 if it has none.
std::uintptr_t noted_landing_pad(StepCache& cache, const std::uintptr_t& call) noexcept
{
    const FrameExit& exit = step_at(cache, arch::code_address(__atomic_load_n(&call, __ATOMIC_RELAXED))).exit;
    return exit.kind == FrameExit::Kind::landing_pad ? exit.landing_pad : 0;
}

/// The saved slice, read at the addresses its words have at home.
struct SavedSlice {
    const char* bytes;
    std::uintptr_t bottom, top;

    /// False outside the slice: a walk that leaves it is not one to trust.
    bool word_at(std::uintptr_t address, std::uintptr_t& word) const noexcept
    {
        if (address < bottom || address > top - sizeof word || address % sizeof word != 0)
            return false;
        std::memcpy(&word, bytes + (address - bottom), sizeof word);
        // A slot of a frame may never have been written; as data here, it
        // is meant to be read (memcheck.hpp).
        mark_inspected(&word, sizeof word);
        return true;
    }
};

} // namespace

bool frames_can_be_discarded(Control& generator) noexcept
{
    const std::uintptr_t* calls = ops_of(generator.head).entry_calls;
    std::size_t size = generator.head.slice_size;
    if (calls == nullptr)
        return false;
    StepCache* cached = PerThread<StepCache>::get();
    if (cached == nullptr)
        return false; // out of memory, or the thread is exiting: unwind, as before
    StepCache& cache = *cached;
    check_loaded_objects(cache);
    const std::uintptr_t allowed[2] = {noted_landing_pad(cache, calls[0]), noted_landing_pad(cache, calls[1])};
    SavedSlice slice{slice_buffer(generator), reinterpret_cast<std::uintptr_t>(slice_bottom(generator)),
                     reinterpret_cast<std::uintptr_t>(generator.head.slice_top)};
    arch::ResumePoint resume = arch::resume_point(generator.registers, slice.bottom,
                                                  reinterpret_cast<const unsigned char*>(slice.bytes));
    std::uintptr_t pc = resume.pc, sp = resume.sp, fp = arch::saved_frame_pointer(generator.registers);
    mark_inspected(&pc, sizeof pc);
    mark_inspected(&fp, sizeof fp);
    // From the innermost frame out, each frame at least a return address:
    // the walk ends at the entry<>'s frame, called by the trampoline.
    // Its return address is the link's, just above the slice
    // (amd64), or saved in its own frame like any other (aarch64).
    const auto entry_return = reinterpret_cast<std::uintptr_t>(cg_arch_entry_return);
    for (std::size_t frames = 0; frames <= size / sizeof(std::uintptr_t); ++frames) {
        const FrameStep& step = step_at(cache, arch::code_address(pc));
        if (!step.walkable)
            return false;
        if (step.exit.kind == FrameExit::Kind::unknown ||
            (step.exit.kind == FrameExit::Kind::landing_pad && step.exit.landing_pad != allowed[0] &&
             step.exit.landing_pad != allowed[1]))
            return false;
        std::uintptr_t cfa = (step.cfa_register == arch::dwarf_sp ? sp : fp) + step.cfa_offset;
        std::uintptr_t return_slot = cfa + step.return_address_offset;
        if (return_slot == slice.top + CG_LINK_RETURN)
            return true; // the entry<>'s frame, checked: every frame was
        if (!slice.word_at(return_slot, pc))
            return false;
        if (arch::code_address(pc) == entry_return)
            return true;
        if (step.frame_pointer_saved && !slice.word_at(cfa + step.frame_pointer_offset, fp))
            return false;
        sp = cfa;
    }
    return false;
}

void count_destroy(bool discarded) noexcept { ++(discarded ? counts.discarded : counts.unwound); }

DestroyCounts destroy_counts_of_this_thread() noexcept { return counts; }

} // namespace cg::detail
