// eh_tables.cpp - reading .eh_frame and the LSDA for one return address
// (eh_tables.hpp). The formats: the LSB's "Exception Frames" (.eh_frame,
// CFA programs, pointer encodings), DWARF's call frame instructions, and
// the LSDA that GCC's C++ personality reads. Anything this reader does not
// follow makes the frame unwalkable (or its exit `unknown`), and the
// caller unwinds as before: never a guess.
#include "eh_tables.hpp"

#include <cstring>
#include <iterator>

#include "frame_layout.h" // arch::dwarf_sp, dwarf_fp

// libgcc's lookup of the FDE for a pc, exported since GCC 3.0 (declared in
// its unwind-dw2-fde.h, which is not installed).
struct DwarfEhBases {
    void* tbase;
    void* dbase;
    void* func;
};
extern "C" void* _Unwind_Find_FDE(void* pc, DwarfEhBases* bases);

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

/// A cursor over the unwind tables of code in the process: the ones
/// libgcc's unwinder would read itself.
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
    /// A LEB128 number's bits; `shift` ends past its last byte, `last`.
    std::uint64_t leb128(unsigned& shift, std::uint8_t& last) noexcept
    {
        std::uint64_t value = 0; // unsigned: no shift into the sign bit
        shift = 0;
        do {
            last = byte();
            if (shift < 64)
                value |= std::uint64_t(last & 0x7f) << shift;
            shift += 7;
        } while (last & 0x80);
        return value;
    }
    std::uint64_t uleb128() noexcept
    {
        unsigned shift;
        std::uint8_t last;
        return leb128(shift, last);
    }
    std::int64_t sleb128() noexcept
    {
        unsigned shift;
        std::uint8_t last;
        std::uint64_t value = leb128(shift, last);
        if (shift < 64 && (last & 0x40))
            value |= ~std::uint64_t(0) << shift; // the sign, extended
        return static_cast<std::int64_t>(value);
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

/// A register's rule in a row of the CFA table, for the two registers a
/// walk follows: where the caller's value is.
struct Rule {
    enum class How : std::uint8_t { same, undefined, at_cfa_offset } how;
    std::int64_t offset;
};

/// A row of the CFA table, as far as a walk needs it.
struct Row {
    std::uint64_t cfa_register;
    std::int64_t cfa_offset;
    Rule frame_pointer, return_address;
};

/// Runs a CFA program (the CIE's initial instructions, or an FDE's) on
/// `row` until the location passes `pc`. False for what this reader does
/// not follow: a CFA or a followed register given by an expression, or an
/// opcode it does not know.
struct CfaProgram {
    std::uint64_t code_alignment;
    std::int64_t data_alignment;
    std::uint64_t return_address_column;
    std::uint8_t address_encoding;
    std::uintptr_t datarel;
    const Row* initial; // the CIE's row, for DW_CFA_restore; null while running the CIE's

    bool run(Reader r, const unsigned char* end, Row& row, std::uintptr_t location, std::uintptr_t pc) const noexcept
    {
        Row remembered[8];
        unsigned depth = 0;
        auto rule_of = [&](std::uint64_t reg) -> Rule* {
            if (reg == static_cast<std::uint64_t>(arch::dwarf_fp))
                return &row.frame_pointer;
            if (reg == return_address_column)
                return &row.return_address;
            return nullptr;
        };
        auto set_offset = [&](std::uint64_t reg, std::int64_t offset) {
            if (Rule* rule = rule_of(reg))
                *rule = {Rule::How::at_cfa_offset, offset};
        };
        auto restore = [&](std::uint64_t reg) {
            Rule* rule = rule_of(reg);
            if (rule != nullptr)
                *rule = initial == nullptr ? Rule{Rule::How::same, 0}
                        : rule == &row.frame_pointer ? initial->frame_pointer
                                                     : initial->return_address;
        };
        auto advance = [&](std::uint64_t delta) {
            location += delta * code_alignment;
            return location > pc;
        };
        while (r.at < end) {
            std::uint8_t op = r.byte();
            std::uint8_t operand = op & 0x3f;
            switch (op & 0xc0) {
            case 0x40: // DW_CFA_advance_loc
                if (advance(operand))
                    return true;
                continue;
            case 0x80: // DW_CFA_offset
                set_offset(operand, static_cast<std::int64_t>(r.uleb128()) * data_alignment);
                continue;
            case 0xc0: // DW_CFA_restore
                restore(operand);
                continue;
            default: break;
            }
            switch (op) {
            case 0x00: break; // DW_CFA_nop
            case 0x01: {      // DW_CFA_set_loc
                std::uintptr_t to;
                if (!r.encoded(address_encoding, to, datarel))
                    return false;
                location = to;
                if (location > pc)
                    return true;
                break;
            }
            case 0x02:
                if (advance(r.fixed<std::uint8_t>()))
                    return true;
                break;
            case 0x03:
                if (advance(r.fixed<std::uint16_t>()))
                    return true;
                break;
            case 0x04:
                if (advance(r.fixed<std::uint32_t>()))
                    return true;
                break;
            case 0x05: { // DW_CFA_offset_extended
                std::uint64_t reg = r.uleb128();
                set_offset(reg, static_cast<std::int64_t>(r.uleb128()) * data_alignment);
                break;
            }
            case 0x06: restore(r.uleb128()); break; // DW_CFA_restore_extended
            case 0x07:                               // DW_CFA_undefined
            case 0x08: {                             // DW_CFA_same_value
                if (Rule* rule = rule_of(r.uleb128()))
                    *rule = {op == 0x07 ? Rule::How::undefined : Rule::How::same, 0};
                break;
            }
            case 0x09: { // DW_CFA_register: the value in another register
                std::uint64_t reg = r.uleb128();
                r.uleb128();
                if (rule_of(reg) != nullptr)
                    return false;
                break;
            }
            case 0x0a: // DW_CFA_remember_state
                if (depth == std::size(remembered))
                    return false;
                remembered[depth++] = row;
                break;
            case 0x0b: // DW_CFA_restore_state
                if (depth == 0)
                    return false;
                row = remembered[--depth];
                break;
            case 0x0c: // DW_CFA_def_cfa
                row.cfa_register = r.uleb128();
                row.cfa_offset = static_cast<std::int64_t>(r.uleb128());
                break;
            case 0x0d: row.cfa_register = r.uleb128(); break;                        // DW_CFA_def_cfa_register
            case 0x0e: row.cfa_offset = static_cast<std::int64_t>(r.uleb128()); break; // DW_CFA_def_cfa_offset
            case 0x10:                                                                 // DW_CFA_expression
            case 0x16: {                                                               // DW_CFA_val_expression
                std::uint64_t reg = r.uleb128();
                r.at += r.uleb128();
                if (rule_of(reg) != nullptr)
                    return false;
                break;
            }
            case 0x11: { // DW_CFA_offset_extended_sf
                std::uint64_t reg = r.uleb128();
                set_offset(reg, r.sleb128() * data_alignment);
                break;
            }
            case 0x12: // DW_CFA_def_cfa_sf
                row.cfa_register = r.uleb128();
                row.cfa_offset = r.sleb128() * data_alignment;
                break;
            case 0x13: row.cfa_offset = r.sleb128() * data_alignment; break; // DW_CFA_def_cfa_offset_sf
            case 0x14:                                                       // DW_CFA_val_offset
            case 0x15: {                                                     // DW_CFA_val_offset_sf
                std::uint64_t reg = r.uleb128();
                if (op == 0x14)
                    r.uleb128();
                else
                    r.sleb128();
                if (rule_of(reg) != nullptr)
                    return false;
                break;
            }
            case 0x2d: // AArch64: DW_CFA_AARCH64_negate_ra_state
                if (!arch::cfa_negate_ra_state)
                    return false;
                break;
            case 0x2e: r.uleb128(); break; // DW_CFA_GNU_args_size
            case 0x2f: {                   // DW_CFA_GNU_negative_offset_extended
                std::uint64_t reg = r.uleb128();
                set_offset(reg, -static_cast<std::int64_t>(r.uleb128()) * data_alignment);
                break;
            }
            default: return false; // DW_CFA_def_cfa_expression (0x0f), and anything newer
            }
        }
        return true;
    }
};

constexpr FrameStep unwalkable{unknown, false, false, 0, 0, 0, 0};

} // namespace

FrameStep frame_step_at(std::uintptr_t return_address) noexcept
{
    if (return_address == 0)
        return unwalkable;
    // The call's own last byte: a call at a function's end returns past it.
    std::uintptr_t pc = return_address - 1;
    // The FDE the unwinder itself would use: libgcc finds it among the
    // loaded objects (through glibc's _dl_find_object) and among frames
    // registered at run time (__register_frame: a JIT's).
    DwarfEhBases bases{};
    const auto* fde = static_cast<const unsigned char*>(_Unwind_Find_FDE(reinterpret_cast<void*>(pc), &bases));
    if (fde == nullptr)
        return unwalkable; // no unwind tables: an unwinder could not pass this frame either
    auto datarel = reinterpret_cast<std::uintptr_t>(bases.dbase);

    // The FDE: length, the distance back to its CIE, then the function's range.
    Reader f{fde};
    std::uint32_t length = f.fixed<std::uint32_t>();
    if (length == 0 || length == 0xffffffff)
        return unwalkable; // a terminator, or 64-bit DWARF: not in .eh_frame here
    const unsigned char* fde_end = f.at + length;
    const unsigned char* cie_field = f.at;
    std::uint32_t cie_distance = f.fixed<std::uint32_t>();
    Reader c{cie_field - cie_distance};

    // The CIE: alignment factors, the return address's column, the
    // encodings of the FDE's addresses and its LSDA pointer, the initial row.
    std::uint32_t cie_length = c.fixed<std::uint32_t>();
    if (cie_length == 0 || cie_length == 0xffffffff)
        return unwalkable;
    const unsigned char* cie_end = c.at + cie_length;
    if (c.fixed<std::uint32_t>() != 0)
        return unwalkable;
    std::uint8_t version = c.byte();
    const char* augmentation = reinterpret_cast<const char*>(c.at);
    c.at += std::strlen(augmentation) + 1;
    CfaProgram program{};
    program.code_alignment = c.uleb128();
    program.data_alignment = c.sleb128();
    program.return_address_column = version == 1 ? c.byte() : c.uleb128();
    program.address_encoding = pe_absptr;
    program.datarel = datarel;
    std::uint8_t lsda_encoding = pe_omit;
    bool has_augmentation_data = augmentation[0] == 'z';
    if (has_augmentation_data) {
        std::uint64_t size = c.uleb128();
        const unsigned char* instructions = c.at + size;
        for (const char* letter = augmentation + 1; *letter != '\0'; ++letter) {
            switch (*letter) {
            case 'L': lsda_encoding = c.byte(); break;
            case 'R': program.address_encoding = c.byte(); break;
            case 'P': {
                std::uintptr_t personality;
                if (!c.encoded(c.byte(), personality, datarel))
                    return unwalkable;
                break;
            }
            case 'S': // a signal frame
            case 'B': // AArch64: return addresses signed with the B key
            case 'G': // AArch64: memory tagging
                break;
            default: return unwalkable;
            }
        }
        c.at = instructions;
    } else if (augmentation[0] != '\0') {
        return unwalkable;
    }

    std::uintptr_t begin, range;
    if (!f.encoded(program.address_encoding, begin, datarel) || !f.encoded(program.address_encoding & pe_format, range))
        return unwalkable;
    if (pc < begin || pc - begin >= range)
        return unwalkable;
    std::uintptr_t lsda = 0;
    if (has_augmentation_data) {
        std::uint64_t size = f.uleb128();
        const unsigned char* instructions = f.at + size;
        if (lsda_encoding != pe_omit && !f.encoded(lsda_encoding, lsda, datarel))
            return unwalkable;
        f.at = instructions;
    }

    // The row at pc: the CIE's initial instructions, then the FDE's.
    Row row{~std::uint64_t(0), 0, {Rule::How::same, 0}, {Rule::How::same, 0}};
    if (!program.run(c, cie_end, row, 0, ~std::uintptr_t(0)))
        return unwalkable;
    const Row initial = row;
    program.initial = &initial;
    if (!program.run(f, fde_end, row, begin, pc))
        return unwalkable;

    FrameStep step{};
    step.exit = lsda == 0 ? nothing : call_site_exit(reinterpret_cast<const unsigned char*>(lsda), begin, pc);
    bool computable = row.cfa_register == static_cast<std::uint64_t>(arch::dwarf_sp) ||
                      row.cfa_register == static_cast<std::uint64_t>(arch::dwarf_fp);
    step.walkable = computable && row.return_address.how == Rule::How::at_cfa_offset &&
                    row.frame_pointer.how != Rule::How::undefined;
    step.cfa_register = static_cast<std::uint16_t>(row.cfa_register);
    step.cfa_offset = static_cast<std::int32_t>(row.cfa_offset);
    step.return_address_offset = static_cast<std::int32_t>(row.return_address.offset);
    step.frame_pointer_saved = row.frame_pointer.how == Rule::How::at_cfa_offset;
    step.frame_pointer_offset = static_cast<std::int32_t>(row.frame_pointer.offset);
    return step;
}

} // namespace cg::detail
