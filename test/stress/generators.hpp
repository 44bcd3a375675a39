// generators.hpp - the real side: bodies run as CopyGenerators of five
// value kinds, resumed and destroyed from chosen stack depths.
#pragma once

#include <alloca.h>

#include <array>
#include <cerrno>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <cg/copy_generator.hpp>

#include "body.hpp"
#include "model.hpp"

namespace cg_stress {

/// How each Kind carries logical values. decode() also checks that a value
/// arrived whole.
template <Kind>
struct KindTraits;

template <>
struct KindTraits<Kind::integer_receiving_integer> {
    using Yield = std::uint64_t;
    using Receive = std::uint64_t;
    static Yield encode(std::uint64_t v) { return v; }
    static std::uint64_t decode(const Yield& v) { return v; }
    static Receive send(std::uint32_t id, std::uint64_t index) { return sent_value(id, index); }
    static std::uint64_t received(const Receive& r) { return r; }
};

template <>
struct KindTraits<Kind::string> {
    using Yield = std::string;
    using Receive = void;
    static Yield encode(std::uint64_t v) { return std::to_string(v) + "/" + std::string(v % 40, 's'); }
    static std::uint64_t decode(const Yield& s)
    {
        std::size_t slash = s.find('/');
        std::uint64_t v = std::stoull(s.substr(0, slash));
        if (s != encode(v))
            throw Corruption("a yielded string arrived changed: " + s);
        return v;
    }
};

template <>
struct KindTraits<Kind::move_only> {
    using Yield = std::unique_ptr<Tracked>;
    using Receive = void;
    static Yield encode(std::uint64_t v) { return std::make_unique<Tracked>(v); }
    static std::uint64_t decode(const Yield& p)
    {
        if (!p)
            throw Corruption("a yielded unique_ptr arrived empty");
        return p->value;
    }
};

template <>
struct KindTraits<Kind::vector> {
    using Yield = std::vector<std::uint64_t>;
    using Receive = void;
    static Yield encode(std::uint64_t v)
    {
        Yield out(1 + v % 16);
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i] = v + i;
        return out;
    }
    static std::uint64_t decode(const Yield& out)
    {
        if (out.empty() || out != encode(out.front()))
            throw Corruption("a yielded vector arrived changed");
        return out.front();
    }
};

template <>
struct KindTraits<Kind::integer_receiving_move_only> {
    using Yield = std::uint64_t;
    using Receive = std::unique_ptr<Tracked>;
    static Yield encode(std::uint64_t v) { return v; }
    static std::uint64_t decode(const Yield& v) { return v; }
    static Receive send(std::uint32_t id, std::uint64_t index)
    {
        return index == 0 ? nullptr : std::make_unique<Tracked>(sent_value(id, index));
    }
    static std::uint64_t received(const Receive& r) { return r ? r->value : 0; }
};

/// A real generator of any kind, resumed through one virtual call.
class AnyGenerator {
public:
    virtual ~AnyGenerator() = default;
    /// Resumes (the `index`-th resume); StressError escaping the body comes
    /// back as an exception event. cg::error and Corruption propagate.
    virtual Event next(std::uint64_t index) = 0;
    virtual std::size_t slice_size() const = 0; ///< 0 unless suspended
    virtual std::size_t buffer_capacity() const = 0;
};

std::unique_ptr<AnyGenerator> make_generator(const BodySpec& spec, ResumerBox* box);

/// Resumes made on this thread, by drivers and bodies.
inline thread_local std::uint64_t resumes_made = 0;

/// Resumes `generator` from a frame `pad` bytes deeper than the caller's.
[[gnu::noinline]] inline Event resume_at(std::size_t pad, AnyGenerator& generator, std::uint64_t index)
{
    ++resumes_made;
    auto* bytes = static_cast<char*>(alloca(pad));
    asm volatile("" : : "r"(bytes) : "memory");
    Event event = generator.next(index);
    asm volatile("" : : "r"(bytes) : "memory");
    return event;
}

/// Destroys, by slice class, of suspended generators from surely below
/// their home's top, on this thread.
inline thread_local std::uint64_t destroyed_below_home[slice_class_count] = {};

/// Destroys `generator` from a frame `pad` bytes deeper than the caller's.
[[gnu::noinline]] inline void destroy_at(std::size_t pad, std::unique_ptr<AnyGenerator>& generator)
{
    auto* bytes = static_cast<char*>(alloca(pad));
    asm volatile("" : : "r"(bytes) : "memory");
    generator.reset();
    asm volatile("" : : "r"(bytes) : "memory");
}

/// destroy_at as `place` says, counted in destroyed_below_home.
inline void destroy_from(const DestroyPlace& place, std::unique_ptr<AnyGenerator>& generator)
{
    if (place.below_home && generator->slice_size() > 0)
        ++destroyed_below_home[static_cast<int>(slice_class(generator->slice_size(), generator->buffer_capacity()))];
    destroy_at(place.pad, generator);
}

/// Resumes as `pull` says: first from too deep if asked, which must fail
/// with resume_depth_error and change nothing, then from its pad. Never
/// inlined, so that its depth is the same from every caller's call site.
[[gnu::noinline]] inline Event resume_as_planned(const Pull& pull, AnyGenerator& generator, std::uint64_t index)
{
    if (pull.too_deep) {
        bool refused = false;
        try {
            resume_at(pull.too_deep_pad, generator, index);
        } catch (const cg::resume_depth_error&) {
            refused = true;
        }
        if (!refused)
            throw Corruption("a resume from " + std::to_string(pull.too_deep_pad) +
                             " bytes deeper was not refused as too deep");
    }
    // The resumer's errno must be as it left it, whatever the generator did.
    int mine = static_cast<int>(index % 4000) + 1;
    errno = mine;
    Event got = resume_at(pull.pad, generator, index);
    if (errno != mine)
        throw Corruption("the resumer's errno changed across a resume");
    return got;
}

/// The real body's connection to cg: yields through the Yielder, pulls
/// from child generators that live in this body's frame (with their boxes).
template <Kind K>
class RealPort {
    using Traits = KindTraits<K>;

public:
    explicit RealPort(cg::Yielder<typename Traits::Yield, typename Traits::Receive>& yielder) : yielder_(yielder) {}

    void start(const BodySpec& spec)
    {
        for (std::size_t c = 0; c < spec.children.size(); ++c)
            children_.push_back(make_generator(spec.children[c], &boxes_[c]));
    }
    bool alive(std::size_t c) const { return children_[c] != nullptr; }

    std::uint64_t yield(std::uint64_t value, std::uint64_t)
    {
        auto encoded = Traits::encode(value);
        // The generator's errno must be as it left it, whatever its resumer did.
        int mine = static_cast<int>(value % 4000) + 1;
        errno = mine;
        std::uint64_t received = 0;
        if constexpr (std::is_void_v<typename Traits::Receive>)
            yielder_.yield(std::move(encoded));
        else
            received = Traits::received(yielder_.yield(std::move(encoded)));
        if (errno != mine)
            throw Corruption("the generator's errno changed across a yield");
        return received;
    }

    Event pull(std::size_t c, const Pull& pull, std::uint64_t index)
    {
        Event got = resume_as_planned(pull, *children_[c], index);
        if (got.type != Event::value)
            children_[c].reset(); // finished: nothing to unwind
        return got;
    }

    void destroy(std::size_t c, const DestroyPlace& place) { destroy_from(place, children_[c]); }

private:
    cg::Yielder<typename Traits::Yield, typename Traits::Receive>& yielder_;
    ResumerBox boxes_[max_children] = {}; // in this generator's frame: its children's resumer
    std::vector<std::unique_ptr<AnyGenerator>> children_;
};

template <Kind K>
class RealGenerator final : public AnyGenerator {
    using Traits = KindTraits<K>;

public:
    RealGenerator(const BodySpec& spec, ResumerBox* box)
        : generator_(
              [&spec, box](cg::Yielder<typename Traits::Yield, typename Traits::Receive>& yielder) {
                  RealPort<K> port(yielder);
                  BodyRun<RealPort<K>> body(spec, port, box);
                  body.run();
              },
              cg::Options{spec.headroom}),
          box_(box), id_(spec.id)
    {
    }

    Event next(std::uint64_t index) override
    {
        try {
            std::optional<typename Traits::Yield> out;
            if constexpr (std::is_void_v<typename Traits::Receive>)
                out = generator_.next();
            else
                out = generator_.next(Traits::send(id_, index));
            if (!out)
                return {Event::end, 0, box_->checksum};
            return {Event::value, Traits::decode(*out), box_->checksum};
        } catch (const StressError& e) {
            return {Event::exception, e.code, box_->checksum};
        }
    }

    std::size_t slice_size() const override { return generator_.slice_size(); }
    std::size_t buffer_capacity() const override { return generator_.buffer_capacity(); }

private:
    cg::CopyGenerator<typename Traits::Yield, typename Traits::Receive> generator_;
    ResumerBox* box_;
    std::uint32_t id_;
};

/// Yields `x` from a frame a little deeper than its caller's.
[[gnu::noinline]] inline void yield_a_little_deeper(std::uint64_t x)
{
    volatile unsigned char pad[16] = {};
    cg::yield(x);
    pad[0] = pad[15];
}

/// Yields `x` from a frame with `Bytes` of locals: with 128 a slice below
/// 256 bytes in a heap buffer, which the core copies 16 bytes a step, with
/// 320 one below 512, which it copies with vectors (model.hpp: SliceClass,
/// in optimized builds; other builds' frames are larger).
template <std::size_t Bytes>
[[gnu::noinline]] void yield_from_a_wider_frame(std::uint64_t x)
{
    volatile unsigned char pad[Bytes] = {};
    cg::yield(x);
    pad[0] = pad[Bytes - 1];
}

/// Kind::minimal: yields minimal_next's sequence from its body's own frame,
/// which holds only a counted object (destroyed by running to the end or by
/// unwinding) and the loop. cg::yield needs no handle, which keeps that
/// frame small: in optimized builds its slice fits the control block's
/// inline bytes. For an odd seed, the first value comes from a little
/// deeper: the buffer moves to the heap, and the small slices after it
/// stay there (the trampoline's small heap case, model.hpp). For a seed
/// 2 or 6 mod 8, every value comes from a frame with 128 or 320 bytes of
/// locals (the core's heap cases below 512 bytes); for 4 mod 8, its counted
/// object is a capture instead, with more bytes captured for 12 mod 16.
class MinimalGenerator final : public AnyGenerator {
public:
    MinimalGenerator(const BodySpec& spec, ResumerBox* box) : generator_(body(spec)), box_(box) {}

    Event next(std::uint64_t) override
    {
        std::optional<std::uint64_t> out = generator_.next();
        if (!out)
            return {Event::end, 0, box_->checksum};
        return {Event::value, *out, box_->checksum};
    }

    std::size_t slice_size() const override { return generator_.slice_size(); }
    std::size_t buffer_capacity() const override { return generator_.buffer_capacity(); }

private:
    /// Every value yielded from a frame with `Bytes` of locals.
    template <std::size_t Bytes>
    static cg::CopyGenerator<std::uint64_t> wider_body(const BodySpec& spec)
    {
        return cg::CopyGenerator<std::uint64_t>(
            [seed = spec.seed]() {
                Tracked held(seed);
                for (std::uint64_t x = seed; minimal_goes_on(x); x = minimal_next(x))
                    yield_from_a_wider_frame<Bytes>(x);
            },
            cg::Options{spec.headroom});
    }

    /// Its Tracked a capture: no frame has a destructor, a destroy discards
    /// them. With `Ballast` bytes captured too: 160 make the control block
    /// too large for a slab (src/control_slab.hpp).
    template <std::size_t Ballast>
    static cg::CopyGenerator<std::uint64_t> capturing_body(const BodySpec& spec)
    {
        return cg::CopyGenerator<std::uint64_t>(
            [held = Tracked(spec.seed), ballast = std::array<unsigned char, Ballast>{}]() {
                for (std::uint64_t x = held.value + ballast[0]; minimal_goes_on(x); x = minimal_next(x))
                    cg::yield(x);
            },
            cg::Options{spec.headroom});
    }

    // A body of its own for each shape, so that the minimal one's frame
    // holds nothing more.
    static cg::CopyGenerator<std::uint64_t> body(const BodySpec& spec)
    {
        if (spec.seed % 8 == 2)
            return wider_body<128>(spec);
        if (spec.seed % 8 == 6)
            return wider_body<320>(spec);
        if (spec.seed % 16 == 4)
            return capturing_body<1>(spec);
        if (spec.seed % 16 == 12)
            return capturing_body<160>(spec);
        return cg::CopyGenerator<std::uint64_t>(
            [seed = spec.seed]() {
                Tracked held(seed);
                std::uint64_t x = seed;
                if (seed % 2 == 1 && minimal_goes_on(x)) {
                    yield_a_little_deeper(x);
                    x = minimal_next(x);
                }
                for (; minimal_goes_on(x); x = minimal_next(x))
                    cg::yield(x);
            },
            cg::Options{spec.headroom});
    }

    cg::CopyGenerator<std::uint64_t> generator_;
    ResumerBox* box_;
};

} // namespace cg_stress
