// OpenCV's decoders through the codecs module (detail::opencv_decode): every format OpenCV
// recognizes (JPEG, TIFF, BMP, PNM, WebP, ...). The first byte picks the flags decode_image
// would pass: unchanged, or any color and depth (as for JPEG).
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include <opencv2/imgcodecs.hpp>

#include "detail/opencv_codecs.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::limit_opencv_pixels();
    fuzz::require_codecs_module();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2)
        return 0;
    const int flags =
        (data[0] & 1) ? cv::IMREAD_ANYCOLOR | cv::IMREAD_ANYDEPTH : cv::IMREAD_UNCHANGED;
    try {
        quantize::detail::opencv_decode({data + 1, size - 1}, flags);
    } catch (const std::runtime_error&) {
        // OpenCV's own error, passed on as a message: expected.
    }
    return 0;
}
