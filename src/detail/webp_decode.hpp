// WebP straight through libwebp into our layout: no BGR pass and no OpenCV codecs to load,
// and for lossy files libwebp's second thread (27.7 MP photo: 315 ms through OpenCV, ~150 ms
// here on 2 cores). Animations through libwebp's WebPAnimDecoder, which composites the frames.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "quantize/animation.hpp"
#include "quantize/io.hpp"
#include "quantize/pixels.hpp"

namespace quantize::detail {

// Whether the bytes start like a WebP file (a RIFF container of type WEBP).
bool is_webp(std::span<const std::uint8_t> bytes);

// What a WebP's header says (WebPGetFeatures, O(1): no pixel decoded, nothing allocated).
struct WebpFeatures {
    int width = 0, height = 0;  // 1..16383 each (the canvas, for an animation)
    bool alpha = false;
    bool animated = false;
};

// The header's features; false, with `error` saying why, when libwebp cannot read it.
bool read_webp_features(std::span<const std::uint8_t> bytes, WebpFeatures& features,
                        std::string& error);

// Decodes a still WebP into `image` (RGB, or RGBA when the file has alpha); `threaded` lets
// libwebp use one extra thread. False, with `image` unspecified and libwebp's status in `error`
// when given, when it cannot. The caller checks DecodeLimits against read_webp_features first.
bool decode_webp(std::span<const std::uint8_t> bytes, Image& image, bool threaded,
                 std::string* error = nullptr);

// Decodes up to `max_frames` frames (>= 1) of an animated WebP, composited by libwebp, RGBA
// (RGB when every pixel is opaque). The canvas is checked against `limits` from the header, and
// frames x canvas against limits.max_bytes, before any is decoded. Throws Error(input) naming
// `name` for a corrupt or truncated file, Error(too_large) over the limits.
Animation decode_webp_animation(std::span<const std::uint8_t> bytes, const std::string& name,
                                const DecodeLimits& limits, std::size_t max_frames);

}  // namespace quantize::detail
