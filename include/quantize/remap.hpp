// Stage "remap": every pixel replaced by the index of its nearest palette color.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "quantize/palette.hpp"
#include "quantize/pixels.hpp"
#include "quantize/progress.hpp"

namespace quantize {

// How pixels are mapped to the palette: one row each in dither_methods().
enum class Dither {
    none,      // every pixel to its nearest palette color (remap)
    fs,        // Floyd-Steinberg error diffusion everywhere (remap_dithered)
    adaptive,  // error diffusion weighted by a dither map: full in flat areas and gradients,
               // little at edges and in noise or texture, where it costs bytes and shows
    ordered,   // ordered dithering with a 64x64 blue-noise mask (void-and-cluster)
    bayer,     // ordered dithering with the 8x8 Bayer matrix
};

// A palette image: width * height indices into `palette`, row-major.
struct IndexedImage {
    int width = 0;
    int height = 0;
    Palette palette;
    std::vector<std::uint8_t> indices;
    // How the indices were mapped (map_to_palette says; none at level 0, where every method maps
    // plainly), which picks the PNG encoder's automatic level (DitherMethod::png_level).
    Dither dither = Dither::none;
};

// Index of the palette point nearest to p (squared Euclidean distance; ties go to the lowest
// index). Plain brute force: the reference the fast search is tested against.
std::size_t nearest_index(const Point& p, std::span<const Point> palette);

// Maps every pixel to its nearest palette color (at most 256 colors) and fills in the palette's
// counts. Exact, ties to the lowest index, like nearest_index. Each answer is computed once per
// color and reused for every pixel of that color; in sRGB, only against the few palette colors
// that can win in the color's neighbourhood, so the cost grows with pixels, barely with K.
// Distances are measured in `space`, the space the palette was fitted in.
IndexedImage remap(ImageView image, Palette palette, ColorSpace space = ColorSpace::rgb);

// remap of several images to one palette, the searches made once for all (an animation's
// frames: the tables fill as colors are met, so later frames find most of theirs known); the
// same indices as remap of each. `progress` is polled with Stage::remap once per 64 Ki pixels.
std::vector<IndexedImage> remap_frames(std::span<const Image* const> images, const Palette& palette,
                                       ColorSpace space = ColorSpace::rgb,
                                       const Progress& progress = {});

// One way of mapping pixels to a palette.
struct DitherMethod {
    Dither dither;
    const char* name;         // lower case, as --dither takes it
    const char* description;  // a few words for notes, e.g. "Floyd-Steinberg"
    // Pixel-local, so it runs on every thread; else one sequential pass. Either way the output
    // never depends on the thread count.
    bool parallel;
    // libdeflate's level for this method's PNG output when EncodeOptions::png_level is auto
    // (images of flat runs take level 9 whatever the method). Undithered: 7. Dithered output is
    // noise to deflate, where level 7's deeper search finds little more than level 6's: on the
    // 12 MP photo, adaptive's image data is 0.7% (K = 256) and 1.1% (K = 16) larger at level 6
    // and deflates in 0.62-0.72x the CPU time (`bench/run encode`); Kodak, SIPI and the large
    // photos at K = 16, 64 and 256 (every dithering method): 0.03-0.6% larger. Undithered,
    // level 6 costs up to 4%.
    int png_level;
    // The mapping: image, palette, the space the palette was fitted in, level 0..1, and the
    // progress polled (with Stage::remap) inside its pixel loops.
    IndexedImage (*run)(ImageView image, Palette palette, ColorSpace space, float level,
                        const Progress& progress);
};

// Every method, in Dither's order.
std::span<const DitherMethod> dither_methods();
const DitherMethod& dither_method(Dither dither);
const char* dither_name(Dither dither);
// The method that maps at `level` (0..1): `dither`, or none at level 0, where every method
// maps plainly.
Dither dither_at(Dither dither, double level);
// A method's name (lower case); std::nullopt for anything else.
std::optional<Dither> parse_dither(std::string_view name);
// The same, throwing Error(invalid_argument) with subject "dither", naming every method, for
// anything else.
Dither dither_named(std::string_view name);

// Maps every pixel to the palette with `dither` and fills in the palette's counts. level: 0..1,
// how strongly it dithers (the share of the error diffused, or of the ordered threshold's
// spread); 0 gives remap's indices exactly. Throws Error (invalid_argument) for a level out of
// range or a palette of 0 or more than 256 colors. `progress` is polled with Stage::remap once
// per 64 Ki pixels mapped; false throws Error(cancelled).
IndexedImage map_to_palette(ImageView image, Palette palette, ColorSpace space, Dither dither,
                            float level, const Progress& progress = {});

// map_to_palette with Dither::fs: each pixel's quantization error is carried
// to its unvisited neighbours (7/16 ahead, 3/16, 5/16 and 1/16 on the next row, times `level`),
// rows scanned in alternate directions (serpentine), so areas between palette colors come out
// as mixtures of them whose local average is close to the original. The error is diffused in
// premultiplied sRGB on 0..255 (alpha too, for images with alpha); the pixel each error-adjusted
// color maps to is found with the same exact search as remap, in `space`. Fully transparent
// pixels map exactly as in remap and neither take nor give error.
// One sequential pass (error diffusion is sequential), so the result never depends on the
// thread count.
IndexedImage remap_dithered(ImageView image, Palette palette, ColorSpace space, float level);

// The RGBA color of every pixel of an indexed image, for encoders and metrics.
Color color_at(const IndexedImage& image, std::size_t pixel);

}  // namespace quantize
