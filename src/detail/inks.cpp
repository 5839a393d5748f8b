// CMYK inks to RGB, shared by the decoders of CMYK files (JPEG, TIFF): see foreign_profile.hpp.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "detail/foreign_profile.hpp"
#include "detail/parallel.hpp"

namespace quantize::detail {

namespace {

// Pixels converted a task (a quarter of a MiB of CMYK).
constexpr std::size_t kInkTaskPixels = std::size_t{1} << 16;

// OpenCV's CMYK to BGR (icvCvt_CMYK2BGR_8u_C4C3R), written as RGB: the inks as Adobe stores
// them (inverted), each scaled by K.
void cmyk_to_rgb(const std::uint8_t* cmyk, std::uint8_t* rgb, std::size_t width) {
    for (std::size_t x = 0; x < width; ++x, cmyk += 4, rgb += 3) {
        const int k = cmyk[3];
        for (int c = 0; c < 3; ++c)
            rgb[c] = std::uint8_t(k - ((255 - cmyk[c]) * k >> 8));
    }
}

}  // namespace

void convert_inks(const CmykToSrgb* profile, const std::uint8_t* cmyk, std::uint8_t* rgb, int width,
                  std::size_t rows) {
    const std::size_t w = std::size_t(std::max(1, width));
    for_each_chunk(rows, std::max<std::size_t>(1, kInkTaskPixels / w),
                   [&](std::size_t, std::size_t begin, std::size_t end) {
                       for (std::size_t y = begin; y < end; ++y) {
                           if (profile)
                               profile->convert(cmyk + y * w * 4, rgb + y * w * 3, w);
                           else
                               cmyk_to_rgb(cmyk + y * w * 4, rgb + y * w * 3, w);
                       }
                   });
}

}  // namespace quantize::detail
