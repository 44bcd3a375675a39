// allocator.cpp - the allocation hook (cg_set_allocator).
#include "allocator.hpp"

#include <atomic>
#include <cstdlib>

#include <cg.h>

namespace cg::detail {
namespace {

void* allocate_with_malloc(std::size_t size, void*) { return std::malloc(size); }
void deallocate_with_free(void* memory, std::size_t, void*) { std::free(memory); }
void* allocate_aligned_with_malloc(std::size_t size, std::size_t alignment)
{
    void* memory;
    return posix_memalign(&memory, alignment, size) == 0 ? memory : nullptr;
}

constinit const Allocator default_allocator = {&allocate_with_malloc, &deallocate_with_free, nullptr,
                                               &allocate_aligned_with_malloc};
// Set while no generator exists; read on every allocation. An atomic so
// that setting it is not a data race with other threads' allocations.
constinit Allocator installed_allocator = default_allocator;
std::atomic<const Allocator*> current_allocator{&default_allocator};

} // namespace

std::atomic<std::uint32_t> allocator_change_count{0};

void* allocate(std::size_t size) noexcept
{
    const Allocator* allocator = current_allocator.load(std::memory_order_acquire);
    return allocator->allocate(size, allocator->context);
}

void deallocate(void* memory, std::size_t size) noexcept
{
    const Allocator* allocator = current_allocator.load(std::memory_order_acquire);
    allocator->deallocate(memory, size, allocator->context);
}

Allocator allocator_in_force() noexcept { return *current_allocator.load(std::memory_order_acquire); }

} // namespace cg::detail

extern "C" void cg_set_allocator(void* (*allocate)(size_t, void*), void (*deallocate)(void*, size_t, void*),
                                 void* context)
{
    using namespace cg::detail;
    if (allocate == nullptr || deallocate == nullptr) {
        current_allocator.store(&default_allocator, std::memory_order_release);
    } else {
        installed_allocator = {allocate, deallocate, context, nullptr};
        current_allocator.store(&installed_allocator, std::memory_order_release);
    }
    // After the store: a thread that sees the new count sees the new functions.
    allocator_change_count.fetch_add(1, std::memory_order_release);
}
