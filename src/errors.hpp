// errors.hpp - how the core reports misuse: cg::error for C++ callers, a
// message and abort() where nothing can be thrown.
#pragma once

#include <cstdint>
#include <string>
#include <typeinfo>

#include "control.hpp"

namespace cg::detail {

/// Prints "cg: <message>" to stderr and aborts.
[[noreturn]] void fatal(const std::string& message) noexcept;

[[noreturn]] void throw_empty_generator();
[[noreturn]] void throw_not_resumable(const Control& generator); // running or finished
[[noreturn]] void throw_wrong_thread(const Control& generator, std::uint32_t thread);
[[noreturn]] void throw_out_of_thread_numbers();
[[noreturn]] void throw_too_deep(const Control& generator, const char* resumer_sp);
[[noreturn]] void throw_yield_outside(const ResumeFrame* innermost);
[[noreturn]] void throw_wrong_type(const GeneratorOps& ops, const std::type_info& yield,
                                   const std::type_info& receive);
[[noreturn]] void throw_bad_headroom(std::size_t headroom);

/// A readable name for a type ("std::string", not "NSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE").
std::string type_name(const std::type_info& type);

} // namespace cg::detail
