// GIF read from memory, its blocks by giflib and its frames' LZW data by gif_lzw.hpp's decoder:
// every frame composited onto the canvas as a browser shows it (offsets, disposal, transparency as
// alpha 0, interlaced frames in display order).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "quantize/animation.hpp"
#include "quantize/io.hpp"

namespace quantize::detail {

// Whether the bytes start like a GIF ("GIF87a" or "GIF89a").
bool is_gif(std::span<const std::uint8_t> bytes);

// giflib's error code as text; never null.
const char* gif_error(int code);

// Decodes up to `max_frames` frames (>= 1; 1 for a still image). The logical screen size is
// checked against `limits` before anything is allocated, and each frame's canvas copy against
// limits.max_bytes for all frames so far together. Frames are RGBA, or RGB when none has a
// transparent pixel. Throws Error(input) naming `name` for a corrupt or truncated file,
// Error(too_large) over the limits.
Animation decode_gif(std::span<const std::uint8_t> bytes, const std::string& name,
                     const DecodeLimits& limits, std::size_t max_frames);

}  // namespace quantize::detail
