// The `wrgb` color space: sRGB as stored, with distances reshaped toward CIEDE2000.
//
// Its squared distance is a fixed quadratic form d^T W d on sRGB differences d (0..255 per
// channel), W = 0.75 I + 0.25 G (x 64 to integers), where G is the mean over the pixels of the
// Kodak and SIPI photos of CIEDE2000's local metric in sRGB, scaled to trace 3: CIEDE2000
// weighs a green-magenta difference about 20 times a grey one, sRGB MSE weighs them alike.
// A quarter of the way from MSE to that metric: by measurement (bench/run quality) MSE then
// stays within a few percent of plain sRGB's while mean ΔE00 drops by 4-6 %. Linear, so a
// cluster's mean in this space is its sRGB mean mapped: the centroid that minimizes sRGB MSE
// for the partition is the one k-means finds.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "quantize/pixels.hpp"

namespace quantize::detail {

// An integer quadratic form on sRGB differences, for the exact nearest-color search.
struct RgbMetric {
    std::array<std::array<int, 3>, 3> w;  // symmetric, positive definite
    // An integer at most W's smallest eigenvalue: d^T W d >= lower * |d|^2 for every d.
    int lower;

    // d^T W d; at most 2^24 for differences within 0..255 and entries of W as here.
    std::int64_t of(int d0, int d1, int d2) const {
        const int d[3] = {d0, d1, d2};
        std::int64_t sum = 0;
        for (std::size_t i = 0; i < 3; ++i)
            for (std::size_t j = 0; j < 3; ++j)
                sum += std::int64_t{w[i][j]} * d[i] * d[j];
        return sum;
    }
    bool identity() const {
        return lower == 1 && w[0][0] == 1 && w[1][1] == 1 && w[2][2] == 1 && w[0][1] == 0 &&
               w[0][2] == 0 && w[1][2] == 0;
    }
};

// Plain squared sRGB distance.
inline constexpr RgbMetric kIdentityMetric{{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}}, 1};
inline constexpr RgbMetric kWeightedRgbMetric{{{{59, -11, 2}, {-11, 75, -12}, {2, -12, 58}}}, 49};

// The point of a color: M * (premultiplied r, g, b), alpha as in to_point(Color), where
// M = sqrt(W / 64) (symmetric), so squared point distances are d^T W d / 64.
Point weighted_rgb_point(Color c);
// The nearest 8-bit color to a point (M^-1, then as to_color(Point)).
Color weighted_rgb_color(const Point& p);

}  // namespace quantize::detail
