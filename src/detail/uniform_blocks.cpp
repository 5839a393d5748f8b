#include "detail/uniform_blocks.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace quantize::detail {

namespace {

// Widening of the inner values' box on every face: they are 0..~1.04, and their rounding
// (cube roots, the sRGB table) is below 1e-15, where a value of a color inside the block might
// fall just outside its corners'.
constexpr double kInnerSlack = 1e-9;

// At least |x|^2 for the first three coordinates x of any opaque sRGB color's point, each below
// 600 in size: Lab's L* 0..100 and a*, b* within +-130 (x 2.55), Oklab's L 0..1 and a, b within
// +-0.33 (x 255).
constexpr double kMostSquared = 3 * 600.0 * 600.0;

// Relative error of a float squared distance over four coordinates (six roundings of 2^-24,
// each of terms >= 0), with room: d_k and d_j are each within this share of their exact values.
constexpr double kDistanceShare = 1e-6;

// Error of a float point's coordinate (below 600 x 2^-24 = 3.6e-5, plus the double arithmetic's
// far smaller error), with room: it moves d_k - d_j by at most 2 x this x sum |p_k - p_j|.
constexpr double kCoordinateError = 1e-4;

// Absolute slack on top, in squared units.
constexpr double kSlack = 1e-3;

// Palettes of at most this many colors are tested: the test's cost grows with the palette and
// its successes fall (adaptive mapping of the 12 MP photo in Oklab, one thread, remap time
// against the per-color fills alone: K = 16 -22%, 32 -13%, 64 -2%, 128 +1%, 256 +4%).
constexpr std::size_t kMostColors = 64;

}  // namespace

UniformBlocks::UniformBlocks(ColorSpace space, std::span<const Point> points)
    : form_(inner_form(space)) {
    if (points.size() > kMostColors)
        form_.reset();
    if (!form_)
        return;
    // The affine map, read off the space's own (affine) map of inner values at 0 and at the
    // three unit vectors, scaled as to_point scales an opaque color.
    const double s = form_->scale * 255 / 255.0;
    const auto point = [&](const Coordinates& inner) {
        const Coordinates k = form_->of_inner(inner);
        return std::array<double, 3>{k.c0 * s, k.c1 * s, k.c2 * s};
    };
    offset_ = point({0, 0, 0});
    const std::array<Coordinates, 3> units{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
    for (std::size_t i = 0; i < 3; ++i) {
        const std::array<double, 3> p = point(units[i]);
        for (std::size_t a = 0; a < 3; ++a)
            map_[a][i] = p[a] - offset_[a];
    }
    for (const Point& q : points) {
        const double gap = 255.0 - double(q.v[3]);
        Target t{{double(q.v[0]), double(q.v[1]), double(q.v[2])}, gap * gap, 0, {}};
        for (std::size_t a = 0; a < 3; ++a) {
            t.norm += t.p[a] * t.p[a];
            for (std::size_t i = 0; i < 3; ++i)
                t.w[i] -= 2 * map_[a][i] * t.p[a];
        }
        t.c = t.norm - 2 * (offset_[0] * t.p[0] + offset_[1] * t.p[1] + offset_[2] * t.p[2]);
        targets_.push_back(t);
    }
}

std::optional<std::uint8_t> UniformBlocks::sole_nearest(Color corner) const {
    if (!form_)
        return std::nullopt;
    const auto far = [](std::uint8_t v) { return std::uint8_t(v + 3); };
    const Coordinates lo = form_->inner(corner);
    const Coordinates hi = form_->inner(Color{far(corner.r), far(corner.g), far(corner.b), 255});
    const std::array<double, 3> low{lo.c0 - kInnerSlack, lo.c1 - kInnerSlack, lo.c2 - kInnerSlack};
    const std::array<double, 3> high{hi.c0 + kInnerSlack, hi.c1 + kInnerSlack, hi.c2 + kInnerSlack};
    const std::array<double, 3> mid{(low[0] + high[0]) / 2, (low[1] + high[1]) / 2,
                                    (low[2] + high[2]) / 2};
    // j: the point nearest to the box's center, and the runner-up, the likeliest to fail the
    // test below (d_k there, less the |x|^2 all share: c_k + w_k . mid).
    std::size_t j = 0, second = 0;
    double least = std::numeric_limits<double>::infinity(), next = least;
    for (std::size_t k = 0; k < targets_.size(); ++k) {
        const Target& t = targets_[k];
        const double d = t.c + t.w[0] * mid[0] + t.w[1] * mid[1] + t.w[2] * mid[2];
        if (d < least) {
            next = least;
            second = j;
            least = d;
            j = k;
        } else if (d < next) {
            next = d;
            second = k;
        }
    }
    // d_k - d_j = (c_k - c_j) + (w_k - w_j) . inner, over the box at least its value with each
    // inner value at the end that makes its term least.
    const Target& tj = targets_[j];
    const auto beats = [&](std::size_t k) {
        const Target& tk = targets_[k];
        // A repeat of j's point (j is the first of equals) loses every tie to j.
        if (tk.p == tj.p && tk.norm == tj.norm)
            return k > j;
        double least_gap = tk.c - tj.c;
        for (std::size_t i = 0; i < 3; ++i) {
            const double w = tk.w[i] - tj.w[i];
            least_gap += std::min(w * low[i], w * high[i]);
        }
        const double moved =
            std::abs(tk.p[0] - tj.p[0]) + std::abs(tk.p[1] - tj.p[1]) + std::abs(tk.p[2] - tj.p[2]);
        const double slack = kSlack + 2 * kCoordinateError * moved +
                             kDistanceShare * (4 * kMostSquared + 2 * (tk.norm + tj.norm));
        return least_gap > slack;
    };
    if (second != j && !beats(second))
        return std::nullopt;
    for (std::size_t k = 0; k < targets_.size(); ++k) {
        if (k != j && !beats(k))
            return std::nullopt;
    }
    return std::uint8_t(j);
}

}  // namespace quantize::detail
