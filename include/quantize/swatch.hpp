// Stage "swatch": a palette drawn as a picture to paste into a slide or a style guide.
#pragma once

#include <optional>
#include <string_view>

#include "quantize/palette.hpp"
#include "quantize/pixels.hpp"

namespace quantize {

enum class SwatchStyle {
    bars,     // one row per color, its bar as long as its share is large (the largest full width)
    squares,  // equal squares, eight to a row
};
// "bars" or "squares"; std::nullopt for anything else.
std::optional<SwatchStyle> parse_swatch_style(std::string_view name);

// The palette (in its order) drawn on white, every color labelled with its hex code, and for
// bars its share, in black or white, whichever contrasts more with it. 8-bit RGB; 640 pixels
// wide. Translucent colors are drawn as they look over white.
Image render_swatch(const Palette& palette, SwatchStyle style);

}  // namespace quantize
