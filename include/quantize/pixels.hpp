// Stage "pixels": an image as a matrix of 8-bit RGB(A) pixels, and the float points k-means
// works on.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
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

// A color profile decoding took out of the metadata (see SourceFormat::set_aside_profile).
struct SetAsideProfile {
    std::string name;  // describe_profile's, e.g. "U.S. Web Coated (SWOP) v2"
    std::string data;  // the data it is for: "CMYK", "Lab", ...
    // true: the pixels were converted through it to sRGB (Little CMS, relative colorimetric: a
    // CMYK JPEG's inks); false: they are the decoder's own RGB (CMYK as OpenCV converts it),
    // read as sRGB.
    bool converted = false;
};

// What the decoder found in the file before conversion to 8-bit RGB(A).
struct SourceFormat {
    int channels = 3;   // 1 (gray), 2 (gray + alpha), 3 (color) or 4 (color + alpha)
    int bit_depth = 8;  // bits per sample, 1..16 (deeper than 8 are scaled to 8 with rounding)
    std::uint64_t file_bytes = 0;       // size of the encoded file read (0 when not read from one)
    std::optional<ImageFormat> format;  // the file's format, as its bytes tell (nullopt: other)
    // Frames (an animated PNG) or pages (a TIFF) the file holds, >= 1; only the first is read,
    // and the report says so when there are more.
    std::uint32_t frames = 1;
    // What the decoder passed over without losing a pixel, in its words (a JPEG's "Corrupt JPEG
    // data: 3 extraneous bytes before marker 0xd9"); each becomes a note of the report.
    std::vector<std::string> warnings;
    // An ICC profile the file carried for data other than RGB or gray (a CMYK JPEG's CMYK
    // profile): it cannot describe the decoded RGB, so metadata.profile holds none and no
    // output embeds it; the report's notes say what became of it. nullopt when none.
    std::optional<SetAsideProfile> set_aside_profile;
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

// A caller's pixels, read in place and never copied: width * height pixels of `channels` (3 RGB,
// 4 RGBA) interleaved 8-bit samples in R, G, B(, A) order; row y starts at data + y * stride.
// Every stage that reads pixels (sample, cluster, remap, quality) takes one, and an Image
// converts to a view of itself, so NumPy arrays, OpenCV mats and other buffers need no copy.
// The view must outlive the calls it is given to; nothing keeps it.
class ImageView {
  public:
    ImageView() = default;
    // stride: bytes from one row's start to the next's, at least width * channels either way
    // (negative: rows upwards in memory, as a flipped NumPy array); 0 = packed rows.
    // Throws Error(invalid_argument) on a negative size, channels other than 3 or 4, a stride
    // shorter than a row, or no data for a non-empty image.
    ImageView(const std::uint8_t* data, int width, int height, int channels,
              std::ptrdiff_t stride = 0);
    ImageView(const Image& image)  // NOLINT(google-explicit-constructor): an Image is a view
        : ImageView(image.samples.data(), image.width, image.height, image.channels) {}

    int width() const { return width_; }
    int height() const { return height_; }
    int channels() const { return channels_; }
    std::ptrdiff_t stride() const { return stride_; }
    const std::uint8_t* data() const { return data_; }
    std::size_t pixel_count() const { return std::size_t(width_) * std::size_t(height_); }
    bool has_alpha() const { return channels_ == 4; }
    // Whether rows follow each other with no gap, so pixel i is at data + i * channels.
    bool packed() const { return packed_; }

    const std::uint8_t* row(std::size_t y) const { return data_ + std::ptrdiff_t(y) * stride_; }
    // The samples of pixel i (row-major index, 0..pixel_count - 1).
    const std::uint8_t* at(std::size_t i) const {
        if (packed_)
            return data_ + i * std::size_t(channels_);
        const std::size_t w = std::size_t(width_);
        return row(i / w) + (i % w) * std::size_t(channels_);
    }
    Color pixel(std::size_t i) const {
        const std::uint8_t* p = at(i);
        return {p[0], p[1], p[2], channels_ == 4 ? p[3] : std::uint8_t{255}};
    }
    // Calls run(samples, first, count) for the pixels [begin, end) in pieces of consecutive
    // samples: first is the index of the piece's first pixel; one piece when packed, else one
    // per row crossed.
    template <class Run>
    void for_each_run(std::size_t begin, std::size_t end, Run&& run) const {
        if (packed_) {
            if (begin < end)
                run(at(begin), begin, end - begin);
            return;
        }
        const std::size_t w = std::size_t(width_);
        while (begin < end) {
            const std::size_t row_end = std::min(end, (begin / w + 1) * w);
            run(at(begin), begin, row_end - begin);
            begin = row_end;
        }
    }

  private:
    const std::uint8_t* data_ = nullptr;
    int width_ = 0;
    int height_ = 0;
    int channels_ = 3;
    std::ptrdiff_t stride_ = 0;
    bool packed_ = true;
};

// Whether any pixel is fully transparent (alpha 0).
bool has_clear_pixels(ImageView image);

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
