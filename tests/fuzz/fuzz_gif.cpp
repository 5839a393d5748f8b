// The GIF decoder (detail::decode_gif, giflib read from memory, frames composited): every input
// must come back as an animation or a quantize::Error, within the limits.
#include <cstddef>
#include <cstdint>

#include "detail/gif_decode.hpp"
#include "fuzz_support.hpp"
#include "quantize/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    quantize::DecodeLimits limits = fuzz::limits();
    limits.max_bytes = std::uint64_t{64} << 20;  // frames x canvas, bounded for the fuzzer
    try {
        const quantize::Animation animation =
            quantize::detail::decode_gif({data, size}, "fuzz.gif", limits, 64);
        for (const quantize::AnimationFrame& frame : animation.frames) {
            if (frame.image.samples.size() !=
                frame.image.pixel_count() * std::size_t(frame.image.channels))
                __builtin_trap();
        }
    } catch (const quantize::Error&) {
        // A refused input: expected.
    }
    return 0;
}
