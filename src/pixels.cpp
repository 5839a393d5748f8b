#include "quantize/pixels.hpp"

#include <cstdlib>
#include <string>

#include "quantize/error.hpp"

#include <algorithm>
#include <cmath>

namespace quantize {

ImageView::ImageView(const std::uint8_t* data, int width, int height, int channels,
                     std::ptrdiff_t stride)
    : data_(data), width_(width), height_(height), channels_(channels) {
    if (width < 0 || height < 0) {
        throw Error(
            ErrorKind::invalid_argument, "image",
            "size " + std::to_string(width) + "x" + std::to_string(height) + " is negative");
    }
    if (channels != 3 && channels != 4) {
        throw Error(ErrorKind::invalid_argument, "image",
                    "must have 3 (RGB) or 4 (RGBA) channels, not " + std::to_string(channels));
    }
    const std::ptrdiff_t row_bytes = std::ptrdiff_t(width) * channels;
    stride_ = stride == 0 ? row_bytes : stride;
    if (std::abs(stride_) < row_bytes) {
        throw Error(ErrorKind::invalid_argument, "image",
                    "row stride " + std::to_string(stride_) + " is shorter than a row of " +
                        std::to_string(row_bytes) + " bytes");
    }
    if (!data && width > 0 && height > 0)
        throw Error(ErrorKind::invalid_argument, "image", "has no pixel data");
    packed_ = stride_ == row_bytes;
}

bool has_clear_pixels(ImageView image) {
    if (!image.has_alpha())
        return false;
    for (std::size_t y = 0; y < std::size_t(image.height()); ++y) {
        const std::uint8_t* p = image.row(y);
        for (std::size_t x = 0; x < std::size_t(image.width()); ++x) {
            if (p[4 * x + 3] == 0)
                return true;
        }
    }
    return false;
}

Image make_image(int width, int height, Color fill, int channels) {
    if (fill.a != 255) {
        channels = 4;
    }
    Image image;
    image.width = width;
    image.height = height;
    image.channels = channels;
    image.source.channels = channels;
    image.samples.resize(image.pixel_count() * std::size_t(channels));
    const std::uint8_t values[4] = {fill.r, fill.g, fill.b, fill.a};
    for (std::size_t i = 0; i < image.samples.size(); ++i) {
        image.samples[i] = values[i % std::size_t(channels)];
    }
    return image;
}

Point to_point(Color c) {
    const float alpha = c.a / 255.0f;
    return {{c.r * alpha, c.g * alpha, c.b * alpha, float(c.a)}};
}

namespace {
std::uint8_t to_byte(float v) {
    return static_cast<std::uint8_t>(std::clamp(std::lround(v), 0L, 255L));
}
}  // namespace

Color to_color(const Point& p) {
    const std::uint8_t a = to_byte(p.v[3]);
    if (a == 0) {
        return {0, 0, 0, 0};
    }
    const float unpremultiply = 255.0f / a;
    return {to_byte(p.v[0] * unpremultiply), to_byte(p.v[1] * unpremultiply),
            to_byte(p.v[2] * unpremultiply), a};
}

}  // namespace quantize
