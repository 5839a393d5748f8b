// The GIF encoder (giflib, into memory), for encode_image and encode_animation.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <vector>

#include "quantize/remap.hpp"

namespace quantize::detail {

// A frame to write: a whole canvas of indices with its palette (at most 256 entries), and how
// long it stays, in ms.
struct GifFrame {
    const IndexedImage* image = nullptr;
    int delay_ms = 0;
};

// A GIF89a of the frames, all the same size. The first frame's palette is the global color
// table; a frame whose palette differs gets a local one. Each table has the next power of two
// >= 2 entries that holds the palette (the rest black). An entry with alpha below 128 is the
// transparent index (the Graphic Control Extension's); further such entries are written as
// that one. Of an opaque animation, each frame after the first is written as the rectangle
// around its changed pixels, the unchanged ones in it as one spare transparent index (a table
// entry past the palette, when it has fewer than 256 colors), over the frame before; frames
// with transparent pixels are written whole and cleared after. Frames are encoded in
// parallel; the bytes never depend on the thread count. `loops` as Animation::loops: 0
// forever (NETSCAPE2.0 count 0), 1 once (no loop extension), N: count N - 1. With one frame,
// no delay nor loop is written. Throws Error(output) naming `output` when giflib fails or a
// palette is over 256 entries.
std::vector<std::uint8_t> encode_gif(const std::filesystem::path& output,
                                     std::span<const GifFrame> frames, int loops);

// encode_gif's bytes for frames made one at a time: frame(i) for i = 0 .. count - 1, in order,
// each once, its image valid until the call after next (the next frame's changes are taken
// against it). Two frames are held at once instead of all, and they are encoded one after the
// other. `any_clear`: whether some frame's palette has an entry with alpha under 128 (it sets
// every frame's disposal, so it is known before the frames are); a frame that has one when
// any_clear is false fails with Error(output).
std::vector<std::uint8_t> encode_gif_frames(const std::filesystem::path& output, std::size_t count,
                                            const std::function<GifFrame(std::size_t)>& frame,
                                            bool any_clear, int loops);

}  // namespace quantize::detail
