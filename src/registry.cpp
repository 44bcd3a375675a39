// registry.cpp - the live generators of each thread (registry.hpp).
#include "registry.hpp"

#include <atomic>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>

#include <sched.h>

#include "control.hpp"
#include "errors.hpp"
#include "thread_state.hpp"

namespace cg::detail {
namespace {

/// The lock of a registry: taken for a few instructions by create and
/// destroy, longer only by the rare walks of the whole list. Taking it
/// costs one atomic exchange and releasing it a plain store, where
/// std::mutex pays an atomic operation for each (about 10 ns more per
/// create + destroy, measured on this project's machine).
class SpinLock {
public:
    void lock() noexcept
    {
        while (locked_.exchange(true, std::memory_order_acquire))
            for (unsigned spins = 0; locked_.load(std::memory_order_relaxed); ++spins)
                if (spins < 100)
                    arch::spin_pause();
                else
                    sched_yield(); // a walk of the list: let it finish
    }
    void unlock() noexcept { locked_.store(false, std::memory_order_release); }

private:
    std::atomic<bool> locked_{false};
};

} // namespace

struct Registry {
    SpinLock lock;
    Control* first = nullptr; // guarded by lock, as are the links of the generators listed
    bool orphaned = false;    // guarded by lock: its thread has exited
    std::uint32_t number;     // of its thread
    // Guarded by lock. Few generators have one: a map beside the list
    // costs nothing to those that do not.
    std::unordered_map<const Control*, std::string> labels;

    explicit Registry(std::uint32_t thread) noexcept : number(thread) {}
};

namespace {

// Thread number -> its registry, in two levels so that the table costs
// nothing for numbers never given out. Entries are set by their own thread
// and cleared by whoever frees the registry (under table_mutex); read
// without a lock only for a registry known to list a generator, which keeps
// it alive.
constexpr std::uint32_t chunk_bits = 15;
constexpr std::uint32_t chunk_size = 1u << chunk_bits;
static_assert(chunk_size * chunk_size >= unowned, "the table covers every thread number");
struct Chunk {
    std::atomic<Registry*> entries[chunk_size];
};
constinit std::atomic<Chunk*> table[chunk_size] = {};
std::mutex table_mutex;
std::atomic<std::size_t> registries{0}; // alive

std::atomic<Registry*>& entry(std::uint32_t number) noexcept
{
    return table[number >> chunk_bits].load(std::memory_order_acquire)->entries[number & (chunk_size - 1)];
}

constinit thread_local Registry* this_thread_registry __attribute__((tls_model("initial-exec"))) = nullptr;
// Set once the thread's ThreadExit has run: a generator created after that
// (by a later thread-local destructor) gets a registry orphaned from birth.
constinit thread_local bool this_thread_exited __attribute__((tls_model("initial-exec"))) = false;

/// Frees a registry that is orphaned and empty; called by whoever made it so.
void free_registry(Registry* registry) noexcept
{
    {
        std::lock_guard hold(table_mutex);
        entry(registry->number).store(nullptr, std::memory_order_relaxed);
    }
    delete registry;
    registries.fetch_sub(1, std::memory_order_relaxed);
}

/// At thread exit, the thread's registry is orphaned, and freed if empty.
struct ThreadExit {
    ~ThreadExit()
    {
        this_thread_exited = true;
        Registry* registry = this_thread_registry;
        bool empty;
        {
            std::lock_guard hold(registry->lock);
            registry->orphaned = true;
            empty = registry->first == nullptr;
        }
        if (empty) {
            this_thread_registry = nullptr;
            free_registry(registry);
        }
    }
};

Registry& registry_of(const Control& generator) noexcept
{
    return *entry(owner_of(generator)).load(std::memory_order_acquire);
}
void link(Registry& registry, Control& generator) noexcept
{
    generator.links.previous = nullptr;
    generator.links.next = registry.first;
    if (registry.first != nullptr)
        registry.first->links.previous = &generator;
    registry.first = &generator;
}

using Label = std::unordered_map<const Control*, std::string>::node_type;

/// True if the registry is now orphaned and empty: the caller frees it.
/// The generator's label, if any, goes to `label`.
bool unlink(Registry& registry, Control& generator, Label* label = nullptr) noexcept
{
    if (!registry.labels.empty()) {
        Label node = registry.labels.extract(&generator);
        if (label != nullptr)
            *label = std::move(node);
    }
    if (generator.links.previous != nullptr)
        generator.links.previous->links.next = generator.links.next;
    else
        registry.first = generator.links.next;
    if (generator.links.next != nullptr)
        generator.links.next->links.previous = generator.links.previous;
    return registry.orphaned && registry.first == nullptr;
}

} // namespace

ThreadState& thread_for_generators()
{
    ThreadState& thread = numbered_thread();
    if (this_thread_registry != nullptr)
        return thread;
    if (thread.number == 0)
        throw_out_of_thread_numbers();
    auto* registry = new Registry(thread.number);
    registries.fetch_add(1, std::memory_order_relaxed);
    registry->orphaned = this_thread_exited;
    {
        std::lock_guard hold(table_mutex);
        std::atomic<Chunk*>& chunk = table[thread.number >> chunk_bits];
        if (chunk.load(std::memory_order_relaxed) == nullptr) {
            auto* fresh = new (std::nothrow) Chunk{};
            if (fresh == nullptr) {
                delete registry;
                registries.fetch_sub(1, std::memory_order_relaxed);
                throw std::bad_alloc();
            }
            chunk.store(fresh, std::memory_order_release);
        }
        entry(thread.number).store(registry, std::memory_order_release);
    }
    this_thread_registry = registry;
    if (!this_thread_exited) {
        static thread_local ThreadExit at_exit; // constructed once per thread: registers the destructor
        (void)at_exit;
    }
    return thread;
}

void enter_in_registry(Control& generator) noexcept
{
    Registry& registry = *this_thread_registry;
    std::lock_guard hold(registry.lock);
    link(registry, generator);
}

void remove_from_registry(Control& generator) noexcept
{
    Registry& registry = registry_of(generator);
    bool abandoned;
    {
        std::lock_guard hold(registry.lock);
        abandoned = unlink(registry, generator);
    }
    if (abandoned)
        free_registry(&registry);
}

void move_to_this_thread(Control& generator, std::uint32_t from) noexcept
{
    Registry& old = *entry(from).load(std::memory_order_acquire);
    Registry& registry = *this_thread_registry;
    Label label;
    bool abandoned;
    {
        std::lock_guard hold(old.lock);
        abandoned = unlink(old, generator, &label);
    }
    if (abandoned)
        free_registry(&old);
    std::lock_guard hold(registry.lock);
    link(registry, generator);
    if (!label.empty()) {
        try {
            registry.labels.insert(std::move(label)); // the node moves; only the bucket array may need memory
        } catch (const std::bad_alloc&) {
            // Out of memory: the generator keeps going, without its label.
        }
    }
}

void store_label(Control& generator, std::string_view label)
{
    Registry& registry = registry_of(generator);
    std::lock_guard hold(registry.lock);
    if (label.empty())
        registry.labels.erase(&generator);
    else
        registry.labels.insert_or_assign(&generator, std::string(label));
}

std::string stored_label(const Control& generator)
{
    Registry& registry = registry_of(generator);
    std::lock_guard hold(registry.lock);
    auto found = registry.labels.find(&generator);
    return found == registry.labels.end() ? std::string() : found->second;
}

std::uint32_t registry_thread(const Registry& registry) noexcept { return registry.number; }

bool registry_thread_exited(const Registry& registry) noexcept { return registry.orphaned; }

Control* registry_first(const Registry& registry) noexcept { return registry.first; }

std::string_view registry_label(const Registry& registry, const Control& generator) noexcept
{
    if (registry.labels.empty())
        return {};
    auto found = registry.labels.find(&generator);
    return found == registry.labels.end() ? std::string_view() : std::string_view(found->second);
}

void visit_this_thread_registry(void (*visit)(Registry& registry, void* context), void* context)
{
    Registry* registry = this_thread_registry;
    if (registry == nullptr)
        return;
    std::lock_guard hold(registry->lock);
    visit(*registry, context);
}

void visit_other_registries(void (*visit)(Registry& registry, void* context), void* context)
{
    std::lock_guard table_lock(table_mutex);
    for (const std::atomic<Chunk*>& chunk : table) {
        Chunk* entries = chunk.load(std::memory_order_acquire);
        if (entries == nullptr)
            continue;
        for (const std::atomic<Registry*>& slot : entries->entries) {
            Registry* registry = slot.load(std::memory_order_acquire);
            if (registry == nullptr || registry == this_thread_registry)
                continue;
            std::lock_guard hold(registry->lock);
            visit(*registry, context);
        }
    }
}

std::size_t live_registries() noexcept { return registries.load(std::memory_order_relaxed); }

void for_each_generator_of_this_thread(void (*visit)(Control& generator, void* context), void* context)
{
    struct Walk {
        void (*visit)(Control&, void*);
        void* context;
    } walk{visit, context};
    visit_this_thread_registry(
        [](Registry& registry, void* w) {
            auto& [visit_one, inner] = *static_cast<Walk*>(w);
            for (Control* generator = registry.first; generator != nullptr; generator = generator->links.next)
                visit_one(*generator, inner);
        },
        &walk);
}

} // namespace cg::detail
