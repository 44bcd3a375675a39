// cleanup_scan.cpp - may a suspended generator's frames be discarded
// (cleanup_scan.hpp)?
#include "cleanup_scan.hpp"

#include <link.h>

#include <algorithm>
#include <cstring>

#include "control.hpp"
#include "eh_tables.hpp"
#include "memcheck.hpp"

namespace cg::detail {
namespace {

/// What the tables say of recently seen words, per thread (no lock): the
/// same yield sites and the same homes come back destroy after destroy.
/// Default TLS model, not initial-exec: 1.5 KiB is more static TLS than a
/// library loaded with dlopen (the Python package) can count on.
struct ExitCache {
    static constexpr std::size_t size = 64;
    struct Entry {
        std::uintptr_t word;
        FrameExit exit;
    } entries[size];
    // The loaded objects the entries were read from: dl_iterate_phdr's
    // counters of objects added and removed. Zero words say `nothing`, as
    // frame_exit_at does, so a fresh cache is a valid one.
    unsigned long long adds, subs;
};
constinit thread_local ExitCache cache = {};

constinit thread_local DestroyCounts counts = {};

/// Empties the cache if an object was loaded or unloaded since it was
/// filled: an address may hold other code now.
void check_loaded_objects() noexcept
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

FrameExit exit_at(std::uintptr_t word) noexcept
{
    word = arch::code_address(word);
    ExitCache::Entry& entry = cache.entries[(word ^ word >> 6 ^ word >> 12) % ExitCache::size];
    if (entry.word != word)
        entry = {word, frame_exit_at(word)};
    return entry.exit;
}

/// The landing pad of a noted call of entry<>, 0 if it has none.
std::uintptr_t noted_landing_pad(const std::uintptr_t& call) noexcept
{
    FrameExit exit = exit_at(__atomic_load_n(&call, __ATOMIC_RELAXED));
    return exit.kind == FrameExit::Kind::landing_pad ? exit.landing_pad : 0;
}

} // namespace

bool frames_can_be_discarded(Control& generator) noexcept
{
    const std::uintptr_t* calls = generator.head.ops->entry_calls;
    std::size_t size = generator.head.slice_size;
    if (calls == nullptr || size > largest_scanned_slice)
        return false;
    check_loaded_objects();
    const std::uintptr_t allowed[2] = {noted_landing_pad(calls[0]), noted_landing_pad(calls[1])};
    auto runs_nothing_foreign = [&](std::uintptr_t word) {
        FrameExit exit = exit_at(word);
        return exit.kind == FrameExit::Kind::nothing ||
               (exit.kind == FrameExit::Kind::landing_pad &&
                (exit.landing_pad == allowed[0] || exit.landing_pad == allowed[1]));
    };
    const char* bytes = slice_buffer(generator);
    std::uintptr_t pc = arch::resume_point(generator.registers,
                                           reinterpret_cast<std::uintptr_t>(slice_bottom(generator)),
                                           reinterpret_cast<const unsigned char*>(bytes))
                            .pc;
    mark_inspected(&pc, sizeof pc);
    if (!runs_nothing_foreign(pc))
        return false;
    // The slice holds words never written (padding, dead slots), read here
    // as data: in copies marked defined for memcheck, a batch at a time.
    std::uintptr_t words[32];
    for (std::size_t offset = 0; offset < size; offset += sizeof words) {
        std::size_t batch = std::min(sizeof words, size - offset);
        std::memcpy(words, bytes + offset, batch);
        mark_inspected(words, batch);
        for (std::size_t i = 0; i < batch / sizeof(std::uintptr_t); ++i)
            if (!runs_nothing_foreign(words[i]))
                return false;
    }
    return true;
}

void count_destroy(bool discarded, std::size_t slice_size) noexcept
{
    if (discarded)
        ++counts.discarded;
    else if (slice_size > largest_scanned_slice)
        ++counts.unwound_unexamined;
    else
        ++counts.unwound;
}

DestroyCounts destroy_counts_of_this_thread() noexcept { return counts; }

} // namespace cg::detail
