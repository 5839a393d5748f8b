// The size of a BMP or PNM image read from its first bytes, so it is checked against
// DecodeLimits before OpenCV allocates the pixels: OpenCV has no header-only read, and no kept
// library reads these formats' headers. A few lines each, O(1) (PNM: up to its first 1 KiB).
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace quantize::detail {

struct HeaderSize {
    std::uint64_t width = 0, height = 0;
    std::uint64_t bytes_per_pixel = 3;  // as OpenCV will decode it
};

// "BM" with a BITMAPCOREHEADER (12 bytes: 16-bit sides) or a BITMAPINFOHEADER or later (>= 40:
// 32-bit sides, a negative height meaning top-down rows). nullopt for anything else.
std::optional<HeaderSize> bmp_size(std::span<const std::uint8_t> bytes);

// Netpbm P1..P6: magic, width, height (and maxval, > 255 meaning 16-bit samples), separated by
// whitespace and '#' comments. nullopt for anything else, PAM (P7) included.
std::optional<HeaderSize> pnm_size(std::span<const std::uint8_t> bytes);

}  // namespace quantize::detail
