// A still WebP by libwebp's simple API, as OpenCV's encoder writes one (the same calls), so the
// bytes are those OpenCV gave, without loading OpenCV's codecs (src/codecs says what that
// costs). Animations are libwebp's WebPAnimEncoder's (src/animation.cpp).
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <vector>

namespace quantize::detail {

// `samples`: width x height pixels of `channels` bytes (3: R, G, B; 4: R, G, B, A), rows
// packed; quality 0 for lossless, else lossy at 1..100. Throws std::runtime_error when libwebp
// fails (sides over 16,383, out of memory).
std::vector<std::uint8_t> encode_webp(std::span<const std::uint8_t> samples, int width, int height,
                                      int channels, int quality);

}  // namespace quantize::detail
