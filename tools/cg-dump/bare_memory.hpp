// bare_memory.hpp - a process's memory that is nothing but a run of bytes
// at a fixed address, with no files mapped: what the fuzzer walks for
// generators (fuzz_core.cpp) and the tests build by hand
// (test/memory_image.hpp), the bytes free to be anything.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "process_memory.hpp"

namespace cg_dump {

class BareMemory final : public ProcessMemory {
public:
    /// Where the bytes are.
    static constexpr std::uint64_t base = 0x10000;

    explicit BareMemory(std::string_view bytes) noexcept : bytes_(bytes) {}

    bool read(std::uint64_t address, void* out, std::size_t size) const override
    {
        if (address < base || address - base > bytes_.size() || bytes_.size() - (address - base) < size)
            return false;
        std::memcpy(out, bytes_.data() + (address - base), size);
        return true;
    }
    const MappedModule* module_at(std::uint64_t) const noexcept override { return nullptr; }
    bool function_at(std::uint64_t, std::string&, std::uint64_t&) const override { return false; }

private:
    std::string_view bytes_;
};

} // namespace cg_dump
