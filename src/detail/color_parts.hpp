// Lab's and Oklab's coordinates of an opaque color in two steps (srgb_to_lab, srgb_to_oklab):
// three inner values, each non-decreasing in R, G and B, then an affine map of them. What the
// nearest-color table reads to bound a whole block of colors at once (uniform_blocks.hpp).
#pragma once

#include <optional>

#include "quantize/color.hpp"

namespace quantize::detail {

// Point units per unit of the space's own coordinates (to_point).
inline constexpr double kLabScale = 2.55, kOklabScale = 255.0;

// Lab: f(X / Xn), f(Y / Yn), f(Z / Zn) of the color's XYZ (D65), each 0..~1.04; and L*, a*, b*.
Coordinates lab_inner(Color c);
Coordinates lab_of_inner(const Coordinates& f);
// Oklab: the cube roots l, m, s of the color's cone responses, each 0..~1; and L, a, b.
Coordinates oklab_inner(Color c);
Coordinates oklab_of_inner(const Coordinates& lms);

// The two steps of a space that has them, and its point units per unit.
struct InnerForm {
    Coordinates (*inner)(Color);
    Coordinates (*of_inner)(const Coordinates&);
    double scale;
};

inline std::optional<InnerForm> inner_form(ColorSpace space) {
    switch (space) {
        case ColorSpace::lab:
            return InnerForm{lab_inner, lab_of_inner, kLabScale};
        case ColorSpace::oklab:
            return InnerForm{oklab_inner, oklab_of_inner, kOklabScale};
        case ColorSpace::rgb:
        case ColorSpace::wrgb:
            return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace quantize::detail
