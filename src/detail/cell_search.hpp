// Exact nearest palette color for opaque sRGB pixels, through a lazily filled table of all
// 2^24 colors, found by cells of the RGB cube instead of by comparing every palette color.
//
// A palette color c can be the nearest to some color inside an axis-aligned box B only if
// mindist(B, c) <= u, where u is the smallest maxdist(B, c') over the whole palette: the color
// achieving u is never farther than that from any color in B. Distances are squared sRGB ones,
// or a quadratic form d^T W d (the wrgb space): then maxdist is the largest over B's corners
// (the form is convex) and mindist is bounded below (W's smallest eigenvalue times the squared
// sRGB mindist, then a tangent plane at the box's nearest point), which keeps a few more
// candidates than the exact mindist would but stays exact. Those colors are B's
// candidates; every color in B is compared with them alone, in palette order, so ties go to the
// lowest index exactly as in brute force. A sub-box's candidates are a subset of its parent's,
// so fine cells (4x4x4 colors) are filled from coarse ones (16x16x16): a fine cell holds 1 to 3
// candidates on average at K = 256 on photos.
//
// The table stores each fine cell's 64 answers in one 64-byte cache line, filled the first
// time a pixel lands in the cell: a photo touches a few ten thousand of the 262,144 cells.
// Lookups and fills are thread-safe; two threads filling one cell write the same bytes, so
// the answers never depend on the thread count.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <emmintrin.h>

#include "detail/weighted_rgb.hpp"
#include "quantize/pixels.hpp"

namespace quantize::detail {

// Spreads the low 6 bits of x to every third bit (bit i to bit 3i).
constexpr std::uint32_t spread3(std::uint32_t x) {
    std::uint32_t out = 0;
    for (int i = 0; i < 6; ++i)
        out |= (x >> i & 1) << (3 * i);
    return out;
}

// Where each channel's value puts a color in CellSearch's table, summed over the channels: the
// table line of its fine cell (the top 6 bits a channel) times 64 plus its slot in the line
// (the low 2 bits a channel). Three small tables and two additions, where shifting and masking
// bits into place took about twenty operations a pixel. Lines are in Morton (Z-curve) order of
// the cells' (r, g, b): each 4 KiB page then holds a 4x4x4 block of neighbouring cells, so the
// few thousand pages a photo's colors touch in row order shrink to a few hundred (page faults
// as the table fills, address translation misses after).
inline constexpr std::array<std::array<std::uint32_t, 256>, 3> kCellOffsets = [] {
    std::array<std::array<std::uint32_t, 256>, 3> offsets{};
    for (std::uint32_t v = 0; v < 256; ++v) {
        const std::uint32_t line = spread3(v >> 2), low = v & 3;
        offsets[0][v] = (line << 2) * 64 + (low << 4);
        offsets[1][v] = (line << 1) * 64 + (low << 2);
        offsets[2][v] = line * 64 + low;
    }
    return offsets;
}();

// The opaque color whose R, G and B are the low three 32-bit lanes of `lanes` (each 0..255).
inline Color opaque_color(__m128i lanes) {
    const std::uint32_t bytes =
        std::uint32_t(_mm_cvtsi128_si32(_mm_packus_epi16(_mm_packs_epi32(lanes, lanes), lanes)));
    return {std::uint8_t(bytes), std::uint8_t(bytes >> 8), std::uint8_t(bytes >> 16), 255};
}

class CellSearch {
  public:
    // 1..256 opaque palette colors (alpha is ignored: every color is compared as opaque),
    // compared by `metric` (squared sRGB distance, or wrgb's form: weighted_rgb.hpp).
    explicit CellSearch(std::span<const Color> palette, const RgbMetric& metric = kIdentityMetric);

    // Index of the palette color nearest to (r, g, b) by the metric; ties go to the lowest
    // index.
    std::uint8_t nearest(std::uint8_t r, std::uint8_t g, std::uint8_t b) {
        const std::uint32_t at = kCellOffsets[0][r] + kCellOffsets[1][g] + kCellOffsets[2][b];
        const std::uint32_t line = at / 64;
        const std::uint64_t bit = std::uint64_t{1} << (line % 64);
        if ((filled_[line / 64].load(std::memory_order_acquire) & bit) == 0)
            fill(line);
        return std::atomic_ref<std::uint8_t>(table_[at]).load(std::memory_order_relaxed);
    }

    // nearest(r, g, b) where `guess` is likely the answer (ordered dithering's plain index):
    // guess is taken without the table lookup when (r, g, b) lies within half the distance from
    // guess to its nearest other color (then every other color is strictly farther, so the
    // answer is exact). Palettes of at most kFewColors colors skip both: comparing them all
    // (nearest_of_few, SSE2) costs less than the table's cache misses and cell fills for the
    // many new colors dithering makes, and less than the guess test, whose branch those colors
    // make hard to predict (adaptive diffusion at K = 16 on the 12 MP photo, one thread: 300 ms
    // against 322 with the test first; diffusion now skips the test at every K, see
    // src/remap_fs.cpp).
    std::uint8_t nearest_near(std::uint8_t r, std::uint8_t g, std::uint8_t b, std::uint8_t guess) {
        if (few_)
            return nearest_of_few(r, g, b);
        const Color& p = palette_[guess];
        const int dr = r - p.r, dg = g - p.g, db = b - p.b;
        if (4 * distance(dr, dg, db) < separation_[guess])
            return guess;
        return nearest(r, g, b);
    }

    // nearest of the color whose R, G and B are the low three 32-bit lanes of `lanes` (each
    // 0..255), as error diffusion rounds its targets; palettes of at most kFewColors colors
    // compared all at once as in nearest_near, from the lanes as they are, without the trip
    // through bytes and back.
    std::uint8_t nearest(__m128i lanes) {
        if (few_)
            return nearest_of_few(lanes);
        const Color c = opaque_color(lanes);
        return nearest(c.r, c.g, c.b);
    }

    // Palettes of at most this many colors are searched by comparing them all at once
    // (nearest_of_few).
    static constexpr std::size_t kFewColors = 16;

    // Index of the nearest of a palette of at most kFewColors colors to (r, g, b), ties to the
    // lowest index: the least key 16 (c^T W c - 2 x^T (W c)) + j over the colors j (see
    // nearest_by_form for the value; |value| < 2^26, so keys fit 31 bits), four colors to an
    // SSE2 vector. The index rides in the key's low 4 bits, so the least key is the answer and
    // ties go to the lowest index. W c fits 16 bits (few_ is false otherwise), so x^T (W c) is
    // two multiply-adds of 16-bit pairs (red and green, blue and 0) a vector, exact. No table:
    // no cache misses, no cells to fill.
    std::uint8_t nearest_of_few(std::uint8_t r, std::uint8_t g, std::uint8_t b) const {
        return nearest_of_few(_mm_setr_epi32(r, g, b, 0));
    }

    // nearest_of_few of the color whose R, G and B are the low three 32-bit lanes of `lanes`
    // (each 0..255).
    std::uint8_t nearest_of_few(__m128i lanes) const {
        const __m128i words = _mm_packs_epi32(lanes, lanes);  // R, G, B, A in 16 bits, twice
        const __m128i red_green = _mm_shuffle_epi32(words, _MM_SHUFFLE(0, 0, 0, 0));
        const __m128i blue = _mm_and_si128(_mm_shuffle_epi32(words, _MM_SHUFFLE(1, 1, 1, 1)),
                                           _mm_set1_epi32(0xFFFF));
        __m128i key[kFewColors / 4];
        for (std::size_t q = 0; q < kFewColors / 4; ++q) {
            const __m128i dot =
                _mm_add_epi32(_mm_madd_epi16(red_green, _mm_load_si128(few_wc_rg_ + q)),
                              _mm_madd_epi16(blue, _mm_load_si128(few_wc_b_ + q)));
            key[q] = _mm_sub_epi32(_mm_load_si128(few_key_base_ + q), _mm_slli_epi32(dot, 5));
        }
        const auto lesser = [](__m128i a, __m128i b) {
            const __m128i b_less = _mm_cmpgt_epi32(a, b);
            return _mm_or_si128(_mm_and_si128(b_less, b), _mm_andnot_si128(b_less, a));
        };
        __m128i least = lesser(lesser(key[0], key[1]), lesser(key[2], key[3]));
        least = lesser(least, _mm_shuffle_epi32(least, _MM_SHUFFLE(1, 0, 3, 2)));
        least = lesser(least, _mm_shuffle_epi32(least, _MM_SHUFFLE(2, 3, 0, 1)));
        return std::uint8_t(_mm_cvtsi128_si32(least) & (kFewColors - 1));
    }

    static constexpr int kFineBits = 6;    // per channel: 64^3 cells of 4^3 colors
    static constexpr int kCoarseBits = 4;  // per channel: 16^3 cells of 16^3 colors

  private:
    struct Box {
        int lo[3];
        int hi[3];  // inclusive
    };

    // The fine cell, as (r << 12 | g << 6 | b) of its top 6 bits a channel, at table line `line`.
    static std::uint32_t cell_at_line(std::uint32_t line);

    static Box box_of(std::uint32_t cell, int bits);
    // False when metric_'s form from color v (r, g, b) exceeds u for every color in box b, by a
    // lower bound tighter than W's smallest eigenvalue (not for the identity metric, whose
    // bound is exact and cheaper).
    bool form_may_reach(const Box& b, const int v[3], std::int64_t u) const;
    // The largest value of metric_'s form from color v to a color in box b (exact).
    std::int64_t form_largest(const Box& b, const int v[3]) const;
    // The candidates among `from` (ascending palette indices) for box b, ascending.
    void candidates_of(const Box& b, std::span<const std::uint8_t> from,
                       std::vector<std::uint8_t>& out) const;
    // Sets out to coarse cell `coarse`'s candidates, found from its top cell's the first time
    // (a photo's colors lie in a few hundred of the 4,096 coarse cells). Thread-safe like the
    // table: two threads finding one list write the same bytes.
    void coarse_candidates(std::uint32_t coarse, std::vector<std::uint8_t>& out);
    void fill(std::uint32_t line);
    // A palette color's terms of c^T W c - 2 x^T (W c), W = metric_: W c and c^T W c.
    struct FormTerms {
        std::int32_t wc[3];
        std::int32_t cwc;
    };
    FormTerms form_terms(const Color& c) const;
    // The nearest of `candidates` for each of the box's 64 colors, by metric_ (not identity).
    void nearest_by_form(const Box& box, std::span<const std::uint8_t> candidates,
                         std::uint8_t* answers) const;

    std::vector<Color> palette_;
    // The squared distance of a difference by metric_ (a norm: the triangle inequality holds).
    // In 32 bits (at most 2^24 within 0..255, weighted_rgb.hpp), six products for the form.
    std::int64_t distance(int dr, int dg, int db) const {
        if (plain_)
            return dr * dr + dg * dg + db * db;
        const auto& w = metric_.w;
        return w[0][0] * dr * dr + w[1][1] * dg * dg + w[2][2] * db * db +
               2 * (w[0][1] * dr * dg + w[0][2] * dr * db + w[1][2] * dg * db);
    }

    RgbMetric metric_;
    bool plain_;
    bool few_;  // at most kFewColors colors, and W c fits 16 bits for every one
    // Four colors a vector (lanes past the palette never least): 16 c^T W c + j, then W c as
    // 16-bit pairs, red and green, then blue and 0 (nearest_of_few's multiply-adds).
    __m128i few_key_base_[kFewColors / 4];
    __m128i few_wc_rg_[kFewColors / 4];
    __m128i few_wc_b_[kFewColors / 4];
    // Per color: squared distance (by metric_) to its nearest other color.
    std::vector<std::int64_t> separation_;
    std::vector<std::uint32_t> top_first_;  // per top cell (32^3 colors), offset into top_list_
    std::vector<std::uint8_t> top_list_;
    std::unique_ptr<std::uint8_t[]> coarse_list_;  // per coarse cell, room for every color
    std::unique_ptr<std::atomic<std::uint16_t>[]> coarse_size_;  // 0: not found yet, else 1 + size
    std::unique_ptr<std::uint8_t[]> table_;                      // 2^24 answers, a line a cell
    std::unique_ptr<std::atomic<std::uint64_t>[]> filled_;       // one bit per line
};

}  // namespace quantize::detail
