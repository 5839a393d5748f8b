// What the animation decoders and the TIFF writers share (src/animation.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "quantize/animation.hpp"
#include "quantize/io.hpp"

namespace quantize::detail {

// Throws Error(too_large) naming `name` when `frames` full canvases of width x height RGBA
// pixels (4 bytes each) are over limits.max_bytes: an animation holds every frame decoded.
void check_frame_limits(const std::string& name, std::uint64_t width, std::uint64_t height,
                        std::uint64_t frames, const DecodeLimits& limits);

// Turns RGBA frames into RGB when no pixel of any frame is less than opaque, so an opaque
// animation is quantized and reported as the opaque image it is.
void drop_alpha_if_opaque(Animation& animation);

// The pixels of `image` in full color, as a TIFF page, a JPEG or a WebP takes them: their
// palette colors, `channels` samples a pixel (3: RGB, 4: RGBA), rows packed.
std::vector<std::uint8_t> full_color_samples(const IndexedImage& image, int channels);

}  // namespace quantize::detail
