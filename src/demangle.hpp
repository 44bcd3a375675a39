// demangle.hpp - the readable name of a symbol, as backtraces show it: for
// the library's own (backtrace.cpp) and cg-dump's of a core.
#pragma once

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

namespace cg::detail {

/// "f.localalias" is f itself: an alias at the same address that GCC emits
/// for calls from within the object (unlike ".part.N" or ".cold", which are
/// code of their own and keep their names).
inline std::string demangle(std::string symbol)
{
    constexpr std::string_view alias = ".localalias";
    if (symbol.size() > alias.size() && symbol.compare(symbol.size() - alias.size(), alias.size(), alias) == 0)
        symbol.resize(symbol.size() - alias.size());
    int status = 0;
    std::unique_ptr<char, decltype(&std::free)> readable(
        abi::__cxa_demangle(symbol.c_str(), nullptr, nullptr, &status), &std::free);
    return status == 0 && readable ? std::string(readable.get()) : symbol;
}

} // namespace cg::detail
