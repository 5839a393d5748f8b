#include "detail/webp_decode.hpp"

#include <algorithm>
#include <string_view>

#include <webp/decode.h>

#include "detail/memory.hpp"

namespace quantize::detail {

bool is_webp(std::span<const std::uint8_t> bytes) {
    auto has = [&](std::size_t at, std::string_view tag) {
        return bytes.size() >= at + tag.size() &&
               std::equal(tag.begin(), tag.end(), bytes.begin() + std::ptrdiff_t(at),
                          [](char t, std::uint8_t b) { return std::uint8_t(t) == b; });
    };
    return has(0, "RIFF") && has(8, "WEBP");
}

bool decode_webp(std::span<const std::uint8_t> bytes, Image& image, bool threaded) {
    WebPDecoderConfig config;
    if (!WebPInitDecoderConfig(&config) ||
        WebPGetFeatures(bytes.data(), bytes.size(), &config.input) != VP8_STATUS_OK ||
        config.input.has_animation || config.input.width <= 0 || config.input.height <= 0)
        return false;
    image.width = config.input.width;
    image.height = config.input.height;
    image.channels = config.input.has_alpha ? 4 : 3;
    image.source.channels = image.channels;
    image.source.bit_depth = 8;
    resize_populated(image.samples, image.pixel_count() * std::size_t(image.channels));

    config.options.use_threads = threaded ? 1 : 0;
    config.output.colorspace = image.channels == 4 ? MODE_RGBA : MODE_RGB;
    config.output.is_external_memory = 1;
    config.output.u.RGBA.rgba = image.samples.data();
    config.output.u.RGBA.stride = image.width * image.channels;
    config.output.u.RGBA.size = image.samples.size();
    const bool ok = WebPDecode(bytes.data(), bytes.size(), &config) == VP8_STATUS_OK;
    WebPFreeDecBuffer(&config.output);  // frees nothing of ours: the memory is external
    return ok;
}

}  // namespace quantize::detail
