// throwing.cpp - a body whose C++ exception escapes it, for the Python
// package's tests (cg.Status.EEXCEPTION).
#include <cstdint>
#include <stdexcept>

#include <cg.h>

extern "C" std::uintptr_t throws_after_one(std::uintptr_t, std::uintptr_t)
{
    cg_yield(nullptr, 1);
    throw std::runtime_error("escapes the body");
}
