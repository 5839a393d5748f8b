// Color spaces k-means can work in, and conversions from and to 8-bit sRGB.
#pragma once

#include <optional>
#include <string_view>

#include "quantize/pixels.hpp"

namespace quantize {

enum class ColorSpace {
    rgb,    // sRGB values as stored (gamma-encoded), 0..255
    lab,    // CIE L*a*b* (D65 white): L* 0..100, a* and b* about -128..127
    oklab,  // Oklab (Ottosson 2020): L 0..1, a and b about -0.5..0.5
    // sRGB values as stored, distances reshaped a quarter of the way toward CIEDE2000
    // (src/detail/weighted_rgb.hpp): green-magenta differences weigh more, grey ones less.
    wrgb,
};

const char* color_space_name(ColorSpace space);
// "rgb", "lab", "oklab" or "wrgb" (lower case); std::nullopt for anything else.
std::optional<ColorSpace> parse_color_space(std::string_view name);
// The same, throwing Error(invalid_argument) with subject "space" for anything else.
ColorSpace color_space_named(std::string_view name);

// Three coordinates of a color in one of the spaces above, in that space's own units.
struct Coordinates {
    double c0 = 0, c1 = 0, c2 = 0;
};

// sRGB transfer function, both ways, on 0..1.
double srgb_to_linear(double encoded);
double linear_to_srgb(double linear);

Coordinates srgb_to_lab(Color c);
Coordinates srgb_to_oklab(Color c);
// Back to 8-bit sRGB, clamped to the gamut, with the given alpha.
Color lab_to_srgb(const Coordinates& lab, std::uint8_t alpha = 255);
Color oklab_to_srgb(const Coordinates& oklab, std::uint8_t alpha = 255);

// A color as a k-means point in `space`: the space's three coordinates scaled to about 0..255
// (L* x 2.55 for lab, x 255 for oklab), premultiplied by alpha, then alpha on 0..255 (see
// Point). For rgb this is to_point(c); for wrgb, to_point(c) times a fixed 3x3 matrix.
Point to_point(Color c, ColorSpace space);
// The nearest 8-bit sRGB color to a point of `space` (clamped to the gamut).
Color to_color(const Point& p, ColorSpace space);

// CIEDE2000 color difference between two L*a*b* colors (Sharma, Wu & Dalal 2005).
double delta_e_2000(const Coordinates& lab1, const Coordinates& lab2);

}  // namespace quantize
