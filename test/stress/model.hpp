// model.hpp - what a random stress program is made of, shared by the run on
// real generators and the reference run that computes the expected results
// without coroutines.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "frame_layout.h" // CG_SMALL_SLICE

namespace cg_stress {

/// splitmix64: small, fast, and the same everywhere.
class Rng {
public:
    explicit Rng(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next()
    {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    /// Uniform in [0, n).
    std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }
    bool chance(unsigned percent) { return below(100) < percent; }

private:
    std::uint64_t state_;
};

inline std::uint64_t mix(std::uint64_t a, std::uint64_t b)
{
    return Rng(a * 0x100000001b3ull ^ b).next();
}

/// Counts live objects, per thread; every program must end with none.
struct Tracked {
    static inline thread_local long alive = 0;
    std::uint64_t value;
    explicit Tracked(std::uint64_t v) : value(v) { ++alive; }
    Tracked(const Tracked& other) : value(other.value) { ++alive; }
    Tracked& operator=(const Tracked&) = default;
    ~Tracked() { --alive; }
};

/// How a generator's logical values (uint64_t) travel: as what type, and
/// whether resumes send values in.
enum class Kind {
    integer_receiving_integer,  // CopyGenerator<uint64_t, uint64_t>
    string,                     // CopyGenerator<std::string>, short and long
    move_only,                  // CopyGenerator<std::unique_ptr<Tracked>>
    vector,                     // CopyGenerator<std::vector<uint64_t>>
    integer_receiving_move_only, // CopyGenerator<uint64_t, std::unique_ptr<Tracked>>
    minimal,                     // CopyGenerator<uint64_t> yielding from its body's own small frame: its
                                 // slice fits the control block's inline bytes; no children
};
inline constexpr int kind_count = 6;
const char* name(Kind kind);
bool receives(Kind kind);

/// What a resume sends for the `index`-th resume of generator `id`
/// (0 for the first, which has no pending yield).
inline std::uint64_t sent_value(std::uint32_t id, std::uint64_t index) { return index == 0 ? 0 : mix(id, index) >> 16; }

/// A minimal generator yields x = seed, then minimal_next(x), ... while x % 16
/// is not 0 (at most 16 values). Its small constants keep the body's frame
/// small: a 64-bit one would be kept in a register, saved in the frame.
inline std::uint64_t minimal_next(std::uint64_t x) { return x * 5 + 3; }
inline bool minimal_goes_on(std::uint64_t x) { return x % 16 != 0; }

/// The slice classes the copies of a slice distinguish (src/slice_copy.hpp,
/// arch/<cpu>/switch.S): the control block's inline bytes, a small slice
/// in a heap buffer that the trampoline copies itself (trampoline.h: no
/// more than CG_SMALL_SLICE bytes, more than a quarter of the buffer), and
/// in heap buffers the core's copies: 16 bytes a step below 256 bytes,
/// vectors 128 bytes a step below 512, the same with aligned stores from
/// 512 on.
enum class SliceClass { inline_bytes, trampoline_heap, small_heap, wide_heap, large_heap };
inline constexpr int slice_class_count = 5;
const char* name(SliceClass kind);
/// Bytes of slice a control block holds itself on this CPU.
std::size_t inline_capacity();
inline SliceClass slice_class(std::size_t slice, std::size_t capacity)
{
    return capacity <= inline_capacity()                          ? SliceClass::inline_bytes
           : slice <= CG_SMALL_SLICE && slice * 4 > capacity      ? SliceClass::trampoline_heap
           : slice < 256                                          ? SliceClass::small_heap
           : slice < 512                                          ? SliceClass::wide_heap
                                                                  : SliceClass::large_heap;
}

/// The headrooms generators get, at random.
inline constexpr std::size_t headrooms[] = {0, 64, 512, 4096};
/// Depths within this many bytes of the home's top are not used: the top
/// is rounded, and that band's outcome is not part of the contract tested.
inline constexpr std::size_t depth_margin = 64;

/// A generator's body, as data: a seed for its own choices, and the specs of
/// the generators it creates and pulls from.
struct BodySpec {
    std::uint32_t id;
    std::uint64_t seed;
    Kind kind;
    std::size_t headroom;
    int max_level;  // how deep its recursion may go
    int max_yields; // how many values it yields at most
    std::vector<BodySpec> children;
};

/// Makes a random spec; `nesting` limits how deep generators nest.
BodySpec random_spec(Rng& rng, std::uint32_t& next_id, int nesting);

/// What a resume observes: the value yielded, the end, or an exception;
/// and what the generator wrote into its resumer's frame so far.
struct Event {
    enum Type { value, end, exception } type;
    std::uint64_t logical; // the value, or the exception's code
    std::uint64_t box;     // checksum of the ResumerBox after the resume
    bool operator==(const Event&) const = default;
    std::string describe() const;
};

/// Thrown inside bodies, caught at the level it names, or escaping the body.
struct StressError {
    int catch_level; // -1: no level catches it; it escapes to the resumer
    std::uint64_t code;
};

/// Thrown when a body finds one of its locals (or its resumer's) changed:
/// the failure this whole test looks for. Never caught by bodies.
struct Corruption : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Where a body's run was, for messages.
inline thread_local std::string corruption_detail;

} // namespace cg_stress
