#include "detail/webp_decode.hpp"

#include <algorithm>
#include <memory>
#include <string_view>

#include <webp/decode.h>
#include <webp/demux.h>

#include "detail/animation_frames.hpp"
#include "detail/decode_limits.hpp"
#include "detail/io_errors.hpp"
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

Animation decode_webp_animation(std::span<const std::uint8_t> bytes, const std::string& name,
                                const DecodeLimits& limits, std::size_t max_frames) {
    WebpFeatures features;
    std::string error;
    if (!read_webp_features(bytes, features, error))
        fail_input(name, "corrupt WebP: " + error);
    check_decode_limits(name, std::uint64_t(features.width), std::uint64_t(features.height), 4,
                        limits);
    WebPAnimDecoderOptions options;
    if (!WebPAnimDecoderOptionsInit(&options))
        fail_input(name, "libwebp's animation decoder is of another version");
    options.color_mode = MODE_RGBA;
    options.use_threads = 0;
    const WebPData data{bytes.data(), bytes.size()};
    const std::unique_ptr<WebPAnimDecoder, decltype(&WebPAnimDecoderDelete)> decoder(
        WebPAnimDecoderNew(&data, &options), &WebPAnimDecoderDelete);
    if (!decoder)
        fail_input(name, "corrupt WebP animation (libwebp cannot read its frames)");
    WebPAnimInfo info;
    if (!WebPAnimDecoderGetInfo(decoder.get(), &info))
        fail_input(name, "corrupt WebP animation");
    check_frame_limits(name, info.canvas_width, info.canvas_height,
                       std::min<std::uint64_t>(info.frame_count, max_frames), limits);
    Animation animation;
    animation.width = int(info.canvas_width);
    animation.height = int(info.canvas_height);
    animation.loops = int(info.loop_count);  // 0 = forever, as ours
    const std::size_t canvas_bytes = std::size_t(info.canvas_width) * info.canvas_height * 4;
    int shown_at = 0;  // ms: when the frame decoded last went up
    while (animation.frames.size() < max_frames && WebPAnimDecoderHasMoreFrames(decoder.get())) {
        std::uint8_t* pixels = nullptr;
        int ends_at = 0;  // ms: libwebp's timestamp is when the frame is taken down
        if (!WebPAnimDecoderGetNext(decoder.get(), &pixels, &ends_at))
            fail_input(name, "truncated or corrupt WebP animation (frame " +
                                 std::to_string(animation.frames.size()) + ")");
        AnimationFrame frame;
        frame.image.width = animation.width;
        frame.image.height = animation.height;
        frame.image.channels = 4;
        frame.image.source.channels = features.alpha ? 4 : 3;
        frame.image.samples.assign(pixels, pixels + canvas_bytes);
        frame.delay_ms = std::max(ends_at - shown_at, 0);
        shown_at = ends_at;
        animation.frames.push_back(std::move(frame));
    }
    if (animation.frames.empty())
        fail_input(name, "corrupt WebP animation: no frame");
    animation.source.channels = features.alpha ? 4 : 3;
    animation.source.file_bytes = bytes.size();
    drop_alpha_if_opaque(animation);
    return animation;
}

}  // namespace quantize::detail
