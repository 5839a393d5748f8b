// The GIF encoder (giflib, into memory), for encode_image and encode_animation.
#pragma once

#include <cstdint>
#include <filesystem>
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

}  // namespace quantize::detail
