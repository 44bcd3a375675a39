// escaping.cpp - strings from a snapshot made safe to print (escaping.hpp).
#include "escaping.hpp"

#include <cstdint>
#include <cstdio>

namespace cg_dump {
namespace {

/// The length of the valid UTF-8 sequence that starts at text[at] (1 for
/// ASCII), or 0 if there is none: a stray continuation byte, a sequence cut
/// short, an overlong form, a surrogate or a code point past U+10FFFF.
std::size_t utf8_sequence_length(std::string_view text, std::size_t at)
{
    auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(text[at + i]); };
    std::uint8_t lead = byte(0);
    std::size_t length;
    std::uint8_t second_low = 0x80, second_high = 0xbf; // bounds that rule out overlong and out-of-range forms
    if (lead < 0x80)
        return 1;
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        if (lead == 0xe0)
            second_low = 0xa0;
        else if (lead == 0xed)
            second_high = 0x9f; // surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        if (lead == 0xf0)
            second_low = 0x90;
        else if (lead == 0xf4)
            second_high = 0x8f;
    } else {
        return 0;
    }
    if (text.size() - at < length || byte(1) < second_low || byte(1) > second_high)
        return 0;
    for (std::size_t i = 2; i < length; ++i)
        if (byte(i) < 0x80 || byte(i) > 0xbf)
            return 0;
    return length;
}

bool is_control(std::uint8_t byte) { return byte < 0x20 || byte == 0x7f; }

/// Appends each character of `text` as `escape` turns it: `escape` gets a
/// single byte (ASCII, or one not part of valid UTF-8) and returns whether
/// it appended it itself; otherwise, and for longer sequences, the bytes are
/// copied.
template <class Escape>
std::string escaped(std::string_view text, std::string out, Escape escape)
{
    for (std::size_t at = 0; at < text.size();) {
        std::size_t length = utf8_sequence_length(text, at);
        if (length <= 1) {
            auto byte = static_cast<std::uint8_t>(text[at]);
            if (!escape(out, byte, length == 1))
                out += static_cast<char>(byte);
            ++at;
        } else {
            out.append(text, at, length);
            at += length;
        }
    }
    return out;
}

void append_hex_escape(std::string& out, const char* format, std::uint8_t byte)
{
    char escape[8];
    std::snprintf(escape, sizeof escape, format, byte);
    out += escape;
}

} // namespace

std::string printable(std::string_view text)
{
    return escaped(text, std::string(), [](std::string& out, std::uint8_t byte, bool valid) {
        if (byte == '\\')
            out += "\\\\";
        else if (!valid || is_control(byte))
            append_hex_escape(out, "\\x%02x", byte);
        else
            return false;
        return true;
    });
}

std::size_t display_width(std::string_view text)
{
    std::size_t width = 0;
    for (char c : text)
        width += (static_cast<std::uint8_t>(c) & 0xc0) != 0x80; // not a continuation byte
    return width;
}

std::string json_string(std::string_view text)
{
    std::string out = escaped(text, "\"", [](std::string& out, std::uint8_t byte, bool valid) {
        if (byte == '"' || byte == '\\') {
            out += '\\';
            out += static_cast<char>(byte);
        } else if (!valid || is_control(byte)) {
            append_hex_escape(out, "\\u%04x", byte);
        } else {
            return false;
        }
        return true;
    });
    out += '"';
    return out;
}

} // namespace cg_dump
