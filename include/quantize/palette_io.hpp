// Palette files: the colors of a Palette written in the formats designers' tools open.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quantize/palette.hpp"

namespace quantize {

enum class PaletteFormat {
    hex,   // one #rrggbb a line
    txt,   // hex, rgb(), pixel count and share, aligned for people
    json,  // every color with hex, rgb, count, share, CIELAB and Oklab coordinates
    css,   // custom properties --color-1: #rrggbb; in :root
    gpl,   // GIMP palette
    ase,   // Adobe Swatch Exchange 1.0 (big-endian, UTF-16BE names)
    aco,   // Photoshop color swatches, version 1 then version 2 (with UTF-16BE names)
    pal,   // JASC-PAL (Paint Shop Pro), CRLF lines
};

const char* palette_format_name(PaletteFormat format);
// "hex", "txt", ... (lower case); std::nullopt for anything else.
std::optional<PaletteFormat> parse_palette_format(std::string_view name);
// The format a file name's extension names (.hex, .txt, .json, .css, .gpl, .ase, .aco, .pal).
std::optional<PaletteFormat> palette_format_of(const std::filesystem::path& path);
// Whether the format is text (fit for a terminal) rather than binary.
bool is_text_format(PaletteFormat format);

// The palette as the bytes of a file of that format; `name` titles it where the format has a
// title (GIMP, JSON). Shares are count / total_count(palette). Colors are named by their hex
// code in ASE and ACO.
std::vector<std::uint8_t> format_palette(const Palette& palette, PaletteFormat format,
                                         std::string_view name = "quantize");

// The colors of a palette file written in a text format, in file order, counts zero: the first
// "#rgb", "#rrggbb" or "#rrggbbaa" code of each line (hex, txt, css), each line's first three
// numbers 0..255 (gpl, pal), or each color's "hex" (json). Throws Error(input) naming `name`
// when the format is binary (ase, aco), the text holds no color or more than 256.
Palette parse_palette(std::string_view text, PaletteFormat format, const std::string& name);

// parse_palette of a file, its format named by its extension (hex when there is none or
// another). Throws Error(input) when it cannot be read.
Palette read_palette_file(const std::filesystem::path& path);

}  // namespace quantize
