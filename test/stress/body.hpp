// body.hpp - a generator's body, written once and run twice: as a real
// generator (RealPort, generators.hpp) and as a plain function that records
// what it yields (ReferencePort, reference.cpp). Every choice comes from the
// body's own Rng, and every value it computes from what it observed; so the
// two runs take the same path and yield the same values unless cg loses or
// changes something.
#pragma once

#include <alloca.h>

#include <cfenv>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "model.hpp"

namespace cg_stress {

/// What a resumer shares with a generator through a pointer into its own
/// frame. The body writes it at every yield; the resumer reads it after.
struct ResumerBox {
    std::uint64_t yields = 0;
    std::uint64_t checksum = 0;
};

inline constexpr std::size_t max_children = 3;

/// Each body runs with its own rounding mode, which must survive its yields
/// whatever its resumers set meanwhile.
inline int rounding_for(std::uint64_t seed)
{
    static constexpr int modes[] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO};
    return modes[seed % 4];
}

/// The locals of one level of a body's recursion: an array of random size
/// in the frame, a string (short: its characters inside the object; long:
/// on the heap), a vector, a counted object, and pointers into this frame
/// and into the frame of the level above. check() verifies all of them.
class Level {
public:
    Level(const Level* outer, int depth, std::uint64_t stamp, unsigned char* array, std::size_t size)
        : outer_(outer), depth_(depth), stamp_(stamp), array_(array), size_(size),
          inside_(array + stamp % size), text_(text_for(stamp)), text_chars_(text_.data()),
          numbers_(1 + stamp % 24), tracked_(stamp)
    {
        fill();
    }
    Level(const Level&) = delete;
    Level& operator=(const Level&) = delete;

    /// Changes every local in a way check() can predict.
    void mutate()
    {
        ++mutations_;
        fill();
    }

    void check() const
    {
        auto fail = [this](const char* what) {
            throw Corruption(std::string("level ") + std::to_string(depth_) + ": " + what + " changed");
        };
        for (std::size_t i = 0; i < size_; ++i)
            if (array_[i] != byte(i))
                fail("a byte of its array");
        if (inside_ != array_ + stamp_ % size_ || *inside_ != byte(stamp_ % size_))
            fail("a pointer into its array");
        if (text_ != text_for(stamp_))
            fail("its string");
        if (text_.size() < 15 && text_.data() != text_chars_)
            fail("the address of its short string's characters");
        for (std::size_t i = 0; i < numbers_.size(); ++i)
            if (numbers_[i] != (stamp_ ^ i) + mutations_)
                fail("its vector");
        if (tracked_.value != stamp_)
            fail("its counted object");
        if (outer_ != nullptr && outer_->depth_ != depth_ - 1)
            fail("its pointer to the level above");
    }

    const Level* outer() const { return outer_; }

private:
    static std::string text_for(std::uint64_t stamp)
    {
        // Short strings stay in the object, long ones go to the heap.
        return std::string(stamp % 3 == 0 ? 40 + stamp % 30 : stamp % 12, static_cast<char>('a' + stamp % 26));
    }
    unsigned char byte(std::size_t i) const { return static_cast<unsigned char>(stamp_ + i * 31 + mutations_); }
    void fill()
    {
        for (std::size_t i = 0; i < size_; ++i)
            array_[i] = byte(i);
        for (std::size_t i = 0; i < numbers_.size(); ++i)
            numbers_[i] = (stamp_ ^ i) + mutations_;
    }

    const Level* outer_;
    int depth_;
    std::uint64_t stamp_;
    unsigned char* array_;
    std::size_t size_;
    unsigned char* inside_;
    std::string text_;
    const char* text_chars_;
    std::vector<std::uint64_t> numbers_;
    Tracked tracked_;
    std::uint64_t mutations_ = 0;
};

/// How a body pulls from a child: where from, and what must happen.
struct Pull {
    std::size_t pad;      // bytes deeper than the body's pulling frame
    bool too_deep;        // first from pad_too_deep, expecting resume_depth_error
    std::size_t too_deep_pad;
};

/// Where a destroy comes from: bytes deeper than the frame it is planned
/// for, and whether that is surely below the generator's home's top (its
/// destroyer's frames are then parked while it unwinds).
struct DestroyPlace {
    std::size_t pad;
    bool below_home;
};

/// Depth choices for repeated resumes of one generator: the first resume
/// fixes its home; later ones come from anywhere at or above its top
/// (shallower included), or, when asked for, from clearly below it.
class DepthPlan {
public:
    explicit DepthPlan(std::size_t headroom) : headroom_(headroom) {}

    Pull next(Rng& rng)
    {
        if (!started_) {
            started_ = true;
            first_ = 16 * rng.below(64);
            return {first_, false, 0};
        }
        std::size_t deepest = first_ + (headroom_ > depth_margin ? headroom_ - depth_margin : 0);
        std::size_t pad = 16 * rng.below(deepest / 16 + 1);
        if (rng.chance(12))
            return {pad, true, first_ + headroom_ + depth_margin + 16 * rng.below(32)};
        return {pad, false, 0};
    }

    /// A depth for destroying: once started, half of the time surely below
    /// the home's top, from just below it to 64 KiB below; else anywhere in
    /// the first 8 KiB, the home's top perhaps among them.
    DestroyPlace destroy_place(Rng& rng) const
    {
        if (started_ && rng.chance(50)) {
            std::size_t below = 16 * rng.below(rng.chance(10) ? 4096 : 32);
            return {first_ + headroom_ + depth_margin + below, true};
        }
        return {16 * rng.below(512), false};
    }

private:
    std::size_t headroom_;
    std::size_t first_ = 0;
    bool started_ = false;
};

/// The body. Port provides: start(spec), children(), alive(c),
/// yield(value, box_checksum) -> received, pull(c, Pull, send_index) -> Event,
/// destroy(c, DestroyPlace).
template <class Port>
class BodyRun {
public:
    BodyRun(const BodySpec& spec, Port& port, ResumerBox* box)
        : spec_(spec), port_(port), box_(box), rng_(spec.seed), state_(spec.seed), yields_left_(spec.max_yields),
          rounding_(rounding_for(spec.seed))
    {
        for (const BodySpec& child : spec.children)
            plans_.emplace_back(child.headroom);
        pulls_.assign(spec.children.size(), 0);
    }

    /// Runs the body; returns normally (the generator ends) or lets a
    /// StressError escape.
    void run()
    {
        std::fesetround(rounding_);
        port_.start(spec_);
        while (yields_left_ > 0 && !rng_.chance(3)) {
            std::uint64_t choice = rng_.below(10);
            if (choice < 6 || spec_.children.empty())
                walk(1);
            else if (choice < 9)
                pull_child(rng_.below(spec_.children.size()));
            else
                destroy_child(rng_.below(spec_.children.size()));
        }
    }

private:
    // Pulls and destroys happen only here, in run()'s frame, so that their
    // depth is the same every time and only the pad moves it.
    [[gnu::noinline]] void pull_child(std::size_t c)
    {
        if (!port_.alive(c))
            return;
        Pull pull = plans_[c].next(rng_);
        Event got = port_.pull(c, pull, pulls_[c]++);
        state_ = mix(mix(state_, got.logical * 4 + static_cast<std::uint64_t>(got.type)), got.box);
        if (got.type == Event::value && yields_left_ > 0 && rng_.chance(60))
            yield_now(state_ >> 3);
    }

    [[gnu::noinline]] void destroy_child(std::size_t c)
    {
        if (port_.alive(c))
            port_.destroy(c, plans_[c].destroy_place(rng_));
    }

    void walk(int depth)
    {
        std::size_t size = 16 + 16 * rng_.below(64);
        auto* array = static_cast<unsigned char*>(alloca(size));
        Level here(innermost_, depth, rng_.next(), array, size);
        innermost_ = &here;
        struct Pop {
            const Level*& innermost;
            const Level* outer;
            ~Pop() { innermost = outer; }
        } pop{innermost_, here.outer()};
        try {
            for (std::uint64_t actions = 1 + rng_.below(4); actions > 0 && yields_left_ > 0; --actions) {
                std::uint64_t choice = rng_.below(100);
                if (choice < 45)
                    yield_now(mix(state_, static_cast<std::uint64_t>(depth)));
                else if (choice < 75 && depth < spec_.max_level)
                    walk(depth + 1);
                else if (choice < 80)
                    throw StressError{rng_.chance(10) ? -1 : 1 + static_cast<int>(rng_.below(depth)), rng_.next()};
                else
                    here.mutate();
                here.check();
            }
        } catch (const StressError& e) {
            if (e.catch_level != depth)
                throw;
            state_ = mix(state_, e.code);
            if (yields_left_ > 0 && rng_.chance(50))
                yield_now(mix(state_, 7)); // a yield inside a catch block
            check_current_exception(e.code);
            here.check();
        }
    }

    /// Inside a catch block: the exception being handled is still this one,
    /// whatever the resumer did with its own while this body was suspended.
    static void check_current_exception(std::uint64_t code)
    {
        if (std::current_exception() == nullptr)
            throw Corruption("the exception being handled was lost across a yield");
        try {
            throw;
        } catch (const StressError& again) {
            if (again.code != code)
                throw Corruption("the exception being handled changed across a yield");
        }
    }

    std::uint64_t yield_now(std::uint64_t value)
    {
        --yields_left_;
        box_->yields += 1;
        box_->checksum = mix(box_->checksum, value);
        std::uint64_t received = port_.yield(value, box_->checksum);
        if (std::fegetround() != rounding_)
            throw Corruption("the rounding mode changed across a yield");
        state_ = mix(state_, received);
        for (const Level* level = innermost_; level != nullptr; level = level->outer())
            level->check();
        return received;
    }

    const BodySpec& spec_;
    Port& port_;
    ResumerBox* box_;
    Rng rng_;
    std::uint64_t state_;
    int yields_left_;
    int rounding_;
    const Level* innermost_ = nullptr;
    std::vector<DepthPlan> plans_;
    std::vector<std::uint64_t> pulls_;
};

} // namespace cg_stress
