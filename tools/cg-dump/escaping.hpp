// escaping.hpp - strings from a snapshot made safe to print. Labels and
// function names come from the file, which may be hostile: a label with an
// escape sequence must not reach the terminal as one, and JSON must stay
// valid whatever the bytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cg_dump {

/// `text` for a terminal: valid UTF-8 as it is, a backslash doubled, and a
/// control character or a byte that is not part of valid UTF-8 as \xNN.
std::string printable(std::string_view text);

/// The columns `text` (valid UTF-8, as printable() returns) takes: one per
/// character, which holds for the scripts of function names and labels.
std::size_t display_width(std::string_view text);

/// `text` as a JSON string, quotes included. Valid UTF-8 is kept; a byte
/// that is not part of it stands for the character of that number
/// (\u00NN), as in Latin-1.
std::string json_string(std::string_view text);

} // namespace cg_dump
