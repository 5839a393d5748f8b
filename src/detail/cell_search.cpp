#include "detail/cell_search.hpp"

#include <algorithm>
#include <cassert>
#include <limits>

#include <emmintrin.h>

#include "detail/parallel.hpp"

namespace quantize::detail {

namespace {

constexpr std::uint32_t kFineCells = 1u << (3 * CellSearch::kFineBits);
constexpr std::uint32_t kCoarseCells = 1u << (3 * CellSearch::kCoarseBits);

// The cell of `bits` per channel that holds `cell`, a cell of `parent_bits` (fewer) per channel.
std::uint32_t parent_of(std::uint32_t cell, int bits, int parent_bits) {
    const int drop = bits - parent_bits;
    const std::uint32_t mask = (1u << bits) - 1;
    const std::uint32_t r = (cell >> (2 * bits)) & mask, g = (cell >> bits) & mask, b = cell & mask;
    return ((r >> drop) << (2 * parent_bits)) | ((g >> drop) << parent_bits) | (b >> drop);
}

std::uint32_t coarse_parent(std::uint32_t fine) {
    return parent_of(fine, CellSearch::kFineBits, CellSearch::kCoarseBits);
}

// Cells of 32^3 colors, whose candidates narrow the palette down for the coarse cells in them:
// at K = 256 that spares most of the distance bounds the coarse cells would take from all.
constexpr int kTopBits = 3;
constexpr std::uint32_t kTopCells = 1u << (3 * kTopBits);

}  // namespace

CellSearch::Box CellSearch::box_of(std::uint32_t cell, int bits) {
    const std::uint32_t mask = (1u << bits) - 1;
    const int side = 1 << (8 - bits);
    const std::uint32_t coords[3] = {(cell >> (2 * bits)) & mask, (cell >> bits) & mask,
                                     cell & mask};
    Box b{};
    for (int a = 0; a < 3; ++a) {
        b.lo[a] = int(coords[a]) * side;
        b.hi[a] = b.lo[a] + side - 1;
    }
    return b;
}

std::int64_t CellSearch::form_largest(const Box& b, const int v[3]) const {
    // The form is convex, so its largest value on the box is at a corner. Expanded,
    // d^T W d = sum_a W_aa d_a^2 + 2 sum_{a<c} W_ac d_a d_c: each axis' two ends give two
    // diagonal terms and each pair of axes four cross terms, then the 8 corners are sums of
    // those (18 products where evaluating the form at every corner took 72).
    std::int64_t e[3][2], diag[3][2];
    for (int a = 0; a < 3; ++a) {
        e[a][0] = b.lo[a] - v[a];
        e[a][1] = b.hi[a] - v[a];
        for (int s = 0; s < 2; ++s)
            diag[a][s] = metric_.w[a][a] * e[a][s] * e[a][s];
    }
    std::int64_t rg[2][2], rb[2][2], gb[2][2];
    for (int s = 0; s < 2; ++s) {
        for (int t = 0; t < 2; ++t) {
            rg[s][t] = 2 * metric_.w[0][1] * e[0][s] * e[1][t];
            rb[s][t] = 2 * metric_.w[0][2] * e[0][s] * e[2][t];
            gb[s][t] = 2 * metric_.w[1][2] * e[1][s] * e[2][t];
        }
    }
    std::int64_t largest = 0;
    for (int corner = 0; corner < 8; ++corner) {
        const int r = corner >> 2, g = corner >> 1 & 1, bl = corner & 1;
        largest = std::max(
            largest, diag[0][r] + diag[1][g] + diag[2][bl] + rg[r][g] + rb[r][bl] + gb[g][bl]);
    }
    return largest;
}

bool CellSearch::form_may_reach(const Box& b, const int v[3], std::int64_t u) const {
    // The differences d = x - v for x in the box form the box [lo - v, hi - v]; g is its point
    // nearest to 0 (per axis the gap, 0 where the box spans v). (d - t g)^T W (d - t g) >= 0
    // gives d^T W d >= 2 t g^T W d - t^2 q with q = g^T W g, for every t >= 0. With m the
    // smallest g^T W d over the box (linear: per axis at an end), t = m / q gives the lower
    // bound m^2 / q when m > 0: a tangent plane at g. Exact for W = I (m = q = |g|^2) and close
    // for W near it, where W's smallest eigenvalue times |g|^2 loses up to a third of the gap
    // (smallest / mean eigenvalue about 0.78). Integers (|m| < 2^26, m^2 < 2^52, u q < 2^48):
    // the test m^2 > u q is exact.
    int lo[3], hi[3], g[3];
    for (int a = 0; a < 3; ++a) {
        lo[a] = b.lo[a] - v[a];
        hi[a] = b.hi[a] - v[a];
        g[a] = std::clamp(0, lo[a], hi[a]);
    }
    std::int64_t q = 0, m = 0;
    for (int a = 0; a < 3; ++a) {
        const std::int64_t wg = std::int64_t{metric_.w[a][0]} * g[0] +
                                std::int64_t{metric_.w[a][1]} * g[1] +
                                std::int64_t{metric_.w[a][2]} * g[2];
        q += wg * g[a];
        m += std::min(wg * lo[a], wg * hi[a]);
    }
    return m <= 0 || m * m <= u * q;
}

void CellSearch::candidates_of(const Box& b, std::span<const std::uint8_t> from,
                               std::vector<std::uint8_t>& out) const {
    // Squared sRGB distances from the box to each color: to its nearest point (gap) and its
    // farthest corner (reach). Integers throughout, so the tests are exact.
    std::int64_t gap2[256], reach2[256];
    for (std::size_t i = 0; i < from.size(); ++i) {
        const Color& c = palette_[from[i]];
        const int v[3] = {c.r, c.g, c.b};
        gap2[i] = reach2[i] = 0;
        for (int a = 0; a < 3; ++a) {
            const int gap = v[a] < b.lo[a] ? b.lo[a] - v[a] : std::max(v[a] - b.hi[a], 0);
            const int reach = std::max(v[a] - b.lo[a], b.hi[a] - v[a]);
            gap2[i] += gap * gap;
            reach2[i] += reach * reach;
        }
    }
    out.clear();
    if (plain_) {
        const std::int64_t u = *std::min_element(reach2, reach2 + from.size());
        for (std::size_t i = 0; i < from.size(); ++i) {
            if (gap2[i] <= u)
                out.push_back(from[i]);
        }
        return;
    }
    // By the form: u is the smallest largest value over the colors; lower * reach2 and
    // lower * gap2 bound a color's largest and smallest values from below (lower = W's smallest
    // eigenvalue), so the exact largest is only worked out where it could lower u, and the
    // tighter test (form_may_reach) only where the cheap one does not already exceed u.
    // Starting from the color of the smallest reach makes u small early.
    const auto corner = [&](std::size_t i) {
        const Color& c = palette_[from[i]];
        const int v[3] = {c.r, c.g, c.b};
        return form_largest(b, v);
    };
    assert(!from.empty());  // a box always keeps the color that sets u
    const std::size_t first = std::size_t(std::min_element(reach2, reach2 + from.size()) - reach2);
    std::int64_t u = corner(first);
    for (std::size_t i = 0; i < from.size(); ++i) {
        if (metric_.lower * reach2[i] < u)
            u = std::min(u, corner(i));
    }
    for (std::size_t i = 0; i < from.size(); ++i) {
        if (metric_.lower * gap2[i] > u)
            continue;
        const Color& c = palette_[from[i]];
        const int v[3] = {c.r, c.g, c.b};
        if (form_may_reach(b, v, u))
            out.push_back(from[i]);
    }
}

CellSearch::CellSearch(std::span<const Color> palette, const RgbMetric& metric)
    : palette_(palette.begin(), palette.end()),
      metric_(metric),
      plain_(metric.identity()),
      few_(palette_.size() <= kFewColors) {
    assert(!palette_.empty() && palette_.size() <= 256);  // candidates are byte indices
    std::int32_t base[kFewColors];
    std::int16_t wc_rg[2 * kFewColors], wc_b[2 * kFewColors];
    for (std::size_t j = 0; j < kFewColors; ++j) {
        base[j] = std::numeric_limits<std::int32_t>::max();  // above every color's key
        wc_rg[2 * j] = wc_rg[2 * j + 1] = wc_b[2 * j] = wc_b[2 * j + 1] = 0;
        if (j >= palette_.size())
            continue;
        const FormTerms terms = form_terms(palette_[j]);
        for (const std::int32_t wc : terms.wc)
            few_ = few_ && wc >= std::numeric_limits<std::int16_t>::min() &&
                   wc <= std::numeric_limits<std::int16_t>::max();
        wc_rg[2 * j] = std::int16_t(terms.wc[0]);
        wc_rg[2 * j + 1] = std::int16_t(terms.wc[1]);
        wc_b[2 * j] = std::int16_t(terms.wc[2]);
        base[j] = 16 * terms.cwc + std::int32_t(j);
    }
    for (std::size_t q = 0; q < kFewColors / 4; ++q) {
        few_key_base_[q] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(base + 4 * q));
        few_wc_rg_[q] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(wc_rg + 8 * q));
        few_wc_b_[q] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(wc_b + 8 * q));
    }
    separation_.assign(palette_.size(), std::numeric_limits<std::int64_t>::max());
    for (std::size_t i = 0; i < palette_.size(); ++i) {
        for (std::size_t j = 0; j < palette_.size(); ++j) {
            const int dr = palette_[i].r - palette_[j].r, dg = palette_[i].g - palette_[j].g,
                      db = palette_[i].b - palette_[j].b;
            if (j != i)
                separation_[i] = std::min(separation_[i], distance(dr, dg, db));
        }
    }
    std::vector<std::uint8_t> all(palette_.size());
    for (std::size_t j = 0; j < all.size(); ++j)
        all[j] = std::uint8_t(j);
    std::vector<std::vector<std::uint8_t>> top(kTopCells);
    for_each_chunk(kTopCells, 8, [&](std::size_t, std::size_t begin, std::size_t end) {
        for (std::size_t cell = begin; cell < end; ++cell)
            candidates_of(box_of(std::uint32_t(cell), kTopBits), all, top[cell]);
    });
    top_first_.resize(kTopCells + 1);
    for (std::uint32_t cell = 0; cell < kTopCells; ++cell) {
        top_first_[cell] = std::uint32_t(top_list_.size());
        top_list_.insert(top_list_.end(), top[cell].begin(), top[cell].end());
    }
    top_first_[kTopCells] = std::uint32_t(top_list_.size());
    // Uninitialized on purpose: pages are only touched by the cells that get filled. Small
    // pages: huge ones measured no faster on the 27.7 MP photo and zero all 16 MiB on small
    // images, whose cells touch only part of it.
    table_.reset(new std::uint8_t[std::size_t{kFineCells} * 64]);
    filled_.reset(new std::atomic<std::uint64_t>[kFineCells / 64]);
    for (std::uint32_t w = 0; w < kFineCells / 64; ++w)
        filled_[w].store(0, std::memory_order_relaxed);
    coarse_list_.reset(new std::uint8_t[std::size_t{kCoarseCells} * palette_.size()]);
    coarse_size_.reset(new std::atomic<std::uint16_t>[kCoarseCells]);
    for (std::uint32_t cell = 0; cell < kCoarseCells; ++cell)
        coarse_size_[cell].store(0, std::memory_order_relaxed);
}

void CellSearch::coarse_candidates(std::uint32_t coarse, std::vector<std::uint8_t>& out) {
    std::uint8_t* list = coarse_list_.get() + std::size_t{coarse} * palette_.size();
    const std::uint16_t known = coarse_size_[coarse].load(std::memory_order_acquire);
    if (known > 0) {
        out.resize(known - 1u);
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i] = std::atomic_ref<std::uint8_t>(list[i]).load(std::memory_order_relaxed);
        return;
    }
    const std::uint32_t top = parent_of(coarse, kCoarseBits, kTopBits);
    const std::span<const std::uint8_t> from(top_list_.data() + top_first_[top],
                                             top_first_[top + 1] - top_first_[top]);
    candidates_of(box_of(coarse, kCoarseBits), from, out);
    for (std::size_t i = 0; i < out.size(); ++i)
        std::atomic_ref<std::uint8_t>(list[i]).store(out[i], std::memory_order_relaxed);
    coarse_size_[coarse].store(std::uint16_t(out.size() + 1), std::memory_order_release);
}

std::uint32_t CellSearch::cell_at_line(std::uint32_t line) {
    std::uint32_t r = 0, g = 0, b = 0;
    for (int i = 0; i < kFineBits; ++i) {
        r |= (line >> (3 * i + 2) & 1) << i;
        g |= (line >> (3 * i + 1) & 1) << i;
        b |= (line >> (3 * i) & 1) << i;
    }
    return r << (2 * kFineBits) | g << kFineBits | b;
}

void CellSearch::fill(std::uint32_t line) {
    const std::uint32_t cell = cell_at_line(line);
    thread_local std::vector<std::uint8_t> from, candidates;
    coarse_candidates(coarse_parent(cell), from);
    const Box box = box_of(cell, kFineBits);
    candidates_of(box, from, candidates);
    std::uint8_t* answers = table_.get() + std::size_t{line} * 64;
    if (!metric_.identity()) {
        nearest_by_form(box, candidates, answers);
        filled_[line / 64].fetch_or(std::uint64_t{1} << (line % 64), std::memory_order_release);
        return;
    }
    // Per slot the smallest (squared distance << 8 | index): the nearest, and of equally near
    // ones the lowest index. Candidate by candidate, so the slot loop vectorizes.
    std::int32_t best[64];
    std::fill(std::begin(best), std::end(best), std::numeric_limits<std::int32_t>::max());
    for (std::uint8_t j : candidates) {
        const Color& c = palette_[j];
        for (int slot = 0; slot < 64; ++slot) {
            const int dr = box.lo[0] + (slot >> 4) - c.r;
            const int dg = box.lo[1] + (slot >> 2 & 3) - c.g;
            const int db = box.lo[2] + (slot & 3) - c.b;
            const std::int32_t key = (dr * dr + dg * dg + db * db) << 8 | std::int32_t(j);
            best[slot] = std::min(best[slot], key);
        }
    }
    for (int slot = 0; slot < 64; ++slot) {
        std::atomic_ref<std::uint8_t>(answers[slot])
            .store(std::uint8_t(best[slot] & 0xff), std::memory_order_relaxed);
    }
    filled_[line / 64].fetch_or(std::uint64_t{1} << (line % 64), std::memory_order_release);
}

CellSearch::FormTerms CellSearch::form_terms(const Color& c) const {
    const int v[3] = {c.r, c.g, c.b};
    FormTerms terms;
    for (std::size_t a = 0; a < 3; ++a)
        terms.wc[a] = metric_.w[a][0] * v[0] + metric_.w[a][1] * v[1] + metric_.w[a][2] * v[2];
    terms.cwc = v[0] * terms.wc[0] + v[1] * terms.wc[1] + v[2] * terms.wc[2];
    return terms;
}

void CellSearch::nearest_by_form(const Box& box, std::span<const std::uint8_t> candidates,
                                 std::uint8_t* answers) const {
    // d^T W d = x^T W x - 2 x^T (W c) + c^T W c for a color x and a palette color c: the first
    // term is the same for every candidate, so the nearest has the smallest
    // c^T W c - 2 x^T (W c), exact in 32-bit integers (|value| < 2^26 with W's entries < 128).
    // Candidate by candidate in ascending order, a strictly smaller value replacing: ties keep
    // the lowest index. Slot s is the color box.lo + (s >> 4, s >> 2 & 3, s & 3): four slots
    // of equal red and green, blue 0..3, make one SSE2 vector of values, from the value at blue
    // 0 less 2 (W c)_blue times 0..3.
    __m128i best[16], index[16];
    for (int q = 0; q < 16; ++q) {
        best[q] = _mm_set1_epi32(std::numeric_limits<std::int32_t>::max());
        index[q] = _mm_setzero_si128();
    }
    for (std::uint8_t j : candidates) {
        const auto [wc, cwc] = form_terms(palette_[j]);
        const std::int32_t at_lo =
            cwc - 2 * (wc[0] * box.lo[0] + wc[1] * box.lo[1] + wc[2] * box.lo[2]);
        const __m128i blue_steps = _mm_set_epi32(6 * wc[2], 4 * wc[2], 2 * wc[2], 0);
        const __m128i candidate = _mm_set1_epi32(j);
        for (int q = 0; q < 16; ++q) {  // q = red step * 4 + green step
            const std::int32_t start = at_lo - 2 * (wc[0] * (q >> 2) + wc[1] * (q & 3));
            const __m128i value = _mm_sub_epi32(_mm_set1_epi32(start), blue_steps);
            const __m128i smaller = _mm_cmplt_epi32(value, best[q]);
            best[q] =
                _mm_or_si128(_mm_and_si128(smaller, value), _mm_andnot_si128(smaller, best[q]));
            index[q] = _mm_or_si128(_mm_and_si128(smaller, candidate),
                                    _mm_andnot_si128(smaller, index[q]));
        }
    }
    for (int q = 0; q < 16; ++q) {
        alignas(16) std::int32_t lanes[4];
        _mm_store_si128(reinterpret_cast<__m128i*>(lanes), index[q]);
        for (int b = 0; b < 4; ++b) {
            std::atomic_ref<std::uint8_t>(answers[4 * q + b])
                .store(std::uint8_t(lanes[b]), std::memory_order_relaxed);
        }
    }
}

}  // namespace quantize::detail
