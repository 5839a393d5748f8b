// decode_animation on anything: every frame of a GIF, an animated WebP or JPEG XL (the libjxl
// module's frames), the pages of a multi-page TIFF (libtiff in the codecs module), and the
// stills' path for the rest, an HEIF image sequence's boxes among them. Every frame must be the
// canvas size, or the input refused with a quantize::Error.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.hpp"
#include "quantize/animation.hpp"
#include "quantize/error.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::limit_opencv_pixels();
    fuzz::require_codecs_module();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    quantize::DecodeLimits limits = fuzz::limits();
    limits.max_bytes = std::uint64_t{64} << 20;  // frames x canvas, bounded for the fuzzer
    try {
        const quantize::Animation animation =
            quantize::decode_animation({data, size}, "fuzz", limits);
        for (const quantize::AnimationFrame& frame : animation.frames) {
            if (frame.image.width != animation.width || frame.image.height != animation.height ||
                frame.image.samples.size() !=
                    frame.image.pixel_count() * std::size_t(frame.image.channels))
                __builtin_trap();
        }
    } catch (const quantize::Error&) {
        // A refused input: expected.
    }
    return 0;
}
