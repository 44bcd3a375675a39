// per_thread.hpp - per-thread state too large for libcg's static TLS:
// its thread-locals are initial-exec (cg/detail/runtime.hpp), of which a
// library loaded with dlopen (the Python package) has a few hundred bytes
// in all. Such state lives on the heap, and a thread-local points at it.
#pragma once

#include <pthread.h>

#include <new>

namespace cg::detail {

/// The calling thread's T, made at its first use and deleted at its exit.
/// T must be declared in an unnamed namespace: the two thread-locals are
/// then local to the library, not unique symbols shared by every object.
template <class T>
class PerThread {
public:
    /// The thread's T; null out of memory, or once it is deleted: a use
    /// from a pthread key destructor that runs after it goes without.
    static T* get() noexcept
    {
        if (object == nullptr && !released) [[unlikely]]
            make();
        return object;
    }
    /// The thread's T if it has one already: null otherwise.
    static T* existing() noexcept { return object; }

private:
    /// Deletes the thread's T at its exit: the destructor of a pthread key
    /// whose value is the T. glibc runs those after every thread_local
    /// destructor, which may still use it, and again, in a later round, for
    /// a T that another key's destructor made (a thread_local's destructor
    /// registered that late would never run: the T would leak, as ASan's
    /// leak check found). The pointer and the flag it leaves are plain
    /// data, valid to read to the thread's very end.
    static void release(void*) noexcept
    {
        delete object;
        object = nullptr;
        released = true;
    }

    /// The key, made once per process; none if pthread_key_create fails
    /// (1024 keys in use): no T then.
    struct Key {
        pthread_key_t key;
        bool made = pthread_key_create(&key, release) == 0;
        ~Key() // the library is unloaded, or the process exits
        {
            if (made)
                pthread_key_delete(key);
        }
    };

    [[gnu::noinline]] static void make() noexcept
    {
        static Key key;
        if (!key.made)
            return;
        object = new (std::nothrow) T{};
        if (object != nullptr && pthread_setspecific(key.key, object) != 0) {
            delete object; // no memory for the key's value: no T
            object = nullptr;
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
