// Stage "cluster", for many K at once: k-means at every K of a list from one sample, each K
// warm-started from the one before, so choosing K (analyze, --quality, -k auto) costs a few
// k-means runs, not one per K.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "quantize/cluster.hpp"

namespace quantize {

// How the sweep gets from one K to the next (both kept, measured against each other by
// bench/run choosek; kChoiceSweep in choose_k.hpp says which won and by how much).
enum class SweepMethod {
    // Top-down: from one cluster, split the cluster of largest error in two (2-means) until
    // the next K, then Lloyd from there. Every K from one pass; cost grows with the largest K.
    bisecting,
    // Bottom-up: one full k-means at the largest K, then merge the pair whose union adds the
    // least error (Ward) down to each smaller K, each refined by Lloyd from the merged
    // centroids.
    merging,
};
const char* sweep_method_name(SweepMethod method);
std::optional<SweepMethod> parse_sweep_method(std::string_view name);

struct SweepOptions {
    std::vector<int> ks;  // the K to fit, ascending, each 1..256
    SweepMethod method = SweepMethod::bisecting;
    // Lloyd updates at most per K after the warm start (a fresh run takes 20-100): the warm
    // start is close already, so few are needed; 1..10000.
    int refine_iterations = 8;
    double tolerance = 0.1;          // as ClusterOptions::tolerance
    std::uint64_t seed = 1;          // k-means++ draws (the largest K's run, the 2-means splits)
    std::vector<Point> fixed;        // as ClusterOptions::fixed, kept at every K
    int largest_k_restarts = 1;      // merging: restarts of the run at the largest K
    int largest_k_iterations = 100;  // merging: Lloyd updates of that run at most
    // bisecting: centroids to grow from (fixed first, at most ks.front()) instead of a fresh
    // k-means at ks.front(): a search continues from a K it has.
    std::vector<Point> start;
    // Given to every k-means run of the sweep (not owned, null = none): a CancelOnly keeps the
    // sweep cancellable within one Lloyd update without tracing its many runs.
    KMeansObserver* observer = nullptr;
};

// One K of the sweep.
struct SweepStep {
    int k = 0;
    Clustering clustering;  // centroids (fixed first), sizes, inertia, iterations
};

// k-means at every K of options.ks on the weighted points, in that order. Deterministic for
// any thread count, as kmeans is.
std::vector<SweepStep> sweep_kmeans(std::span<const Point> points, std::span<const float> weights,
                                    const SweepOptions& options);

// The bisecting sweep, stopped after the first K that `enough` accepts: the steps made, the
// last one accepted unless none was. A search for the fewest K that reach a quality pays
// for the K below its answer only.
std::vector<SweepStep> sweep_until(std::span<const Point> points, std::span<const float> weights,
                                   const SweepOptions& options,
                                   const std::function<bool(const SweepStep&)>& enough);

// A sweep over `ks` with k-means settings as `cluster` has them (tolerance, seed, fixed;
// restarts and iterations for the first full run).
SweepOptions sweep_options_for(const ClusterOptions& cluster, SweepMethod method,
                               std::vector<int> ks);

// The K an analyze sweep visits between 2 and k_max: every K to 16, then steps of at most
// 1/8 of K (2 to 32, 4 to 64, 8 to 128, 16 to 256), and k_max itself: 47 values to 256. Every
// curve the analysis draws is smooth past 16 (the inertia falls like K^(-2/3) there), and
// --quality searches the gap it lands in K by K.
std::vector<int> sweep_ks(int k_max);

}  // namespace quantize
