// The GIF encoder (detail::encode_gif: the LZW encoder of gif_lzw.hpp inside giflib's blocks)
// against giflib's decoder (detail::decode_gif): any indices, any palette size from 2 to 256,
// any width, one or two frames (the second written as its changes), must read back as the
// colors written. Byte 0 picks the palette size, byte 1 the width, byte 2 whether a second
// frame follows (the indices read backwards); the rest are the indices.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "detail/gif_decode.hpp"
#include "detail/gif_encode.hpp"
#include "quantize/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 4)
        return 0;
    const std::size_t colors = 2 + data[0] % 255;  // 2..256
    const std::size_t width = 1 + data[1] % 64;
    const bool two = (data[2] & 1) != 0;
    std::vector<std::uint8_t> indices;
    for (std::size_t i = 3; i < size; ++i)
        indices.push_back(std::uint8_t(data[i] % colors));
    indices.resize(std::min<std::size_t>((indices.size() + width - 1) / width, 65535) * width,
                   0);  // whole rows, at most GIF's 65535
    quantize::IndexedImage first;
    first.width = int(width);
    first.height = int(indices.size() / width);
    for (std::size_t c = 0; c < colors; ++c)  // distinct opaque colors
        first.palette.push_back(
            {{std::uint8_t(c), std::uint8_t(255 - c), std::uint8_t(c * 7), 255}});
    first.indices = indices;
    quantize::IndexedImage second = first;
    std::vector<quantize::detail::GifFrame> frames = {{&first, 100}};
    if (two) {
        second.indices.assign(indices.rbegin(), indices.rend());
        frames.push_back({&second, 100});
    }
    const std::vector<std::uint8_t> gif = quantize::detail::encode_gif("fuzz.gif", frames, 0);
    const quantize::Animation back =
        quantize::detail::decode_gif(gif, "fuzz.gif", quantize::DecodeLimits{}, 4);
    if (back.frames.size() != frames.size())
        __builtin_trap();
    for (std::size_t f = 0; f < frames.size(); ++f) {
        const quantize::Image& image = back.frames[f].image;
        const quantize::IndexedImage& want = *frames[f].image;
        if (image.width != want.width || image.height != want.height)
            __builtin_trap();
        for (std::size_t i = 0; i < want.indices.size(); ++i) {
            const quantize::Color c = want.palette[want.indices[i]].color;
            const std::uint8_t* p = image.samples.data() + i * std::size_t(image.channels);
            if (p[0] != c.r || p[1] != c.g || p[2] != c.b)
                __builtin_trap();
        }
    }
    return 0;
}
