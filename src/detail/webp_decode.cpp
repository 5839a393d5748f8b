#include "detail/webp_decode.hpp"

#include <algorithm>
#include <string_view>

#include <webp/decode.h>

#include "detail/memory.hpp"

namespace quantize::detail {

namespace {

const char* status_text(VP8StatusCode status) {
    switch (status) {
        case VP8_STATUS_OK:
            return "no error";
        case VP8_STATUS_OUT_OF_MEMORY:
            return "out of memory";
        case VP8_STATUS_INVALID_PARAM:
            return "invalid parameter";
        case VP8_STATUS_BITSTREAM_ERROR:
            return "bitstream error";
        case VP8_STATUS_UNSUPPORTED_FEATURE:
            return "unsupported feature";
        case VP8_STATUS_SUSPENDED:
            return "decoding suspended";
        case VP8_STATUS_USER_ABORT:
            return "decoding aborted";
        case VP8_STATUS_NOT_ENOUGH_DATA:
            return "not enough data (truncated)";
    }
    return "unknown libwebp status";
}

}  // namespace

bool is_webp(std::span<const std::uint8_t> bytes) {
    auto has = [&](std::size_t at, std::string_view tag) {
        return bytes.size() >= at + tag.size() &&
               std::equal(tag.begin(), tag.end(), bytes.begin() + std::ptrdiff_t(at),
                          [](char t, std::uint8_t b) { return std::uint8_t(t) == b; });
    };
    return has(0, "RIFF") && has(8, "WEBP");
}

bool read_webp_features(std::span<const std::uint8_t> bytes, WebpFeatures& features,
                        std::string& error) {
    WebPBitstreamFeatures header;
    const VP8StatusCode status = WebPGetFeatures(bytes.data(), bytes.size(), &header);
    if (status != VP8_STATUS_OK) {
        error = status_text(status);
        return false;
    }
    features = {header.width, header.height, header.has_alpha != 0, header.has_animation != 0};
    return true;
}

bool decode_webp(std::span<const std::uint8_t> bytes, Image& image, bool threaded,
                 std::string* error) {
    auto failed = [&](VP8StatusCode status) {
        if (error)
            *error = status_text(status);
        return false;
    };
    WebPDecoderConfig config;
    if (!WebPInitDecoderConfig(&config))
        return failed(VP8_STATUS_INVALID_PARAM);  // a libwebp of another ABI version
    if (const VP8StatusCode status = WebPGetFeatures(bytes.data(), bytes.size(), &config.input);
        status != VP8_STATUS_OK)
        return failed(status);
    if (config.input.has_animation || config.input.width <= 0 || config.input.height <= 0)
        return failed(VP8_STATUS_UNSUPPORTED_FEATURE);
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
    const VP8StatusCode status = WebPDecode(bytes.data(), bytes.size(), &config);
    WebPFreeDecBuffer(&config.output);  // frees nothing of ours: the memory is external
    return status == VP8_STATUS_OK || failed(status);
}

}  // namespace quantize::detail
