#include "detail/weighted_rgb.hpp"

namespace quantize::detail {

namespace {

using Matrix = std::array<std::array<double, 3>, 3>;

// sqrt(W / 64) and its inverse for kWeightedRgbMetric's W, by eigen-decomposition (numpy
// 1.24, float64).
constexpr Matrix kToPoint{{{0.95637882, -0.08403651, 0.01234546},
                           {-0.08403651, 1.07532094, -0.09218322},
                           {0.01234546, -0.09218322, 0.94741746}}};
constexpr Matrix kFromPoint{{{1.05287183, 0.08178818, -0.00576165},
                             {0.08178818, 0.94413042, 0.09079764},
                             {-0.00576165, 0.09079764, 1.06441056}}};

Point times(const Matrix& m, const Point& p) {
    Point out = p;  // alpha (v[3]) unchanged
    for (std::size_t i = 0; i < 3; ++i)
        out.v[i] = float(m[i][0] * p.v[0] + m[i][1] * p.v[1] + m[i][2] * p.v[2]);
    return out;
}

}  // namespace

Point weighted_rgb_point(Color c) {
    return times(kToPoint, to_point(c));
}

Color weighted_rgb_color(const Point& p) {
    return to_color(times(kFromPoint, p));
}

}  // namespace quantize::detail
