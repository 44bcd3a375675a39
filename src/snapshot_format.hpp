// snapshot_format.hpp - the file cg::snapshot writes and cg-dump reads
// (format version 2; cg-dump reads version 1 too). This header is the
// contract between the two: the writer (src/snapshot.cpp) and the reader
// (tools/cg-dump/) include it.
//
// Every integer is little-endian and unaligned; a string is a u32 byte
// count and that many bytes, no terminator. A file is a header followed by
// thread sections up to the end of the file; a file cut at a section
// boundary is still valid, and sections may come from different moments
// (each thread adds its own at a safe point).
//
//   header
//     u8[8]  magic             "CGSNAP\x1a\n"
//     u32    version           2
//     u32    header_bytes      bytes of the whole header, magic included
//     u64    pid
//     i64    time_ns           CLOCK_REALTIME when the snapshot was asked for
//     str    executable        /proc/self/exe
//     str    build_id          the executable's GNU build id, in hex ("" if none)
//     str    architecture      the CPU the program ran on: "x86_64", "aarch64"
//     u32    register_count    the saved registers every record holds ...
//     str[register_count]      ... and their names, in record order
//     (a later version may add fields here: readers skip to header_bytes)
//
//   section, once per thread
//     u32    tag               "THRD" (section_tag)
//     u32    thread            cg's number of the thread
//     u32    flags             section_complete: every record has its details
//                              section_thread_exited: the thread had exited
//     u32    generator_count
//     u64    section_bytes     bytes of the records that follow
//
//   record, generator_count times per section
//     u32    record_bytes      bytes that follow in this record (readers skip
//                              fields a later version appends)
//     u64    id                the control block's address
//     u8     state             0 not started, 1 suspended, 2 running, 3 finished
//     u8     kind              0 C++ (CopyGenerator), 1 C (cg_create)
//     u16    flags             record_details: the fields below from slice_top
//                              on describe the generator; without it they are 0
//     str    label             "" if none
//     u64    slice_top         the lowest address of the link frame above the
//                              slice; the slice is [slice_top - slice_size,
//                              slice_top)
//     u32    slice_size
//     u32    capacity          bytes the slice buffer holds
//     u64    resume_pc         where the generator continues when resumed
//     u64    resume_sp         and its stack pointer there
//     u64[register_count]      the saved registers, as the header names them
//                              (narrower ones zero-extended)
//     u8[slice_size] slice     the saved bytes, lowest address first
//     u32    frame_count       the backtrace, innermost first
//     frame_count times:
//       u64  pc                a return address (for the innermost frame:
//                              resume_pc)
//       u64  sp                the frame's stack pointer at that pc
//       u64  offset            pc minus the function's start
//       str  function          "" if unknown
//     u32    symbol_count      the words of the slice that are code addresses
//     symbol_count times:
//       u64  address
//       u64  offset
//       str  function
//
// Version 1 (cg 0.1 before the portable core) had no architecture and no
// register list in its header (it was always x86_64); its records had no
// resume_pc and resume_sp (the slice's lowest word was the return address
// to resume at, and sp was 8 bytes above it) and held, in place of the
// register list: u64[6] rbx rbp r12 r13 r14 r15, u32 mxcsr, u16 x87_control,
// u16 unused.
//
// Only suspended generators have details (their slice and registers live in
// the control block and its buffer); a running generator's frames are on
// the stack, in use.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cg::snapshot_format {

inline constexpr char magic[8] = {'C', 'G', 'S', 'N', 'A', 'P', '\x1a', '\n'};
inline constexpr std::uint32_t version = 2;
inline constexpr std::uint32_t section_tag = 0x44524854; // "THRD" in the file's byte order

inline constexpr std::uint32_t section_complete = 1u << 0;
inline constexpr std::uint32_t section_thread_exited = 1u << 1;

inline constexpr std::uint16_t record_details = 1u << 0;

enum class Kind : std::uint8_t { cpp = 0, c = 1 };

/// Bytes of a section header, and of a record with empty strings, no slice,
/// no frames and no symbols (in version 2, and no registers: add 8 for each
/// the header names): what any count in a file can be checked against.
inline constexpr std::size_t section_header_bytes = 4 + 4 + 4 + 4 + 8;
inline constexpr std::size_t smallest_record_bytes = 4 + 8 + 1 + 1 + 2 + 4 + 8 + 4 + 4 + 8 + 8 + 4 + 4;
inline constexpr std::size_t smallest_record_bytes_v1 = 4 + 8 + 1 + 1 + 2 + 4 + 8 + 4 + 4 + 6 * 8 + 4 + 2 + 2 + 4 + 4;
inline constexpr std::size_t smallest_frame_bytes = 8 + 8 + 8 + 4;
inline constexpr std::size_t smallest_symbol_bytes = 8 + 8 + 4;

/// What a reader accepts; a writer never exceeds them.
inline constexpr std::size_t max_string_bytes = 4096;
inline constexpr std::size_t max_slice_bytes = std::size_t{64} << 20;
inline constexpr std::size_t max_frames = 1024;
inline constexpr std::size_t max_registers = 64;

} // namespace cg::snapshot_format
