// Floyd-Steinberg error diffusion (--dither fs), and the diffusion the adaptive method runs
// with its dither map (detail::diffuse_errors).
#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "detail/mapping.hpp"
#include "detail/memory.hpp"
#include "detail/parallel.hpp"

namespace quantize::detail {

namespace {

// Rows a band diffuses over before its own first row, writing nothing: by then the error owed
// to that row is what one pass over the whole image would carry into it (FS error fades within
// a few rows), so the seam between bands does not show.
constexpr std::size_t kWarmRows = 16;

// A color with premultiplied alpha, R, G, B and A on 0..255, in float: what error diffusion
// adds and subtracts. Premultiplied, so a color's weight in the error is its visible share.
using Premultiplied = std::array<float, 4>;

Premultiplied premultiplied(Color c) {
    const float a = float(c.a) / 255.0f;
    return {float(c.r) * a, float(c.g) * a, float(c.b) * a, float(c.a)};
}

// Clamps an error-adjusted color into the colors that exist (alpha 0..255, each color
// 0..alpha) and returns the nearest 8-bit straight-alpha color to it; p is clamped in place.
// With kAlpha false p is opaque (alpha 255, left as it is).
template <bool kAlpha>
Color clamped_color(Premultiplied& p) {
    auto byte = [](float v) { return static_cast<std::uint8_t>(v + 0.5f); };  // v in 0..255
    if constexpr (!kAlpha) {
        for (int c = 0; c < 3; ++c)
            p[c] = std::clamp(p[c], 0.0f, 255.0f);
        return {byte(p[0]), byte(p[1]), byte(p[2]), 255};
    }
    p[3] = std::clamp(p[3], 0.0f, 255.0f);
    for (int c = 0; c < 3; ++c)
        p[c] = std::clamp(p[c], 0.0f, p[3]);
    const std::uint8_t a = byte(p[3]);
    if (a == 0)
        return {0, 0, 0, 0};
    const float unmultiply = 255.0f / p[3];
    return {byte(std::min(255.0f, p[0] * unmultiply)), byte(std::min(255.0f, p[1] * unmultiply)),
            byte(std::min(255.0f, p[2] * unmultiply)), a};
}

// Serpentine Floyd-Steinberg over rows [first, last) in one sequential pass, writing the indices
// of rows from `keep` on (rows before it only build up the error owed, see kWarmRows).
// nearest(color, guess) gives the palette index of a canonical color, guess being a likely
// answer: the plain mapping's index with a dither map, else the previous pixel's. kAlpha: the
// image has alpha, which carries error too; opaque images keep alpha 255 and only R, G and B
// carry error. map: see diffuse_errors.
template <bool kAlpha, class Nearest>
void diffuse(ImageView image, const Palette& palette, float level, Nearest&& nearest,
             const DitherMap& map, std::size_t first, std::size_t keep, std::size_t last,
             std::vector<std::uint8_t>& indices, const Poll& poll) {
    constexpr int kChannels = kAlpha ? 4 : 3;
    std::vector<Premultiplied> targets;
    for (const PaletteEntry& e : palette)
        targets.push_back(premultiplied(e.color));
    const float ahead = level * 7 / 16, behind_below = level * 3 / 16, below = level * 5 / 16,
                ahead_below = level * 1 / 16;
    const std::size_t width = std::size_t(image.width());
    const std::size_t channels = std::size_t(image.channels());
    // Error owed to each pixel of this row and of the next, with one spare slot at each end so
    // the edges need no tests (what lands there is dropped). A slot is zeroed as it is read, so
    // the row is clean when it comes back as the next one.
    std::vector<Premultiplied> row(width + 2), next(width + 2);
    std::uint8_t previous = 0;  // the last index found: the guess without a dither map
    std::size_t unpolled = 0;   // pixels diffused since the last poll, 0..kPollPixels
    for (std::size_t y = first; y < last; ++y) {
        poll.after(unpolled, width);
        const bool forward = y % 2 == 0;
        const bool kept = y >= keep;
        const std::uint8_t* samples = image.row(y);
        const std::uint8_t* shares = map.shares ? map.shares + y * width : nullptr;
        const std::uint8_t* plain = map.plain ? map.plain + y * width : nullptr;
        std::uint8_t* out = indices.data() + y * width;
        for (std::size_t n = 0; n < width; ++n) {
            const std::size_t x = forward ? n : width - 1 - n;
            const std::size_t s = x + 1;  // x's slot in row and next
            Premultiplied owed = row[s];
            row[s] = Premultiplied{};
            const std::uint8_t* sample = samples + x * channels;
            const Color original{sample[0], sample[1], sample[2],
                                 kAlpha ? sample[3] : std::uint8_t{255}};
            // A fully transparent pixel stays exactly transparent and drops the error owed to it
            // (its color is invisible, so that error would be lost on it or, carried on, would
            // tint the visible edge beyond it); it gives none either.
            if (kAlpha && original.a == 0) {
                if (kept)
                    out[x] = nearest(Color{0, 0, 0, 0});
                continue;
            }
            // The share of error this pixel takes and gives, 0..1 (1 without a dither map). None:
            // the pixel maps as without dithering, and the error owed to it is dropped.
            const float share = shares ? float(shares[x]) * (1.0f / 255) : 1.0f;
            if (share == 0) {
                if (kept)
                    out[x] = plain[x];
                continue;
            }
            Premultiplied target = premultiplied(original);
            for (int c = 0; c < kChannels; ++c)
                target[c] += owed[c] * share;
            const std::uint8_t index =
                nearest(clamped_color<kAlpha>(target), plain ? plain[x] : previous);
            previous = index;
            if (kept)
                out[x] = index;
            const std::size_t s_ahead = forward ? s + 1 : s - 1;
            const std::size_t s_behind = forward ? s - 1 : s + 1;
            for (int c = 0; c < kChannels; ++c) {
                const float error = (target[c] - targets[index][c]) * share;
                row[s_ahead][c] += error * ahead;
                next[s_behind][c] += error * behind_below;
                next[s][c] += error * below;
                next[s_ahead][c] += error * ahead_below;
            }
        }
        row.front() = row.back() = Premultiplied{};
        std::swap(row, next);
    }
}

}  // namespace

std::vector<std::uint8_t> diffuse_errors(ImageView image, const Palette& palette,
                                         PaletteSearch& search, float level, const DitherMap& map,
                                         std::size_t band_rows, const Poll& poll) {
    std::vector<std::uint8_t> indices;
    resize_populated(indices, image.pixel_count());
    const std::size_t height = std::size_t(image.height());
    if (band_rows == 0)
        band_rows = std::max<std::size_t>(height, 1);
    for_each_chunk(height, band_rows, [&](std::size_t, std::size_t keep, std::size_t last) {
        const std::size_t first = keep - std::min(keep, kWarmRows);
        search.with_nearest([&](auto&& nearest) {
            if (image.has_alpha())
                diffuse<true>(image, palette, level, nearest, map, first, keep, last, indices,
                              poll);
            else
                diffuse<false>(image, palette, level, nearest, map, first, keep, last, indices,
                               poll);
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
