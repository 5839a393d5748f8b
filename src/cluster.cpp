#include "quantize/cluster.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "detail/nearest.hpp"
#include "detail/parallel.hpp"
#include "quantize/error.hpp"

namespace quantize {

namespace {

using detail::for_each_chunk;
using detail::map_chunks;

// Points per parallel chunk. Fixed, so sums never depend on the thread count; large enough
// that per-chunk overhead (k partial sums) stays small next to the work.
constexpr std::size_t kChunk = 4096;

// Uniform in [0, 1) from the top 53 bits: std distributions differ between standard
// libraries, this does not.
double uniform01(std::mt19937_64& rng) {
    return double(rng() >> 11) * 0x1.0p-53;
}

// Draws index i with probability mass(i) / total, where chunk_sums[c] is the sum of mass over
// chunk c computed in index order (the draw repeats exactly that arithmetic). Only indices with
// positive mass can be drawn.
template <class Mass>
std::size_t draw_index(std::size_t n, const std::vector<double>& chunk_sums, double total,
                       std::mt19937_64& rng, Mass&& mass) {
    const double target = uniform01(rng) * total;
    double before = 0;
    std::size_t c = 0;
    while (c + 1 < chunk_sums.size() && before + chunk_sums[c] <= target) {
        before += chunk_sums[c];
        ++c;
    }
    // Walk back from the last chunk with mass, in case rounding pushed target past the end.
    while (c > 0 && chunk_sums[c] == 0) {
        --c;
        before -= chunk_sums[c];
    }
    const std::size_t begin = c * kChunk, end = std::min(n, begin + kChunk);
    double acc = 0;
    std::size_t last_positive = begin;
    for (std::size_t i = begin; i < end; ++i) {
        const double m = mass(i);
        if (m > 0) {
            last_positive = i;
            acc += m;
            if (before + acc > target) {
                return i;
            }
        }
    }
    return last_positive;
}

void check_k(int k) {
    if (k < 1 || k > int(detail::NearestSearch::kMaxSize)) {
        throw Error(ErrorKind::invalid_argument, "k",
                    "must be 1.." + std::to_string(detail::NearestSearch::kMaxSize) + ", got " +
                        std::to_string(k));
    }
}

// Per-cluster weighted coordinate sums, accumulated in double.
struct ClusterSums {
    std::vector<double> sum;     // 4 per cluster
    std::vector<double> weight;  // 1 per cluster

    explicit ClusterSums(std::size_t k = 0) : sum(4 * k, 0.0), weight(k, 0.0) {}
    void add(std::size_t j, const Point& p, double w) {
        for (int a = 0; a < 4; ++a) {
            sum[4 * j + a] += w * p.v[a];
        }
        weight[j] += w;
    }
    void merge(const ClusterSums& o) {
        for (std::size_t i = 0; i < sum.size(); ++i)
            sum[i] += o.sum[i];
        for (std::size_t i = 0; i < weight.size(); ++i)
            weight[i] += o.weight[i];
    }
};

float distance(const Point& a, const Point& b) {
    return std::sqrt(squared_distance(a, b));
}

// Hamerly's k-means state: each point's cluster, an upper bound on the distance to it and a
// lower bound on the distance to any other centroid (plain, not squared, distances).
class Hamerly {
  public:
    Hamerly(std::span<const Point> points, std::span<const float> weights,
            std::vector<Point> centroids)
        : points_(points),
          weights_(weights),
          centroids_(std::move(centroids)),
          assignment_(points.size()),
          upper_(points.size()),
          lower_(points.size()) {
        assign_all();
    }

    const std::vector<Point>& centroids() const { return centroids_; }

    // Moves every centroid to the weighted mean of its points and returns the largest move.
    float update_centroids() {
        const std::size_t k = centroids_.size();
        ClusterSums totals(k);
        for (const ClusterSums& part : map_chunks<ClusterSums>(
                 points_.size(), kChunk, [&](std::size_t begin, std::size_t end) {
                     ClusterSums s(k);
                     for (std::size_t i = begin; i < end; ++i) {
                         s.add(assignment_[i], points_[i], weights_[i]);
                     }
                     return s;
                 })) {
            totals.merge(part);
        }
        std::vector<Point> moved = centroids_;
        std::vector<std::size_t> empty;
        for (std::size_t j = 0; j < k; ++j) {
            if (totals.weight[j] > 0) {
                for (int a = 0; a < 4; ++a) {
                    moved[j].v[a] = float(totals.sum[4 * j + a] / totals.weight[j]);
                }
            } else {
                empty.push_back(j);
            }
        }
        reseed_empty(empty, moved);
        shift_.resize(k);
        for (std::size_t j = 0; j < k; ++j) {
            shift_[j] = distance(centroids_[j], moved[j]);
        }
        centroids_ = std::move(moved);
        return *std::max_element(shift_.begin(), shift_.end());
    }

    // Reassigns points to their nearest centroid after update_centroids(), skipping every point
    // whose bounds prove its centroid is still the nearest.
    void reassign() {
        const std::size_t k = centroids_.size();
        std::size_t far = 0;  // cluster that moved most
        for (std::size_t j = 1; j < k; ++j) {
            if (shift_[j] > shift_[far])
                far = j;
        }
        float second_shift = 0;
        for (std::size_t j = 0; j < k; ++j) {
            if (j != far)
                second_shift = std::max(second_shift, shift_[j]);
        }
        const std::vector<float> half_gap = half_distance_to_nearest_other();
        const detail::NearestSearch search(centroids_);
        for_each_chunk(points_.size(), kChunk,
                       [&](std::size_t, std::size_t begin, std::size_t end) {
                           for (std::size_t i = begin; i < end; ++i) {
                               const std::uint32_t a = assignment_[i];
                               upper_[i] += shift_[a];
                               lower_[i] -= (a == far) ? second_shift : shift_[far];
                               const float bound = std::max(half_gap[a], lower_[i]);
                               if (upper_[i] <= bound)
                                   continue;
                               upper_[i] = distance(points_[i], centroids_[a]);
                               if (upper_[i] <= bound)
                                   continue;
                               set_nearest(i, search);
                           }
                       });
    }

    // Sum over points of weight * squared distance to the nearest centroid.
    double inertia() const {
        const detail::NearestSearch search(centroids_);
        double total = 0;
        for (double part :
             map_chunks<double>(points_.size(), kChunk, [&](std::size_t begin, std::size_t end) {
                 double s = 0;
                 for (std::size_t i = begin; i < end; ++i) {
                     s += double(weights_[i]) * search.nearest2(points_[i]).best;
                 }
                 return s;
             })) {
            total += part;
        }
        return total;
    }

  private:
    void set_nearest(std::size_t i, const detail::NearestSearch& search) {
        const detail::Nearest2 r = search.nearest2(points_[i]);
        assignment_[i] = static_cast<std::uint16_t>(r.index);
        upper_[i] = std::sqrt(r.best);
        lower_[i] = std::sqrt(r.second);
    }

    void assign_all() {
        const detail::NearestSearch search(centroids_);
        for_each_chunk(points_.size(), kChunk,
                       [&](std::size_t, std::size_t begin, std::size_t end) {
                           for (std::size_t i = begin; i < end; ++i)
                               set_nearest(i, search);
                       });
    }

    // Half the distance from each centroid to its nearest other centroid: a point closer than
    // that to its centroid cannot be closer to any other.
    std::vector<float> half_distance_to_nearest_other() const {
        const std::size_t k = centroids_.size();
        std::vector<float> half(k, std::numeric_limits<float>::infinity());
        for (std::size_t j = 0; j < k; ++j) {
            for (std::size_t m = j + 1; m < k; ++m) {
                const float d = 0.5f * distance(centroids_[j], centroids_[m]);
                half[j] = std::min(half[j], d);
                half[m] = std::min(half[m], d);
            }
        }
        return half;
    }

    // Moves each empty cluster onto the point farthest from its own (moved) centroid, one
    // point per empty cluster, farthest first; ties go to the lowest index.
    void reseed_empty(const std::vector<std::size_t>& empty, std::vector<Point>& moved) {
        if (empty.empty())
            return;
        std::vector<float> d2(points_.size());
        for_each_chunk(points_.size(), kChunk,
                       [&](std::size_t, std::size_t begin, std::size_t end) {
                           for (std::size_t i = begin; i < end; ++i) {
                               d2[i] = squared_distance(points_[i], moved[assignment_[i]]);
                           }
                       });
        for (std::size_t j : empty) {
            const auto farthest = std::max_element(d2.begin(), d2.end());
            if (*farthest <= 0)
                return;  // every point sits on a centroid: nothing to split
            moved[j] = points_[std::size_t(farthest - d2.begin())];
            *farthest = 0;
        }
    }

    std::span<const Point> points_;
    std::span<const float> weights_;
    std::vector<Point> centroids_;
    std::vector<std::uint16_t> assignment_;
    std::vector<float> upper_, lower_;
    std::vector<float> shift_;  // how far each centroid moved in the last update
};

}  // namespace

std::vector<std::size_t> seed_kmeans_plus_plus(std::span<const Point> points,
                                               std::span<const float> weights, int k,
                                               std::uint64_t seed) {
    check_k(k);
    const std::size_t n = points.size();
    std::vector<std::size_t> seeds;
    if (n == 0)
        return seeds;
    std::mt19937_64 rng(seed);

    auto sum_chunks = [&](auto&& mass) {
        return map_chunks<double>(n, kChunk, [&](std::size_t begin, std::size_t end) {
            double s = 0;
            for (std::size_t i = begin; i < end; ++i)
                s += mass(i);
            return s;
        });
    };
    auto total_of = [](const std::vector<double>& sums) {
        double t = 0;
        for (double s : sums)
            t += s;
        return t;
    };

    auto weight_of = [&](std::size_t i) { return double(weights[i]); };
    std::vector<double> sums = sum_chunks(weight_of);
    double total = total_of(sums);
    if (total <= 0)
        return seeds;
    seeds.push_back(draw_index(n, sums, total, rng, weight_of));

    // Squared distance of each point to its nearest seed so far.
    std::vector<float> d2(n);
    auto mass = [&](std::size_t i) { return double(weights[i]) * double(d2[i]); };
    for_each_chunk(n, kChunk, [&](std::size_t, std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i)
            d2[i] = squared_distance(points[i], points[seeds[0]]);
    });
    while (seeds.size() < std::size_t(k)) {
        sums = sum_chunks(mass);
        total = total_of(sums);
        if (total <= 0)
            break;  // every point coincides with a seed
        const std::size_t next = draw_index(n, sums, total, rng, mass);
        seeds.push_back(next);
        const Point c = points[next];
        for_each_chunk(n, kChunk, [&](std::size_t, std::size_t begin, std::size_t end) {
            for (std::size_t i = begin; i < end; ++i) {
                d2[i] = std::min(d2[i], squared_distance(points[i], c));
            }
        });
    }
    return seeds;
}

Clustering kmeans(std::span<const Point> points, std::span<const float> weights,
                  const ClusterOptions& options) {
    check_k(options.k);
    if (options.max_iterations < 1) {
        throw Error(ErrorKind::invalid_argument, "max_iterations", "must be at least 1");
    }
    if (points.size() != weights.size()) {
        throw Error(ErrorKind::invalid_argument, "weights", "need one weight per point");
    }
    Clustering result;
    std::vector<Point> centroids;
    for (std::size_t s : seed_kmeans_plus_plus(points, weights, options.k, options.seed)) {
        centroids.push_back(points[s]);
    }
    if (centroids.empty())
        return result;

    Hamerly state(points, weights, std::move(centroids));
    while (result.iterations < options.max_iterations) {
        const float largest_move = state.update_centroids();
        ++result.iterations;
        if (largest_move <= options.tolerance) {
            result.converged = true;
            break;
        }
        state.reassign();
    }
    result.centroids = state.centroids();
    result.inertia = state.inertia();
    return result;
}

}  // namespace quantize
