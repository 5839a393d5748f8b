// The own PNG decoder (detail::decode_common_png), which has no library under it to catch a
// mistake. The first byte picks the input's shape: odd, a PNG built around the rest as raw
// (inflated) image data, so row unfiltering sees arbitrary rows; even, the rest as a PNG file,
// signature added when missing and chunk CRCs fixed.
#include <cstddef>
#include <cstdint>

#include "detail/png_decode.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1)
        return 0;
    const std::span<const std::uint8_t> rest(data + 1, size - 1);
    fuzz::Bytes png;
    if (data[0] & 1) {
        if (rest.size() < 3)
            return 0;
        const std::uint32_t width = rest[0] + 1u, height = rest[1] + 1u;
        const std::uint8_t color_type = (rest[2] & 1) ? 6 : 2;
        png = fuzz::png_around(width, height, 8, color_type, 0, rest.subspan(3));
    } else {
        png = fuzz::with_png_signature(rest);
        fuzz::fix_png_crcs(png);
    }
    quantize::Image image;
    if (quantize::detail::decode_common_png(png, image)) {
        // What it promises on success: a consistent image.
        if (image.width <= 0 || image.height <= 0 || (image.channels != 3 && image.channels != 4) ||
            image.samples.size() != image.pixel_count() * std::size_t(image.channels))
            __builtin_trap();
    }
    return 0;
}
