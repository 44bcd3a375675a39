// runtime.hpp - what the C++ templates need from libcg: the hot path of
// resume and yield, inline, and the library calls for everything else.
// Not a public API: names and layouts here may change between versions.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include <cg/error.hpp>
#include <cg/export.h>
#include <cg/inspect.hpp>

/// In optimized code the hot path of resume and yield is inlined into the
/// code that resumes or yields, always, not at the compiler's discretion.
/// A switch ends with a jump, not a `ret` (which would mispredict on the
/// return stack buffer, arch/<cpu>/switch.S), so the return address its
/// call pushed there is never popped; if a function of cg's made that call,
/// its own `ret` would find that stale entry and mispredict on every switch
/// (measured: 25 ns a round trip instead of 16 when GCC stopped inlining
/// resume into cg-bench's loop). Unoptimized code keeps the calls: inlined
/// there, the hot path's locals would each take their own stack slot in
/// every caller, several hundred bytes that every resume site would need
/// as headroom.
#if defined(__OPTIMIZE__)
#define CG_HOT_PATH [[gnu::always_inline]] inline
#else
#define CG_HOT_PATH inline
#endif

/// Whether a generator's entry returns at its end (into cg_arch_entry_return)
/// instead of ending with finish_entry(), which does not return: in code
/// compiled with ThreadSanitizer, which pairs every function's entry with
/// its return on a shadow call stack (an entry that never returned would
/// leave its record there, and each finished generator one more), or with
/// AddressSanitizer, whose epilogue takes the poison of the frame's red
/// zones off the stack (left there, the resumer's next calls would meet
/// it).
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define CG_ENTRY_RETURNS 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define CG_ENTRY_RETURNS 1
#endif
#endif
#ifndef CG_ENTRY_RETURNS
#define CG_ENTRY_RETURNS 0
#endif

namespace cg::detail {

/// A generator's control block. Its head (ControlHead) is described here
/// for the inline hot path; the rest (saved registers, slice bytes) is in
/// src/control.hpp and arch/.
struct Control;

struct GeneratorOps;

/// A generator's life, in the two low bits of its status word; a thread's
/// number is in the others: the thread that created it until it starts
/// (any thread may start it), then the thread that owns it.
///
///   state         thread     slice_top / headroom     slice_size  buffer
///   not_started   creator    headroom (bytes)         0           inline, unused
///   running       owner      slice top (its home)     previous    holds nothing
///   suspended     owner      slice top                bytes       holds the slice
///   finished      owner      slice top (dead home)    0           inline, unused
enum class State : std::uint32_t { not_started = 0, suspended = 1, running = 2, finished = 3 };

inline constexpr std::uint32_t state_bits = 2;
inline constexpr std::uint32_t state_mask = (1u << state_bits) - 1;
/// Thread numbers stay below this.
inline constexpr std::uint32_t unowned = (1u << (32 - state_bits)) - 1;

constexpr std::uint32_t status_of(std::uint32_t owner, State state) noexcept
{
    return owner << state_bits | static_cast<std::uint32_t>(state);
}

/// The portable head of every control block. Only the owning thread writes
/// a started generator's fields; any thread may read `status` (atomically)
/// to refuse a resume that is not its own, and `ops_number`, written once,
/// before the status (a snapshot of another thread's generators: byte by
/// byte, is_c_generator), but not `heap_buffer`, which the owner writes at
/// a yield.
struct ControlHead {
    std::uint32_t status; // status_of(owner, state)
    int saved_errno;      // the generator's errno while it is suspended
    union {
        char* slice_top;      // once started: the home's top minus the link frame
        std::size_t headroom; // before: how far below the first resumer the home goes
    };
    std::uint32_t slice_size;   // bytes of the saved slice
    std::uint8_t ops_number[3]; // its GeneratorOps (ops_of), little-endian
    std::uint8_t heap_buffer;   // 1: the slice bytes are in a heap buffer (src/control.hpp)
};

inline ControlHead* head_of(Control* generator) noexcept { return reinterpret_cast<ControlHead*>(generator); }

/// A control block names its GeneratorOps by a number of 24 bits, not by
/// their address: 5 bytes less in every control block. The library numbers
/// a GeneratorOps at its first create and keeps its address at that index
/// of `ops_by_number`, an array it replaces by a copy twice as large when
/// full (never freeing one: a thread may still read it). Number 0 is none;
/// 1 is the C API's.
inline constexpr std::uint32_t ops_number_bits = 24;
CG_API extern const GeneratorOps* const* ops_by_number;

/// The number, for the thread that owns the generator or was handed it: the
/// number's three bytes and the flag after them in one load (byte by byte,
/// a load right after create's store of the word would wait for the store
/// to reach the cache: 6 ns more a create, start and destroy).
inline std::uint32_t ops_number_of(const ControlHead& generator) noexcept
{
    static_assert(std::endian::native == std::endian::little && sizeof generator.ops_number * 8 == ops_number_bits);
    std::uint32_t word;
    std::memcpy(&word, reinterpret_cast<const unsigned char*>(&generator) + offsetof(ControlHead, ops_number),
                sizeof word);
    return word & ((std::uint32_t{1} << ops_number_bits) - 1);
}

/// The operations of a generator. Its number was given before it was made
/// (create), and whoever holds the generator saw that happen.
inline const GeneratorOps& ops_of(const ControlHead& generator) noexcept
{
    return *__atomic_load_n(&ops_by_number, __ATOMIC_ACQUIRE)[ops_number_of(generator)];
}

/// The two per-thread fields of the Itanium C++ ABI's exception-handling
/// globals (__cxa_eh_globals): the stack of caught exceptions and the count
/// of exceptions in flight. Each generator keeps its own while it runs.
struct ExceptionState {
    void* caught = nullptr;
    unsigned int uncaught = 0;
};

/// Puts the yielded value into frame->yielded, for yield types not passed
/// by bits (see passed_by_bits). `value` is the yielded argument's address.
/// May throw (a move constructor).
struct ResumeFrame;
using DeliverFn = void (*)(ResumeFrame* frame, std::uintptr_t value);

/// One resume in progress. It lives in the resumer's frame for the length of
/// the resume; the generator finds it through ThreadState::current.
struct ResumeFrame {
    /// Why the generator runs: to go on, or to be destroyed (its yields then
    /// throw forced_unwind); `unwind_parking`: destroyed by a resumer whose
    /// own frames reach into its home and are parked meanwhile
    /// (src/generator.cpp: this frame is then part of a ParkingUnwind).
    enum class Purpose : std::uint8_t { resume, unwind, unwind_parking };

    Control* generator;
    void* yielded; ///< std::optional<Yield>*: where a delivered value goes
    void* sent;    ///< Receive*: what the pending yield returns; null if Receive is void
    Purpose purpose = Purpose::resume;
    int resumer_errno = 0;                  ///< the resumer's errno, while the generator runs
    ResumeFrame* outer = nullptr;           ///< the resume that was innermost before this one
    ExceptionState resumer_exceptions = {}; ///< the resumer's, while the generator runs
    DeliverFn deliver = nullptr;            ///< set by the yield; null: `value` is the value's bits
    std::uintptr_t value = 0;               ///< set by the yield: the value's bits, or its address
    std::exception_ptr exception = {};      ///< set when an exception escapes the body

    bool unwinding() const noexcept { return purpose != Purpose::resume; }
};

/// What cg keeps per thread.
struct ThreadState {
    ResumeFrame* current;       ///< the innermost resume in progress on this thread, or null
    ExceptionState* exceptions; ///< this thread's __cxa_eh_globals; set with `number`
    int* error_number;          ///< this thread's errno; set with `number`
    std::uint32_t number;       ///< 0 until the thread first starts a generator
};

// initial-exec: every access is one %fs-relative instruction, no call; the
// cost is a few bytes of static TLS, which a library loaded at start-up (or
// dlopen'ed while glibc's surplus lasts) can have. constinit: no TLS wrapper.
// Code reads it by name, never through a reference bound to it: UBSan's
// null check of such a reference tests the flags of an `add %fs:0` that the
// linker rewrites to a `lea` when it links the static library into a
// program, and then reports a null pointer that is not.
CG_API extern constinit thread_local ThreadState this_thread __attribute__((tls_model("initial-exec")));

/// Runs the body on the generator's home: called once, by the trampoline.
/// It ends with finish_entry() instead of returning (but see
/// CG_ENTRY_RETURNS).
using EntryFn = void (*)(Control* generator, ResumeFrame* first) noexcept;

/// What a body's type tells the core, without the type.
struct GeneratorOps {
    EntryFn entry;
    void (*destroy_body)(void* body) noexcept; ///< for a generator never started; null if trivial
    const std::type_info* yield_type;
    const std::type_info* receive_type;
    std::size_t body_size;  ///< bytes stored after the control block; 0 if the body is not stored
    std::size_t body_align;
    bool unwind_on_destroy; ///< run destructors of a suspended generator's frames (C++), or discard them (C)
    /// For a C++ generator: the return addresses of two calls its entry<>
    /// makes at its start (note_entry_call), whose landing pads run only
    /// what a destroy can do itself; null for C.
    std::uintptr_t* entry_calls;
    /// Where the library keeps the number it gives these operations (0
    /// until their first create): the number control blocks hold.
    std::uint32_t* number;
};

/// What the trampoline's start and resume return: a status and, when too
/// deep, the resumer's saved stack pointer.
struct SwitchResult {
    std::uintptr_t status;
    std::uintptr_t payload;
};
inline constexpr std::uintptr_t switch_yielded = 1;  ///< the value is in the ResumeFrame
inline constexpr std::uintptr_t switch_finished = 3;
inline constexpr std::uintptr_t switch_too_deep = 5; ///< refused, nothing changed; payload: the resumer's sp

/// The generator's state after a switch that returned `status`: its low
/// two bits.
constexpr State state_after(std::uintptr_t status) noexcept { return State(status & state_mask); }
static_assert(state_after(switch_yielded) == State::suspended && state_after(switch_finished) == State::finished &&
              state_after(switch_too_deep) == State::suspended);

// The trampoline (arch/<cpu>/switch.S), called directly from the inline hot
// path below; the contracts are written above each routine there. Called
// through the GOT, not a PLT stub: one indirect call where a call and an
// indirect jump would be.
#if defined(__has_attribute)
#if __has_attribute(noplt)
#define CG_NO_PLT __attribute__((noplt))
#endif
#endif
#ifndef CG_NO_PLT
#define CG_NO_PLT
#endif
extern "C" {
CG_API CG_NO_PLT SwitchResult cg_arch_start(Control* generator, ResumeFrame* frame, EntryFn entry,
                                            std::size_t headroom);
CG_API CG_NO_PLT SwitchResult cg_arch_resume(Control* generator, ResumeFrame* frame);
CG_API CG_NO_PLT ResumeFrame* cg_arch_suspend(Control* generator, ResumeFrame* frame);
}

// The library's cold paths.
CG_API Control* create(const GeneratorOps& ops, std::size_t headroom); // throws std::bad_alloc, cg::error
CG_API void* body_of(Control* generator) noexcept;                     // where the body is stored
CG_API void free_unstarted(Control* generator) noexcept;               // frees without touching the body
CG_API void destroy(Control* generator) noexcept;
/// Throws the error a resume of `frame` meets, unless it is the first resume
/// of a generator nobody has started: then claims it for this thread and
/// returns its headroom.
CG_API std::size_t claim_for_start(ResumeFrame& frame);
/// After a resume the trampoline refused (switch_too_deep, whose payload
/// is `resumer_sp`): throws resume_depth_error. Nothing was touched.
[[noreturn]] CG_API void throw_resume_too_deep(const ResumeFrame& frame, std::uintptr_t resumer_sp);
/// A yield that is not the common one (see suspend): throws the error it
/// meets, or forced_unwind, or yields keeping the caught exceptions.
CG_API ResumeFrame* suspend_slowly(Control* generator, DeliverFn deliver, std::uintptr_t value);
CG_API ResumeFrame* current_frame() noexcept;
/// The end of the running generator's entry: its slice buffer emptied,
/// back to its resumer, finished (arch/<cpu>/switch.S, cg_arch_finish).
/// Does not return; not declared [[noreturn]], since GCC then takes the
/// entry<> that calls it for cold code, and stops inlining into it.
/// Without arguments: an argument kept across the body would be one more
/// register saved in the entry's frame, which is in every slice.
CG_API CG_NO_PLT void finish_entry() noexcept;
/// The same for an entry that returns (CG_ENTRY_RETURNS): empties the slice
/// buffer, and returns.
CG_API void finish_entry_before_return() noexcept;
CG_API void keep_escaped_exception() noexcept; // in a catch block: hand the exception to the resumer
CG_API Control* generator_for_free_yield(const std::type_info& yield, const std::type_info& receive);
/// Stores its own return address at *where (once: entry<> calls it while
/// *where is 0). Not noexcept, so that the call has the landing pad of the
/// code around it: that landing pad is what cleanup_scan.cpp compares the
/// frames of a generator being destroyed with.
CG_API void note_entry_call(std::uintptr_t* where);
[[noreturn]] CG_API void throw_forced_unwind();
/// throw_forced_unwind, compiled into the program that yields: the
/// entry<> that catches it is compiled there too, so the unwinder finds the
/// same type_info object on both sides instead of comparing names across
/// libraries (README, "Performance"). Out of line: a throw inline in the
/// yield makes some bodies too large to inline into their entry<>, which
/// adds a frame to their slice.
[[noreturn, gnu::noinline, gnu::cold]] inline void throw_forced_unwind_here() { throw forced_unwind{}; }
[[noreturn]] CG_API void throw_bad_alloc();

CG_API bool is_started(const Control* generator) noexcept;
CG_API bool is_finished(const Control* generator) noexcept;
CG_API std::size_t slice_size(const Control* generator) noexcept;
CG_API std::size_t buffer_capacity(const Control* generator) noexcept;
// Inspection (cg/inspect.hpp). backtrace throws cg::error (wrong_thread,
// unavailable); the label functions std::bad_alloc.
CG_API std::vector<Frame> backtrace(const Control* generator);
CG_API void set_label(Control* generator, std::string_view label);
CG_API std::string label(const Control* generator);

} // namespace cg::detail

namespace cg::detail {

/// The status word, read from any thread. Relaxed: the owner part is
/// written once, at the start, and a thread only acts on finding its own
/// number there; the state part is only read by the owner.
inline std::uint32_t status_of(const ControlHead& generator) noexcept
{
    return __atomic_load_n(&generator.status, __ATOMIC_RELAXED);
}

/// Only the owning thread changes the state.
inline void set_status(ControlHead& generator, std::uint32_t status) noexcept
{
    __atomic_store_n(&generator.status, status, __ATOMIC_RELAXED);
}

/// The bookkeeping of a switch into a generator of this thread, whose
/// status becomes `running`: `frame` becomes the innermost resume; the
/// generator gets its own errno back (a new one: its first resumer's, see
/// claim_for_start) and an empty C++ exception state, the resumer's being
/// set aside in `frame` if it has any. (Generators always leave an empty
/// one: a yield inside a catch block keeps its own in its frame,
/// suspend_slowly.)
CG_HOT_PATH void enter(ResumeFrame& frame, ControlHead& generator, std::uint32_t running) noexcept
{
    frame.outer = this_thread.current;
    this_thread.current = &frame;
    ExceptionState& globals = *this_thread.exceptions;
    if (globals.caught != nullptr || globals.uncaught != 0) [[unlikely]] {
        frame.resumer_exceptions = globals;
        globals = {};
    }
    int* error_number = this_thread.error_number;
    frame.resumer_errno = *error_number;
    *error_number = generator.saved_errno;
    set_status(generator, running);
}

/// The bookkeeping of the switch back: the resumer's exception state, errno
/// and innermost resume come back; the generator keeps its errno, and its
/// status becomes `status`.
CG_HOT_PATH void leave(ResumeFrame& frame, ControlHead& generator, std::uint32_t status) noexcept
{
    if (frame.resumer_exceptions.caught != nullptr || frame.resumer_exceptions.uncaught != 0) [[unlikely]]
        *this_thread.exceptions = frame.resumer_exceptions;
    int* error_number = this_thread.error_number;
    generator.saved_errno = *error_number;
    *error_number = frame.resumer_errno;
    this_thread.current = frame.outer;
    set_status(generator, status);
}

/// Resumes frame.generator until it yields (true; for a yield type passed
/// by bits, `bits` then holds the value) or finishes (false). A suspended
/// generator of this thread is resumed with no library call: the
/// bookkeeping here, then the trampoline, which jumps into it. Calling
/// the trampoline from this inline code also makes a generator's home lie
/// `headroom` below the frame of the call site that first resumed it, so
/// later resumes from the same site are never too deep. Throws cg::error
/// for misuse.
CG_HOT_PATH bool resume(ResumeFrame& frame, std::uintptr_t& bits)
{
    Control* generator = frame.generator;
    std::uint32_t owner = this_thread.number;
    SwitchResult result;
    if (generator != nullptr && status_of(*head_of(generator)) == status_of(owner, State::suspended)) [[likely]] {
        enter(frame, *head_of(generator), status_of(owner, State::running));
        result = cg_arch_resume(generator, &frame);
    } else {
        std::size_t headroom = claim_for_start(frame); // or throws why not
        owner = this_thread.number;                    // now that it has one
        enter(frame, *head_of(generator), status_of(owner, State::running));
        result = cg_arch_start(generator, &frame, ops_of(*head_of(generator)).entry, headroom);
    }
    leave(frame, *head_of(generator), status_of(owner, state_after(result.status)));
    if (result.status != switch_yielded) [[unlikely]] {
        if (result.status == switch_too_deep)
            throw_resume_too_deep(frame, result.payload);
        return false; // finished: finish_entry() (or finish_entry_before_return) did the rest
    }
    bits = frame.value;
    return true;
}

/// Whether a yield of `generator`, with `frame` the innermost resume on
/// this thread, is the common case: `generator` is that resume's, which is
/// not unwinding it, and the thread holds no caught C++ exception.
CG_HOT_PATH bool suspends_directly(const ResumeFrame* frame, const Control* generator) noexcept
{
    return frame != nullptr && frame->generator == generator && !frame->unwinding() &&
           this_thread.exceptions->caught == nullptr && this_thread.exceptions->uncaught == 0;
}

/// Suspends the running `generator`, handing `value` to deliver (or, if
/// deliver is null, to the resumer as bits); returns the ResumeFrame of the
/// resume that continues it, or null (nothing done) when the slice buffer
/// could not grow. The common case (the innermost generator, not being
/// unwound, holding no caught exception) goes straight to the trampoline;
/// the others to the library.
CG_HOT_PATH ResumeFrame* suspend(Control* generator, DeliverFn deliver, std::uintptr_t value)
{
    ResumeFrame* frame = this_thread.current;
    if (!suspends_directly(frame, generator)) [[unlikely]]
        return suspend_slowly(generator, deliver, value);
    frame->deliver = deliver;
    frame->value = value;
    return cg_arch_suspend(generator, frame);
}

/// Small trivially copyable values travel as bits, not through their
/// address: as the argument of a yield, so that the yielding frame need not
/// keep it in memory (which keeps the slice of a generator of ints at 32
/// bytes); and as the yielded value, which the yield leaves in the
/// ResumeFrame for the resumer, so that no delivery function is called.
template <class Value>
inline constexpr bool passed_by_bits = std::is_trivially_copyable_v<std::remove_cvref_t<Value>> &&
                                       !std::is_array_v<std::remove_cvref_t<Value>> &&
                                       sizeof(std::remove_cvref_t<Value>) <= sizeof(std::uintptr_t);

template <class Value>
std::uintptr_t pass(Value& value) noexcept
{
    if constexpr (passed_by_bits<Value>) {
        std::uintptr_t bits = 0;
        std::memcpy(&bits, std::addressof(value), sizeof(std::remove_cvref_t<Value>));
        return bits;
    } else {
        return reinterpret_cast<std::uintptr_t>(const_cast<void*>(static_cast<const volatile void*>(std::addressof(value))));
    }
}

/// The value whose bits `pass` gave.
template <class Value>
Value from_bits(std::uintptr_t bits) noexcept
{
    alignas(Value) unsigned char storage[sizeof(Value)];
    std::memcpy(storage, &bits, sizeof(Value));
    return *std::launder(reinterpret_cast<Value*>(storage));
}

template <class Yield, class Value>
void deliver(ResumeFrame* frame, std::uintptr_t value)
{
    auto& out = *static_cast<std::optional<Yield>*>(frame->yielded);
    if constexpr (passed_by_bits<Value>)
        out.emplace(from_bits<std::remove_cvref_t<Value>>(value));
    else
        out.emplace(std::forward<Value>(*reinterpret_cast<std::remove_reference_t<Value>*>(value)));
}

/// Yields `value` from the running generator and returns what the resume
/// that continues it sends. The value is constructed in the resumer's
/// std::optional only once the slice buffer is known to be large enough, so
/// a std::bad_alloc from growing it leaves `value` untouched.
template <class Yield, class Receive, class Value>
CG_HOT_PATH Receive yield_from(Control* generator, Value&& value)
{
    ResumeFrame* next;
    if constexpr (passed_by_bits<Yield>) {
        Yield converted(std::forward<Value>(value)); // may throw: nothing has happened yet
        next = suspend(generator, nullptr, pass(converted));
    } else {
        next = suspend(generator, &deliver<Yield, Value>, pass(value));
    }
    if (next == nullptr) [[unlikely]]
        throw_bad_alloc();
    if (next->unwinding()) [[unlikely]]
        throw_forced_unwind_here();
    if constexpr (!std::is_void_v<Receive>)
        return std::move(*static_cast<Receive*>(next->sent));
}

} // namespace cg::detail
