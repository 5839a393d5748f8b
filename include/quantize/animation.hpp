// Animations (animated GIF and WebP): every frame as the viewer shows it, composited onto the
// canvas, with its delay.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "quantize/formats.hpp"
#include "quantize/io.hpp"
#include "quantize/metadata.hpp"
#include "quantize/pixels.hpp"
#include "quantize/remap.hpp"

namespace quantize {

// One frame as shown: the whole canvas after the frame is drawn over what the earlier ones left
// (offsets and disposal applied), never a partial rectangle.
struct AnimationFrame {
    Image image;       // width x height of the canvas; RGBA, or RGB when no frame has alpha
    int delay_ms = 0;  // how long it stays, in milliseconds, >= 0 (GIF counts tens of ms)
};

struct Animation {
    int width = 0, height = 0;  // the canvas, in pixels
    std::vector<AnimationFrame> frames;
    // Times the whole animation is played: 0 = forever, else 1..65536 (a GIF without a loop
    // extension plays once; GIF's NETSCAPE2.0 count N means N + 1 plays, as browsers show it).
    int loops = 0;
    SourceFormat source;  // of the file: channels of the frames, file bytes
    // Of the file (animated WebP: its ICCP, EXIF and XMP chunks; GIF keeps none). Every
    // frame's image.metadata.profile is this profile, so each frame converts and measures alone.
    Metadata metadata;
};

// An animation reduced to palettes: every frame a whole canvas of indices.
struct IndexedFrame {
    IndexedImage image;
    int delay_ms = 0;
};
struct IndexedAnimation {
    int width = 0, height = 0;
    std::vector<IndexedFrame> frames;
    int loops = 0;  // as Animation::loops
};

// An animation made one frame at a time, so one of large frames is never held whole (--animate
// renders each frame as the encoder takes it).
struct AnimationSource {
    int width = 0, height = 0;
    std::size_t count = 0;  // frames, >= 1
    int loops = 0;          // as Animation::loops
    // GIF: whether some frame's palette has an entry with alpha under 128 (it decides every
    // frame's disposal, so it is known before the frames are).
    bool any_clear = false;
    // Frame i, for i = 0 .. count - 1, asked in order, each once; what it returns stays valid
    // until the call after next (a GIF frame is written as its changes from the one before).
    std::function<const IndexedFrame&(std::size_t)> frame;
};

// Every frame of an animated GIF or WebP (the canvas checked against `limits` from the header,
// and all the frames held decoded against limits.max_bytes, before any pixel is decoded); any
// other image, as decode_image reads it, as the one frame of an animation played once. Errors
// as decode_image's, naming `name`.
Animation decode_animation(std::span<const std::uint8_t> bytes, const std::string& name,
                           const DecodeLimits& limits = {});
Animation read_animation(const std::filesystem::path& path, const DecodeLimits& limits = {});

// An animated GIF (every frame a full canvas; the first frame's palette the global table, a
// frame of another palette with a local one) or an animated WebP (WebPAnimEncoder, lossless when
// options.webp_quality is 0, else lossy at that quality; libwebp merges a frame equal to the one
// before into it, its delays summed). Delays and loops kept (GIF rounds delays to 10 ms).
// Or a multi-page TIFF, a page a frame (full colors, deflated; no delays nor loops, which TIFF
// has not). WebP carries the metadata's ICC profile, EXIF and XMP (WebPMux), TIFF the ICC
// profile on every page; GIF keeps none. A profile for other data than RGB (profile_data) is
// never written, as in encode_image.
// Throws Error(output) naming `name` for another format or when the encoder fails.
std::vector<std::uint8_t> encode_animation(const IndexedAnimation& animation, ImageFormat format,
                                           const std::filesystem::path& name,
                                           const EncodeOptions& options = {},
                                           const Metadata& metadata = {});

// The same GIF or WebP bytes as encode_animation of the frames held whole, from frames made one
// at a time: at most two held at once (GIF frames then encode one after the other, not side by
// side). Throws Error(output) naming `name` for another format or when the encoder fails.
std::vector<std::uint8_t> encode_animation(const AnimationSource& source, ImageFormat format,
                                           const std::filesystem::path& name,
                                           const EncodeOptions& options = {},
                                           const Metadata& metadata = {});

}  // namespace quantize
