// WebP straight through libwebp into our layout: no BGR pass and no OpenCV codecs to load,
// and for lossy files libwebp's second thread (27.7 MP photo: 315 ms through OpenCV, ~150 ms
// here on 2 cores). Still images only; animations and anything libwebp refuses are left to
// OpenCV, which then words the error.
#pragma once

#include <cstdint>
#include <span>

#include "quantize/pixels.hpp"

namespace quantize::detail {

// Whether the bytes start like a WebP file (a RIFF container of type WEBP).
bool is_webp(std::span<const std::uint8_t> bytes);

// Decodes a still WebP into `image` (RGB, or RGBA when the file has alpha); `threaded` lets
// libwebp use one extra thread. False, with `image` unspecified, when it cannot.
bool decode_webp(std::span<const std::uint8_t> bytes, Image& image, bool threaded);

}  // namespace quantize::detail
