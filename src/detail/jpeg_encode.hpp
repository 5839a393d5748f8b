// A JPEG by libjpeg-turbo's API, as OpenCV's encoder writes one (the same calls: JFIF, 4:2:0,
// Huffman tables of the standard, quality scaled as jpeg_set_quality with baseline tables), so
// the bytes are those OpenCV gave, without loading OpenCV's codecs (src/codecs says what
// that costs).
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <vector>

namespace quantize::detail {

// `rgb`: width x height pixels, 3 bytes each (R, G, B), rows packed; quality 1..100. Throws
// std::runtime_error with libjpeg's message when it fails (sides over 65,500, out of memory).
std::vector<std::uint8_t> encode_jpeg(std::span<const std::uint8_t> rgb, int width, int height,
                                      int quality);

}  // namespace quantize::detail
