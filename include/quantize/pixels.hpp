// Stage "pixels": an image as a matrix of 8-bit RGB(A) pixels, and the float points k-means
// works on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "quantize/formats.hpp"
#include "quantize/metadata.hpp"

namespace quantize {

// An sRGB color with straight (not premultiplied) alpha, 0..255 per channel.
struct Color {
    std::uint8_t r = 0, g = 0, b = 0, a = 255;
    friend bool operator==(const Color&, const Color&) = default;
};

// Packs a color into one integer (0xRRGGBBAA): a total order and a hash key.
constexpr std::uint32_t pack(Color c) {
    return (std::uint32_t{c.r} << 24) | (std::uint32_t{c.g} << 16) | (std::uint32_t{c.b} << 8) |
           std::uint32_t{c.a};
}
constexpr Color unpack(std::uint32_t v) {
    return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
            static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

// What the decoder found in the file before conversion to 8-bit RGB(A).
struct SourceFormat {
    int channels = 3;   // 1 (gray), 2 (gray + alpha), 3 (color) or 4 (color + alpha)
    int bit_depth = 8;  // bits per sample, 1..16 (deeper than 8 are scaled to 8 with rounding)
    std::uint64_t file_bytes = 0;       // size of the encoded file read (0 when not read from one)
    std::optional<ImageFormat> format;  // the file's format, as its bytes tell (nullopt: other)
    // Frames (an animated PNG) or pages (a TIFF) the file holds, >= 1; only the first is read,
    // and the report says so when there are more.
    std::uint32_t frames = 1;
};

// A decoded image: width * height pixels, row-major, channels = 3 (RGB) or 4 (RGBA),
// interleaved 8-bit samples in R, G, B(, A) order.
struct Image {
    int width = 0;
    int height = 0;
    int channels = 3;
    std::vector<std::uint8_t> samples;
    SourceFormat source;
    Metadata metadata;  // profile, orientation (already applied), EXIF, XMP, text, ...

    std::size_t pixel_count() const { return std::size_t(width) * std::size_t(height); }
    bool has_alpha() const { return channels == 4; }
    Color pixel(std::size_t i) const {
        const std::uint8_t* p = samples.data() + i * std::size_t(channels);
        return {p[0], p[1], p[2], channels == 4 ? p[3] : std::uint8_t{255}};
    }
};

// Whether any pixel is fully transparent (alpha 0).
bool has_clear_pixels(const Image& image);

// Makes an image of the given size, all pixels `fill`; channels = 4 when fill is not opaque.
Image make_image(int width, int height, Color fill, int channels = 3);

// A color as a point in the space k-means measures distances in: premultiplied R, G, B and A
// on a 0..255 scale. Premultiplying makes every fully transparent pixel the same point
// (0, 0, 0, 0) and weighs color differences by how visible they are. For opaque images the
// fourth coordinate is always 255 and adds nothing to distances.
struct alignas(16) Point {
    float v[4] = {0, 0, 0, 0};
};

Point to_point(Color c);
// The nearest 8-bit straight-alpha color to a point (clamped to 0..255).
Color to_color(const Point& p);

inline float squared_distance(const Point& a, const Point& b) {
    const float d0 = a.v[0] - b.v[0], d1 = a.v[1] - b.v[1];
    const float d2 = a.v[2] - b.v[2], d3 = a.v[3] - b.v[3];
    return d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3;
}

}  // namespace quantize
