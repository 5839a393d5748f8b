// Exact nearest palette point for opaque colors in any working space (lab, oklab, or sRGB with
// translucent palette colors), through a grid of cells over the space's first three
// coordinates, instead of comparing every palette point.
//
// Opaque colors all have the fourth coordinate 255, so a palette point's distance to them is
// its distance over the first three plus a constant of its own (its alpha's gap to 255,
// squared). A point can be the nearest to some color inside a cell only if its smallest
// possible distance to the cell is no more than u, the smallest largest possible distance to
// the cell of any point: those points are the cell's candidates, found the first time a color
// lands in the cell and kept (thread-safe: one thread publishes a cell's list, once).
// A color is compared with its cell's candidates alone, in palette order, with the very
// arithmetic of brute force (quantize::nearest_index), so ties go to the lowest index and the
// answer is brute force's. The bounds are widened by a margin far above float rounding, so a
// rounding difference can only add candidates, never drop the nearest one. Colors outside the
// grid (about 32,768 cells spanning the sRGB gamut, found from 17^3 colors, with a margin) are
// compared with every point.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "quantize/color.hpp"
#include "quantize/pixels.hpp"

namespace quantize::detail {

class GridSearch {
  public:
    // 1..256 palette points in `space` (alpha in the fourth coordinate, 0..255).
    GridSearch(std::span<const Point> points, ColorSpace space);

    // Index of the point nearest to p, an opaque color's point in the space (p.v[3] == 255).
    std::uint8_t nearest(const Point& p) const;

  private:
    static constexpr int kAxes = 3;

    // The cell holding p, or -1 outside the grid.
    long cell_of(const Point& p) const;
    // The candidates of `cell`, ascending, found on first use (valid until this thread's next
    // call).
    std::span<const std::uint8_t> candidates(std::size_t cell) const;
    std::uint8_t nearest_among(const Point& p, std::span<const std::uint8_t> which) const;

    std::vector<Point> points_;
    std::vector<std::uint8_t> all_;           // 0..K-1: every point
    std::array<float, kAxes> lo_{}, side_{};  // the grid's corner and cell sides
    std::array<int, kAxes> cells_{};          // cells along each axis
    std::unique_ptr<std::uint8_t[]> lists_;   // per cell, room for every point
    // Per cell: 0 unknown, 1 being written, else 2 + the list's size.
    std::unique_ptr<std::atomic<std::uint16_t>[]> sizes_;
};

}  // namespace quantize::detail
