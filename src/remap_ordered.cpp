// Ordered dithering (--dither ordered: a blue-noise mask, --dither bayer: the 8x8 Bayer
// matrix). Pixel-local: each pixel's color is offset by its mask cell's threshold, scaled to the
// spacing of the palette around its nearest color, and mapped again. The mask is tiled from the
// image's top-left corner, so the output is the same on any number of threads, and a region
// equal in two frames maps alike in both.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "detail/mapping.hpp"
#include "detail/memory.hpp"
#include "detail/parallel.hpp"
#include "detail/threshold_masks.hpp"
#include "quantize/sample.hpp"

namespace quantize::detail {

namespace {

// Rows per parallel chunk, each polling the cancel once (16 x width pixels).
constexpr std::size_t kRowChunk = 16;

IndexedImage run_mask(ImageView image, Palette palette, ColorSpace space, float level,
                      const ThresholdMask& mask, const Poll& poll) {
    PaletteSearch search(image, palette, space);
    const std::vector<float> spacing = palette_spacings(palette);
    // Offsets per mask cell, -0.5..0.5 times level.
    const std::size_t cells = mask.rank.size();
    std::vector<float> offset(cells);
    for (std::size_t c = 0; c < cells; ++c)
        offset[c] = ((float(mask.rank[c]) + 0.5f) / float(cells) - 0.5f) * level;
    const std::size_t w = std::size_t(image.width()), side = std::size_t(mask.side);
    std::vector<std::uint8_t> indices;
    resize_populated(indices, image.pixel_count());
    for_each_chunk(
        std::size_t(image.height()), kRowChunk, [&](std::size_t, std::size_t y0, std::size_t y1) {
            poll();
            search.with_nearest([&](auto&& nearest) {
                for (std::size_t y = y0; y < y1; ++y) {
                    const float* row_offset = offset.data() + (y % side) * side;
                    for (std::size_t x = 0; x < w; ++x) {
                        const std::size_t i = y * w + x;
                        const Color c = canonical(image.pixel(i));
                        const std::uint8_t first = nearest(c);
                        const float shift = row_offset[x % side] * spacing[first];
                        if (c.a == 0 || shift == 0) {
                            indices[i] = first;
                            continue;
                        }
                        auto moved = [&](std::uint8_t v) {
                            return std::uint8_t(
                                std::clamp(std::lround(float(v) + shift), 0L, 255L));
                        };
                        indices[i] = nearest(Color{moved(c.r), moved(c.g), moved(c.b), c.a}, first);
                    }
                }
            });
        });
    return counted_image(image, std::move(palette), std::move(indices));
}

}  // namespace

IndexedImage run_ordered(ImageView image, Palette palette, ColorSpace space, float level,
                         const Progress& progress) {
    return run_mask(image, std::move(palette), space, level, blue_noise_mask(),
                    Poll(progress, Stage::remap));
}

IndexedImage run_bayer(ImageView image, Palette palette, ColorSpace space, float level,
                       const Progress& progress) {
    return run_mask(image, std::move(palette), space, level, bayer_mask(),
                    Poll(progress, Stage::remap));
}

}  // namespace quantize::detail
