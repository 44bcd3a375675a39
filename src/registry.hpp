// registry.hpp - the live generators of each thread, for the operations
// that look at all of them (cg::trim_buffers, snapshots). Only creating,
// starting on another thread, and destroying a generator touch it; resume
// and yield never do.
//
// Each thread that creates or owns generators has a registry, under a
// spinlock of its own. A generator belongs to the registry of the thread in
// the owner part of its status word: before it starts, the thread that
// created it; after, the thread that owns it. The registry counts them, and
// finds them by walking the slabs of control blocks (control_slab.hpp) for
// statuses that name its thread; the few too large for a slab it lists,
// through RegistryLinks before their control blocks. A thread's registry
// lasts through the thread's exit, whose thread_local destructors may still
// create and destroy generators, and outlives the thread while it still
// has generators.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <cg/detail/runtime.hpp>
#include <cg/export.h>

namespace cg::detail {

struct Control;

/// A generator's place in its registry's list, before its control block,
/// if that is too large for a slab (registry_layout.hpp).
struct RegistryLinks {
    Control* previous;
    Control* next;
};

class Registry;

/// The calling thread's registry, from its first create or start on.
extern constinit thread_local Registry* this_thread_registry __attribute__((tls_model("initial-exec")));

/// thread_for_generators, the first time on a thread.
ThreadState& make_thread_for_generators();

/// The calling thread's state, once it has a number and a registry: ready
/// to create and own generators. Throws std::bad_alloc, or cg::error if
/// the thread numbers are used up.
inline ThreadState& thread_for_generators()
{
    if (this_thread_registry != nullptr) [[likely]]
        return this_thread;
    return make_thread_for_generators();
}

/// Enters a generator created by the calling thread, with `status`, which
/// names that thread (thread_for_generators()). `control_bytes`: its control
/// block's allocation (control_size), which the caller has at hand.
void enter_in_registry(Control& generator, std::uint32_t status, std::size_t control_bytes) noexcept;

/// Takes a generator out of the registry its status names; its status
/// becomes free_status (control.hpp).
void remove_from_registry(Control& generator, std::size_t control_bytes) noexcept;

/// Moves a generator, with its label, from thread `from`'s registry to the
/// calling thread's, which its status now names: another thread started it.
/// (Out of memory, the label is lost: the move cannot fail.)
void move_to_this_thread(Control& generator, std::uint32_t from) noexcept;

/// A generator's label, kept in its registry: "" removes it. Any thread.
/// Throws std::bad_alloc.
void store_label(Control& generator, std::string_view label);
std::string stored_label(const Control& generator);

/// Registries alive: one per thread that has created or owned generators
/// and is alive or still has some. Exported for the tests.
CG_API std::size_t live_registries() noexcept;

/// One thread's registry, for the functions below and the visitors they
/// call, which hold its lock: a visitor must not create, start or destroy
/// generators, nor label them.
std::uint32_t registry_thread(const Registry& registry) noexcept;
bool registry_thread_exited(const Registry& registry) noexcept;
/// Calls visit(generator, context) for each of the registry's generators.
void for_each_generator_in(const Registry& registry, void (*visit)(Control& generator, void* context), void* context);
std::string_view registry_label(const Registry& registry, const Control& generator) noexcept;

/// visit(registry, context) with the calling thread's registry locked, if
/// it has one.
void visit_this_thread_registry(void (*visit)(Registry& registry, void* context), void* context);
/// visit(registry, context) for every other thread's registry, each locked
/// in turn, the set of registries locked meanwhile.
void visit_other_registries(void (*visit)(Registry& registry, void* context), void* context);

/// Calls visit(generator, context) for every generator in the calling
/// thread's registry, with the registry locked: visit must not create or
/// destroy generators.
void for_each_generator_of_this_thread(void (*visit)(Control& generator, void* context), void* context);

} // namespace cg::detail
