// eh_tables.hpp - what the unwind tables say about one return address: does
// an exception passing that frame run code there (a landing pad)? Read as
// the C++ personality routine reads it: .eh_frame_hdr finds the function's
// FDE, its CIE and FDE give the LSDA, whose call-site table gives the
// landing pad. Used to destroy a suspended generator without unwinding it
// when none of its frames would run anything (cleanup_scan.hpp).
#pragma once

#include <cstdint>

namespace cg::detail {

/// What an exception leaving a frame through a return address meets.
struct FrameExit {
    enum class Kind : std::uint8_t {
        nothing,     ///< no code there with unwind tables, or no landing pad for this call
        landing_pad, ///< code runs at `landing_pad` (destructors, a catch)
        unknown,     ///< tables this reader does not follow, or a call the tables do not
                     ///< list (the personality would call std::terminate)
    };
    Kind kind;
    std::uintptr_t landing_pad; ///< for Kind::landing_pad
};

/// `word` may be any value: a return address, or data that is none.
FrameExit frame_exit_at(std::uintptr_t word) noexcept;

} // namespace cg::detail
