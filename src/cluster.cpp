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

constexpr float kInfinity = std::numeric_limits<float>::infinity();

// Uniform in [0, 1) from the top 53 bits: std distributions differ between standard
// libraries, this does not.
double uniform01(std::mt19937_64& rng) {
    return double(rng() >> 11) * 0x1.0p-53;
}

double sum_in_order(const std::vector<double>& parts) {
    double total = 0;
    for (double p : parts)
        total += p;
    return total;
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
    // Walk back to the last chunk with mass, in case rounding pushed target past the end.
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
            if (before + acc > target)
                return i;
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

// k-means++ seeds plus, for every point, its nearest centroid among fixed + seeds and the
// squared distance to it: the first Lloyd assignment, for free.
struct Seeding {
    std::vector<std::size_t> seeds;      // point indices
    std::vector<std::uint16_t> nearest;  // centroid index: fixed first, then seeds
    std::vector<float> d2;
};

Seeding seed(std::span<const Point> points, std::span<const float> weights, int k,
             std::uint64_t seed_value, std::span<const Point> fixed) {
    check_k(k);
    if (fixed.size() > std::size_t(k)) {
        throw Error(
            ErrorKind::invalid_argument, "fixed",
            std::to_string(fixed.size()) + " fixed colors do not fit in k = " + std::to_string(k));
    }
    const std::size_t n = points.size();
    Seeding s;
    s.nearest.assign(n, 0);
    s.d2.assign(n, kInfinity);
    if (n == 0)
        return s;
    std::mt19937_64 rng(seed_value);
    auto mass = [&](std::size_t i) { return double(weights[i]) * double(s.d2[i]); };

    // Brings d2/nearest up to date with centroid `index` at `c`; returns per-chunk mass sums.
    auto add_centroid = [&](const Point& c, std::uint16_t index) {
        return map_chunks<double>(n, kChunk, [&](std::size_t begin, std::size_t end) {
            double sum = 0;
            for (std::size_t i = begin; i < end; ++i) {
                const float d = squared_distance(points[i], c);
                if (d < s.d2[i]) {
                    s.d2[i] = d;
                    s.nearest[i] = index;
                }
                sum += mass(i);
            }
            return sum;
        });
    };

    std::vector<double> sums;
    for (std::size_t f = 0; f < fixed.size(); ++f)
        sums = add_centroid(fixed[f], std::uint16_t(f));
    if (fixed.empty()) {
        auto weight = [&](std::size_t i) { return double(weights[i]); };
        sums = map_chunks<double>(n, kChunk, [&](std::size_t begin, std::size_t end) {
            double sum = 0;
            for (std::size_t i = begin; i < end; ++i)
                sum += weight(i);
            return sum;
        });
        const double total = sum_in_order(sums);
        if (total <= 0)
            return s;
        s.seeds.push_back(draw_index(n, sums, total, rng, weight));
        sums = add_centroid(points[s.seeds.back()], 0);
    }
    while (fixed.size() + s.seeds.size() < std::size_t(k)) {
        const double total = sum_in_order(sums);
        if (total <= 0)
            break;  // every point with weight sits on a centroid
        s.seeds.push_back(draw_index(n, sums, total, rng, mass));
        sums =
            add_centroid(points[s.seeds.back()], std::uint16_t(fixed.size() + s.seeds.size() - 1));
    }
    return s;
}

// Per-cluster weighted coordinate sums, accumulated in double.
struct ClusterSums {
    std::vector<double> sum;     // 4 per cluster
    std::vector<double> weight;  // 1 per cluster

    explicit ClusterSums(std::size_t k = 0) : sum(4 * k, 0.0), weight(k, 0.0) {}
    void add(std::size_t j, const Point& p, double w) {
        for (int a = 0; a < 4; ++a)
            sum[4 * j + std::size_t(a)] += w * p.v[a];
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

// For each centroid, the other centroids with their distances: the nearest kSorted ones first
// and in order, then the rest in any order. Searches rarely get past the sorted part, and a
// partial sort costs a fraction of a full one (it is redone every iteration).
class NeighborTable {
  public:
    static constexpr std::size_t kSorted = 24;

    struct Neighbor {
        float distance;
        std::uint32_t index;
    };

    explicit NeighborTable(const std::vector<Point>& centroids)
        : k_(centroids.size()), rows_(k_ * (k_ - 1)), half_gap_(k_, kInfinity) {
        auto closer = [](const Neighbor& x, const Neighbor& y) {
            return x.distance != y.distance ? x.distance < y.distance : x.index < y.index;
        };
        for_each_chunk(k_, 16, [&](std::size_t, std::size_t begin, std::size_t end) {
            for (std::size_t a = begin; a < end; ++a) {
                Neighbor* row = rows_.data() + a * (k_ - 1);
                std::size_t m = 0;
                for (std::size_t j = 0; j < k_; ++j) {
                    if (j != a)
                        row[m++] = {distance(centroids[a], centroids[j]), std::uint32_t(j)};
                }
                const std::size_t sorted = std::min(kSorted, m);
                std::nth_element(row, row + sorted - (sorted > 0), row + m, closer);
                std::sort(row, row + sorted, closer);
                if (m > 0)
                    half_gap_[a] = 0.5f * row[0].distance;
            }
        });
    }

    std::span<const Neighbor> sorted_of(std::size_t a) const {
        return {rows_.data() + a * (k_ - 1), std::min(kSorted, k_ - 1)};
    }
    std::span<const Neighbor> rest_of(std::size_t a) const {
        const std::size_t sorted = std::min(kSorted, k_ - 1);
        return {rows_.data() + a * (k_ - 1) + sorted, k_ - 1 - sorted};
    }
    // Half the distance to the nearest other centroid: a point closer than that to its
    // centroid cannot be closer to any other.
    float half_gap(std::size_t a) const { return half_gap_[a]; }

  private:
    std::size_t k_;
    std::vector<Neighbor> rows_;
    std::vector<float> half_gap_;
};

// Hamerly's k-means state: each point's cluster, an upper bound on the distance to it and a
// lower bound on the distance to any other centroid (plain, not squared, distances).
class Hamerly {
  public:
    Hamerly(std::span<const Point> points, std::span<const float> weights,
            std::vector<Point> centroids, std::size_t fixed, const Seeding& seeding)
        : points_(points),
          weights_(weights),
          centroids_(std::move(centroids)),
          fixed_(fixed),
          assignment_(seeding.nearest),
          upper_(points.size()),
          lower_(points.size(), 0.0f) {
        for (std::size_t i = 0; i < points.size(); ++i)
            upper_[i] = std::sqrt(seeding.d2[i]);
    }

    const std::vector<Point>& centroids() const { return centroids_; }

    // Moves every free centroid to the weighted mean of its points; returns the largest move.
    float update_centroids() {
        const ClusterSums totals = cluster_sums();
        const std::size_t k = centroids_.size();
        std::vector<Point> moved = centroids_;
        std::vector<std::size_t> empty;
        for (std::size_t j = fixed_; j < k; ++j) {
            if (totals.weight[j] > 0) {
                for (int a = 0; a < 4; ++a) {
                    moved[j].v[a] = float(totals.sum[4 * j + std::size_t(a)] / totals.weight[j]);
                }
            } else {
                empty.push_back(j);
            }
        }
        reseed_empty(empty, moved);
        shift_.resize(k);
        for (std::size_t j = 0; j < k; ++j)
            shift_[j] = distance(centroids_[j], moved[j]);
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
        const NeighborTable neighbors(centroids_);
        for_each_chunk(points_.size(), kChunk,
                       [&](std::size_t, std::size_t begin, std::size_t end) {
                           for (std::size_t i = begin; i < end; ++i) {
                               const std::uint32_t a = assignment_[i];
                               upper_[i] += shift_[a];
                               lower_[i] -= (a == far) ? second_shift : shift_[far];
                               const float bound = std::max(neighbors.half_gap(a), lower_[i]);
                               if (upper_[i] <= bound)
                                   continue;
                               upper_[i] = distance(points_[i], centroids_[a]);
                               if (upper_[i] <= bound)
                                   continue;
                               search_from(i, neighbors);
                           }
                       });
    }

    ClusterSums cluster_sums() const {
        ClusterSums totals(centroids_.size());
        for (const ClusterSums& part : map_chunks<ClusterSums>(
                 points_.size(), kChunk, [&](std::size_t begin, std::size_t end) {
                     ClusterSums s(centroids_.size());
                     for (std::size_t i = begin; i < end; ++i)
                         s.add(assignment_[i], points_[i], weights_[i]);
                     return s;
                 })) {
            totals.merge(part);
        }
        return totals;
    }

    // Sum over points of weight * squared distance to the assigned centroid (the nearest one,
    // right after reassign()).
    double inertia() const {
        return sum_in_order(
            map_chunks<double>(points_.size(), kChunk, [&](std::size_t begin, std::size_t end) {
                double s = 0;
                for (std::size_t i = begin; i < end; ++i) {
                    s += double(weights_[i]) *
                         squared_distance(points_[i], centroids_[assignment_[i]]);
                }
                return s;
            }));
    }

  private:
    // Exact nearest and runner-up for point i, starting from its centroid a (upper_[i] holds
    // the exact distance to it). A centroid at distance dc from a is at least dc - u from the
    // point, so it is skipped once dc - u reaches the runner-up distance; in the sorted part of
    // a's neighbors that ends the search.
    void search_from(std::size_t i, const NeighborTable& neighbors) {
        const Point& p = points_[i];
        const std::uint32_t a = assignment_[i];
        const float u = upper_[i];
        std::uint32_t best = a;
        float best_d2 = u * u;
        float second_d2 = kInfinity, second = kInfinity;
        auto visit = [&](const NeighborTable::Neighbor& nb) {
            const float d2 = squared_distance(p, centroids_[nb.index]);
            if (d2 < best_d2 || (d2 == best_d2 && nb.index < best)) {
                second_d2 = best_d2;
                best_d2 = d2;
                best = nb.index;
                second = std::sqrt(second_d2);
            } else if (d2 < second_d2) {
                second_d2 = d2;
                second = std::sqrt(second_d2);
            }
        };
        bool done = false;
        for (const NeighborTable::Neighbor& nb : neighbors.sorted_of(a)) {
            if (nb.distance - u >= second) {
                done = true;
                break;
            }
            visit(nb);
        }
        if (!done) {
            for (const NeighborTable::Neighbor& nb : neighbors.rest_of(a)) {
                if (nb.distance - u < second)
                    visit(nb);
            }
        }
        assignment_[i] = static_cast<std::uint16_t>(best);
        upper_[i] = std::sqrt(best_d2);
        lower_[i] = second;
    }

    // Moves each empty cluster onto the point farthest from its own (moved) centroid, one
    // point per empty cluster, farthest first; ties go to the lowest index.
    void reseed_empty(const std::vector<std::size_t>& empty, std::vector<Point>& moved) {
        if (empty.empty())
            return;
        std::vector<float> d2(points_.size());
        for_each_chunk(points_.size(), kChunk,
                       [&](std::size_t, std::size_t begin, std::size_t end) {
                           for (std::size_t i = begin; i < end; ++i)
                               d2[i] = squared_distance(points_[i], moved[assignment_[i]]);
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
    std::size_t fixed_;  // the first fixed_ centroids never move
    std::vector<std::uint16_t> assignment_;
    std::vector<float> upper_, lower_;
    std::vector<float> shift_;  // how far each centroid moved in the last update
};

}  // namespace

std::vector<std::size_t> seed_kmeans_plus_plus(std::span<const Point> points,
                                               std::span<const float> weights, int k,
                                               std::uint64_t seed_value,
                                               std::span<const Point> fixed) {
    return seed(points, weights, k, seed_value, fixed).seeds;
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
    const Seeding seeding = seed(points, weights, options.k, options.seed, options.fixed);
    std::vector<Point> centroids(options.fixed.begin(), options.fixed.end());
    for (std::size_t s : seeding.seeds)
        centroids.push_back(points[s]);
    Clustering result;
    if (centroids.empty() || points.empty()) {
        result.centroids = std::move(centroids);
        result.sizes.assign(result.centroids.size(), 0.0);
        return result;
    }

    Hamerly state(points, weights, std::move(centroids), options.fixed.size(), seeding);
    while (result.iterations < options.max_iterations) {
        const float largest_move = state.update_centroids();
        ++result.iterations;
        state.reassign();
        if (largest_move <= options.tolerance) {
            result.converged = true;
            break;
        }
    }
    result.centroids = state.centroids();
    result.sizes = state.cluster_sums().weight;
    result.inertia = state.inertia();
    return result;
}

}  // namespace quantize
