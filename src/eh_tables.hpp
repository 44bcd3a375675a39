// eh_tables.hpp - what the unwind tables say about the frame a return
// address returns into: how to find that frame's caller (its CFA rule and
// where it saved the return address and the frame pointer), and whether an
// exception passing it runs code there (a landing pad). Read as the
// unwinder and the C++ personality routine read them: libgcc finds the
// function's FDE, its CIE and FDE give the CFA program and the LSDA, whose
// call-site table gives the landing pad. Used to destroy a suspended
// generator without unwinding it when none of its frames would run
// anything (cleanup_scan.hpp).
#pragma once

#include <cstdint>

namespace cg::detail {

/// What an exception leaving a frame through a return address meets.
struct FrameExit {
    enum class Kind : std::uint8_t {
        nothing,     ///< no landing pad for this call (no LSDA, or none listed for it)
        landing_pad, ///< code runs at `landing_pad` (destructors, a catch)
        unknown,     ///< tables this reader does not follow, or a call the tables do not
                     ///< list (the personality would call std::terminate)
    };
    Kind kind;
    std::uintptr_t landing_pad; ///< for Kind::landing_pad
};

/// The frame a return address returns into: `walkable` if its tables give
/// a CFA this reader can compute (the sp or the frame pointer plus an
/// offset) and the return address saved in the frame; then its caller's
/// sp is the CFA, its caller's pc the word at CFA + return_address_offset,
/// and its caller's frame pointer the word at CFA + frame_pointer_offset
/// if saved there, else the same as this frame's.
struct FrameStep {
    FrameExit exit;
    bool walkable;
    bool frame_pointer_saved;
    std::uint16_t cfa_register; ///< DWARF number: arch::dwarf_sp or arch::dwarf_fp
    std::int32_t cfa_offset;
    std::int32_t return_address_offset;
    std::int32_t frame_pointer_offset;
};

/// For a return address (a call's; the pc looked up is one byte before).
FrameStep frame_step_at(std::uintptr_t return_address) noexcept;

} // namespace cg::detail
