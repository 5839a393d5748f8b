#include "quantize/sweep.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "detail/nearest.hpp"
#include "quantize/error.hpp"

namespace quantize {

namespace {

void check_options(const SweepOptions& options) {
    if (options.ks.empty())
        throw Error(ErrorKind::invalid_argument, "ks", "must hold at least one K");
    for (std::size_t i = 0; i < options.ks.size(); ++i) {
        const int k = options.ks[i];
        if (k < 1 || k > 256 || (i > 0 && k <= options.ks[i - 1]))
            throw Error(ErrorKind::invalid_argument, "ks", "must ascend within 1..256");
    }
    if (std::size_t(options.ks.front()) < options.fixed.size())
        throw Error(ErrorKind::invalid_argument, "ks", "must leave room for the fixed colors");
}

// The options of a Lloyd run warm-started at K from the sweep's settings.
ClusterOptions refine_options(const SweepOptions& options, int k) {
    ClusterOptions cluster;
    cluster.k = k;
    cluster.max_iterations = options.refine_iterations;
    cluster.tolerance = options.tolerance;
    cluster.seed = options.seed;
    cluster.fixed = options.fixed;
    cluster.observer = options.observer;
    return cluster;
}

// Lloyd from `start` (fixed first); a K with fewer distinct points than centroids keeps what
// it has.
SweepStep refined(std::span<const Point> points, std::span<const float> weights,
                  const SweepOptions& options, int k, std::vector<Point> start) {
    SweepStep step;
    step.k = k;
    step.clustering = kmeans_from(points, weights, refine_options(options, k), std::move(start));
    return step;
}

// ---- merging: Ward merges down from the largest K ----

// The error a merge of clusters a and b adds: w_a w_b / (w_a + w_b) |c_a - c_b|^2, or, when one
// is fixed (it cannot move), the other's weight times the squared distance.
double merge_cost(const Point& a, double wa, bool fixed_a, const Point& b, double wb,
                  bool fixed_b) {
    const double d2 = squared_distance(a, b);
    if (fixed_a)
        return wb * d2;
    if (fixed_b)
        return wa * d2;
    return wa + wb > 0 ? wa * wb / (wa + wb) * d2 : 0.0;
}

// Merges the cheapest pair until `k` centroids are left (never two fixed ones: there are at
// most k of them). Ties go to the first pair in (i, j) order, so the result is deterministic.
void merge_down(std::vector<Point>& centroids, std::vector<double>& sizes, std::size_t fixed,
                int k) {
    while (centroids.size() > std::size_t(k)) {
        double best = std::numeric_limits<double>::infinity();
        std::size_t bi = 0, bj = 0;
        for (std::size_t i = 0; i < centroids.size(); ++i) {
            for (std::size_t j = std::max(i + 1, fixed); j < centroids.size(); ++j) {
                const double cost =
                    merge_cost(centroids[i], sizes[i], i < fixed, centroids[j], sizes[j], false);
                if (cost < best) {
                    best = cost;
                    bi = i;
                    bj = j;
                }
            }
        }
        // j is never fixed (fixed ones come first): it merges into i.
        const double w = sizes[bi] + sizes[bj];
        if (bi >= fixed && w > 0) {
            for (int a = 0; a < 4; ++a) {
                centroids[bi].v[a] =
                    float((sizes[bi] * centroids[bi].v[a] + sizes[bj] * centroids[bj].v[a]) / w);
            }
        }
        sizes[bi] = w;
        centroids.erase(centroids.begin() + std::ptrdiff_t(bj));
        sizes.erase(sizes.begin() + std::ptrdiff_t(bj));
    }
}

std::vector<SweepStep> sweep_merging(std::span<const Point> points, std::span<const float> weights,
                                     const SweepOptions& options) {
    ClusterOptions largest = refine_options(options, options.ks.back());
    largest.max_iterations = options.largest_k_iterations;
    largest.restarts = options.largest_k_restarts;
    std::vector<SweepStep> steps(options.ks.size());
    steps.back() = {options.ks.back(), kmeans(points, weights, largest)};
    for (std::size_t i = options.ks.size() - 1; i-- > 0;) {
        std::vector<Point> centroids = steps[i + 1].clustering.centroids;
        std::vector<double> sizes = steps[i + 1].clustering.sizes;
        merge_down(centroids, sizes, options.fixed.size(), options.ks[i]);
        steps[i] = refined(points, weights, options, options.ks[i], std::move(centroids));
    }
    return steps;
}

// ---- bisecting: splits up from one cluster ----

// The weight and squared error of each cluster under the nearest-centroid assignment.
struct Assignment {
    std::vector<std::uint32_t> nearest;  // per point
    std::vector<double> error;           // per cluster: sum of weight * squared distance
};

Assignment assign(std::span<const Point> points, std::span<const float> weights,
                  const std::vector<Point>& centroids) {
    const detail::NearestSearch search(centroids);
    Assignment a;
    a.nearest.resize(points.size());
    a.error.assign(centroids.size(), 0.0);
    for (std::size_t i = 0; i < points.size(); ++i) {
        const detail::Nearest2 n = search.nearest2(points[i]);
        a.nearest[i] = n.index;
        a.error[n.index] += double(weights[i]) * n.best;
    }
    return a;
}

// Splits the cluster of largest error in two with a 2-means on its points (a fixed centroid
// stays and gains a free neighbor); false when no cluster holds two distinct points.
bool split_worst(std::span<const Point> points, std::span<const float> weights,
                 const SweepOptions& options, std::vector<Point>& centroids, Assignment& a) {
    std::vector<std::size_t> order(centroids.size());
    for (std::size_t j = 0; j < order.size(); ++j)
        order[j] = j;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t x, std::size_t y) { return a.error[x] > a.error[y]; });
    for (std::size_t worst : order) {
        if (a.error[worst] <= 0)
            return false;
        std::vector<Point> member_points;
        std::vector<float> member_weights;
        std::vector<std::size_t> members;
        for (std::size_t i = 0; i < points.size(); ++i) {
            if (a.nearest[i] == worst) {
                members.push_back(i);
                member_points.push_back(points[i]);
                member_weights.push_back(weights[i]);
            }
        }
        const bool fixed = worst < options.fixed.size();
        ClusterOptions two = refine_options(options, 2);
        two.seed = options.seed + centroids.size();
        two.fixed.clear();
        if (fixed)
            two.fixed.push_back(centroids[worst]);
        const Clustering halves = kmeans(member_points, member_weights, two);
        if (halves.centroids.size() < 2)
            continue;
        const std::size_t added = centroids.size();
        centroids[worst] = halves.centroids[0];
        centroids.push_back(halves.centroids[1]);
        a.error[worst] = 0;
        a.error.push_back(0);
        for (std::size_t m = 0; m < members.size(); ++m) {
            const float d0 = squared_distance(member_points[m], centroids[worst]);
            const float d1 = squared_distance(member_points[m], centroids[added]);
            const std::size_t to = d1 < d0 ? added : worst;
            a.nearest[members[m]] = std::uint32_t(to);
            a.error[to] += double(member_weights[m]) * std::min(d0, d1);
        }
        return true;
    }
    return false;
}

// `centroids` split up to k (or as far as the points allow), then refined by Lloyd.
SweepStep grown(std::span<const Point> points, std::span<const float> weights,
                const SweepOptions& options, int k, std::vector<Point> centroids) {
    Assignment a = assign(points, weights, centroids);
    while (centroids.size() < std::size_t(k) &&
           split_worst(points, weights, options, centroids, a)) {
    }
    return refined(points, weights, options, k, std::move(centroids));
}

// The first step of a bisecting sweep: options.start refined at ks.front() (grown to it by
// splits), or a fresh k-means there.
SweepStep first_bisecting_step(std::span<const Point> points, std::span<const float> weights,
                               const SweepOptions& options) {
    if (options.start.empty()) {
        ClusterOptions first = refine_options(options, options.ks.front());
        first.max_iterations = options.largest_k_iterations;
        return {options.ks.front(), kmeans(points, weights, first)};
    }
    return grown(points, weights, options, options.ks.front(), options.start);
}

std::vector<SweepStep> bisect_until(std::span<const Point> points, std::span<const float> weights,
                                    const SweepOptions& options,
                                    const std::function<bool(const SweepStep&)>& enough) {
    std::vector<SweepStep> steps;
    steps.push_back(first_bisecting_step(points, weights, options));
    for (std::size_t i = 1; i < options.ks.size() && !(enough && enough(steps.back())); ++i)
        steps.push_back(
            grown(points, weights, options, options.ks[i], steps.back().clustering.centroids));
    return steps;
}
}  // namespace

const char* sweep_method_name(SweepMethod method) {
    switch (method) {
        case SweepMethod::bisecting:
            return "bisecting";
        case SweepMethod::merging:
            return "merging";
    }
    return "?";
}

std::optional<SweepMethod> parse_sweep_method(std::string_view name) {
    for (SweepMethod method : {SweepMethod::bisecting, SweepMethod::merging}) {
        if (name == sweep_method_name(method))
            return method;
    }
    return std::nullopt;
}

std::vector<SweepStep> sweep_kmeans(std::span<const Point> points, std::span<const float> weights,
                                    const SweepOptions& options) {
    check_options(options);
    switch (options.method) {
        case SweepMethod::bisecting:
            return bisect_until(points, weights, options, {});
        case SweepMethod::merging:
            return sweep_merging(points, weights, options);
    }
    return {};
}

std::vector<SweepStep> sweep_until(std::span<const Point> points, std::span<const float> weights,
                                   const SweepOptions& options,
                                   const std::function<bool(const SweepStep&)>& enough) {
    check_options(options);
    return bisect_until(points, weights, options, enough);
}

SweepOptions sweep_options_for(const ClusterOptions& cluster, SweepMethod method,
                               std::vector<int> ks) {
    SweepOptions sweep;
    sweep.ks = std::move(ks);
    sweep.method = method;
    sweep.tolerance = cluster.tolerance;
    sweep.seed = cluster.seed;
    sweep.fixed = cluster.fixed;
    sweep.largest_k_restarts = cluster.restarts;
    sweep.largest_k_iterations = cluster.max_iterations;
    return sweep;
}

std::vector<int> sweep_ks(int k_max) {
    // From each K on, the step to the next: at most 1/8 of K past 16.
    struct Stride {
        int from, step;
    };
    static constexpr Stride kStrides[] = {{2, 1}, {16, 2}, {32, 4}, {64, 8}, {128, 16}};
    std::vector<int> ks;
    for (int k = 2; k <= k_max;) {
        ks.push_back(k);
        int step = 1;
        for (const Stride& s : kStrides) {
            if (k >= s.from)
                step = s.step;
        }
        k += step;
    }
    if (ks.empty() || ks.back() != k_max)
        ks.push_back(k_max);
    return ks;
}

}  // namespace quantize
