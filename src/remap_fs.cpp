// Floyd-Steinberg error diffusion (--dither fs), and the diffusion the adaptive method runs
// with its dither map (detail::diffuse_errors).
#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include <emmintrin.h>

#include "detail/mapping.hpp"
#include "detail/memory.hpp"
#include "detail/parallel.hpp"

namespace quantize::detail {

namespace {

// Rows a band diffuses over before its own first row, writing nothing: by then the error owed
// to that row is what one pass over the whole image would carry into it (FS error fades within
// a few rows), so the seam between bands does not show.
constexpr std::size_t kWarmRows = 16;

// A color with premultiplied alpha, R, G, B and A on 0..255, as four floats in one SSE2
// register (x86-64's baseline): what error diffusion adds and subtracts. Premultiplied, so a
// color's weight in the error is its visible share. Each lane takes the same float operations
// one channel took when these were four scalars, so the output is the same to the bit.
using Premultiplied = __m128;

// A Premultiplied in a vector (whose template argument would drop __m128's alignment).
struct Lanes {
    __m128 v;
};

Premultiplied premultiplied(Color c) {
    const float a = float(c.a) / 255.0f;
    return _mm_setr_ps(float(c.r) * a, float(c.g) * a, float(c.b) * a, float(c.a));
}

// The color of four lanes on 0..255 rounded to bytes (v + 0.5 truncated).
Color rounded_color(__m128 v) {
    const __m128i whole = _mm_cvttps_epi32(_mm_add_ps(v, _mm_set1_ps(0.5f)));
    const std::uint32_t bytes =
        std::uint32_t(_mm_cvtsi128_si32(_mm_packus_epi16(_mm_packs_epi32(whole, whole), whole)));
    return {std::uint8_t(bytes), std::uint8_t(bytes >> 8), std::uint8_t(bytes >> 16),
            std::uint8_t(bytes >> 24)};
}

// Clamps an error-adjusted color into the colors that exist (alpha 0..255, each color
// 0..alpha) and returns the nearest 8-bit straight-alpha color to it; p is clamped in place.
Color clamped_color(Premultiplied& p) {
    const __m128 zero = _mm_setzero_ps(), full = _mm_set1_ps(255.0f);
    // Alpha first, then each color to 0..alpha (alpha's lane stays alpha).
    const __m128 alpha = _mm_shuffle_ps(p, p, _MM_SHUFFLE(3, 3, 3, 3));
    p = _mm_min_ps(_mm_max_ps(p, zero), _mm_min_ps(_mm_max_ps(alpha, zero), full));
    const float a = _mm_cvtss_f32(_mm_shuffle_ps(p, p, _MM_SHUFFLE(3, 3, 3, 3)));
    const std::uint8_t alpha_byte = static_cast<std::uint8_t>(a + 0.5f);
    if (alpha_byte == 0)
        return {0, 0, 0, 0};
    Color c = rounded_color(_mm_min_ps(full, _mm_mul_ps(p, _mm_set1_ps(255.0f / a))));
    c.a = alpha_byte;
    return c;
}

// clamped_color for an opaque p (R, G and B clamped to 0..255, alpha 255): the color's R, G
// and B rounded, in the low three 32-bit lanes (opaque_color), which the search over few
// colors reads as they are: the trip through bytes and back made adaptive mapping of the 12 MP
// photo at K = 16 take 134 ms instead of 116 (2 threads).
__m128i clamped_lanes(Premultiplied& p) {
    p = _mm_min_ps(_mm_max_ps(p, _mm_setzero_ps()), _mm_set1_ps(255.0f));
    return _mm_cvttps_epi32(_mm_add_ps(p, _mm_set1_ps(0.5f)));
}

// What every band of one diffusion reads: the image, the dither map, the palette's colors and
// the Floyd-Steinberg weights times the level; and the indices it writes.
struct Diffusion {
    ImageView image;
    DitherMap map;
    std::vector<Lanes> targets;  // the palette's colors, premultiplied
    // Per share 0..255 of a dither map, share / 255 in every lane: a load where converting the
    // byte and broadcasting it took three instructions a pixel (adaptive mapping of the 12 MP
    // photo at K = 16, 2 threads: 112-115 ms against 118-119; at K = 256 within the noise).
    std::vector<Lanes> parts;
    __m128 ahead, behind_below, below, ahead_below;
    std::uint8_t* indices;
};

// One row of a band as it is diffused: the error owed to this row's pixels and to the next
// row's (Band::row, next), the row's direction, whether it is written, its samples, shares,
// plain indices and output, and the error the last pixel passed ahead,
// which the next pixel takes from this register instead of through its slot in memory. Local
// to rows_in_step, so no byte written through `out` can alias it.
struct RowCursor {
    Lanes* row;
    Lanes* next;
    std::size_t width;
    bool forward, kept;
    const std::uint8_t* samples;
    const std::uint8_t* shares;
    const std::uint8_t* plain;
    std::uint8_t* out;
    __m128 passed_ahead;
};

// One band's serpentine Floyd-Steinberg over rows [y, last), writing the indices of rows from
// `keep` on (rows before it only build up the error owed, see kWarmRows).
struct Band {
    std::size_t y, keep, last;
    // Error owed to each pixel of this row and of the next, with one spare slot at each end so
    // the edges need no tests (what lands there is dropped). A slot is zeroed as it is read, so
    // the row is clean when it comes back as the next one.
    std::vector<Lanes> row, next;

    Band(std::size_t first, std::size_t keep_from, std::size_t end, std::size_t width)
        : y(first),
          keep(keep_from),
          last(end),
          row(width + 2, {_mm_setzero_ps()}),
          next(width + 2, {_mm_setzero_ps()}) {}

    bool done() const { return y >= last; }

    RowCursor start_row(const Diffusion& d) {
        const std::size_t width = std::size_t(d.image.width());
        return {row.data(),
                next.data(),
                width,
                y % 2 == 0,
                y >= keep,
                d.image.row(y),
                d.map.shares ? d.map.shares + y * width : nullptr,
                d.map.plain ? d.map.plain + y * width : nullptr,
                d.indices + y * width,
                _mm_setzero_ps()};
    }

    void end_row() {
        row.front().v = row.back().v = _mm_setzero_ps();
        std::swap(row, next);
        ++y;
    }
};

// The n-th pixel of the cursor's row in its direction. nearest(color) gives the palette index
// of a canonical color, nearest(lanes) that of an opaque one in 32-bit lanes (opaque_color):
// no guess (the plain mapping's index) checked first, as for ordered dithering: at K = 256 on
// the 12 MP photo the test passed for 18% of the pixels, and its mispredicted branch cost more
// than the table lookups it saved (adaptive mapping, 2 threads: 100-101 ms without it, 121-122
// with it; K = 64: 99-103 against 118-121). kAlpha: the image has alpha, which carries error too;
// opaque images keep alpha 255 and only R, G and B carry error. The error owed to a pixel is
// its slot's (from the row above) plus what the pixel before passed ahead: the one addition
// the slot took before, so the sums are the same to the bit.
template <bool kAlpha, class Nearest>
[[gnu::always_inline]] inline void diffuse_pixel(const Diffusion& d, Nearest& nearest, RowCursor& c,
                                                 std::size_t n) {
    // The lanes that carry error: all four with alpha, else R, G and B.
    const __m128 carried = _mm_castsi128_ps(_mm_setr_epi32(-1, -1, -1, kAlpha ? -1 : 0));
    const std::size_t x = c.forward ? n : c.width - 1 - n;
    const std::size_t s = x + 1;  // x's slot in row and next
    const Premultiplied owed = _mm_add_ps(c.row[s].v, c.passed_ahead);
    c.row[s].v = c.passed_ahead = _mm_setzero_ps();
    const std::uint8_t* sample = c.samples + x * (kAlpha ? 4 : 3);  // RGBA or RGB
    const Color original{sample[0], sample[1], sample[2], kAlpha ? sample[3] : std::uint8_t{255}};
    // A fully transparent pixel stays exactly transparent and drops the error owed to it (its
    // color is invisible, so that error would be lost on it or, carried on, would tint the
    // visible edge beyond it); it gives none either.
    if (kAlpha && original.a == 0) {
        if (c.kept)
            c.out[x] = nearest(Color{0, 0, 0, 0});
        return;
    }
    // The share of error this pixel takes and gives, 0..1 (1 without a dither map). None: the
    // pixel maps as without dithering, and the error owed to it is dropped.
    const std::uint8_t share = c.shares ? c.shares[x] : std::uint8_t{255};
    if (share == 0) {
        if (c.kept)
            c.out[x] = c.plain[x];
        return;
    }
    const __m128 part = c.shares ? d.parts[share].v : _mm_set1_ps(1.0f);
    Premultiplied target = _mm_add_ps(premultiplied(original), _mm_mul_ps(owed, part));
    std::uint8_t index;
    if constexpr (kAlpha)
        index = nearest(clamped_color(target));
    else
        index = nearest(clamped_lanes(target));
    if (c.kept)
        c.out[x] = index;
    const std::size_t s_ahead = c.forward ? s + 1 : s - 1;
    const std::size_t s_behind = c.forward ? s - 1 : s + 1;
    const __m128 error =
        _mm_and_ps(_mm_mul_ps(_mm_sub_ps(target, d.targets[index].v), part), carried);
    c.passed_ahead = _mm_mul_ps(error, d.ahead);
    c.next[s_behind].v = _mm_add_ps(c.next[s_behind].v, _mm_mul_ps(error, d.behind_below));
    c.next[s].v = _mm_add_ps(c.next[s].v, _mm_mul_ps(error, d.below));
    c.next[s_ahead].v = _mm_add_ps(c.next[s_ahead].v, _mm_mul_ps(error, d.ahead_below));
}

// Bands a group of the diffusion diffuses in step: three beat two and four (diffuse_in_step).
constexpr std::size_t kBandsInStep = 3;

// Groups of bands the diffusion makes at least (when there are as many bands): more than the
// cores of a small machine, so the work spreads evenly.
constexpr std::size_t kLeastGroups = 4;

// One row of each of kLive bands, pixel by pixel in step.
template <bool kAlpha, std::size_t kLive, class Nearest>
void rows_in_step(const Diffusion& d, Nearest& nearest, Band* const* live) {
    std::array<RowCursor, kLive> rows;
    for (std::size_t i = 0; i < kLive; ++i)
        rows[i] = live[i]->start_row(d);
    const std::size_t width = std::size_t(d.image.width());
    for (std::size_t n = 0; n < width; ++n) {
        // One copy of the pixel's code per band, each cursor's fields at fixed places: adaptive
        // mapping of the 12 MP photo at K = 256, 2 threads, 119 ms against 129-134 as a loop
        // (the same at K = 16).
#pragma GCC unroll 4
        for (RowCursor& row : rows)
            diffuse_pixel<kAlpha>(d, nearest, row, n);
    }
    for (std::size_t i = 0; i < kLive; ++i)
        live[i]->end_row();
}

// Diffuses bands row by row, the rows of all bands that still have rows pixel by pixel in step.
// Each pixel waits on the one before it (its error owed, its search); the other bands' pixels,
// which wait on nothing of this band, fill that wait. Adaptive mapping of the 12 MP photo at
// K = 16, one thread: 570 ms with one band at a time, 443 with two in step, 318 with three
// (after the map's speedups; four: 333). The bands never read each other's state, so the
// output is the same as diffusing them apart. Polls once the rows diffused since the last poll
// (warm rows too) reach kPollPixels pixels.
template <bool kAlpha, class Nearest>
void diffuse_in_step(const Diffusion& d, Nearest& nearest, std::array<Band, kBandsInStep>& bands,
                     const Poll& poll) {
    std::size_t unpolled = 0;  // pixels diffused since the last poll, 0..kPollPixels
    for (;;) {
        std::array<Band*, kBandsInStep> live{};
        std::size_t count = 0;
        for (Band& band : bands) {
            if (!band.done())
                live[count++] = &band;
        }
        poll.after(unpolled, count * std::size_t(d.image.width()));
        static_assert(kBandsInStep <= 4, "one case each below");
        switch (count) {
            case 0:
                return;
            case 1:
                rows_in_step<kAlpha, 1>(d, nearest, live.data());
                break;
            case 2:
                rows_in_step<kAlpha, 2>(d, nearest, live.data());
                break;
            case 3:
                rows_in_step<kAlpha, 3>(d, nearest, live.data());
                break;
            default:
                rows_in_step<kAlpha, 4>(d, nearest, live.data());
                break;
        }
    }
}

}  // namespace

std::vector<std::uint8_t> diffuse_errors(ImageView image, const Palette& palette,
                                         PaletteSearch& search, float level, const DitherMap& map,
                                         std::size_t band_rows, const Poll& poll) {
    std::vector<std::uint8_t> indices;
    resize_populated(indices, image.pixel_count());
    const std::size_t width = std::size_t(image.width()), height = std::size_t(image.height());
    if (band_rows == 0)
        band_rows = std::max<std::size_t>(height, 1);
    Diffusion d{image,
                map,
                {},
                {},
                _mm_set1_ps(level * 7 / 16),
                _mm_set1_ps(level * 3 / 16),
                _mm_set1_ps(level * 5 / 16),
                _mm_set1_ps(level * 1 / 16),
                indices.data()};
    for (const PaletteEntry& e : palette)
        d.targets.push_back({premultiplied(e.color)});
    for (int share = 0; share < 256; ++share)
        d.parts.push_back({_mm_set1_ps(float(share) * (1.0f / 255))});
    // The bands in groups diffused in parallel, each group's bands in step (diffuse_in_step):
    // band b in group b % groups. At least kLeastGroups groups (or one a band), so an image of
    // few bands still uses every core; the groups depend on the height alone.
    const std::size_t bands = chunk_count(height, band_rows);
    const std::size_t groups =
        std::max(chunk_count(bands, kBandsInStep), std::min(bands, kLeastGroups));
    for_each_chunk(groups, 1, [&](std::size_t group, std::size_t, std::size_t) {
        const auto band = [&](std::size_t b) {
            const std::size_t keep = b * band_rows;
            if (b >= bands)  // past the image: nothing to diffuse
                return Band(height, height, height, 0);
            return Band(keep - std::min(keep, kWarmRows), keep, std::min(height, keep + band_rows),
                        width);
        };
        std::array<Band, kBandsInStep> in_group = [&]<std::size_t... i>(std::index_sequence<i...>) {
            return std::array<Band, kBandsInStep>{band(group + i * groups)...};
        }
        (std::make_index_sequence<kBandsInStep>());
        search.with_nearest([&](auto&& nearest) {
            if (image.has_alpha())
                diffuse_in_step<true>(d, nearest, in_group, poll);
            else
                diffuse_in_step<false>(d, nearest, in_group, poll);
        });
    });
    return indices;
}

IndexedImage run_fs(ImageView image, Palette palette, ColorSpace space, float level,
                    const Progress& progress) {
    PaletteSearch search(image, palette, space);
    std::vector<std::uint8_t> indices =
        diffuse_errors(image, palette, search, level, DitherMap{}, 0, Poll(progress, Stage::remap));
    return counted_image(image, std::move(palette), std::move(indices));
}

}  // namespace quantize::detail
