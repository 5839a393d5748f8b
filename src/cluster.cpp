#include "quantize/cluster.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>

#include <emmintrin.h>
#include <tbb/parallel_for.h>

#include "detail/nearest.hpp"
#include "detail/parallel.hpp"
#include "detail/strided.hpp"
#include "quantize/error.hpp"

namespace quantize {

namespace {

using detail::for_each_chunk;
using detail::map_chunks;

// Points per parallel chunk. Fixed, so sums never depend on the thread count; large enough
// that per-chunk overhead (k partial sums) stays small next to the work, small enough that a
// sample of a few ten thousand colors splits evenly over two threads (the 1 MP crop's 36,000:
// 18 chunks, where 4,096 made 9, five on one thread and four on the other).
constexpr std::size_t kChunk = 2048;

constexpr float kInfinity = std::numeric_limits<float>::infinity();

// The neighbor table is rebuilt once some centroid has drifted this far since the last build
// (point units, 0..255 scale): stale distances only loosen the search's pruning, and late
// iterations move centroids by hundredths, so most iterations reuse the table. 4 by
// measurement on the 24 Kodak images at K = 256: 13% less clustering time than 1, none
// gained at 8; the assignments, and so the output, are the same whatever the value.
constexpr float kRebuildDrift = 4.0f;

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

void check_k(int k) {
    if (k < 1 || k > int(detail::NearestSearch::kMaxSize)) {
        throw Error(ErrorKind::invalid_argument, "k",
                    "must be 1.." + std::to_string(detail::NearestSearch::kMaxSize) + ", got " +
                        std::to_string(k));
    }
}

// Greedy k-means++ (as in Arthur & Vassilvitskii's paper and scikit-learn): each new seed is
// the best of this many D^2-weighted draws, the one that lowers the potential most.
// scikit-learn draws 2 + ln K (4 at K = 16, 7 at K = 256); 8 measured better at every K on the
// 24 Kodak images, mean MSE over the reference's (`bench/run quality`), seeds 1-10 at K = 16:
// 1.0071 -> 1.0048 (worst seed 1.0118 -> 1.0061), and in 10% less time, the better seeds
// needing fewer Lloyd iterations; K = 64: 1.0072 -> 1.0059, K = 256: 1.0054 -> 1.0044
// (seeds 1-5 and 1-3), their times within the noise of the iteration count.
constexpr std::size_t kGreedyTrials = 8;

// Squared distance from p to the nearest point of the box [lo, hi].
float squared_distance_to_box(const Point& p, const Point& lo, const Point& hi) {
    float sum = 0;
    for (int a = 0; a < 4; ++a) {
        const float gap = std::max({lo.v[a] - p.v[a], 0.0f, p.v[a] - hi.v[a]});
        sum += gap * gap;
    }
    return sum;
}

// k-means++ seeds plus, for every point, its nearest centroid among fixed + seeds and the
// squared distance to it: the first Lloyd assignment, for free.
struct Seeding {
    std::vector<std::size_t> seeds;      // point indices
    std::vector<std::uint16_t> nearest;  // centroid index: fixed first, then seeds
    std::vector<float> d2;
};

// The state of a k-means++ seeding: each point's nearest centroid so far and the squared
// distance to it, kept per block of kBlock consecutive points with the block's bounding box,
// its farthest point's d2 and its mass (sum of weight * d2). A new centroid no nearer to a
// block's box than that farthest d2 changes nothing in the block, which is then skipped whole:
// with points in Morton order (as sample_colors gives them) blocks are compact boxes and late
// seeds touch few of them. All sums run in a fixed order, whatever the thread count.
class Seeder {
  public:
    static constexpr std::size_t kBlock = 256;

    Seeder(std::span<const Point> points, std::span<const float> weights)
        : points_(points),
          weights_(weights),
          nearest_(points.size(), 0),
          d2_(points.size(), kInfinity),
          blocks_(detail::chunk_count(points.size(), kBlock)) {
        for (auto& coordinate : coordinates_)
            coordinate.resize(points.size());
        for_blocks([&](std::size_t b, std::size_t begin, std::size_t end) {
            Block& block = blocks_[b];
            block.lo = block.hi = points_[begin];
            for (std::size_t i = begin; i < end; ++i) {
                for (int a = 0; a < 4; ++a) {
                    block.lo.v[a] = std::min(block.lo.v[a], points_[i].v[a]);
                    block.hi.v[a] = std::max(block.hi.v[a], points_[i].v[a]);
                    coordinates_[std::size_t(a)][i] = points_[i].v[a];
                }
            }
            update_block(b, begin, end);
        });
    }

    // Sum of mass over all points: weight before the first centroid, weight * d2 after.
    double total() const {
        double sum = 0;
        for (const Block& block : blocks_)
            sum += block.mass;
        return sum;
    }

    // Draws a point with probability mass / total (total() > 0). Only points with positive
    // mass can be drawn.
    std::size_t draw(std::mt19937_64& rng, double total) const {
        const double target = uniform01(rng) * total;
        double before = 0;
        std::size_t b = 0;
        while (b + 1 < blocks_.size() && before + blocks_[b].mass <= target) {
            before += blocks_[b].mass;
            ++b;
        }
        // Walk back to the last block with mass, in case rounding pushed target past the end.
        while (b > 0 && blocks_[b].mass == 0) {
            --b;
            before -= blocks_[b].mass;
        }
        const std::size_t begin = b * kBlock, end = std::min(points_.size(), begin + kBlock);
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

    // Of the candidate points (at most kGreedyTrials), the one whose addition as a centroid would
    // lower the total mass most; ties go to the first.
    std::size_t best_of(const std::vector<std::size_t>& candidates) {
        const std::size_t t = std::min(candidates.size(), kGreedyTrials);
        gains_.resize(blocks_.size());
        for_blocks([&](std::size_t b, std::size_t begin, std::size_t end) {
            gains_[b].fill(0.0);  // and so for candidates out of the block's reach
            alignas(64) float d[kGreedyTrials][kBlock];
            std::size_t reached[kGreedyTrials];
            std::size_t n = 0;
            for (std::size_t c = 0; c < t; ++c) {
                if (reaches(b, points_[candidates[c]])) {
                    distances(points_[candidates[c]], begin, end, d[n]);
                    reached[n++] = c;
                }
            }
            double gain[kGreedyTrials];
            block_gains(begin, end, d, n, gain);
            for (std::size_t j = 0; j < n; ++j)
                gains_[b][reached[j]] = gain[j];
        });
        std::array<double, kGreedyTrials> total{};
        for (const auto& gain : gains_) {
            for (std::size_t c = 0; c < t; ++c)
                total[c] += gain[c];
        }
        return std::size_t(std::max_element(total.begin(), total.begin() + t) - total.begin());
    }

    // Adds centroid `index` at c: every point nearer to it than to its current one moves over.
    void add(const Point& c, std::uint16_t index) {
        seeded_ = true;  // masses are weight * d2 from now on; the first add updates every block
        for_blocks([&](std::size_t b, std::size_t begin, std::size_t end) {
            if (!reaches(b, c))
                return;
            float d[kBlock];
            distances(c, begin, end, d);
            move_closer(begin, end, d, index);
            update_block(b, begin, end);
        });
    }

    Seeding finish(std::vector<std::size_t> seeds) {
        return {std::move(seeds), std::move(nearest_), std::move(d2_)};
    }

    // What point i weighs in the next draw: weight before the first centroid, weight * d2 after.
    double mass(std::size_t i) const {
        return seeded_ ? double(weights_[i]) * double(d2_[i]) : double(weights_[i]);
    }

  private:
    struct Block {
        Point lo, hi;                // bounding box of the block's points
        float farthest = kInfinity;  // largest d2 in the block
        double mass = 0;
    };

    // d[i - begin] = squared_distance(points_[i], c) for i in [begin, end), from the
    // coordinates side by side so the loop runs four or more points a step; same sums, in
    // the same order, as squared_distance.
    void distances(const Point& c, std::size_t begin, std::size_t end, float* d) const {
        const float* x = coordinates_[0].data() + begin;
        const float* y = coordinates_[1].data() + begin;
        const float* z = coordinates_[2].data() + begin;
        const float* w = coordinates_[3].data() + begin;
        for (std::size_t j = 0; j < end - begin; ++j) {
            const float d0 = x[j] - c.v[0], d1 = y[j] - c.v[1], d2 = z[j] - c.v[2],
                        d3 = w[j] - c.v[3];
            d[j] = d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3;
        }
    }

    // gain[c] = the sum over points i in [begin, end) of weight * (d2 - d[c][i - begin]) where
    // that is > 0, for c < n, each sum in point order. The terms first, candidate by candidate
    // (a loop without branches that vectorizes), then up to four candidates' sums side by
    // side: independent chains of additions, where one sum after another waited on each
    // addition in turn. The same additions in the same order, so the same results.
    void block_gains(std::size_t begin, std::size_t end, const float (*d)[kBlock], std::size_t n,
                     double* gain) const {
        alignas(64) double terms[kGreedyTrials][kBlock];
        const std::size_t m = end - begin;
        const float* current = d2_.data() + begin;
        const float* weight = weights_.data() + begin;
        for (std::size_t c = 0; c < n; ++c)
            gain_terms(current, weight, d[c], m, terms[c]);
        for (std::size_t c = 0; c < n;) {
            switch (n - c) {
                case 1:
                    sums_side_by_side<1>(terms + c, m, gain + c);
                    c += 1;
                    break;
                case 2:
                    sums_side_by_side<2>(terms + c, m, gain + c);
                    c += 2;
                    break;
                case 3:
                    sums_side_by_side<3>(terms + c, m, gain + c);
                    c += 3;
                    break;
                default:
                    sums_side_by_side<4>(terms + c, m, gain + c);
                    c += 4;
                    break;
            }
        }
    }

    // terms[j] = weight[j] * max(current[j] - d[j], 0) for j < m, in double: the gain of each
    // point that a centroid at distances d would bring (> 0 exactly when d < d2; where not,
    // the term is w * 0 and adds nothing). In SSE2, four points a step: the compiler kept a
    // branch per point.
    static void gain_terms(const float* current, const float* weight, const float* d, std::size_t m,
                           double* terms) {
        const __m128 zero = _mm_setzero_ps();
        std::size_t j = 0;
        for (; j + 4 <= m; j += 4) {
            const __m128 closer =
                _mm_max_ps(_mm_sub_ps(_mm_loadu_ps(current + j), _mm_loadu_ps(d + j)), zero);
            const __m128 w = _mm_loadu_ps(weight + j);
            _mm_storeu_pd(terms + j, _mm_mul_pd(_mm_cvtps_pd(w), _mm_cvtps_pd(closer)));
            _mm_storeu_pd(terms + j + 2, _mm_mul_pd(_mm_cvtps_pd(_mm_movehl_ps(w, w)),
                                                    _mm_cvtps_pd(_mm_movehl_ps(closer, closer))));
        }
        for (; j < m; ++j) {
            const __m128 closer =
                _mm_max_ss(_mm_sub_ss(_mm_set_ss(current[j]), _mm_set_ss(d[j])), zero);
            terms[j] = double(weight[j]) * double(_mm_cvtss_f32(closer));
        }
    }

    // out[c] = terms[c][0] + terms[c][1] + ... + terms[c][m - 1], in that order, for c < N.
    template <std::size_t N>
    static void sums_side_by_side(const double (*terms)[kBlock], std::size_t m, double* out) {
        double sum[N] = {};
        for (std::size_t j = 0; j < m; ++j) {
            for (std::size_t c = 0; c < N; ++c)
                sum[c] += terms[c][j];
        }
        std::copy(sum, sum + N, out);
    }

    // Whether a centroid at c could be nearer than the current one to some point of block b.
    bool reaches(std::size_t b, const Point& c) const {
        return squared_distance_to_box(c, blocks_[b].lo, blocks_[b].hi) < blocks_[b].farthest;
    }

    // Points i in [begin, end) nearer to centroid `index` (at distances d[i - begin]) than to
    // their own move to it. In SSE2, eight points a step: the compiler kept a branch per point,
    // which went either way at random.
    void move_closer(std::size_t begin, std::size_t end, const float* d, std::uint16_t index) {
        const __m128i to = _mm_set1_epi16(std::int16_t(index));
        std::size_t i = begin;
        for (; i + 8 <= end; i += 8) {
            const __m128 d_low = _mm_loadu_ps(d + (i - begin)),
                         d_high = _mm_loadu_ps(d + (i + 4 - begin));
            const __m128 now_low = _mm_loadu_ps(&d2_[i]), now_high = _mm_loadu_ps(&d2_[i + 4]);
            // min(d, d2) is d exactly where d < d2, as the mask says.
            _mm_storeu_ps(&d2_[i], _mm_min_ps(d_low, now_low));
            _mm_storeu_ps(&d2_[i + 4], _mm_min_ps(d_high, now_high));
            const __m128i closer =
                _mm_packs_epi32(_mm_castps_si128(_mm_cmplt_ps(d_low, now_low)),
                                _mm_castps_si128(_mm_cmplt_ps(d_high, now_high)));
            auto* nearest = reinterpret_cast<__m128i*>(&nearest_[i]);
            _mm_storeu_si128(nearest,
                             _mm_or_si128(_mm_and_si128(closer, to),
                                          _mm_andnot_si128(closer, _mm_loadu_si128(nearest))));
        }
        for (; i < end; ++i) {
            const bool closer = d[i - begin] < d2_[i];
            nearest_[i] = closer ? index : nearest_[i];
            d2_[i] = closer ? d[i - begin] : d2_[i];
        }
    }

    void update_block(std::size_t b, std::size_t begin, std::size_t end) {
        // The largest d2 four lanes at a time (a maximum is the same in any order), the mass in
        // point order, its one chain of additions free of the rest.
        __m128 far4 = _mm_setzero_ps();
        std::size_t i = begin;
        for (; i + 4 <= end; i += 4)
            far4 = _mm_max_ps(far4, _mm_loadu_ps(&d2_[i]));
        alignas(16) float lanes[4];
        _mm_store_ps(lanes, far4);
        float farthest = std::max({lanes[0], lanes[1], lanes[2], lanes[3]});
        for (; i < end; ++i)
            farthest = std::max(farthest, d2_[i]);
        double sum = 0;
        if (seeded_) {
            for (i = begin; i < end; ++i)
                sum += double(weights_[i]) * double(d2_[i]);
        } else {
            for (i = begin; i < end; ++i)
                sum += double(weights_[i]);
        }
        blocks_[b].farthest = farthest;
        blocks_[b].mass = sum;
    }

    // body(b, begin, end) for every block, in parallel, a block a task: the blocks a late seed
    // reaches lie side by side in Morton order, and grouped four to a task they fell to one
    // thread (1 MP crop at K = 256, 2 threads: seeding 17-29 ms with four, 18 ms with one).
    template <class Body>
    void for_blocks(Body&& body) {
        for_each_chunk(blocks_.size(), 1, [&](std::size_t b, std::size_t begin, std::size_t) {
            body(b, begin * kBlock, std::min(points_.size(), (begin + 1) * kBlock));
        });
    }

    std::span<const Point> points_;
    std::span<const float> weights_;
    std::array<std::vector<float>, 4> coordinates_;  // the points' coordinates, one array each
    std::vector<std::uint16_t> nearest_;
    std::vector<float> d2_;
    std::vector<Block> blocks_;
    std::vector<std::array<double, kGreedyTrials>> gains_;  // per block, per trial
    bool seeded_ = false;                                   // some centroid placed yet
};

// Tells the observer (when there is one) of the seed just picked, before it is added.
void tell_pick(KMeansObserver* observer, KMeansRun run, const Seeder& seeder,
               std::span<const Point> points, std::size_t seeds, std::size_t picked, double total,
               std::span<const std::size_t> drawn) {
    if (!observer)
        return;
    std::array<Point, kGreedyTrials> candidates{};
    for (std::size_t c = 0; c < drawn.size(); ++c)
        candidates[c] = points[drawn[c]];
    observer->seed_picked(SeedPick{run,
                                   int(seeds),
                                   points[picked],
                                   seeder.mass(picked) / total,
                                   int(drawn.size()),
                                   {candidates.data(), drawn.size()}});
}

void stop_if_cancelled(KMeansObserver& observer) {
    if (observer.cancelled())
        throw Error(ErrorKind::cancelled, "k-means", "cancelled");
}

// Greedy k-means++ from seed_value; `observer` told of each pick (null: none), `cancel` asked
// before each pick after the first (null: never), so a cancel stops seeding within one pick:
// one pass over the points.
Seeding seed(std::span<const Point> points, std::span<const float> weights, int k,
             std::uint64_t seed_value, std::span<const Point> fixed,
             KMeansObserver* observer = nullptr, KMeansRun run = {},
             KMeansObserver* cancel = nullptr) {
    check_k(k);
    if (fixed.size() > std::size_t(k)) {
        throw Error(
            ErrorKind::invalid_argument, "fixed",
            std::to_string(fixed.size()) + " fixed colors do not fit in k = " + std::to_string(k));
    }
    Seeder seeder(points, weights);
    std::vector<std::size_t> seeds;
    if (points.empty())
        return seeder.finish(std::move(seeds));
    std::mt19937_64 rng(seed_value);
    for (std::size_t f = 0; f < fixed.size(); ++f)
        seeder.add(fixed[f], std::uint16_t(f));
    if (fixed.empty()) {
        const double total = seeder.total();
        if (total <= 0)
            return seeder.finish(std::move(seeds));
        seeds.push_back(seeder.draw(rng, total));  // by weight alone
        tell_pick(observer, run, seeder, points, 0, seeds.back(), total, {&seeds.back(), 1});
        seeder.add(points[seeds.back()], 0);
    }
    std::vector<std::size_t> drawn(kGreedyTrials);
    while (fixed.size() + seeds.size() < std::size_t(k)) {
        if (cancel)
            stop_if_cancelled(*cancel);
        const double total = seeder.total();
        if (total <= 0)
            break;  // every point with weight sits on a centroid
        for (std::size_t& d : drawn)
            d = seeder.draw(rng, total);
        seeds.push_back(drawn[seeder.best_of(drawn)]);
        tell_pick(observer, run, seeder, points, seeds.size() - 1, seeds.back(), total, drawn);
        seeder.add(points[seeds.back()], std::uint16_t(fixed.size() + seeds.size() - 1));
    }
    return seeder.finish(std::move(seeds));
}

// Per-cluster weighted coordinate sums, accumulated in double, and counts of members with
// weight: a cluster is empty when it has none, whatever rounding has left in its sums. Kept up
// to date as points move, the sums equal sums taken afresh up to double rounding, and exactly
// for integer coordinates and counts (sampled opaque colors), whose sums are exact.
struct ClusterSums {
    std::vector<double> sum;            // 4 per cluster
    std::vector<double> weight;         // 1 per cluster
    std::vector<std::int64_t> members;  // 1 per cluster, counting members of weight > 0

    explicit ClusterSums(std::size_t k = 0) : sum(4 * k, 0.0), weight(k, 0.0), members(k, 0) {}
    bool empty() const { return members.empty(); }
    void add(std::size_t j, const Point& p, double w) {
        for (int a = 0; a < 4; ++a)
            sum[4 * j + std::size_t(a)] += w * p.v[a];
        weight[j] += w;
        members[j] += w > 0;
    }
    void remove(std::size_t j, const Point& p, double w) {
        for (int a = 0; a < 4; ++a)
            sum[4 * j + std::size_t(a)] -= w * p.v[a];
        weight[j] -= w;
        members[j] -= w > 0;
    }
    void merge(const ClusterSums& o) {
        for (std::size_t i = 0; i < sum.size(); ++i)
            sum[i] += o.sum[i];
        for (std::size_t i = 0; i < weight.size(); ++i) {
            weight[i] += o.weight[i];
            members[i] += o.members[i];
        }
    }
};

float distance(const Point& a, const Point& b) {
    return std::sqrt(squared_distance(a, b));
}

// For each centroid, the other centroids with their distances when the table was built: the
// nearest kSorted ones first and in order, then the rest in any order. Searches rarely get past
// the sorted part, and a partial sort costs a fraction of a full one. Centroids keep moving
// after the build; Hamerly accounts for that drift instead of rebuilding every iteration.
class NeighborTable {
  public:
    static constexpr std::size_t kSorted = 24;

    struct Neighbor {
        float distance;
        std::uint32_t index;
    };

    explicit NeighborTable(const std::vector<Point>& centroids)
        : k_(centroids.size()), rows_(k_ * (k_ - 1)) {
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
            }
        });
    }

    // Calls visit(nb) on each neighbor nb of centroid a that out_of_reach(nb) does not rule
    // out: the sorted ones in order until the first ruled out (those after it are listed no
    // nearer, and so are all the unsorted ones); failing that, each unsorted one it lets by.
    template <class OutOfReach, class Visit>
    void visit_in_reach(std::size_t a, OutOfReach&& out_of_reach, Visit&& visit) const {
        const std::size_t sorted = std::min(kSorted, k_ - 1);
        const Neighbor* row = rows_.data() + a * (k_ - 1);
        for (std::size_t n = 0; n < sorted; ++n) {
            if (out_of_reach(row[n]))
                return;
            visit(row[n]);
        }
        for (std::size_t n = sorted; n < k_ - 1; ++n) {
            if (!out_of_reach(row[n]))
                visit(row[n]);
        }
    }

  private:
    std::size_t k_;
    std::vector<Neighbor> rows_;
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
        reach_.assign(centroids_.size(), 0.0f);  // unread: the first reassign has no table
        sums_ = cluster_sums();
    }

    const std::vector<Point>& centroids() const { return centroids_; }
    // How far each centroid moved in the last update_centroids().
    const std::vector<float>& shifts() const { return shift_; }

    // What an observed reassign() counts: the inertia after it (summed as inertia() sums, so
    // equal to it), the points that changed cluster and the point-to-centroid distances taken.
    struct Counts {
        double inertia = 0;
        std::size_t reassigned = 0;
        std::uint64_t distances = 0;
    };

    // Moves every free centroid to the weighted mean of its points; returns the largest move.
    float update_centroids() {
        const ClusterSums& totals = sums_;
        const std::size_t k = centroids_.size();
        std::vector<Point> moved = centroids_;
        std::vector<std::size_t> empty;
        for (std::size_t j = fixed_; j < k; ++j) {
            if (totals.members[j] > 0 && totals.weight[j] > 0) {
                for (int a = 0; a < 4; ++a) {
                    moved[j].v[a] = float(totals.sum[4 * j + std::size_t(a)] / totals.weight[j]);
                }
            } else {
                empty.push_back(j);
            }
        }
        reseed_empty(empty, moved);
        shift_.resize(k);
        drift_.resize(k, 0.0f);
        for (std::size_t j = 0; j < k; ++j) {
            shift_[j] = distance(centroids_[j], moved[j]);
            drift_[j] += shift_[j];
        }
        centroids_ = std::move(moved);
        return *std::max_element(shift_.begin(), shift_.end());
    }

    // Reassigns points to their nearest centroid after update_centroids(), skipping every point
    // whose bounds prove its centroid is still the nearest. The cluster sums follow the points
    // that move, chunk by chunk in chunk order: late iterations move few points, and summing
    // every point again each iteration cost more than finding them.
    // kCount: count the points reassigned and the distances taken; kInertia: sum the inertia
    // too, one more distance a point (an observed run's last iteration only: see lloyd()).
    template <bool kCount = false, bool kInertia = false>
    Counts reassign() {
        const std::size_t k = centroids_.size();
        const std::vector<float> decay = lower_bound_decay();
        if (!neighbors_ || *std::max_element(drift_.begin(), drift_.end()) > kRebuildDrift) {
            neighbors_.emplace(centroids_);
            std::fill(drift_.begin(), drift_.end(), 0.0f);
        }
        const float most_drift = *std::max_element(drift_.begin(), drift_.end());
        const NeighborTable& neighbors = *neighbors_;
        const std::vector<float> gaps = half_gaps(neighbors, most_drift);
        const std::vector<Moves> moves =
            map_chunks<Moves>(points_.size(), kChunk, [&](std::size_t begin, std::size_t end) {
                Moves m;
                // The bounds of every point first, listing those whose bounds no longer prove
                // their centroid nearest (a loop without branches), then those alone: most
                // points pass, and a branch per point went the wrong way at random.
                std::uint32_t pending[kChunk];
                const std::size_t n = loosen_bounds(begin, end, decay, gaps, pending);
                for (std::size_t p = 0; p < n; ++p) {
                    const std::size_t i = pending[p];
                    const std::uint32_t a = assignment_[i];
                    const float bound = std::max(gaps[a], lower_[i]);
                    upper_[i] = distance(points_[i], centroids_[a]);
                    std::uint32_t taken = 1;
                    if (upper_[i] > bound)
                        taken += search_from(i, neighbors, most_drift);
                    if constexpr (kCount)
                        m.counts.distances += taken;
                    const std::uint32_t now = assignment_[i];
                    if (now != a) {  // in point order, as the sums were always taken
                        if constexpr (kCount)
                            ++m.counts.reassigned;
                        if (m.sums.empty())
                            m.sums = ClusterSums(k);
                        m.sums.remove(a, points_[i], weights_[i]);
                        m.sums.add(now, points_[i], weights_[i]);
                    }
                }
                if constexpr (kInertia) {
                    for (std::size_t i = begin; i < end; ++i) {
                        m.counts.inertia +=
                            double(weights_[i]) *
                            squared_distance(points_[i], centroids_[assignment_[i]]);
                    }
                }
                m.reach = reach_of(begin, end);
                return m;
            });
        std::fill(reach_.begin(), reach_.end(), 0.0f);
        Counts counts;
        for (const Moves& m : moves) {
            if (!m.sums.empty())
                sums_.merge(m.sums);
            for (std::size_t j = 0; j < k; ++j)
                reach_[j] = std::max(reach_[j], m.reach[j]);
            if constexpr (kCount) {
                counts.inertia += m.counts.inertia;  // in chunk order, as inertia() sums
                counts.reassigned += m.counts.reassigned;
                counts.distances += m.counts.distances;
            }
        }
        return counts;
    }

    // The inertia from the cluster sums in O(k): sum over points of w |p - c|^2 is
    // `squares` (sum of w |p|^2, fixed for a run) - sum over clusters of (2 c.S - W |c|^2).
    // Equal to inertia() in real arithmetic; in doubles within ~1e-12 of it, relatively (the
    // terms are ~1e4 times the inertia on photos). What an observer gets for every iteration
    // but the last, where a distance per point (inertia()) cost 45% of k-means at K = 16.
    double inertia_from_sums(double squares) const {
        double explained = 0;
        for (std::size_t j = 0; j < centroids_.size(); ++j) {
            double dot = 0, norm = 0;
            for (std::size_t a = 0; a < 4; ++a) {
                const double c = centroids_[j].v[a];
                dot += c * sums_.sum[4 * j + a];
                norm += c * c;
            }
            explained += 2 * dot - sums_.weight[j] * norm;
        }
        return squares - explained;
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
    // What a chunk of reassign() gives back: the cluster sums' changes, and per cluster the
    // largest upper + lower bound among its points.
    struct Moves {
        ClusterSums sums;
        std::vector<float> reach;
        Counts counts;  // observed runs only
    };

    // Moves the bounds of points [begin, end) by the last update (upper up by its centroid's
    // move, lower down by `decay`) and writes to `pending` the points whose upper bound now
    // passes max(half gap, lower bound); returns how many.
    std::size_t loosen_bounds(std::size_t begin, std::size_t end, const std::vector<float>& decay,
                              const std::vector<float>& gaps, std::uint32_t* pending) {
        std::size_t n = 0;
        for (std::size_t i = begin; i < end; ++i) {
            const std::uint32_t a = assignment_[i];
            const float upper = upper_[i] + shift_[a];
            const float lower = lower_[i] - decay[a];
            upper_[i] = upper;
            lower_[i] = lower;
            pending[n] = std::uint32_t(i);
            n += upper > std::max(gaps[a], lower);
        }
        return n;
    }

    // Per cluster, the largest upper + lower bound among its points in [begin, end). Four
    // running maxima a cluster, points taken in turn: a point's update no longer waits on the
    // store of the one before, mostly of the same cluster (points in color order). A maximum is
    // the same in any order.
    std::vector<float> reach_of(std::size_t begin, std::size_t end) const {
        const std::size_t k = centroids_.size();
        std::vector<float> part(4 * k, 0.0f);
        std::size_t i = begin;
        for (; i + 4 <= end; i += 4) {
            for (std::size_t lane = 0; lane < 4; ++lane) {
                float& r = part[lane * k + assignment_[i + lane]];
                r = std::max(r, upper_[i + lane] + lower_[i + lane]);
            }
        }
        for (; i < end; ++i) {
            float& r = part[assignment_[i]];
            r = std::max(r, upper_[i] + lower_[i]);
        }
        std::vector<float> reach(k);
        for (std::size_t j = 0; j < k; ++j)
            reach[j] = std::max({part[j], part[k + j], part[2 * k + j], part[3 * k + j]});
        return reach;
    }

    // Per cluster a, how much the lower bound of a's points may have fallen in the last update:
    // the largest move among the other centroids that could come nearer to one of them than its
    // lower bound. A centroid j that was D from a, with D >= (u + l) + M for all of a's points
    // (M the largest move; the largest u + l is reach_[a]), was at least D - u >= l + M from
    // each point and is still at least l away. Hamerly's bound falls by M for every point;
    // late in a run few centroids still move, and most clusters have none of them in reach.
    // D comes from the neighbor table, less both centroids' drift since it was built.
    std::vector<float> lower_bound_decay() const {
        const std::size_t k = centroids_.size();
        const float most = *std::max_element(shift_.begin(), shift_.end());
        std::vector<float> decay(k, most);
        if (!neighbors_)
            return decay;
        const float most_drift = *std::max_element(drift_.begin(), drift_.end());
        for_each_chunk(k, 32, [&](std::size_t, std::size_t begin, std::size_t end) {
            for (std::size_t a = begin; a < end; ++a) {
                const float limit = reach_[a] + most + drift_[a] + most_drift;
                float largest = 0;
                auto out_of_reach = [&](const NeighborTable::Neighbor& nb) {
                    return nb.distance >= limit;
                };
                neighbors_->visit_in_reach(a, out_of_reach, [&](const NeighborTable::Neighbor& nb) {
                    largest = std::max(largest, shift_[nb.index]);
                });
                decay[a] = largest;
            }
        });
        return decay;
    }

    // For each centroid, half the distance to the nearest other one: a point closer than that
    // to its centroid cannot be closer to any other. Exact, found through the neighbor table:
    // a neighbor listed at distance dc is now at least dc - drift(a) - most_drift away, so the
    // walk down a's sorted neighbors stops once that reaches the nearest found.
    std::vector<float> half_gaps(const NeighborTable& neighbors, float most_drift) const {
        const std::size_t k = centroids_.size();
        std::vector<float> gaps(k, kInfinity);
        for_each_chunk(k, 32, [&](std::size_t, std::size_t begin, std::size_t end) {
            for (std::size_t a = begin; a < end; ++a) {
                const float slack = drift_[a] + most_drift;
                float nearest = kInfinity;
                auto out_of_reach = [&](const NeighborTable::Neighbor& nb) {
                    const float gap = nb.distance - slack;
                    return gap > 0 && gap * gap >= nearest;
                };
                neighbors.visit_in_reach(a, out_of_reach, [&](const NeighborTable::Neighbor& nb) {
                    nearest =
                        std::min(nearest, squared_distance(centroids_[a], centroids_[nb.index]));
                });
                gaps[a] = 0.5f * std::sqrt(nearest);
            }
        });
        return gaps;
    }

    // Exact nearest and runner-up for point i, starting from its centroid a (upper_[i] holds
    // the exact distance to it). A neighbor listed at distance dc from a, both having drifted
    // since the table was built, is now at least dc - slack from a and so at least
    // dc - slack - u from the point: once that reaches the runner-up distance it is skipped,
    // and in the sorted part of a's neighbors that ends the search. Compared squared, so no
    // square root per visit.
    // Returns the number of distances it took.
    std::uint32_t search_from(std::size_t i, const NeighborTable& neighbors, float most_drift) {
        const Point& p = points_[i];
        const std::uint32_t a = assignment_[i];
        const float u = upper_[i];
        const float reach = u + drift_[a] + most_drift;
        std::uint32_t best = a;
        float best_d2 = u * u;
        float second_d2 = kInfinity;
        auto out_of_reach = [&](const NeighborTable::Neighbor& nb) {
            const float gap = nb.distance - reach;
            return gap > 0 && gap * gap >= second_d2;
        };
        std::uint32_t taken = 0;
        neighbors.visit_in_reach(a, out_of_reach, [&](const NeighborTable::Neighbor& nb) {
            ++taken;
            const float d2 = squared_distance(p, centroids_[nb.index]);
            if (d2 < best_d2 || (d2 == best_d2 && nb.index < best)) {
                second_d2 = best_d2;
                best_d2 = d2;
                best = nb.index;
            } else if (d2 < second_d2) {
                second_d2 = d2;
            }
        });
        assignment_[i] = static_cast<std::uint16_t>(best);
        upper_[i] = std::sqrt(best_d2);
        lower_[i] = std::sqrt(second_d2);
        return taken;
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
    std::vector<float> reach_;  // per cluster, the largest upper_ + lower_ of its points
    std::vector<float> shift_;  // how far each centroid moved in the last update
    std::vector<float> drift_;  // how far each centroid moved since neighbors_ was built
    std::optional<NeighborTable> neighbors_;
    ClusterSums sums_;  // of the current assignment
};

// Sum of weight * d2 in chunk order: the inertia of a seeding.
double seeding_inertia(std::span<const float> weights, const Seeding& start) {
    return sum_in_order(
        map_chunks<double>(weights.size(), kChunk, [&](std::size_t begin, std::size_t end) {
            double s = 0;
            for (std::size_t i = begin; i < end; ++i)
                s += double(weights[i]) * start.d2[i];
            return s;
        }));
}

// What the observer (null: none) wants measured; nothing without one.
KMeansWants wants_of(const KMeansObserver* observer) {
    return observer ? observer->wants() : KMeansWants{};
}

// Sum of weight * |p|^2 over the points, in chunk order (see Hamerly::inertia_from_sums).
double weighted_squares(std::span<const Point> points, std::span<const float> weights) {
    return sum_in_order(
        map_chunks<double>(points.size(), kChunk, [&](std::size_t begin, std::size_t end) {
            double s = 0;
            for (std::size_t i = begin; i < end; ++i)
                s += double(weights[i]) * squared_distance(points[i], Point{});
            return s;
        }));
}

// One Lloyd iteration as the observer sees it: update, reassign with counts, timed. The last
// iteration (the move within tolerance, or `at_cap`) sums its inertia exactly as the result's;
// the others take it from the cluster sums (`squares`: weighted_squares of the points).
float observed_iteration(Hamerly& state, KMeansObserver& observer, KMeansRun run, int iteration,
                         std::size_t points, double squares, double tolerance, bool at_cap) {
    const auto start = std::chrono::steady_clock::now();
    const float largest_move = state.update_centroids();
    const bool last = largest_move <= tolerance || at_cap;
    const Hamerly::Counts counts =
        last ? state.reassign<true, true>() : state.reassign<true, false>();
    LloydStep step;
    step.run = run;
    step.iteration = iteration;
    step.inertia = last ? counts.inertia : state.inertia_from_sums(squares);
    double total_shift = 0;
    for (const float shift : state.shifts()) {
        step.clusters_moved += shift > 0;
        total_shift += shift;
    }
    const std::size_t k = state.centroids().size();
    step.largest_shift = largest_move;
    step.mean_shift = total_shift / double(k);
    step.reassigned = counts.reassigned;
    step.skipped = 1.0 - double(counts.distances) / (double(points) * double(k));
    step.centroids = state.centroids();
    step.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    observer.iterated(step);
    return largest_move;
}

// Lloyd from the given centroids (fixed ones first) until the tolerance or the iteration cap;
// `start` holds each point's nearest centroid and the squared distance to it. `counted`
// iterations came before (the refinement goes on from its restart's count).
Clustering lloyd(std::span<const Point> points, std::span<const float> weights,
                 const ClusterOptions& options, std::vector<Point> centroids, const Seeding& start,
                 KMeansRun run = {}, int counted = 0) {
    Clustering result;
    if (centroids.empty() || points.empty()) {
        result.centroids = std::move(centroids);
        result.sizes.assign(result.centroids.size(), 0.0);
        return result;
    }
    KMeansObserver* observer = options.observer;
    const bool measured = wants_of(observer).iterations;
    if (measured && !run.refinement)
        observer->seeded(run, centroids, seeding_inertia(weights, start));
    const double squares = measured ? weighted_squares(points, weights) : 0;
    Hamerly state(points, weights, std::move(centroids), options.fixed.size(), start);
    while (result.iterations < options.max_iterations) {
        if (observer)
            stop_if_cancelled(*observer);  // before every update
        float largest_move = 0;
        if (measured) {
            largest_move = observed_iteration(
                state, *observer, run, counted + result.iterations + 1, points.size(), squares,
                options.tolerance, result.iterations + 1 == options.max_iterations);
        } else {
            largest_move = state.update_centroids();
            state.reassign();
        }
        ++result.iterations;
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

// One run: greedy k-means++ seeding from seed_value, then Lloyd.
Clustering lloyd_from_seeds(std::span<const Point> points, std::span<const float> weights,
                            const ClusterOptions& options, int restart) {
    const KMeansRun run{restart, false};
    KMeansObserver* told_picks = wants_of(options.observer).seeds ? options.observer : nullptr;
    const Seeding seeding = seed(points, weights, options.k, options.seed + std::uint64_t(restart),
                                 options.fixed, told_picks, run, options.observer);
    std::vector<Point> centroids(options.fixed.begin(), options.fixed.end());
    for (std::size_t s : seeding.seeds)
        centroids.push_back(points[s]);
    return lloyd(points, weights, options, std::move(centroids), seeding, run);
}

// Each point's nearest centroid (ties to the lowest index) and the squared distance to it.
Seeding nearest_centroids(std::span<const Point> points, const std::vector<Point>& centroids) {
    const detail::NearestSearch search(centroids);
    Seeding s;
    s.nearest.resize(points.size());
    s.d2.resize(points.size());
    for_each_chunk(points.size(), kChunk, [&](std::size_t, std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) {
            s.nearest[i] = static_cast<std::uint16_t>(search.nearest(points[i]));
            s.d2[i] = squared_distance(points[i], centroids[s.nearest[i]]);
        }
    });
    return s;
}

// Every kScoutStride-th point (of points in Morton order, so an even spread over the colors)
// with its weight: where restarts compete. 2 by measurement on the 24 Kodak images at K = 16
// (three restarts): mean MSE 200.55 against 200.74 for three full runs, in 65% of their time;
// every 4th point takes 55% of the time but costs 0.6% of MSE.
constexpr std::size_t kScoutStride = 2;
// Below this many points restarts run on all of them: they are cheap there. 4,096 by
// measurement on the 24 Kodak images at K = 16 (five restarts, the auto sample's ~10,600
// colors), mean MSE over seeds 1-5: 200.78 against 200.61 with every point, in 60% of the
// clustering time; every 4th point cost 0.8% more MSE.
constexpr std::size_t kScoutMinPoints = 4096;

struct Subsample {
    std::vector<Point> points;
    std::vector<float> weights;
};

// The run with the lowest inertia; ties go to the first.
std::size_t best_run(const std::vector<Clustering>& runs) {
    std::size_t best = 0;
    for (std::size_t r = 1; r < runs.size(); ++r) {
        if (runs[r].inertia < runs[best].inertia)
            best = r;
    }
    return best;
}

void tell_finished(KMeansObserver& observer, const std::vector<Clustering>& runs,
                   std::size_t winner) {
    for (std::size_t r = 0; r < runs.size(); ++r)
        observer.finished(KMeansRun{int(r), false}, runs[r].inertia, runs[r].iterations,
                          r == winner);
}

Subsample strided(std::span<const Point> points, std::span<const float> weights) {
    return {detail::every_nth(points, kScoutStride), detail::every_nth(weights, kScoutStride)};
}

// Restarts compete until their centroids move less than this many times the tolerance, and
// only the winner goes on to the tolerance: the last iterations of a run seldom change which run
// wins, and they are most of its iterations (on the 24 Kodak images at K = 16, 12 of 45). 10 by
// measurement there (`bench/run quality`, seeds 1-5): see README, "How it works".
constexpr double kScoutLoosening = 10.0;

// Several restarts: each runs on a strided half of the points (on all of them below
// kScoutMinPoints) to kScoutLoosening times the tolerance, the one with the lowest inertia there
// wins, and its centroids start one Lloyd run on all the points to the tolerance, which then
// needs few iterations. Reported iterations count the winner's scouting and the final run,
// options.max_iterations at most together.
Clustering best_of_restarts(std::span<const Point> points, std::span<const float> weights,
                            const ClusterOptions& options) {
    const bool strided_scouts = points.size() >= kScoutMinPoints;
    const Subsample scout = strided_scouts ? strided(points, weights) : Subsample{};
    const std::span<const Point> scout_points = strided_scouts ? scout.points : points;
    const std::span<const float> scout_weights = strided_scouts ? scout.weights : weights;
    ClusterOptions scouting = options;
    scouting.tolerance = options.tolerance * kScoutLoosening;
    // The restarts run side by side (each is also parallel inside): on small samples one run
    // alone leaves cores idle. The winner is picked in restart order, as if run one by one.
    std::vector<Clustering> runs(std::size_t(options.restarts));
    tbb::parallel_for(std::size_t{0}, runs.size(), [&](std::size_t r) {
        runs[r] = lloyd_from_seeds(scout_points, scout_weights, scouting, int(r));
    });
    const std::size_t winner = best_run(runs);
    const int scouting_iterations = runs[winner].iterations;
    const std::vector<Point>& start = runs[winner].centroids;
    // The refinement goes on with what max_iterations leaves (none: the winner's centroids are
    // the result, their sizes and inertia taken on every point), so the kept run's Lloyd
    // iterations, scouting and refinement, are max_iterations at most.
    ClusterOptions refining = options;
    refining.max_iterations = options.max_iterations - scouting_iterations;
    Clustering result = lloyd(points, weights, refining, start, nearest_centroids(points, start),
                              KMeansRun{int(winner), true}, scouting_iterations);
    result.iterations += scouting_iterations;
    if (options.observer) {
        tell_finished(*options.observer, runs, winner);
        options.observer->finished(KMeansRun{int(winner), true}, result.inertia, result.iterations,
                                   true);
    }
    return result;
}

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
    if (options.restarts < 1) {
        throw Error(ErrorKind::invalid_argument, "restarts", "must be at least 1");
    }
    if (points.size() != weights.size()) {
        throw Error(ErrorKind::invalid_argument, "weights", "need one weight per point");
    }
    // Restarts that scout on every point at the tolerance itself (tolerance 0) need no
    // refinement: the winner is the result.
    if (options.restarts > 1 && (points.size() >= kScoutMinPoints || options.tolerance > 0))
        return best_of_restarts(points, weights, options);
    std::vector<Clustering> runs;
    for (int r = 0; r < options.restarts; ++r)
        runs.push_back(lloyd_from_seeds(points, weights, options, r));
    const std::size_t winner = best_run(runs);
    if (options.observer)
        tell_finished(*options.observer, runs, winner);
    return std::move(runs[winner]);
}

Clustering kmeans_from(std::span<const Point> points, std::span<const float> weights,
                       const ClusterOptions& options, std::vector<Point> initial) {
    check_k(int(initial.size()));
    if (options.max_iterations < 1) {
        throw Error(ErrorKind::invalid_argument, "max_iterations", "must be at least 1");
    }
    if (points.size() != weights.size()) {
        throw Error(ErrorKind::invalid_argument, "weights", "need one weight per point");
    }
    if (options.fixed.size() > initial.size() ||
        !std::equal(options.fixed.begin(), options.fixed.end(), initial.begin(),
                    [](const Point& a, const Point& b) { return squared_distance(a, b) == 0; })) {
        throw Error(ErrorKind::invalid_argument, "initial", "must start with the fixed centroids");
    }
    const Seeding start = nearest_centroids(points, initial);
    Clustering result = lloyd(points, weights, options, std::move(initial), start);
    if (options.observer)  // the one run, kept
        options.observer->finished(KMeansRun{}, result.inertia, result.iterations, true);
    return result;
}

}  // namespace quantize
