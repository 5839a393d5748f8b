// Stage "remap": every pixel replaced by the index of its nearest palette color.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "quantize/palette.hpp"
#include "quantize/pixels.hpp"

namespace quantize {

// A palette image: width * height indices into `palette`, row-major.
struct IndexedImage {
    int width = 0;
    int height = 0;
    Palette palette;
    std::vector<std::uint8_t> indices;
};

// Index of the palette point nearest to p (squared Euclidean distance; ties go to the lowest
// index). Plain brute force: the reference the fast search is tested against.
std::size_t nearest_index(const Point& p, std::span<const Point> palette);

// Maps every pixel to its nearest palette color (at most 256 colors) and fills in the palette's
// counts. Exact, ties to the lowest index, like nearest_index. Each answer is computed once per
// color and reused for every pixel of that color; in sRGB, only against the few palette colors
// that can win in the color's neighbourhood, so the cost grows with pixels, barely with K.
// Distances are measured in `space`, the space the palette was fitted in.
IndexedImage remap(const Image& image, Palette palette, ColorSpace space = ColorSpace::rgb);

// The RGBA color of every pixel of an indexed image, for encoders and metrics.
Color color_at(const IndexedImage& image, std::size_t pixel);

}  // namespace quantize
