// eh_tables.cpp - reading .eh_frame_hdr, .eh_frame and the LSDA for one
// address (eh_tables.hpp). The formats: the LSB's "Exception Frames"
// (.eh_frame, .eh_frame_hdr, pointer encodings) and the LSDA that GCC's C++
// personality reads. Anything this reader does not follow is `unknown`,
// which makes the caller unwind as before: never a guess.
#include "eh_tables.hpp"

#include <dlfcn.h> // _dl_find_object (glibc 2.35)

#include <cstring>

namespace cg::detail {
namespace {

// Pointer encodings (DW_EH_PE_*): the value's format in the low four bits,
// what it is relative to in the next three, and an indirection flag.
constexpr std::uint8_t pe_omit = 0xff;
constexpr std::uint8_t pe_format = 0x0f;
constexpr std::uint8_t pe_application = 0x70;
constexpr std::uint8_t pe_pcrel = 0x10;
constexpr std::uint8_t pe_datarel = 0x30;
constexpr std::uint8_t pe_indirect = 0x80;
constexpr std::uint8_t pe_absptr = 0x00, pe_uleb128 = 0x01, pe_udata2 = 0x02, pe_udata4 = 0x03, pe_udata8 = 0x04,
                       pe_sleb128 = 0x09, pe_sdata2 = 0x0a, pe_sdata4 = 0x0b, pe_sdata8 = 0x0c;

/// A cursor over tables the process has mapped: every read is of memory
/// the dynamic linker found in a loaded object's unwind segment.
struct Reader {
    const unsigned char* at;

    template <class T>
    T fixed() noexcept
    {
        T value;
        std::memcpy(&value, at, sizeof value);
        at += sizeof value;
        return value;
    }
    std::uint8_t byte() noexcept { return *at++; }
    std::uint64_t uleb128() noexcept
    {
        std::uint64_t value = 0;
        unsigned shift = 0;
        std::uint8_t b;
        do {
            b = byte();
            if (shift < 64)
                value |= std::uint64_t(b & 0x7f) << shift;
            shift += 7;
        } while (b & 0x80);
        return value;
    }
    std::int64_t sleb128() noexcept
    {
        std::int64_t value = 0;
        unsigned shift = 0;
        std::uint8_t b;
        do {
            b = byte();
            if (shift < 64)
                value |= std::int64_t(b & 0x7f) << shift;
            shift += 7;
        } while (b & 0x80);
        if (shift < 64 && (b & 0x40))
            value |= -(std::int64_t(1) << shift);
        return value;
    }
    /// A value in `encoding`; false for encodings this reader does not
    /// follow. `datarel` is the base of DW_EH_PE_datarel (0: refused).
    bool encoded(std::uint8_t encoding, std::uintptr_t& value, std::uintptr_t datarel = 0) noexcept
    {
        auto field = reinterpret_cast<std::uintptr_t>(at);
        switch (encoding & pe_format) {
        case pe_absptr: value = fixed<std::uint64_t>(); break;
        case pe_uleb128: value = uleb128(); break;
        case pe_udata2: value = fixed<std::uint16_t>(); break;
        case pe_udata4: value = fixed<std::uint32_t>(); break;
        case pe_udata8: value = fixed<std::uint64_t>(); break;
        case pe_sleb128: value = static_cast<std::uintptr_t>(sleb128()); break;
        case pe_sdata2: value = static_cast<std::uintptr_t>(fixed<std::int16_t>()); break;
        case pe_sdata4: value = static_cast<std::uintptr_t>(fixed<std::int32_t>()); break;
        case pe_sdata8: value = static_cast<std::uintptr_t>(fixed<std::int64_t>()); break;
        default: return false;
        }
        switch (encoding & pe_application) {
        case 0: break;
        case pe_pcrel: value += field; break;
        case pe_datarel:
            if (datarel == 0)
                return false;
            value += datarel;
            break;
        default: return false; // textrel, funcrel, aligned: not emitted on these CPUs
        }
        if ((encoding & pe_indirect) && value != 0)
            std::memcpy(&value, reinterpret_cast<const void*>(value), sizeof value);
        return true;
    }
};

constexpr FrameExit nothing{FrameExit::Kind::nothing, 0};
constexpr FrameExit unknown{FrameExit::Kind::unknown, 0};

/// The FDE whose function may hold `pc`, from the binary search table of
/// an object's .eh_frame_hdr; null if none starts at or below it.
const unsigned char* find_fde(const unsigned char* header, std::uintptr_t pc, bool& followed) noexcept
{
    followed = false;
    Reader r{header};
    std::uint8_t version = r.byte();
    std::uint8_t frame_encoding = r.byte();
    std::uint8_t count_encoding = r.byte();
    std::uint8_t table_encoding = r.byte();
    // The sorted table of (function start, FDE), both relative to the
    // header: what every linker writes for these CPUs.
    if (version != 1 || table_encoding != (pe_datarel | pe_sdata4) || frame_encoding == pe_omit ||
        count_encoding == pe_omit)
        return nullptr;
    auto base = reinterpret_cast<std::uintptr_t>(header);
    std::uintptr_t frames, count;
    if (!r.encoded(frame_encoding, frames, base) || !r.encoded(count_encoding, count, base))
        return nullptr;
    followed = true;
    const unsigned char* table = r.at;
    auto start_of = [&](std::uintptr_t i) {
        std::int32_t start;
        std::memcpy(&start, table + 8 * i, 4);
        return base + static_cast<std::uintptr_t>(static_cast<std::intptr_t>(start));
    };
    if (count == 0 || pc < start_of(0))
        return nullptr;
    std::uintptr_t low = 0, high = count; // start_of(low) <= pc; the answer is below high
    while (high - low > 1) {
        std::uintptr_t middle = low + (high - low) / 2;
        if (start_of(middle) <= pc)
            low = middle;
        else
            high = middle;
    }
    std::int32_t fde;
    std::memcpy(&fde, table + 8 * low + 4, 4);
    return header + fde;
}

/// The landing pad of the call at `pc` (a return address minus one), from
/// the LSDA of a function starting at `function`.
FrameExit call_site_exit(const unsigned char* lsda, std::uintptr_t function, std::uintptr_t pc) noexcept
{
    Reader r{lsda};
    std::uintptr_t landing_base = function;
    std::uint8_t landing_encoding = r.byte();
    if (landing_encoding != pe_omit && !r.encoded(landing_encoding, landing_base))
        return unknown;
    if (r.byte() != pe_omit) // the type table: only its offset here
        r.uleb128();
    std::uint8_t site_encoding = r.byte();
    if ((site_encoding & pe_application) != 0 || (site_encoding & pe_indirect) != 0)
        return unknown;
    std::uint64_t table_size = r.uleb128();
    const unsigned char* end = r.at + table_size;
    while (r.at < end) {
        std::uintptr_t start, length, landing;
        if (!r.encoded(site_encoding, start) || !r.encoded(site_encoding, length) ||
            !r.encoded(site_encoding, landing))
            return unknown;
        r.uleb128(); // the action
        if (pc < function + start)
            break; // sorted: none covers pc
        if (pc < function + start + length)
            return landing == 0 ? nothing : FrameExit{FrameExit::Kind::landing_pad, landing_base + landing};
    }
    return unknown; // a call the table does not list: the personality terminates
}

} // namespace

FrameExit frame_exit_at(std::uintptr_t word) noexcept
{
    if (word == 0)
        return nothing;
    // The call's own last byte: a call at a function's end returns past it.
    std::uintptr_t pc = word - 1;
    dl_find_object object;
    if (_dl_find_object(reinterpret_cast<void*>(pc), &object) != 0 || object.dlfo_eh_frame == nullptr)
        return nothing; // in no loaded object, or one without unwind tables
    bool followed;
    const unsigned char* fde = find_fde(static_cast<const unsigned char*>(object.dlfo_eh_frame), pc, followed);
    if (!followed)
        return unknown;
    if (fde == nullptr)
        return nothing;

    // The FDE: length, the distance back to its CIE, then the function's range.
    Reader f{fde};
    std::uint32_t length = f.fixed<std::uint32_t>();
    if (length == 0 || length == 0xffffffff)
        return unknown; // a terminator, or 64-bit DWARF: not in .eh_frame here
    const unsigned char* cie_field = f.at;
    std::uint32_t cie_distance = f.fixed<std::uint32_t>();
    Reader c{cie_field - cie_distance};

    // The CIE: what encodes the FDE's addresses and its LSDA pointer.
    std::uint32_t cie_length = c.fixed<std::uint32_t>();
    if (cie_length == 0 || cie_length == 0xffffffff || c.fixed<std::uint32_t>() != 0)
        return unknown;
    std::uint8_t version = c.byte();
    const char* augmentation = reinterpret_cast<const char*>(c.at);
    c.at += std::strlen(augmentation) + 1;
    c.uleb128(); // code alignment
    c.sleb128(); // data alignment
    if (version == 1)
        c.byte(); // return address register
    else
        c.uleb128();
    std::uint8_t address_encoding = pe_absptr;
    std::uint8_t lsda_encoding = pe_omit;
    if (augmentation[0] == 'z') {
        c.uleb128(); // the augmentation data's length
        for (const char* letter = augmentation + 1; *letter != '\0'; ++letter) {
            switch (*letter) {
            case 'L': lsda_encoding = c.byte(); break;
            case 'R': address_encoding = c.byte(); break;
            case 'P': {
                std::uintptr_t personality;
                if (!c.encoded(c.byte(), personality))
                    return unknown;
                break;
            }
            case 'S': // a signal frame
            case 'B': // AArch64: return addresses signed with the B key
            case 'G': // AArch64: memory tagging
                break;
            default: return unknown;
            }
        }
    } else if (augmentation[0] != '\0') {
        return unknown;
    }

    std::uintptr_t begin, range;
    if (!f.encoded(address_encoding, begin) || !f.encoded(address_encoding & pe_format, range))
        return unknown;
    if (pc < begin || pc - begin >= range)
        return nothing; // between functions: data, not a return address
    if (lsda_encoding == pe_omit)
        return nothing; // no LSDA: nothing runs in this frame
    f.uleb128(); // the augmentation data's length
    std::uintptr_t lsda;
    if (!f.encoded(lsda_encoding, lsda))
        return unknown;
    if (lsda == 0)
        return nothing;
    return call_site_exit(reinterpret_cast<const unsigned char*>(lsda), begin, pc);
}

} // namespace cg::detail
