// WebP: detail::decode_webp (libwebp into our layout) and decode_image, which falls back to
// OpenCV when libwebp refuses. Bytes that are not a RIFF/WEBP file are wrapped in a RIFF header
// of the right size, so the fuzzer spends its time inside the WebP parsers.
#include <cstddef>
#include <cstdint>

#include "detail/webp_decode.hpp"
#include "fuzz_support.hpp"
#include "quantize/error.hpp"
#include "quantize/io.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::limit_opencv_pixels();
    fuzz::require_codecs_module();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> input(data, size);
    fuzz::Bytes webp;
    if (quantize::detail::is_webp(input)) {
        webp.assign(data, data + size);
    } else {
        webp = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P'};
        const std::uint32_t riff_size = std::uint32_t(4 + size);
        for (int i = 0; i < 4; ++i)
            webp[4 + std::size_t(i)] = std::uint8_t(riff_size >> (8 * i));
        webp.insert(webp.end(), data, data + size);
    }
    if (fuzz::webp_too_large(webp))
        return 0;
    quantize::Image image;
    if (quantize::detail::decode_webp(webp, image, false) &&
        image.samples.size() != image.pixel_count() * std::size_t(image.channels))
        __builtin_trap();
    try {
        quantize::decode_image(webp, "fuzz.webp", fuzz::limits());
    } catch (const quantize::Error&) {
        // A refused input: expected.
    }
    return 0;
}
