// Whether one palette color is the nearest to every opaque color of a block of 4 x 4 x 4 sRGB
// colors (one cache line of OpaqueTable's slots), shown from the block's two corners alone, so
// the table fills the block's 64 slots at once instead of one search per color: adaptive
// diffusion at K = 16 on the 12 MP photo in Oklab meets 1.8 million distinct colors in 67,000
// blocks, and the test settles 73% of the blocks, which hold 67% of those colors (remap 22%
// faster, one thread).
//
// In Lab and Oklab a color's point is an affine map of three inner values, each non-decreasing
// in R, G and B (color_parts.hpp), so the block's inner values lie in the box between its
// corners' (widened by far more than their rounding). Point j is the nearest to every color of
// the block when, for every other point k, d_k - d_j > 0 over that box: linear in the inner
// values (d_k - d_j = |p_k|^2 - |p_j|^2 - 2 x . (p_k - p_j)), so its least value is at a corner
// of the box, one sum. The bound must beat a slack far above what float rounding of the points
// and of quantize::nearest_index's squared distances can change, so j is also the answer of
// that float arithmetic, and of the exact search, for every color of the block.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "detail/color_parts.hpp"
#include "quantize/pixels.hpp"

namespace quantize::detail {

class UniformBlocks {
  public:
    // 1..256 palette points in `space` (alpha in the fourth coordinate, 0..255).
    UniformBlocks(ColorSpace space, std::span<const Point> points);

    // Whether sole_nearest can show anything: a space with an inner form, a small palette.
    bool enabled() const { return form_.has_value(); }

    // The index of the palette point nearest to every opaque color (corner.r + 0..3,
    // corner.g + 0..3, corner.b + 0..3), corner's channels multiples of 4; std::nullopt when
    // the test does not show one (the block straddles a boundary or comes too close to one) or
    // is not enabled.
    std::optional<std::uint8_t> sole_nearest(Color corner) const;

  private:
    struct Target {
        std::array<double, 3> p;  // the point's first three coordinates
        double norm;              // |p|^2 plus its alpha's gap to 255, squared
        // d of the point at inner values u, less |x|^2: c + w . u (x = map_ u + offset_).
        double c;
        std::array<double, 3> w;
    };
    std::optional<InnerForm> form_;
    // A point's first three coordinates, before rounding to float, as map_ x inner + offset_.
    std::array<std::array<double, 3>, 3> map_{};
    std::array<double, 3> offset_{};
    std::vector<Target> targets_;
};

}  // namespace quantize::detail
