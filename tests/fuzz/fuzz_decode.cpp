// decode_image on anything: the path is chosen by the magic number (own PNG, libspng, WebP,
// OpenCV for the rest, JPEG included), as for a file given on the command line.
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
    try {
        quantize::decode_image(input, "fuzz", fuzz::limits());
    } catch (const quantize::Error&) {
        // A refused input: expected.
    }
    return 0;
}
