// driver.cpp - see driver.hpp.
#include "driver.hpp"

#include <cfenv>
#include <cstdio>
#include <vector>

#include <cg/copy_generator.hpp>

#include "control_slab.hpp" // src/: give_back_kept_controls
#include "generators.hpp"
#include "reference.hpp"

namespace cg_stress {

Failure::Failure(std::uint64_t program_seed, int at_step, const std::string& what)
    : std::runtime_error(what), seed(program_seed), step(at_step)
{
}

namespace {

inline constexpr std::size_t max_top_level = 6;

/// Thrown and caught by the driver around some resumes, so that generators
/// are resumed from inside the resumer's own catch blocks.
struct DriverMark {
    int step;
};

class Driver {
public:
    Driver(std::uint64_t seed, bool verbose, Totals& totals) : seed_(seed), rng_(seed), verbose_(verbose), totals_(totals)
    {
        std::uint32_t next_id = 0;
        std::size_t count = 1 + rng_.below(max_top_level);
        specs_.reserve(count); // the generators keep references into it
        for (std::size_t i = 0; i < count; ++i) {
            specs_.push_back(random_spec(rng_, next_id, 3));
            expected_.push_back(reference_events(specs_.back()));
        }
        for (std::size_t i = 0; i < count; ++i)
            slots_.push_back(Slot{make_generator(specs_[i], &boxes_[i]), DepthPlan(specs_[i].headroom)});
        totals_.generators += next_id;
    }

    /// Steps until every generator is gone or `max_steps` steps are done.
    void run(int max_steps)
    {
        for (step_ = 0; step_ < max_steps; ++step_)
            if (!step())
                return;
    }

    /// Destroys what is left, each from a random depth.
    void finish()
    {
        for (Slot& slot : slots_)
            if (slot.generator)
                destroy_from(slot.plan.destroy_place(rng_), slot.generator);
    }

private:
    struct Slot {
        std::unique_ptr<AnyGenerator> generator;
        DepthPlan plan;
        std::size_t observed = 0; // events compared so far
    };

    [[noreturn]] void fail(const std::string& what) { throw Failure(seed_, step_, what); }

    std::string about(std::size_t g) const
    {
        const BodySpec& spec = specs_[g];
        return "generator " + std::to_string(g) + " (" + name(spec.kind) + ", headroom " +
               std::to_string(spec.headroom) + ", " + std::to_string(spec.children.size()) + " children)";
    }

    // Every resume and destroy of the driver happens in this frame, so that
    // only the pad moves their depth. False when no generator is left.
    [[gnu::noinline]] bool step()
    {
        std::vector<std::size_t> live;
        for (std::size_t g = 0; g < slots_.size(); ++g)
            if (slots_[g].generator)
                live.push_back(g);
        if (live.empty())
            return false;
        if (rng_.chance(40)) {
            // The thread's kept control blocks go back to their slabs, and
            // the slabs that hold none to the allocator (src/control_slab.hpp),
            // as cg::trim_buffers() does without trimming buffers, which
            // would move the small slices of aarch64 into the inline bytes
            // and leave a slice class unreached.
            std::size_t given_back = cg::detail::give_back_kept_controls();
            if (verbose_)
                std::printf("step %d: control blocks back to their slabs: %zu bytes given back\n", step_,
                            given_back);
            return true;
        }
        std::size_t g = live[rng_.below(live.size())];
        Slot& slot = slots_[g];
        if (rng_.chance(8)) {
            DestroyPlace place = slot.plan.destroy_place(rng_);
            if (verbose_)
                std::printf("step %d: destroy %s from %zu bytes deeper%s\n", step_, about(g).c_str(), place.pad,
                            place.below_home ? ", below its home's top" : "");
            destroy_from(place, slot.generator);
            ++totals_.destroyed_early;
            return true;
        }
        Pull pull = slot.plan.next(rng_);
        bool inside_catch = rng_.chance(15);
        if (verbose_)
            std::printf("step %d: resume %s, #%zu, from %zu bytes deeper%s%s\n", step_, about(g).c_str(),
                        slot.observed, pull.pad, pull.too_deep ? " after a refused deeper one" : "",
                        inside_catch ? ", inside a catch block" : "");
        Event got{};
        // The driver's rounding mode must survive the resume too.
        int rounding = rounding_for(rng_.next());
        std::fesetround(rounding);
        try {
            if (inside_catch) {
                try {
                    throw DriverMark{step_};
                } catch (const DriverMark&) {
                    got = resume_as_planned(pull, *slot.generator, slot.observed);
                    check_still_handling(step_);
                }
            } else {
                got = resume_as_planned(pull, *slot.generator, slot.observed);
            }
        } catch (const Corruption& e) {
            fail(about(g) + ": " + e.what());
        } catch (const cg::error& e) {
            fail(about(g) + ": unexpected cg::error: " + e.what());
        }
        if (std::fegetround() != rounding)
            fail(about(g) + ": the resumer's rounding mode changed across a resume");
        std::fesetround(FE_TONEAREST);
        totals_.refused += pull.too_deep;
        const Event& want = expected_[g][slot.observed++];
        if (verbose_)
            std::printf("    got %s\n", got.describe().c_str());
        if (!(got == want))
            fail(about(g) + ", resume #" + std::to_string(slot.observed - 1) + ": expected " + want.describe() +
                 ", got " + got.describe());
        if (got.type != Event::value) {
            if (rng_.chance(30))
                check_finished_refuses(g);
            slot.generator.reset();
        }
        return true;
    }

    void check_still_handling(int step)
    {
        if (std::current_exception() == nullptr)
            fail("the resumer's caught exception was lost across a resume");
        try {
            throw;
        } catch (const DriverMark& mark) {
            if (mark.step != step)
                fail("the resumer's caught exception changed across a resume");
        }
    }

    void check_finished_refuses(std::size_t g)
    {
        try {
            resume_at(0, *slots_[g].generator, slots_[g].observed);
        } catch (const cg::error& e) {
            if (e.code() != cg::errc::finished)
                fail(about(g) + ": resuming it finished gave " + e.what());
            return;
        }
        fail(about(g) + ": resuming it finished was not refused");
    }

    std::uint64_t seed_;
    Rng rng_;
    bool verbose_;
    Totals& totals_;
    int step_ = 0;
    std::vector<BodySpec> specs_;
    std::vector<std::vector<Event>> expected_;
    ResumerBox boxes_[max_top_level] = {}; // in the driver's frame: its generators' resumer
    std::vector<Slot> slots_;
};

} // namespace

void run_program(std::uint64_t seed, int max_steps, bool verbose, Totals& totals)
{
    long alive_before = Tracked::alive;
    {
        Driver driver(seed, verbose, totals);
        driver.run(max_steps);
        driver.finish();
    }
    if (Tracked::alive != alive_before)
        throw Failure(seed, max_steps,
                      std::to_string(Tracked::alive - alive_before) +
                          " counted objects outlived the program: some destructors did not run");
    ++totals.programs;
}

} // namespace cg_stress
