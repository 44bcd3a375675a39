// per_thread.hpp - per-thread state too large for libcg's static TLS:
// its thread-locals are initial-exec (cg/detail/runtime.hpp), of which a
// library loaded with dlopen (the Python package) has a few hundred bytes
// in all. Such state lives on the heap, and a thread-local points at it.
#pragma once

#include <new>

namespace cg::detail {

/// The calling thread's T, made at its first use and deleted at its exit.
/// T must be declared in an unnamed namespace: the two thread-locals are
/// then local to the library, not unique symbols shared by every object.
template <class T>
class PerThread {
public:
    /// The thread's T; null out of memory, or once it is deleted: a use
    /// from a thread-local destructor that runs after it goes without.
    static T* get() noexcept
    {
        if (object == nullptr && !released) [[unlikely]]
            make();
        return object;
    }

private:
    /// Deletes the thread's T at its exit. Constructed when the T is made,
    /// so its destructor runs before those of the thread-locals made
    /// earlier, which may still use it: the pointer and the flag it leaves
    /// are plain data, valid to read to the thread's very end.
    struct Release {
        ~Release()
        {
            delete object;
            object = nullptr;
            released = true;
        }
    };

    [[gnu::noinline]] static void make() noexcept
    {
        object = new (std::nothrow) T{};
        if (object != nullptr) {
            static thread_local Release release; // registers its destructor, once per thread
            (void)release;
        }
    }

    static constinit thread_local T* object;
    static constinit thread_local bool released;
};

template <class T>
constinit thread_local T* PerThread<T>::object __attribute__((tls_model("initial-exec"))) = nullptr;
template <class T>
constinit thread_local bool PerThread<T>::released __attribute__((tls_model("initial-exec"))) = false;

} // namespace cg::detail
