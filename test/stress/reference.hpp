// reference.hpp - the expected results of a body, computed without
// coroutines: the body runs as a plain function, its yields recorded.
#pragma once

#include <vector>

#include "model.hpp"

namespace cg_stress {

/// Every event the generator of `spec` shows its resumer, in order, ending
/// with its end or the exception that escapes it.
std::vector<Event> reference_events(const BodySpec& spec);

} // namespace cg_stress
