// What an image file carries besides its pixels: the color profile its numbers mean, its
// orientation, and metadata (EXIF, XMP, text, resolution, time). It travels as a value with the
// image from decode to encode, so an output keeps what its input had (unless stripped).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace quantize {

// The color space the pixel values are in. Empty `icc` with no PNG color chunks: sRGB by
// convention (as browsers and the PNG, JPEG and WebP specifications take an untagged image).
struct ColorProfile {
    std::vector<std::uint8_t> icc;  // the ICC profile as embedded (PNG iCCP, JPEG APP2, ...)
    std::string description;        // the profile's own description tag, for reports
    // PNG's color chunks when no iCCP is there: sRGB rendering intent 0..3, gAMA (gamma times
    // 100,000) and cHRM (white point and primaries times 100,000).
    std::optional<int> srgb_intent;
    std::optional<std::uint32_t> gamma;
    std::optional<std::array<std::uint32_t, 8>> chromaticities;  // wx wy rx ry gx gy bx by

    bool empty() const { return icc.empty() && !srgb_intent && !gamma && !chromaticities; }
};

// PNG text chunks (tEXt, zTXt, iTXt); a JPEG comment (COM) becomes keyword "Comment".
struct TextEntry {
    std::string keyword;
    std::string text;                          // UTF-8 for iTXt, Latin-1 for tEXt and zTXt
    bool compressed = false;                   // zTXt, or a compressed iTXt
    bool international = false;                // iTXt
    std::string language, translated_keyword;  // iTXt only
};

// Pixels per unit along x and y: PNG pHYs, JPEG JFIF density, TIFF resolution.
struct Resolution {
    std::uint32_t x = 0, y = 0;
    bool per_meter = false;  // false: only the aspect ratio is known (PNG unit 0)
};

// PNG tIME: the last modification, UTC.
struct Timestamp {
    std::uint16_t year = 0;
    std::uint8_t month = 0, day = 0, hour = 0, minute = 0, second = 0;
};

// What an output does with its input's color profile.
enum class ProfileAction {
    keep,  // quantize the image's own numbers and embed the same profile (the default); a gray
           // profile, which no RGB output may carry, is converted to sRGB as srgb does
    srgb,  // convert the pixels to sRGB with Little CMS first, for viewers that ignore profiles
    drop,  // quantize the numbers as they are and embed nothing (they will be read as sRGB)
};
const char* profile_action_name(ProfileAction action);
// "keep", "srgb" or "drop"; std::nullopt for anything else.
std::optional<ProfileAction> parse_profile_action(std::string_view name);

struct Metadata {
    ColorProfile profile;
    // The EXIF block as TIFF-structured bytes (what follows "Exif\0\0" in a JPEG APP1; a PNG
    // eXIf or WebP EXIF chunk's data). Its orientation tag says 1 once decoding applied it.
    std::vector<std::uint8_t> exif;
    std::string xmp;  // the XMP packet
    std::vector<TextEntry> text;
    std::optional<Resolution> resolution;
    std::optional<Timestamp> time;
    // The EXIF (or TIFF) orientation the file had, 1..8, which decoding applied to the pixels
    // (1: none). Outputs are upright and say 1.
    int orientation = 1;

    // Everything but the profile dropped (--strip): what the colors need stays.
    void strip() {
        Metadata kept;
        kept.profile = std::move(profile);
        *this = std::move(kept);
    }
};

}  // namespace quantize
