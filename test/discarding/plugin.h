// plugin.h - what discarding_destroy finds in the library it loads with
// dlopen (plugin.cpp), by these names.
#pragma once

#include <cg/copy_generator.hpp>

extern "C" {
/// Yields 7 two frames down in the library, nothing to clean up in them.
int plugin_yield_plain(cg::Yielder<int>& y);
/// The same, with an object with a destructor alive across the yield.
int plugin_yield_holding(cg::Yielder<int>& y);
/// How many of those objects are alive.
int plugin_alive();
}
