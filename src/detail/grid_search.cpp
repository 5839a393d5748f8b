#include "detail/grid_search.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "quantize/color.hpp"

namespace quantize::detail {

namespace {

// About this many cells: at K = 256 in oklab a cell then holds a few candidates, and finding a
// cell's list (K distance bounds) stays cheap next to the colors that land in it.
constexpr double kTargetCells = 32768;

// sRGB samples per channel whose points give the gamut's extent: 0, 16, ..., 240, 255.
constexpr int kGamutSamples = 17;

// The grid's margin beyond the sampled gamut, as a share of each extent plus one unit: the
// gamut's faces bulge a little between samples. Colors beyond it are compared with every point.
constexpr double kMarginShare = 0.02;

// Slack on the bounds, relative and absolute (squared units), far above float rounding.
constexpr double kSlackShare = 1e-4;
constexpr double kSlack = 1e-3;

}  // namespace

GridSearch::GridSearch(std::span<const Point> points, ColorSpace space)
    : points_(points.begin(), points.end()) {
    assert(!points_.empty() && points_.size() <= 256);  // candidates are byte indices
    for (std::size_t j = 0; j < points_.size(); ++j)
        all_.push_back(std::uint8_t(j));
    std::array<double, kAxes> lo, hi;
    lo.fill(std::numeric_limits<double>::infinity());
    hi.fill(-std::numeric_limits<double>::infinity());
    auto extend = [&](const Point& p) {
        for (int a = 0; a < kAxes; ++a) {
            lo[a] = std::min(lo[a], double(p.v[a]));
            hi[a] = std::max(hi[a], double(p.v[a]));
        }
    };
    auto level = [](int i) { return std::uint8_t(std::min(255, 16 * i)); };
    for (int r = 0; r < kGamutSamples; ++r) {
        for (int g = 0; g < kGamutSamples; ++g) {
            for (int b = 0; b < kGamutSamples; ++b)
                extend(to_point(Color{level(r), level(g), level(b), 255}, space));
        }
    }
    for (const Point& p : points_)
        extend(p);
    double volume = 1;
    for (int a = 0; a < kAxes; ++a) {
        const double margin = (hi[a] - lo[a]) * kMarginShare + 1;
        lo[a] -= margin;
        hi[a] += margin;
        volume *= hi[a] - lo[a];
    }
    const double side = std::cbrt(volume / kTargetCells);
    std::size_t total = 1;
    for (int a = 0; a < kAxes; ++a) {
        cells_[std::size_t(a)] = std::max(1, int(std::ceil((hi[a] - lo[a]) / side)));
        lo_[std::size_t(a)] = float(lo[a]);
        side_[std::size_t(a)] = float((hi[a] - lo[a]) / cells_[std::size_t(a)]);
        total *= std::size_t(cells_[std::size_t(a)]);
    }
    // Uninitialized on purpose: only the lists of cells colors land in are ever written.
    lists_.reset(new std::uint8_t[total * points_.size()]);
    sizes_.reset(new std::atomic<std::uint16_t>[total]);
    for (std::size_t c = 0; c < total; ++c)
        sizes_[c].store(0, std::memory_order_relaxed);
}

long GridSearch::cell_of(const Point& p) const {
    long cell = 0;
    for (int a = 0; a < kAxes; ++a) {
        const float t = (p.v[a] - lo_[std::size_t(a)]) / side_[std::size_t(a)];
        if (!(t >= 0 && t < float(cells_[std::size_t(a)])))  // outside, or not a number
            return -1;
        cell = cell * cells_[std::size_t(a)] + long(t);
    }
    return cell;
}

std::span<const std::uint8_t> GridSearch::candidates(std::size_t cell) const {
    std::uint8_t* list = lists_.get() + cell * points_.size();
    const std::uint16_t known = sizes_[cell].load(std::memory_order_acquire);
    if (known >= 2)
        return {list, known - 2u};
    // The cell's box, from its coordinates, widened by a thousandth of a side on every face so
    // a color placed in it by cell_of's rounding lies inside.
    std::array<double, kAxes> box_lo, box_hi;
    std::size_t rest = cell;
    for (int a = kAxes - 1; a >= 0; --a) {
        const std::size_t n = std::size_t(cells_[std::size_t(a)]);
        const double i = double(rest % n), s = side_[std::size_t(a)];
        rest /= n;
        box_lo[std::size_t(a)] = lo_[std::size_t(a)] + i * s - 1e-3 * s;
        box_hi[std::size_t(a)] = lo_[std::size_t(a)] + (i + 1) * s + 1e-3 * s;
    }
    // Squared distances from the box to each point, nearest and farthest, each plus the
    // point's alpha term (opaque colors have 255 there).
    std::array<double, 256> near;
    double u = std::numeric_limits<double>::infinity();
    for (std::size_t j = 0; j < points_.size(); ++j) {
        const double alpha_gap = 255.0 - double(points_[j].v[3]);
        double lower = alpha_gap * alpha_gap, upper = lower;
        for (std::size_t a = 0; a < kAxes; ++a) {
            const double v = points_[j].v[a];
            const double gap = v < box_lo[a] ? box_lo[a] - v : std::max(v - box_hi[a], 0.0);
            const double reach = std::max(v - box_lo[a], box_hi[a] - v);
            lower += gap * gap;
            upper += reach * reach;
        }
        near[j] = lower;
        u = std::min(u, upper);
    }
    const double limit = u * (1 + kSlackShare) + kSlack;
    thread_local std::vector<std::uint8_t> found;
    found.clear();
    for (std::size_t j = 0; j < points_.size(); ++j) {
        if (near[j] <= limit)
            found.push_back(std::uint8_t(j));
    }
    // Published by the one thread that claims the cell (state 1 while it writes); the others
    // use their own copy, so a published list is never written again.
    std::uint16_t unknown = 0;
    if (sizes_[cell].compare_exchange_strong(unknown, 1, std::memory_order_acquire)) {
        std::copy(found.begin(), found.end(), list);
        sizes_[cell].store(std::uint16_t(found.size() + 2), std::memory_order_release);
    }
    return found;
}

std::uint8_t GridSearch::nearest_among(const Point& p, std::span<const std::uint8_t> which) const {
    // As quantize::nearest_index: the first of the smallest squared distances.
    std::uint8_t best = which[0];
    float best_d = std::numeric_limits<float>::infinity();
    for (std::uint8_t j : which) {
        const float d = squared_distance(p, points_[j]);
        if (d < best_d) {
            best_d = d;
            best = j;
        }
    }
    return best;
}

std::uint8_t GridSearch::nearest(const Point& p) const {
    const long cell = cell_of(p);
    if (cell < 0)
        return nearest_among(p, all_);
    return nearest_among(p, candidates(std::size_t(cell)));
}

}  // namespace quantize::detail
