// driver.hpp - runs one random program on real generators and compares
// every event with the reference.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "control_slab.hpp" // src/: ControlSlabCounts
#include "model.hpp"        // slice_class_count

namespace cg_stress {

/// The first divergence from the reference, or a check that failed.
struct Failure : std::runtime_error {
    Failure(std::uint64_t seed, int step, const std::string& what);
    std::uint64_t seed;
    int step;
};

struct Totals {
    std::uint64_t programs = 0;
    std::uint64_t generators = 0;
    std::uint64_t resumes = 0; // by drivers and by bodies
    std::uint64_t refused = 0; // driver resumes refused as too deep, as planned
    std::uint64_t destroyed_early = 0;
    /// Suspended generators destroyed from surely below their home's top,
    /// by SliceClass (model.hpp).
    std::uint64_t destroyed_below_home[slice_class_count] = {};
    /// How destroys of suspended generators went (src/cleanup_scan.hpp).
    std::uint64_t discarded = 0, unwound = 0;
    /// What creates and destroys did with the thread's slabs of control
    /// blocks (src/control_slab.hpp).
    cg::detail::ControlSlabCounts blocks = {};
};

/// Runs the program of `seed` for at most `max_steps` steps; throws Failure.
/// With `verbose`, prints every step to stdout.
void run_program(std::uint64_t seed, int max_steps, bool verbose, Totals& totals);

} // namespace cg_stress
