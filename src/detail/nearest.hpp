// Nearest-centroid search over at most a few hundred points in 4-D, laid out
// structure-of-arrays so the distance loop vectorizes. Shared by cluster and remap; tested
// against quantize::nearest_index (brute force over Point).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "quantize/pixels.hpp"

namespace quantize::detail {

struct Nearest2 {
    std::uint32_t index;  // nearest centroid; ties go to the lowest index
    float best;           // its squared distance
    float second;         // squared distance to the runner-up (infinity when k = 1)
};

class NearestSearch {
  public:
    // Most centroids a search holds: the largest palette.
    static constexpr std::size_t kMaxSize = 256;

    explicit NearestSearch(std::span<const Point> centroids) { assign(centroids); }

    // centroids.size() must be 1..kMaxSize.
    void assign(std::span<const Point> centroids) {
        size_ = centroids.size();
        const std::size_t padded = (size_ + kLanes - 1) / kLanes * kLanes;
        for (auto& axis : axes_) {
            // Padding lanes sit far away so they never win.
            axis.assign(padded, kFar);
        }
        for (std::size_t j = 0; j < size_; ++j) {
            for (int a = 0; a < 4; ++a) {
                axes_[a][j] = centroids[j].v[a];
            }
        }
        padded_ = padded;
    }

    std::size_t size() const { return size_; }

    std::uint32_t nearest(const Point& p) const { return nearest2(p).index; }

    Nearest2 nearest2(const Point& p) const {
        alignas(64) float distances[kMaxSize];
        compute_distances(p, distances);
        Nearest2 r{0, std::numeric_limits<float>::infinity(),
                   std::numeric_limits<float>::infinity()};
        for (std::size_t j = 0; j < size_; ++j) {
            const float d = distances[j];
            if (d < r.best) {
                r.second = r.best;
                r.best = d;
                r.index = static_cast<std::uint32_t>(j);
            } else if (d < r.second) {
                r.second = d;
            }
        }
        return r;
    }

  private:
    static constexpr std::size_t kLanes = 16;
    static constexpr float kFar = 1e15f;

    void compute_distances(const Point& p, float* __restrict out) const {
        const float p0 = p.v[0], p1 = p.v[1], p2 = p.v[2], p3 = p.v[3];
        const float* __restrict x0 = axes_[0].data();
        const float* __restrict x1 = axes_[1].data();
        const float* __restrict x2 = axes_[2].data();
        const float* __restrict x3 = axes_[3].data();
        for (std::size_t j = 0; j < padded_; ++j) {
            const float d0 = x0[j] - p0, d1 = x1[j] - p1, d2 = x2[j] - p2, d3 = x3[j] - p3;
            out[j] = d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3;
        }
    }

    std::size_t size_ = 0;
    std::size_t padded_ = 0;  // size_ rounded up to whole vector lanes
    std::vector<float> axes_[4];
};

}  // namespace quantize::detail
