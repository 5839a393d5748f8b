// What the mapping methods (the rows of quantize::dither_methods()) share: each is one file,
// src/remap*.cpp, with its run function declared here.
#pragma once

#include <span>
#include <vector>

#include "detail/palette_search.hpp"
#include "quantize/remap.hpp"

namespace quantize::detail {

// The indexed image of `indices` over `palette`, whose counts become the sums of `counts`.
IndexedImage indexed_image(const Image& image, Palette palette, std::vector<std::uint8_t> indices,
                           std::span<const IndexCounts> counts);

// The indexed image of `indices`, counted in one pass.
IndexedImage counted_image(const Image& image, Palette palette, std::vector<std::uint8_t> indices);

// Per palette entry: the sRGB distance (0..255 scale, premultiplied) to its nearest other
// entry, the step between neighbouring colors around it. 0 for a palette of one.
std::vector<float> palette_spacings(const Palette& palette);

// Serpentine Floyd-Steinberg over the whole image (src/remap_fs.cpp). weights: null for full
// diffusion everywhere, else one byte per pixel, 0..255 = the share (0..1) of the error a pixel
// takes from its neighbours and passes on (the adaptive method's dither map).
std::vector<std::uint8_t> diffuse_errors(const Image& image, const Palette& palette,
                                         PaletteSearch& search, float level,
                                         const std::uint8_t* weights);

// The run functions of the table's rows; level 0..1, checked by the caller.
IndexedImage run_none(const Image& image, Palette palette, ColorSpace space, float level);
IndexedImage run_fs(const Image& image, Palette palette, ColorSpace space, float level);
IndexedImage run_adaptive(const Image& image, Palette palette, ColorSpace space, float level);
IndexedImage run_ordered(const Image& image, Palette palette, ColorSpace space, float level);
IndexedImage run_bayer(const Image& image, Palette palette, ColorSpace space, float level);

}  // namespace quantize::detail
