#include "detail/webp_encode.hpp"

#include <memory>
#include <string>

#include <webp/encode.h>

namespace quantize::detail {

std::vector<std::uint8_t> encode_webp(std::span<const std::uint8_t> samples, int width, int height,
                                      int channels, int quality) {
    if (width > WEBP_MAX_DIMENSION || height > WEBP_MAX_DIMENSION) {
        throw std::runtime_error("WebP holds at most " + std::to_string(WEBP_MAX_DIMENSION) +
                                 " pixels a side");
    }
    const int stride = width * channels;
    std::uint8_t* out = nullptr;
    std::size_t size = 0;
    if (quality == 0) {
        size = channels == 4 ? WebPEncodeLosslessRGBA(samples.data(), width, height, stride, &out)
                             : WebPEncodeLosslessRGB(samples.data(), width, height, stride, &out);
    } else {
        const float q = float(quality);
        size = channels == 4 ? WebPEncodeRGBA(samples.data(), width, height, stride, q, &out)
                             : WebPEncodeRGB(samples.data(), width, height, stride, q, &out);
    }
    const std::unique_ptr<std::uint8_t, decltype(&WebPFree)> owned(out, &WebPFree);
    if (size == 0)
        throw std::runtime_error("libwebp could not encode the image");
    return std::vector<std::uint8_t>(out, out + size);
}

}  // namespace quantize::detail
