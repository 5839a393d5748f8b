// The JPEG decoder (detail::decode_jpeg, libjpeg-turbo with our error manager): every error and
// every warning of libjpeg must come back as a JpegError, never as an exit or a crash.
#include <cstddef>
#include <cstdint>

#include "detail/jpeg_decode.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> jpeg(data, size);
    // Refused from the header, as decode_image's limits refuse it.
    auto check = [](std::uint64_t width, std::uint64_t height, std::uint64_t) {
        if (width * height > fuzz::kMaxPixels)
            throw quantize::detail::JpegError("too large", false);
    };
    try {
        const quantize::Image image =
            quantize::detail::decode_jpeg(jpeg, check, std::uint64_t{256} << 20);
        if (image.samples.size() != image.pixel_count() * std::size_t(image.channels))
            __builtin_trap();
    } catch (const quantize::detail::JpegError&) {
        // A refused input: expected.
    }
    return 0;
}
