// Stage "palette": the colors an image is reduced to, with how many pixels use each.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "quantize/color.hpp"
#include "quantize/pixels.hpp"

namespace quantize {

struct PaletteEntry {
    Color color;
    std::uint64_t count = 0;  // pixels of the image mapped to this color
    bool fixed = false;       // asked for by the user: kept even when no pixel uses it
};
using Palette = std::vector<PaletteEntry>;

// "#rrggbb", or "#rrggbbaa" when the color is not opaque; lower-case hex.
std::string to_hex(Color c);
// Parses "#rgb", "#rrggbb" or "#rrggbbaa" (the '#' optional, either case); std::nullopt
// for anything else.
std::optional<Color> parse_hex_color(std::string_view text);
// Colors separated by commas, each as parse_hex_color takes it ("#fff,#000000", spaces around
// an item ignored). Throws Error(invalid_argument) with subject "fixed" naming the first item
// that is not a color.
std::vector<Color> parse_color_list(std::string_view text);

// Colors of the centroids of a k-means in `space`, rounded to 8-bit sRGB; the first
// fixed.size() centroids are the fixed colors and take exactly those values. Colors that come
// out the same are kept once. Counts are zero until a remap fills them in.
// With `sizes` (one per centroid, as kmeans returns them), counts are those sizes rounded, and
// merged when colors coincide.
Palette palette_from_centroids(std::span<const Point> centroids, ColorSpace space = ColorSpace::rgb,
                               std::span<const Color> fixed = {},
                               std::span<const double> sizes = {});

// Drops entries no pixel uses (except fixed ones) and orders the rest by count, largest first
// (ties by color).
// Returns the table old index -> new index that the index image must be passed through.
std::vector<std::uint8_t> compact_and_sort_by_count(Palette& palette);

std::uint64_t total_count(const Palette& palette);

enum class PaletteOrder {
    share,      // largest count first
    luminance,  // darkest first (CIELAB L*)
    hue,        // greys first (darkest first), then by CIELAB hue angle: red, yellow, green, blue
};
// "share", "luminance" or "hue"; std::nullopt for anything else.
std::optional<PaletteOrder> parse_palette_order(std::string_view name);
// Sorts in that order; ties by count, then by color, so the order is always the same.
void sort_palette(Palette& palette, PaletteOrder order);

}  // namespace quantize
