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
#include <cstring>
#include <vector>

#include <emmintrin.h>

#include "detail/mapping.hpp"
#include "detail/memory.hpp"
#include "detail/parallel.hpp"

namespace quantize::detail {

namespace {

// Rows per parallel chunk of the map's passes, each polling the cancel once (16 x width pixels).
constexpr std::size_t kRowChunk = 16;

// Local contrast at which a pixel's own share falls to 0, in palette steps (the distance from
// the pixel's nearest palette color to the next one): 3 balanced butteraugli against
// SSIMULACRA and bytes best of 2, 3, 4 and 5 on Kodak and SIPI at K = 16, 64 and 256 (more
// diffuses more: butteraugli falls, SSIMULACRA and bytes grow). Never under 8 levels, so a
// palette of near-equal colors does not turn every small ripple into an edge; never over 192
// (three quarters of the range), so a hard edge is one whatever the palette. The bound only
// binds at small K (spacings over 64): of 128, 160, 192 and 255, 192 gave the lowest mean
// butteraugli on SIPI at K = 16 (13.77 against 14.14 with 128, at 0.3% more bytes), and
// lowered it on Kodak and the large crops at K = 16 too.
constexpr float kContrastSteps = 3.0f;
constexpr float kLeastContrast = 8.0f;
constexpr float kMostContrast = 192.0f;

// Distance from a pixel to its plain mapping's color (sRGB levels, over the image's channels)
// from which it takes a share whatever its texture and its neighbours' contrast (short of a
// hard edge, kHardEdge), full from kGapMost on: a pixel that far from every palette color lies
// in a gap of the palette (at small K often on a soft edge between two colored areas, e.g. the
// olive between SIPI peppers' green and red, which the wrgb palette lacks), where mapping alone
// leaves the largest local error, which butteraugli's max-norm finds, and dithering mixes the
// missing color. Of 10-20, 12-24, 15-30 and 20-40, 15-30 passed the most cells of the README's
// table; absolute, not in palette steps, because in dark noise (spider_web) the steps are small
// and a bound in steps dithered the noise, which raised butteraugli there.
constexpr int kGapLeast = 15;
constexpr int kGapMost = 30;

// Local contrast (largest second difference, as in own_shares, 0..510) from which a pixel
// takes no gap share: a hard edge (half the range), whose pixels keep their plain mapping.
constexpr int kHardEdge = 128;

// The share of the error diffused at --dither-level 1, with the gap shares: 0.875 beat
// pngquant's butteraugli in every cell with the widest margins. At 0.85 SIPI missed at K = 16
// (14.12 against 14.07); at 0.9 the large crops at K = 64 were 11.71 against 11.76; at 1 they
// missed (the dithered dark noise of spider_web), as without the gap shares.
constexpr float kFullLevel = 0.875f;

// Rows per band of the diffusion, which runs bands in parallel (12 bands on the 12 MP photo).
// Bands against one pass over the whole image, on 4 Kodak and 2 SIPI images at K = 16, 64 and
// 256: bytes within 0.01%, mean butteraugli and SSIMULACRA the same to 3 digits (README,
// "Dithering").
constexpr std::size_t kBandRows = 256;

// The largest absolute second difference across or down of every sample of row y (edges
// repeated), 0..510, into out (width * channels values), over the row's samples regardless of
// the pixels they belong to.
void sample_contrasts(ImageView image, std::size_t y, std::vector<std::uint16_t>& out) {
    const std::size_t h = std::size_t(image.height());
    const std::size_t c = std::size_t(image.channels());
    const std::size_t n = std::size_t(image.width()) * c;
    const std::uint8_t* __restrict up = image.row(y > 0 ? y - 1 : y);
    const std::uint8_t* __restrict mid = image.row(y);
    const std::uint8_t* __restrict down = image.row(y + 1 < h ? y + 1 : y);
    std::uint16_t* __restrict o = out.data();
    auto at = [&](std::size_t k, std::size_t l, std::size_t r) {
        const int twice = 2 * mid[k];
        return std::uint16_t(
            std::max(std::abs(mid[l] + mid[r] - twice), std::abs(up[k] + down[k] - twice)));
    };
    for (std::size_t k = 0; k < std::min(c, n); ++k)  // the first pixel's samples
        o[k] = at(k, k, k + c < n ? k + c : k);
    // The inner samples 16 at a time in SSE2 16-bit lanes (each difference within -510..510),
    // where the compiler's own vectorizing widened them to 32 bits: adaptive mapping of the 12 MP
    // photo 110-112 ms instead of 113-114 at K = 16, 97-98 instead of 100-101 at K = 256.
    const __m128i zero = _mm_setzero_si128();
    const auto second_differences = [&](__m128i m, __m128i l, __m128i r, __m128i u, __m128i d) {
        const __m128i twice = _mm_add_epi16(m, m);
        const __m128i across = _mm_sub_epi16(_mm_add_epi16(l, r), twice);
        const __m128i along = _mm_sub_epi16(_mm_add_epi16(u, d), twice);
        const auto magnitude = [&](__m128i v) { return _mm_max_epi16(v, _mm_sub_epi16(zero, v)); };
        return _mm_max_epi16(magnitude(across), magnitude(along));
    };
    std::size_t k = c;
    for (; k + 16 + c <= n; k += 16) {
        const auto load = [](const std::uint8_t* p) {
            return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        };
        const __m128i m = load(mid + k), l = load(mid + k - c), r = load(mid + k + c),
                      u = load(up + k), d = load(down + k);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(o + k),
                         second_differences(_mm_unpacklo_epi8(m, zero), _mm_unpacklo_epi8(l, zero),
                                            _mm_unpacklo_epi8(r, zero), _mm_unpacklo_epi8(u, zero),
                                            _mm_unpacklo_epi8(d, zero)));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(o + k + 8),
                         second_differences(_mm_unpackhi_epi8(m, zero), _mm_unpackhi_epi8(l, zero),
                                            _mm_unpackhi_epi8(r, zero), _mm_unpackhi_epi8(u, zero),
                                            _mm_unpackhi_epi8(d, zero)));
    }
    for (; k + c < n; ++k) {
        const int twice = 2 * mid[k];
        const int across = std::abs(mid[k - c] + mid[k + c] - twice);
        const int along = std::abs(up[k] + down[k] - twice);
        o[k] = std::uint16_t(across > along ? across : along);
    }
    for (std::size_t k = n > c ? n - c : n; k < n; ++k)  // the last pixel's samples
        o[k] = at(k, k - c, k);
}

// The largest second difference sample_contrasts gives (0..510).
constexpr int kMostSecondDifference = 510;

// Per palette entry and contrast c (0..510, see sample_contrasts), the share of a pixel of that
// plain color from its own neighbourhood: 255 * (1 - c / t)^2, t kContrastSteps times the
// palette's spacing around the color: contrast that large hides the palette's steps by itself.
// A table, as the shares take each of these values many times over.
std::vector<std::uint8_t> contrast_share_table(const std::vector<float>& spacing) {
    constexpr std::size_t kRow = kMostSecondDifference + 1;
    std::vector<std::uint8_t> table(spacing.size() * kRow);
    for (std::size_t j = 0; j < spacing.size(); ++j) {
        const float inverse =
            1.0f / std::clamp(kContrastSteps * spacing[j], kLeastContrast, kMostContrast);
        for (std::size_t c = 0; c < kRow; ++c) {
            const float f = std::max(0.0f, 1.0f - float(c) * inverse);
            table[j * kRow + c] = std::uint8_t(255.0f * f * f + 0.5f);
        }
    }
    return table;
}

// Per squared distance 0..kGapMost^2 + 1 from a pixel to its plain color (sRGB levels), its
// gap share, 0..255: 0 up to kGapLeast, rising linearly to 255 at kGapMost (see there); 255
// beyond, so the last entry stands for every larger distance.
std::vector<std::uint8_t> gap_share_table() {
    std::vector<std::uint8_t> table(kGapMost * kGapMost + 2, 0);
    for (int squared = kGapLeast * kGapLeast + 1; squared < int(table.size()); ++squared) {
        const float f = (std::sqrt(float(squared)) - kGapLeast) / (kGapMost - kGapLeast);
        table[std::size_t(squared)] = std::uint8_t(255.0f * std::clamp(f, 0.0f, 1.0f) + 0.5f);
    }
    return table;
}

// What own_shares_of_row reads besides the image: the share tables and the palette's colors.
struct ShareTables {
    std::vector<std::uint8_t> by_contrast;  // contrast_share_table
    std::vector<std::uint8_t> by_gap;       // gap_share_table
    std::vector<std::array<std::uint8_t, 4>> colors;

    explicit ShareTables(const Palette& palette)
        : by_contrast(contrast_share_table(palette_spacings(palette))), by_gap(gap_share_table()) {
        for (const PaletteEntry& e : palette)
            colors.push_back({e.color.r, e.color.g, e.color.b, e.color.a});
    }
};

// A row's scratch for own_shares_of_row: its samples' contrasts (sample_contrasts), the samples
// of its pixels' plain colors (one spare byte: each pixel's color is copied as 4) and their
// squared differences (gap_squares).
template <std::size_t kChannels>
struct RowScratch {
    std::vector<std::uint16_t> contrasts, squares;
    std::vector<std::uint8_t> plain_colors;

    explicit RowScratch(std::size_t width)
        : contrasts(width * kChannels),
          squares(width * kChannels),
          plain_colors(width * kChannels + 1) {}
};

// Per sample k < n, the square of its difference from plain_colors[k] with differences over
// kGapMost taken as kGapMost + 1, into out: 0..(kGapMost + 1)^2, so the sum over a pixel's
// channels is its squared distance when that is at most kGapMost^2 and over it (where
// gap_share_table's last entry stands for every distance) when it is not. 16 samples at a time
// in SSE2, instead of a scalar loop over each pixel's channels: adaptive mapping of the 12 MP
// photo 1-7 ms faster (2 threads, about 140 ms).
void gap_squares(const std::uint8_t* samples, const std::uint8_t* plain_colors, std::size_t n,
                 std::uint16_t* out) {
    const __m128i zero = _mm_setzero_si128(), most = _mm_set1_epi16(kGapMost + 1);
    std::size_t k = 0;
    for (; k + 16 <= n; k += 16) {
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(samples + k));
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(plain_colors + k));
        const __m128i d = _mm_or_si128(_mm_subs_epu8(a, b), _mm_subs_epu8(b, a));  // |a - b|
        const __m128i low = _mm_min_epi16(_mm_unpacklo_epi8(d, zero), most);
        const __m128i high = _mm_min_epi16(_mm_unpackhi_epi8(d, zero), most);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + k), _mm_mullo_epi16(low, low));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + k + 8), _mm_mullo_epi16(high, high));
    }
    for (; k < n; ++k) {
        const int d = std::min(std::abs(int(samples[k]) - int(plain_colors[k])), kGapMost + 1);
        out[k] = std::uint16_t(d * d);
    }
}

// The own shares of row y's pixels, 0..255, one byte each, into contrast and, unless null, gap.
// contrast: a pixel's share from its neighbourhood (contrast_share_table), by its contrast, the
// largest absolute second difference across or down over its channels (0..510: a linear
// gradient has none, an edge or noise much). gap: its gap share (gap_share_table), 0 on a hard
// edge (kHardEdge). own: the row's plain indices.
template <std::size_t kChannels>
void own_shares_of_row(ImageView image, std::size_t y, const ShareTables& tables,
                       const std::uint8_t* own, RowScratch<kChannels>& scratch,
                       std::uint8_t* contrast, std::uint8_t* gap) {
    const std::size_t w = std::size_t(image.width());
    const int last_gap = int(tables.by_gap.size()) - 1;
    sample_contrasts(image, y, scratch.contrasts);
    if (gap) {
        std::uint8_t* colors = scratch.plain_colors.data();
        for (std::size_t x = 0; x < w; ++x)
            std::memcpy(colors + x * kChannels, tables.colors[own[x]].data(), 4);
        gap_squares(image.row(y), colors, w * kChannels, scratch.squares.data());
    }
    for (std::size_t x = 0; x < w; ++x) {
        const std::uint16_t* k = scratch.contrasts.data() + x * kChannels;
        int most = 0;  // the pixel's contrast
        for (std::size_t c = 0; c < kChannels; ++c)
            most = std::max(most, int(k[c]));
        contrast[x] = tables.by_contrast[own[x] * (kMostSecondDifference + 1) + most];
        if (!gap)
            continue;
        // Branch-free: a hard edge's share is masked off afterwards (textured areas mix edges
        // and others from pixel to pixel, where a branch mispredicts).
        const std::uint16_t* squares = scratch.squares.data() + x * kChannels;
        int squared = 0;  // 0..4 (kGapMost + 1)^2
        for (std::size_t c = 0; c < kChannels; ++c)
            squared += squares[c];
        gap[x] = tables.by_gap[std::size_t(std::min(squared, last_gap))] & -int(most < kHardEdge);
    }
}

// The share kept by the number of same indices in a 3x3 neighbourhood, 1..9: none up to 2, all
// from 6 on, in 256ths.
int kept_share(int same) {
    return std::clamp((same - 2) * 64, 0, 256);
}

// dither_map of the 16 pixels from column x on (x >= 1, x + 16 < width) of a row, from
// rows[0..2] the contrast shares of the rows above, at and below it, rows[3..5] their plain
// indices, rows[6] its gap shares. With keep = 64 m (kept_share, m = same - 2 within 0..4),
// least * keep / 256 is least * m / 4, in 16 bits.
__m128i map_of_16(const std::uint8_t* const rows[7], std::size_t x) {
    const auto load = [&](int r, std::size_t column) {
        return _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[r] + column));
    };
    const __m128i own = load(4, x);
    __m128i least = load(1, x);
    __m128i same = _mm_set1_epi8(1);  // the pixel itself
    for (int r = 0; r < 3; ++r) {
        for (const std::size_t column : {x - 1, x, x + 1}) {
            least = _mm_min_epu8(least, load(r, column));
            if (r != 1 || column != x)  // cmpeq gives -1 a match
                same = _mm_sub_epi8(same, _mm_cmpeq_epi8(load(3 + r, column), own));
        }
    }
    const __m128i m = _mm_min_epu8(_mm_subs_epu8(same, _mm_set1_epi8(2)), _mm_set1_epi8(4));
    const __m128i zero = _mm_setzero_si128();
    const __m128i low = _mm_srli_epi16(
        _mm_mullo_epi16(_mm_unpacklo_epi8(least, zero), _mm_unpacklo_epi8(m, zero)), 2);
    const __m128i high = _mm_srli_epi16(
        _mm_mullo_epi16(_mm_unpackhi_epi8(least, zero), _mm_unpackhi_epi8(m, zero)), 2);
    return _mm_max_epu8(_mm_packus_epi16(low, high), load(6, x));
}

// The dither map of row y from its contrast shares and plain indices and those of the rows
// above and below it (shares[0..2], plain[0..2]; the row itself again at the image's top and
// bottom), and its gap shares, into out (width bytes).
void map_row(std::size_t w, const std::uint8_t* const shares[3], const std::uint8_t* const plain[3],
             const std::uint8_t* gaps, std::uint8_t* out) {
    // At x, from the columns l and r on either side (x itself at the image's edges).
    auto at = [&](std::size_t x, std::size_t l, std::size_t r) {
        const std::uint8_t own = plain[1][x];
        int least = 255, same = 0;
        for (int v = 0; v < 3; ++v) {
            least = std::min({least, int(shares[v][l]), int(shares[v][x]), int(shares[v][r])});
            same += (plain[v][l] == own) + (plain[v][x] == own) + (plain[v][r] == own);
        }
        return std::max(std::uint8_t(least * kept_share(same) / 256), gaps[x]);
    };
    out[0] = at(0, 0, w > 1 ? 1 : 0);
    // The inner columns, 16 at a time in SSE2 bytes (map_of_16), the rest as the edges.
    const std::uint8_t* rows[7] = {shares[0], shares[1], shares[2], plain[0],
                                   plain[1],  plain[2],  gaps};
    std::size_t x = 1;
    for (; x + 16 < w; x += 16)
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + x), map_of_16(rows, x));
    for (; x + 1 < w; ++x)
        out[x] = at(x, x - 1, x + 1);
    if (w > 1)
        out[w - 1] = at(w - 1, w - 2, w - 1);
}

// Each pixel's share, the smallest contrast share (own_shares_of_row) in its 3x3 neighbourhood
// (so an edge's neighbours take no error either and none crosses it), times how much of that
// neighbourhood the plain mapping gives one index (kept_share): where it is all one index (a
// flat stretch of output, where bands show) the share stays; at a band's contour (6 of 9) too;
// where the indices change from pixel to pixel (texture already mixing colors) it falls to 0.
// At least the pixel's own gap share. Edges repeated. In parallel chunks of kRowChunk rows,
// each working out the own shares of its rows and of the row on either side into buffers of
// its own (18 rows of shares, 16 of gaps): whole-image buffers of both, written in one pass
// and read in the next, made adaptive mapping of the 12 MP photo take 147 ms instead of 141
// (K = 16 and 256, 2 threads). Chunks of 32 rows (fewer rows worked out twice) gained nothing.
template <std::size_t kChannels>
std::vector<std::uint8_t> dither_map(ImageView image, const Palette& palette,
                                     const std::vector<std::uint8_t>& plain, const Poll& poll) {
    const std::size_t w = std::size_t(image.width()), h = std::size_t(image.height());
    const ShareTables tables(palette);
    std::vector<std::uint8_t> map;
    resize_populated(map, w * h);
    for_each_chunk(h, kRowChunk, [&](std::size_t, std::size_t y0, std::size_t y1) {
        poll();
        const std::size_t first = y0 > 0 ? y0 - 1 : y0, last = std::min(h, y1 + 1);
        RowScratch<kChannels> scratch(w);
        std::vector<std::uint8_t> shares((last - first) * w), gaps((y1 - y0) * w);
        for (std::size_t y = first; y < last; ++y) {
            const bool own_row = y >= y0 && y < y1;  // not the row above or below
            own_shares_of_row<kChannels>(image, y, tables, plain.data() + y * w, scratch,
                                         shares.data() + (y - first) * w,
                                         own_row ? gaps.data() + (y - y0) * w : nullptr);
        }
        for (std::size_t y = y0; y < y1; ++y) {
            const std::size_t up = y > 0 ? y - 1 : y, down = y + 1 < h ? y + 1 : y;
            const std::uint8_t* const share_rows[3] = {shares.data() + (up - first) * w,
                                                       shares.data() + (y - first) * w,
                                                       shares.data() + (down - first) * w};
            const std::uint8_t* const plain_rows[3] = {plain.data() + up * w, plain.data() + y * w,
                                                       plain.data() + down * w};
            map_row(w, share_rows, plain_rows, gaps.data() + (y - y0) * w, map.data() + y * w);
        }
    });
    return map;
}

}  // namespace

IndexedImage adaptive_in_bands(ImageView image, Palette palette, ColorSpace space, float level,
                               std::size_t band_rows, const Poll& poll) {
    PaletteSearch search(image, palette, space);  // one for both passes: its table fills once
    const std::vector<std::uint8_t> plain = remap_using(image, palette, search, poll).indices;
    std::vector<std::uint8_t> map;
    if (image.has_alpha())
        map = dither_map<4>(image, palette, plain, poll);
    else
        map = dither_map<3>(image, palette, plain, poll);
    std::vector<std::uint8_t> indices =
        diffuse_errors(image, palette, search, level * kFullLevel,
                       DitherMap{map.data(), plain.data()}, band_rows, poll);
    return counted_image(image, std::move(palette), std::move(indices));
}

IndexedImage run_adaptive(ImageView image, Palette palette, ColorSpace space, float level,
                          const Progress& progress) {
    return adaptive_in_bands(image, std::move(palette), space, level, kBandRows,
                             Poll(progress, Stage::remap));
}

}  // namespace quantize::detail
