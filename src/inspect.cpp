// inspect.cpp - what a CopyGenerator tells about itself: its backtrace and
// its label (cg/inspect.hpp; snapshots are snapshot_requests.cpp's).
#include <string>

#include <cg/copy_generator.hpp>

#include "backtrace.hpp"
#include "control.hpp"
#include "errors.hpp"
#include "registry.hpp"
#include "thread_state.hpp"

namespace cg::detail {

std::vector<Frame> backtrace(const Control* generator)
{
    if (state_of(*generator) != State::suspended)
        return {};
    if (owner_of(*generator) != this_thread.number)
        throw error(errc::wrong_thread, "cannot take the backtrace of a generator of thread #" +
                                            std::to_string(owner_of(*generator)) +
                                            " on another thread: its owner may be changing its saved slice");
    if (!unwinder_available())
        throw error(errc::unavailable, describe(errc::unavailable));
    Symbolizer symbols;
    return backtrace_of(*generator, symbols);
}

void set_label(Control* generator, std::string_view label) { store_label(*generator, label); }

std::string label(const Control* generator) { return stored_label(*generator); }

} // namespace cg::detail
