// Animations: what the frame decoders share.
#include "quantize/animation.hpp"

#include <cstdio>

#include "detail/animation_frames.hpp"
#include "quantize/error.hpp"

namespace quantize {

void detail::check_frame_limits(const std::string& name, std::uint64_t width, std::uint64_t height,
                                std::uint64_t frames, const DecodeLimits& limits) {
    // Each side is under 2^16 (GIF) or 2^14 (WebP) and frames under 2^31: no overflow.
    const std::uint64_t bytes = width * height * 4 * frames;
    if (bytes <= limits.max_bytes)
        return;
    char text[160];
    std::snprintf(text, sizeof text,
                  "%llu frames of %llux%llu pixels (%.1f MB decoded) are over the limit of %.1f "
                  "MB decoded",
                  static_cast<unsigned long long>(frames), static_cast<unsigned long long>(width),
                  static_cast<unsigned long long>(height), double(bytes) / 1e6,
                  double(limits.max_bytes) / 1e6);
    throw Error(ErrorKind::too_large, name, text);
}

void detail::drop_alpha_if_opaque(Animation& animation) {
    for (const AnimationFrame& frame : animation.frames) {
        const Image& image = frame.image;
        if (image.channels != 4)
            return;
        for (std::size_t i = 3; i < image.samples.size(); i += 4)
            if (image.samples[i] != 255)
                return;
    }
    for (AnimationFrame& frame : animation.frames) {
        std::vector<std::uint8_t>& samples = frame.image.samples;
        std::size_t out = 0;
        for (std::size_t i = 0; i < samples.size(); i += 4) {
            samples[out++] = samples[i];
            samples[out++] = samples[i + 1];
            samples[out++] = samples[i + 2];
        }
        samples.resize(out);
        samples.shrink_to_fit();
        frame.image.channels = 3;
        frame.image.source.channels = 3;
    }
    animation.source.channels = 3;
}

}  // namespace quantize
