// registry.cpp - the live generators of each thread (registry.hpp).
#include "registry.hpp"

#include <cg/debug.h>

#include <pthread.h>

#include <mutex>
#include <new>
#include <string>
#include <utility>

#include "control.hpp"
#include "control_slab.hpp"
#include "errors.hpp"
#include "registry_layout.hpp"
#include "thread_state.hpp"

namespace cg::detail {

constinit std::atomic<Chunk*> registry_table[chunk_size] = {};

constinit thread_local Registry* this_thread_registry __attribute__((tls_model("initial-exec"))) = nullptr;

// A program linked with libcg.a gets the debug descriptor, which describes
// this table, whenever it has registries: this reference pulls
// debug_descriptor.o out of the archive with registry.o.
[[gnu::used, gnu::retain]] constinit const void* const debug_descriptor_of_every_program = &cg_debug_descriptor;

LabelEntry::LabelEntry(const Control* labeled, std::string_view label)
    : generator(labeled), text(new char[label.size()]), size(static_cast<std::uint32_t>(label.size()))
{
    label.copy(text, label.size());
}

void LabelEntry::replace(std::string_view label)
{
    char* fresh = new char[label.size()];
    label.copy(fresh, label.size());
    delete[] std::exchange(text, fresh);
    size = static_cast<std::uint32_t>(label.size());
}

namespace {

std::mutex table_mutex;
std::atomic<std::size_t> registries{0}; // alive

std::atomic<Registry*>& entry(std::uint32_t number) noexcept
{
    return registry_table[number >> chunk_bits].load(std::memory_order_acquire)->entries[number & (chunk_size - 1)];
}

// Set at the thread's exit (ThreadExit, release): a generator created after
// its registry was released (by a later pthread key destructor) gets a
// registry orphaned from birth.
constinit thread_local bool this_thread_exited __attribute__((tls_model("initial-exec"))) = false;

/// Frees a registry found released and empty by whoever made it so,
/// unless its thread took it up again meanwhile (make_thread_for_generators).
void free_registry(Registry* registry) noexcept
{
    {
        std::lock_guard hold(table_mutex);
        std::lock_guard check(registry->lock);
        if (!registry->released || registry->generators != 0)
            return;
        entry(registry->number).store(nullptr, std::memory_order_relaxed);
    }
    delete registry;
    registries.fetch_sub(1, std::memory_order_relaxed);
}

/// At thread exit, when its thread_locals are destroyed, the thread's
/// registry is orphaned: snapshots then show the thread as exited. It is
/// not freed yet: thread_local destructors that run later (of objects
/// constructed before the thread's first generator) may still create and
/// destroy generators in it through this_thread_registry.
struct ThreadExit {
    ~ThreadExit()
    {
        this_thread_exited = true;
        Registry* registry = this_thread_registry; // released only after this
        std::lock_guard hold(registry->lock);
        registry->orphaned = true;
    }
};

/// The destructor of a pthread key whose value is the thread's registry:
/// glibc runs those after every thread_local destructor, so here the thread
/// is done with its registry, which is freed if it lists nothing, and
/// otherwise by whoever takes its last generator out. (A pthread key
/// destructor that runs later and creates a generator gets a new registry,
/// and sets the key again: glibc then runs this once more.)
void release(void* value) noexcept
{
    auto* registry = static_cast<Registry*>(value);
    bool empty;
    {
        std::lock_guard hold(registry->lock);
        registry->orphaned = true;
        registry->released = true;
        empty = registry->generators == 0;
    }
    this_thread_exited = true;
    if (this_thread_registry == registry)
        this_thread_registry = nullptr;
    if (empty)
        free_registry(registry);
}

/// The key of release(), made once; none if pthread_key_create fails
/// (1024 keys in use): threads' registries are then never freed.
struct ReleaseKey {
    pthread_key_t key;
    bool made = pthread_key_create(&key, release) == 0;
    ~ReleaseKey() // the library is unloaded: no more calls of release()
    {
        if (made)
            pthread_key_delete(key);
    }
};
ReleaseKey release_key;

Registry& registry_of(const Control& generator) noexcept
{
    return *entry(owner_of(generator)).load(std::memory_order_acquire);
}
/// Whether the registry lists a generator whose control block has
/// `control_bytes`: too large for a slab (walks find the others in the
/// slabs). Its links are before it.
bool listed(std::size_t control_bytes) noexcept { return !in_slab(control_bytes, sizeof(Control)); }
bool listed(const Control& generator) noexcept { return listed(control_size(ops_of(generator.head))); }
RegistryLinks& links_of(Control& generator) noexcept
{
    return *reinterpret_cast<RegistryLinks*>(reinterpret_cast<char*>(&generator) - unslabbed_prefix);
}

void link(Registry& registry, Control& generator, bool is_listed) noexcept
{
    ++registry.generators;
    if (!is_listed)
        return;
    RegistryLinks& links = links_of(generator);
    links.previous = nullptr;
    links.next = registry.first;
    if (registry.first != nullptr)
        links_of(*registry.first).previous = &generator;
    registry.first = &generator;
}

void list_label(Registry& registry, LabelEntry& label) noexcept
{
    label.previous = nullptr;
    label.next = registry.labels;
    if (registry.labels != nullptr)
        registry.labels->previous = &label;
    registry.labels = &label;
}

void unlist_label(Registry& registry, LabelEntry& label) noexcept
{
    if (label.previous != nullptr)
        label.previous->next = label.next;
    else
        registry.labels = label.next;
    if (label.next != nullptr)
        label.next->previous = label.previous;
}

using Label = std::unordered_map<const Control*, LabelEntry>::node_type;

/// True if the registry is now released and empty: the caller frees it.
/// The generator's label, if any, goes to `label`.
bool unlink(Registry& registry, Control& generator, bool is_listed, Label* label = nullptr) noexcept
{
    if (!registry.label_index.empty()) {
        Label node = registry.label_index.extract(&generator);
        if (!node.empty())
            unlist_label(registry, node.mapped());
        if (label != nullptr)
            *label = std::move(node);
    }
    --registry.generators;
    if (is_listed) {
        RegistryLinks& links = links_of(generator);
        if (links.previous != nullptr)
            links_of(*links.previous).next = links.next;
        else
            registry.first = links.next;
        if (links.next != nullptr)
            links_of(*links.next).previous = links.previous;
    }
    return registry.released && registry.generators == 0;
}

} // namespace

ThreadState& make_thread_for_generators()
{
    ThreadState& thread = numbered_thread();
    if (thread.number == 0)
        throw_out_of_thread_numbers();
    std::unique_lock table(table_mutex);
    if (Registry* kept = registry_table[thread.number >> chunk_bits].load(std::memory_order_relaxed) == nullptr
                             ? nullptr
                             : entry(thread.number).load(std::memory_order_relaxed)) {
        // Released at the thread's exit, not freed since: it still has
        // generators. A later pthread key destructor creates one: the
        // thread takes its registry up again, since a thread's generators
        // are those of the one registry its number names.
        std::lock_guard hold(kept->lock);
        kept->released = false;
        this_thread_registry = kept;
        if (release_key.made)
            (void)pthread_setspecific(release_key.key, kept);
        return thread;
    }
    table.unlock();
    auto* registry = new Registry(thread.number);
    registries.fetch_add(1, std::memory_order_relaxed);
    registry->orphaned = this_thread_exited;
    {
        std::lock_guard hold(table_mutex);
        std::atomic<Chunk*>& chunk = registry_table[thread.number >> chunk_bits];
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
    // Out of memory for the key's value, the registry is never released:
    // it stays, listing nothing, after the thread.
    if (release_key.made)
        (void)pthread_setspecific(release_key.key, registry);
    if (!this_thread_exited) {
        static thread_local ThreadExit at_exit; // constructed once per thread: registers the destructor
        (void)at_exit;
    }
    return thread;
}

void enter_in_registry(Control& generator, std::uint32_t status, std::size_t control_bytes) noexcept
{
    Registry& registry = *this_thread_registry;
    std::lock_guard hold(registry.lock);
    // Release: a walk that finds the status (acquire) finds the rest.
    __atomic_store_n(&generator.head.status, status, __ATOMIC_RELEASE);
    link(registry, generator, listed(control_bytes));
}

namespace {

/// The rest of remove_from_registry, which took the registry's lock (this
/// releases it), for a generator with a label, or listed, or in a registry
/// its thread released. remove_from_registry does what this does (unlink's
/// count and the status) for the others, with no call.
[[gnu::noinline]] void remove_slowly(Registry& registry, Control& generator, std::size_t control_bytes) noexcept
{
    bool abandoned = unlink(registry, generator, listed(control_bytes));
    set_status(generator.head, free_status); // walks skip it from now on
    registry.lock.unlock();
    if (abandoned)
        free_registry(&registry);
}

} // namespace

void remove_from_registry(Control& generator, std::size_t control_bytes) noexcept
{
    Registry& registry = registry_of(generator);
    registry.lock.lock();
    // The common case calls nothing, and so saves no registers.
    if (!registry.label_index.empty() || listed(control_bytes) || registry.released) [[unlikely]]
        return remove_slowly(registry, generator, control_bytes);
    --registry.generators;
    set_status(generator.head, free_status); // walks skip it from now on
    registry.lock.unlock();
}

void move_to_this_thread(Control& generator, std::uint32_t from) noexcept
{
    bool is_listed = listed(generator);
    Registry& old = *entry(from).load(std::memory_order_acquire);
    Registry& registry = *this_thread_registry;
    Label label;
    bool abandoned;
    {
        std::lock_guard hold(old.lock);
        abandoned = unlink(old, generator, is_listed, &label);
    }
    if (abandoned)
        free_registry(&old);
    std::lock_guard hold(registry.lock);
    link(registry, generator, is_listed);
    if (!label.empty()) {
        try {
            // The node moves, and the entry in it stays put; only the
            // index's bucket array may need memory.
            auto placed = registry.label_index.insert(std::move(label));
            list_label(registry, placed.position->second);
        } catch (const std::bad_alloc&) {
            // Out of memory: the generator keeps going, without its label.
        }
    }
}

void store_label(Control& generator, std::string_view label)
{
    Registry& registry = registry_of(generator);
    std::lock_guard hold(registry.lock);
    auto found = registry.label_index.find(&generator);
    if (found != registry.label_index.end()) {
        if (label.empty()) {
            unlist_label(registry, found->second);
            registry.label_index.erase(found);
        } else {
            found->second.replace(label);
        }
    } else if (!label.empty()) {
        auto placed = registry.label_index.try_emplace(&generator, &generator, label);
        list_label(registry, placed.first->second);
    }
}

std::string stored_label(const Control& generator)
{
    Registry& registry = registry_of(generator);
    std::lock_guard hold(registry.lock);
    auto found = registry.label_index.find(&generator);
    return found == registry.label_index.end() ? std::string() : std::string(found->second.view());
}

std::uint32_t registry_thread(const Registry& registry) noexcept { return registry.number; }

bool registry_thread_exited(const Registry& registry) noexcept { return registry.orphaned; }

void for_each_generator_in(const Registry& registry, void (*visit)(Control& generator, void* context), void* context)
{
    for (Control* generator = registry.first; generator != nullptr; generator = links_of(*generator).next)
        visit(*generator, context);
    struct Walk {
        std::uint32_t number;
        void (*visit)(Control&, void*);
        void* context;
    } walk{registry.number, visit, context};
    for_each_slab_generator(
        [](Control& generator, void* w) {
            auto& [number, visit_one, inner] = *static_cast<Walk*>(w);
            if (owner_of(generator) == number)
                visit_one(generator, inner);
        },
        &walk);
}

std::string_view registry_label(const Registry& registry, const Control& generator) noexcept
{
    if (registry.label_index.empty())
        return {};
    auto found = registry.label_index.find(&generator);
    return found == registry.label_index.end() ? std::string_view() : found->second.view();
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
    for (const std::atomic<Chunk*>& chunk : registry_table) {
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
            for_each_generator_in(registry, visit_one, inner);
        },
        &walk);
}

} // namespace cg::detail
