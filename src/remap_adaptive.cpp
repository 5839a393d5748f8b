// Adaptive error diffusion (--dither adaptive): Floyd-Steinberg weighted by a dither map, a
// share 0..1 per pixel of the error it takes and passes on. Full in flat areas and smooth
// gradients, where plain mapping bands; none at hard edges, whose error would bleed across
// them; little in noise and texture, which hide banding anyway and where the dither pattern
// costs the most PNG bytes.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "detail/mapping.hpp"
#include "detail/memory.hpp"
#include "detail/parallel.hpp"

namespace quantize::detail {

namespace {

// Rows per parallel chunk of the map's passes.
constexpr std::size_t kRowChunk = 16;

// Local contrast at which a pixel's own share falls to 0, in palette steps (the distance from
// the pixel's nearest palette color to the next one): 3 balanced butteraugli against
// SSIMULACRA and bytes best of 2, 3, 4 and 5 on Kodak and SIPI at K = 16, 64 and 256 (more
// diffuses more: butteraugli falls, SSIMULACRA and bytes grow). Never under 8 levels, so a
// palette of near-equal colors does not turn every small ripple into an edge; never over 128
// (half the range), so a hard edge is one whatever the palette (at K = 16 this costs 1% of
// butteraugli against no bound).
constexpr float kContrastSteps = 3.0f;
constexpr float kLeastContrast = 8.0f;
constexpr float kMostContrast = 128.0f;

// Rows per band of the diffusion, which runs bands in parallel (12 bands on the 12 MP photo).
// Bands against one pass over the whole image, on 4 Kodak and 2 SIPI images at K = 16, 64 and
// 256: bytes within 0.01%, mean butteraugli and SSIMULACRA the same to 3 digits (README,
// "Dithering").
constexpr std::size_t kBandRows = 256;

// The share of each pixel from its own neighbourhood: 255 * (1 - c / t)^2, c the largest
// absolute second difference across or down over the channels (a linear gradient has none; an
// edge or noise has much), t kContrastSteps times the palette's spacing around the pixel's
// nearest color: contrast that large hides the palette's steps by itself.
std::vector<std::uint8_t> contrast_shares(ImageView image, const std::vector<float>& spacing,
                                          const std::vector<std::uint8_t>& plain) {
    const std::size_t w = std::size_t(image.width()), h = std::size_t(image.height());
    const std::size_t channels = std::size_t(image.channels());
    std::vector<float> inverse(spacing.size());
    for (std::size_t j = 0; j < spacing.size(); ++j)
        inverse[j] = 1.0f / std::clamp(kContrastSteps * spacing[j], kLeastContrast, kMostContrast);
    std::vector<std::uint8_t> shares;
    resize_populated(shares, w * h);
    for_each_chunk(h, kRowChunk, [&](std::size_t, std::size_t y0, std::size_t y1) {
        for (std::size_t y = y0; y < y1; ++y) {
            const std::uint8_t* up = image.row(y > 0 ? y - 1 : y);
            const std::uint8_t* mid = image.row(y);
            const std::uint8_t* down = image.row(y + 1 < h ? y + 1 : y);
            for (std::size_t x = 0; x < w; ++x) {
                const std::size_t l = (x > 0 ? x - 1 : x) * channels, m = x * channels,
                                  r = (x + 1 < w ? x + 1 : x) * channels;
                int contrast = 0;
                for (std::size_t c = 0; c < channels; ++c) {
                    const int twice = 2 * mid[m + c];
                    contrast = std::max({contrast, std::abs(mid[l + c] + mid[r + c] - twice),
                                         std::abs(up[m + c] + down[m + c] - twice)});
                }
                const float f = std::max(0.0f, 1.0f - float(contrast) * inverse[plain[y * w + x]]);
                shares[y * w + x] = std::uint8_t(255.0f * f * f + 0.5f);
            }
        }
    });
    return shares;
}

// Each pixel's share, the smallest in its 3x3 neighbourhood (so an edge's neighbours take no
// error either and none crosses it), times how much of that neighbourhood the plain mapping
// gives one index: where it is all one index (a flat stretch of output, where bands show) the
// share stays; at a band's contour (6 of 9) too; where the indices change from pixel to pixel
// (texture already mixing colors) it falls to 0.
std::vector<std::uint8_t> dither_map(ImageView image, const std::vector<std::uint8_t>& shares,
                                     const std::vector<std::uint8_t>& plain) {
    const std::size_t w = std::size_t(image.width()), h = std::size_t(image.height());
    std::vector<std::uint8_t> map;
    resize_populated(map, w * h);
    // Share kept by the number of same indices in the 3x3 neighbourhood, 1..9: none up to 2,
    // all from 6 on.
    constexpr std::array<int, 10> kKeep = {0, 0, 0, 64, 128, 192, 256, 256, 256, 256};
    for_each_chunk(h, kRowChunk, [&](std::size_t, std::size_t y0, std::size_t y1) {
        for (std::size_t y = y0; y < y1; ++y) {
            const std::size_t up = (y > 0 ? y - 1 : y) * w, mid = y * w,
                              down = (y + 1 < h ? y + 1 : y) * w;
            for (std::size_t x = 0; x < w; ++x) {
                const std::size_t l = x > 0 ? x - 1 : x, r = x + 1 < w ? x + 1 : x;
                const std::uint8_t own = plain[mid + x];
                const int least = std::min({shares[up + l], shares[up + x], shares[up + r],
                                            shares[mid + l], shares[mid + x], shares[mid + r],
                                            shares[down + l], shares[down + x], shares[down + r]});
                const int same = (plain[up + l] == own) + (plain[up + x] == own) +
                                 (plain[up + r] == own) + (plain[mid + l] == own) + 1 +
                                 (plain[mid + r] == own) + (plain[down + l] == own) +
                                 (plain[down + x] == own) + (plain[down + r] == own);
                map[mid + x] = std::uint8_t(least * kKeep[std::size_t(same)] / 256);
            }
        }
    });
    return map;
}

}  // namespace

IndexedImage run_adaptive(ImageView image, Palette palette, ColorSpace space, float level) {
    const std::vector<std::uint8_t> plain = remap(image, palette, space).indices;
    const std::vector<std::uint8_t> map =
        dither_map(image, contrast_shares(image, palette_spacings(palette), plain), plain);
    PaletteSearch search(image, palette, space);
    std::vector<std::uint8_t> indices = diffuse_errors(
        image, palette, search, level, DitherMap{map.data(), plain.data()}, kBandRows);
    return counted_image(image, std::move(palette), std::move(indices));
}

}  // namespace quantize::detail
