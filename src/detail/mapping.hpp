// What the mapping methods (the rows of quantize::dither_methods()) share: each is one file,
// src/remap*.cpp, with its run function declared here.
#pragma once

#include <span>
#include <vector>

#include "detail/palette_search.hpp"
#include "detail/poll.hpp"
#include "quantize/remap.hpp"

namespace quantize::detail {

// remap with a search made for this image and palette (which the caller goes on using), polling
// once per parallel chunk of kPollPixels pixels.
IndexedImage remap_using(ImageView image, Palette palette, PaletteSearch& search,
                         const Poll& poll = {});

// The indexed image of `indices` over `palette`, whose counts become the sums of `counts`.
IndexedImage indexed_image(ImageView image, Palette palette, std::vector<std::uint8_t> indices,
                           std::span<const IndexCounts> counts);

// The indexed image of `indices`, counted in one pass.
IndexedImage counted_image(ImageView image, Palette palette, std::vector<std::uint8_t> indices);

// Per palette entry: the sRGB distance (0..255 scale, premultiplied) to its nearest other
// entry, the step between neighbouring colors around it. 0 for a palette of one.
std::vector<float> palette_spacings(const Palette& palette);

// Where error diffusion diffuses: shares null for full diffusion everywhere, else one byte per
// pixel, 0..255 = the share (0..1) of the error a pixel takes from its neighbours and passes on
// (the adaptive method's dither map); a pixel of share 0 takes plain[i], its index without
// dithering.
struct DitherMap {
    const std::uint8_t* shares = nullptr;
    const std::uint8_t* plain = nullptr;
};

// Serpentine Floyd-Steinberg (src/remap_fs.cpp) with `map`. band_rows: 0 for one sequential
// pass over the whole image; else the image is cut into bands of that many rows (the last one
// shorter), diffused in parallel groups of up to three in step, each starting 16 rows early to
// take up the error owed to its first row. The bands depend on the image's height alone and
// never read each other's state, so the output never depends on the thread count. Polls once
// the rows diffused since the last poll (warm rows too) reach kPollPixels pixels.
std::vector<std::uint8_t> diffuse_errors(ImageView image, const Palette& palette,
                                         PaletteSearch& search, float level, const DitherMap& map,
                                         std::size_t band_rows, const Poll& poll = {});

// The run functions of the table's rows; level 0..1, checked by the caller; progress polled
// with Stage::remap.
IndexedImage run_none(ImageView image, Palette palette, ColorSpace space, float level,
                      const Progress& progress);
IndexedImage run_fs(ImageView image, Palette palette, ColorSpace space, float level,
                    const Progress& progress);
IndexedImage run_adaptive(ImageView image, Palette palette, ColorSpace space, float level,
                          const Progress& progress);
// run_adaptive with the diffusion's bands of band_rows rows (0: one pass over the whole image),
// for the seam check in bench/dither_seams.cpp.
IndexedImage adaptive_in_bands(ImageView image, Palette palette, ColorSpace space, float level,
                               std::size_t band_rows, const Poll& poll = {});
IndexedImage run_ordered(ImageView image, Palette palette, ColorSpace space, float level,
                         const Progress& progress);
IndexedImage run_bayer(ImageView image, Palette palette, ColorSpace space, float level,
                       const Progress& progress);

}  // namespace quantize::detail
