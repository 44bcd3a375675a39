// copy_generator.hpp - the C++ API of cg: CopyGenerator, Yielder, cg::yield.
//
//     cg::CopyGenerator<int> counter([](cg::Yielder<int>& y) {
//         for (int i = 0; i < 3; ++i)
//             y.yield(i);
//     });
//     for (int i : counter) ...             // 0, 1, 2
//
// A generator has no stack of its own: on its first resume it gets a home on
// the resumer's stack, a headroom below the resumer's stack pointer, and runs
// there. A yield copies the bytes its frames use (the slice) to a heap buffer
// and returns to the resumer; the next resume copies them back to the same
// addresses. The rules that follow from this (resume depth, threads, what
// state is kept) are in README.md.
#pragma once

#include <concepts>
#include <cstddef>
#include <iterator>
#include <memory>
#include <new>
#include <optional>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include <cg/detail/runtime.hpp>
#include <cg/error.hpp>

namespace cg {

namespace detail {
/// The default headroom of code compiled without and with AddressSanitizer,
/// whose red zones make frames several times larger. Why these figures:
/// README.md, "Headroom" (measured by bench/headroom_probe.cpp).
inline constexpr std::size_t plain_headroom = 512;
inline constexpr std::size_t asan_headroom = 2048;
} // namespace detail

/// Bytes between the first resumer's stack pointer and the top of a
/// generator's home, unless Options say otherwise: later resumes may come
/// from call sites up to this much deeper. 512, or 2048 in code compiled
/// with AddressSanitizer. (Not inline: files compiled with and without ASan
/// may be linked together.)
#if defined(__SANITIZE_ADDRESS__)
constexpr std::size_t default_headroom = detail::asan_headroom;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr std::size_t default_headroom = detail::asan_headroom;
#else
constexpr std::size_t default_headroom = detail::plain_headroom;
#endif
#else
constexpr std::size_t default_headroom = detail::plain_headroom;
#endif

/// The largest headroom accepted.
inline constexpr std::size_t max_headroom = std::size_t{64} << 20;

/// Shrinks the slice buffer of every suspended generator of the calling
/// thread to the size of its slice, gives back the control blocks the
/// thread keeps for reuse, and returns the bytes given back (see
/// README.md, "Memory", for when buffers grow and shrink by themselves).
/// Out of memory, a buffer stays as it was.
CG_API std::size_t trim_buffers() noexcept;

/// Per-generator settings.
struct Options {
    std::size_t headroom = default_headroom;
};

template <class Yield, class Receive = void>
class Yielder;
template <class Yield, class Receive = void>
class CopyGenerator;

namespace detail {

// A body is stored in the control block's allocation, unless it is an empty
// type that can be made afresh (a captureless lambda): then it costs nothing.
template <class Body>
inline constexpr bool body_is_stored = !(std::is_empty_v<Body> && std::is_default_constructible_v<Body> &&
                                         std::is_trivially_destructible_v<Body>);

template <class Body, class Yield, class Receive>
concept body_taking_first_value =
    !std::is_void_v<Receive> && std::is_invocable_v<Body&, Yielder<Yield, Receive>&, Receive>;

template <class Body, class Yield, class Receive>
concept generator_body =
    std::move_constructible<Body> &&
    (body_taking_first_value<Body, Yield, Receive> || std::is_invocable_v<Body&, Yielder<Yield, Receive>&> ||
     std::is_invocable_v<Body&>);

template <class Body, class Yield, class Receive>
void invoke_body(Body& body, Yielder<Yield, Receive>& yielder, ResumeFrame* first)
{
    if constexpr (body_taking_first_value<Body, Yield, Receive>)
        body(yielder, std::move(*static_cast<Receive*>(first->sent)));
    else if constexpr (std::is_invocable_v<Body&, Yielder<Yield, Receive>&>)
        body(yielder);
    else
        body();
}

/// The return addresses of two calls each entry<> makes (GeneratorOps):
/// [0] in entry<> itself, where an exception meets only its catch of
/// forced_unwind; [1] in run_body<>, where it also meets the destruction of
/// the stored body. A destroy that finds no landing pads in a suspended
/// generator's frames but these does what they would do itself, without
/// unwinding (src/cleanup_scan.hpp). The checks are written out in both
/// functions, not in a helper: the call's landing pad is that of the code
/// around it only when it is made from there. They find the array through
/// the generator's ops, not by name: entry<>s of identical bodies stay
/// identical code, which the linker folds (naming the array per body
/// made GCC stop inlining such bodies, and their slices grew 32 -> 64
/// bytes).
template <class Body, class Yield, class Receive>
inline std::uintptr_t entry_calls[2] = {};

/// The number the library gives ops_for<Body, Yield, Receive> (GeneratorOps).
template <class Body, class Yield, class Receive>
inline std::uint32_t ops_number = 0;

template <class Body, class Yield, class Receive>
void run_body(Control* generator, ResumeFrame* first)
{
    Yielder<Yield, Receive> yielder(generator);
    if constexpr (body_is_stored<Body>) {
        Body& body = *std::launder(static_cast<Body*>(body_of(generator)));
        // The body's captures die with the generator's last frame, however
        // the body ends.
        struct DestroyBody {
            Body& body;
            ~DestroyBody() { std::destroy_at(&body); }
        } destroy_body{body};
        if (__atomic_load_n(&ops_of(*head_of(generator)).entry_calls[1], __ATOMIC_RELAXED) == 0) [[unlikely]]
            note_entry_call(&ops_of(*head_of(generator)).entry_calls[1]);
        invoke_body(body, yielder, first);
    } else {
        Body body{};
        if (__atomic_load_n(&ops_of(*head_of(generator)).entry_calls[1], __ATOMIC_RELAXED) == 0) [[unlikely]]
            note_entry_call(&ops_of(*head_of(generator)).entry_calls[1]);
        invoke_body(body, yielder, first);
    }
}

template <class Body, class Yield, class Receive>
void entry(Control* generator, ResumeFrame* first) noexcept
{
    try {
        if (__atomic_load_n(&ops_of(*head_of(generator)).entry_calls[0], __ATOMIC_RELAXED) == 0) [[unlikely]]
            note_entry_call(&ops_of(*head_of(generator)).entry_calls[0]);
        run_body<Body, Yield, Receive>(generator, first);
    } catch (const forced_unwind&) {
        // The generator is being destroyed and its frames are unwound.
    } catch (...) {
        // Out of line: its temporaries would otherwise take room in this
        // frame, which holds the body's and is part of every slice.
        keep_escaped_exception();
    }
#if CG_ENTRY_RETURNS
    finish_entry_before_return();
#else
    finish_entry();
#endif
}

template <class Body>
void destroy_body(void* body) noexcept
{
    std::destroy_at(std::launder(static_cast<Body*>(body)));
}

template <class Body, class Yield, class Receive>
inline constexpr GeneratorOps ops_for = {
    &entry<Body, Yield, Receive>,
    body_is_stored<Body> && !std::is_trivially_destructible_v<Body> ? &destroy_body<Body> : nullptr,
    &typeid(Yield),
    &typeid(Receive),
    body_is_stored<Body> ? sizeof(Body) : 0,
    alignof(Body),
    true,
    entry_calls<Body, Yield, Receive>,
    &ops_number<Body, Yield, Receive>,
};

struct NoReceive {};
template <class Receive>
using receive_parameter = std::conditional_t<std::is_void_v<Receive>, NoReceive, Receive>;

} // namespace detail

/// The handle a body gets to yield through. Valid only while its generator
/// runs, and only in that generator (not in one it resumes).
template <class Yield, class Receive>
class Yielder {
public:
    explicit Yielder(detail::Control* generator) noexcept : generator_(generator) {}
    Yielder(const Yielder&) = delete;
    Yielder& operator=(const Yielder&) = delete;

    /// Suspends the generator: the resume in progress returns a Yield
    /// constructed from `value` (moved from an rvalue, never copied). Returns
    /// what the next resume sends (nothing if Receive is void).
    /// Throws cg::error (outside_generator) if this generator is not the
    /// innermost one running; std::bad_alloc if its slice buffer cannot grow,
    /// with `value` and the generator untouched; cg::forced_unwind if the
    /// generator is being destroyed.
    template <class Value = Yield>
        requires std::constructible_from<Yield, Value&&>
    CG_HOT_PATH Receive yield(Value&& value)
    {
        return detail::yield_from<Yield, Receive>(generator_, std::forward<Value>(value));
    }

private:
    detail::Control* generator_;
};

// A Yielder lives in the frame whose landing pad run_body<>'s noted call
// has (entry_calls): with a destructor, a destroy that does not unwind
// would skip it.
static_assert(std::is_trivially_destructible_v<Yielder<int>>);

/// Yields `value` from the innermost running generator, found without a
/// handle. The generator must yield exactly std::remove_cvref_t<Value> and
/// receive Receive; otherwise, or outside any generator, throws cg::error
/// (wrong_type, outside_generator). Errors as Yielder::yield otherwise.
template <class Receive = void, class Value>
CG_HOT_PATH Receive yield(Value&& value)
{
    using Yield = std::remove_cvref_t<Value>;
    detail::Control* generator = detail::generator_for_free_yield(typeid(Yield), typeid(Receive));
    return detail::yield_from<Yield, Receive>(generator, std::forward<Value>(value));
}

/// A generator of Yield values that runs on its resumer's stack and keeps
/// only its used stack slice while suspended. If Receive is not void, each
/// resume sends a Receive, which the pending yield returns.
///
/// The body is called as body(yielder, first) when Receive is not void and
/// it accepts the first resume's value; else as body(yielder); else as
/// body() (it then yields with cg::yield). Nothing runs until the first
/// resume. A CopyGenerator is movable; moving it does not move its frames.
template <class Yield, class Receive>
class CopyGenerator {
    static_assert(std::is_object_v<Yield> && !std::is_array_v<Yield> && std::is_move_constructible_v<Yield>,
                  "CopyGenerator yields movable object types");
    static_assert(std::is_void_v<Receive> || (std::is_object_v<Receive> && std::is_move_constructible_v<Receive>),
                  "CopyGenerator receives void or movable object types");

public:
    using value_type = Yield;
    using receive_type = Receive;
    using yielder_type = Yielder<Yield, Receive>;

    template <class Body>
        requires(!std::same_as<std::remove_cvref_t<Body>, CopyGenerator>) &&
                detail::generator_body<std::decay_t<Body>, Yield, Receive>
    explicit CopyGenerator(Body&& body, Options options = {})
        : generator_(detail::create(detail::ops_for<std::decay_t<Body>, Yield, Receive>, options.headroom))
    {
        using StoredBody = std::decay_t<Body>;
        static_assert(alignof(StoredBody) <= alignof(std::max_align_t), "over-aligned generator bodies are not supported");
        if constexpr (detail::body_is_stored<StoredBody>) {
            try {
                ::new (detail::body_of(generator_)) StoredBody(std::forward<Body>(body));
            } catch (...) {
                detail::free_unstarted(generator_);
                throw;
            }
        }
    }

    /// An empty generator, as a moved-from one is: next() throws cg::error
    /// until a generator is moved in.
    CopyGenerator() noexcept : generator_(nullptr) {}

    CopyGenerator(CopyGenerator&& other) noexcept : generator_(std::exchange(other.generator_, nullptr)) {}

    CopyGenerator& operator=(CopyGenerator&& other) noexcept
    {
        if (this != &other) {
            reset();
            generator_ = std::exchange(other.generator_, nullptr);
        }
        return *this;
    }

    /// Destroys the generator. If it is suspended, its frames are unwound
    /// first (its pending yield throws cg::forced_unwind), so every object
    /// alive in them is destroyed; this works from any depth of the owning
    /// thread's stack. Destroying a running generator, or a suspended one
    /// from another thread, prints a message and aborts: neither can be done
    /// correctly.
    ~CopyGenerator() { reset(); }

    /// Resumes the generator. Returns the next yielded value, or nullopt
    /// when the body returns. An exception escaping the body is rethrown
    /// here, and the generator is then finished.
    /// Throws cg::error if the generator is running or finished, if this
    /// resume comes from deeper than its home's top (resume_depth_error), or
    /// from a thread other than the one it started on; it is then unchanged.
    CG_HOT_PATH std::optional<Yield> next()
        requires std::is_void_v<Receive>
    {
        std::optional<Yield> out;
        resume_into(out, nullptr);
        return out;
    }

    /// As next(), sending `value`: the pending yield returns it. On the first
    /// resume there is no pending yield: the body gets `value` as its second
    /// argument if it takes one, and otherwise it is dropped.
    CG_HOT_PATH std::optional<Yield> next(detail::receive_parameter<Receive> value)
        requires(!std::is_void_v<Receive>)
    {
        std::optional<Yield> out;
        resume_into(out, std::addressof(value));
        return out;
    }

    /// True once the body has returned (or let an exception escape).
    bool done() const noexcept { return generator_ && detail::is_finished(generator_); }
    /// True once the generator has been resumed for the first time.
    bool started() const noexcept { return generator_ && detail::is_started(generator_); }
    /// Bytes of stack saved at the last yield: what the suspended frames use.
    std::size_t slice_size() const noexcept { return generator_ ? detail::slice_size(generator_) : 0; }
    /// Bytes the slice buffer can hold without growing.
    std::size_t buffer_capacity() const noexcept { return generator_ ? detail::buffer_capacity(generator_) : 0; }

    /// Where the generator waits: its frames, innermost first, read from
    /// its saved slice without resuming it. Empty unless it is suspended.
    /// Throws cg::error: wrong_thread (a generator of another thread, whose
    /// buffer that thread may be changing), unavailable (no libunwind).
    std::vector<Frame> backtrace() const { return generator_ ? detail::backtrace(generator_) : std::vector<Frame>(); }
    /// A label for snapshots and cg-dump; "" removes it. Any thread may set
    /// or read it. Throws cg::error (invalid_argument) if empty, std::bad_alloc.
    void set_label(std::string_view label)
    {
        if (!generator_)
            throw error(errc::invalid_argument, "cannot label an empty generator");
        detail::set_label(generator_, label);
    }
    std::string label() const { return generator_ ? detail::label(generator_) : std::string(); }

    /// An input iterator over the yielded values; each increment resumes.
    class iterator {
    public:
        using iterator_concept = std::input_iterator_tag;
        using value_type = Yield;
        using difference_type = std::ptrdiff_t;

        iterator() = default;
        iterator(iterator&&) noexcept = default;
        iterator& operator=(iterator&&) noexcept = default;

        Yield& operator*() const noexcept { return *current_; }
        Yield* operator->() const noexcept { return std::addressof(*current_); }
        CG_HOT_PATH iterator& operator++()
        {
            current_.reset();
            generator_->resume_into(current_, nullptr);
            return *this;
        }
        void operator++(int) { ++*this; }
        friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept { return !it.current_; }

    private:
        friend class CopyGenerator;
        explicit iterator(CopyGenerator* generator) noexcept : generator_(generator) {}

        CopyGenerator* generator_ = nullptr;
        mutable std::optional<Yield> current_;
    };

    /// Resumes once and returns an iterator at the value yielded; a finished
    /// generator gives an empty range.
    iterator begin()
        requires std::is_void_v<Receive>
    {
        iterator it(this);
        if (!done())
            ++it;
        return it;
    }
    std::default_sentinel_t end() const noexcept { return {}; }

private:
    void reset() noexcept
    {
        if (generator_)
            detail::destroy(std::exchange(generator_, nullptr));
    }

    CG_HOT_PATH void resume_into(std::optional<Yield>& out, void* sent)
    {
        detail::ResumeFrame frame{generator_, &out, sent};
        std::uintptr_t bits;
        if (detail::resume(frame, bits)) {
            if constexpr (detail::passed_by_bits<Yield>)
                out.emplace(detail::from_bits<Yield>(bits));
        } else if (frame.exception) [[unlikely]] {
            std::rethrow_exception(std::move(frame.exception));
        }
    }

    detail::Control* generator_;
};

} // namespace cg
