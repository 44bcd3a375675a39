// waiting_generators.hpp - real generators for cg-dump's tests and fuzz
// seeds: suspended a few named calls deep, each keeping a pointer to a
// local of its own across the yield, as real code does.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <cg/copy_generator.hpp>

namespace cg_dump_test {

/// `count` started generators of the calling thread, labeled `label` + " "
/// + their number, each suspended in
///     waiting_for_work  <- descending (depth times)  <- the body
/// Functions with these names (extern "C": unmangled) appear in their
/// backtraces.
std::vector<cg::CopyGenerator<int>> waiting_generators(std::size_t count, std::size_t depth, const std::string& label);

} // namespace cg_dump_test
