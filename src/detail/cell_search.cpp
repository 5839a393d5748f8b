#include "detail/cell_search.hpp"

#include <algorithm>
#include <cassert>
#include <limits>

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

void CellSearch::candidates_of(const Box& b, std::span<const std::uint8_t> from,
                               std::vector<std::uint8_t>& out) const {
    // Squared distances from the box to a color: to its nearest and its farthest corner (a
    // lower bound and the largest corner's form, by another metric). Integers throughout, so
    // the test is exact.
    const bool plain = metric_.identity();
    auto bounds = [&](const Color& c, std::int64_t& near, std::int64_t& far) {
        const int v[3] = {c.r, c.g, c.b};
        near = far = 0;
        for (int a = 0; a < 3; ++a) {
            const int gap = v[a] < b.lo[a] ? b.lo[a] - v[a] : std::max(v[a] - b.hi[a], 0);
            const int reach = std::max(v[a] - b.lo[a], b.hi[a] - v[a]);
            near += gap * gap;
            far += reach * reach;
        }
        if (plain)
            return;
        near *= metric_.lower;
        far = 0;
        for (int corner = 0; corner < 8; ++corner) {
            far = std::max(far, metric_.of((corner & 4 ? b.hi[0] : b.lo[0]) - v[0],
                                           (corner & 2 ? b.hi[1] : b.lo[1]) - v[1],
                                           (corner & 1 ? b.hi[2] : b.lo[2]) - v[2]));
        }
    };
    std::int64_t near[256];
    std::int64_t u = std::numeric_limits<std::int64_t>::max();
    for (std::size_t i = 0; i < from.size(); ++i) {
        std::int64_t far;
        bounds(palette_[from[i]], near[i], far);
        u = std::min(u, far);
    }
    out.clear();
    for (std::size_t i = 0; i < from.size(); ++i) {
        if (near[i] <= u)
            out.push_back(from[i]);
    }
}

CellSearch::CellSearch(std::span<const Color> palette, const RgbMetric& metric)
    : palette_(palette.begin(), palette.end()),
      metric_(metric),
      plain_(metric.identity()),
      few_(palette_.size() <= kFewColors) {
    assert(!palette_.empty() && palette_.size() <= 256);  // candidates are byte indices
    for (std::size_t j = 0; j < kFewColors; ++j) {
        few_cwc_[j] = std::int32_t{1} << 30;  // above every color's value (|value| < 2^26)
        few_wc_[0][j] = few_wc_[1][j] = few_wc_[2][j] = 0;
        if (j >= palette_.size())
            continue;
        const FormTerms terms = form_terms(palette_[j]);
        for (std::size_t a = 0; a < 3; ++a)
            few_wc_[a][j] = terms.wc[a];
        few_cwc_[j] = terms.cwc;
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
    // the lowest index.
    std::int32_t best[64];
    std::uint8_t index[64] = {};
    std::fill(std::begin(best), std::end(best), std::numeric_limits<std::int32_t>::max());
    for (std::uint8_t j : candidates) {
        const auto [wc, cwc] = form_terms(palette_[j]);
        for (int slot = 0; slot < 64; ++slot) {
            const std::int32_t value = cwc - 2 * (wc[0] * (box.lo[0] + (slot >> 4)) +
                                                  wc[1] * (box.lo[1] + (slot >> 2 & 3)) +
                                                  wc[2] * (box.lo[2] + (slot & 3)));
            if (value < best[slot]) {
                best[slot] = value;
                index[slot] = j;
            }
        }
    }
    for (int slot = 0; slot < 64; ++slot)
        std::atomic_ref<std::uint8_t>(answers[slot]).store(index[slot], std::memory_order_relaxed);
}

}  // namespace quantize::detail
