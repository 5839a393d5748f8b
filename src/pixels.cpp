#include "quantize/pixels.hpp"

#include <algorithm>
#include <cmath>

namespace quantize {

bool has_clear_pixels(const Image& image) {
    if (!image.has_alpha())
        return false;
    for (std::size_t i = 3; i < image.samples.size(); i += 4) {
        if (image.samples[i] == 0)
            return true;
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
