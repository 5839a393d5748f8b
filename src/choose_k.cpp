#include "quantize/choose_k.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "detail/nearest.hpp"
#include "detail/parallel.hpp"
#include "detail/strided.hpp"
#include "quantize/error.hpp"

namespace quantize {

namespace {

constexpr double kPeak = 3.0 * 255.0 * 255.0;  // PSNR's peak: 3 channels on 0..255
constexpr double kZeroPsnr = 20.0;             // dB at Q 0
constexpr double kPerDb = 4.0;                 // Q points per dB

std::optional<int> whole_0_100(std::string_view text) {
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < 0 || value > 100)
        return std::nullopt;
    return value;
}

// Each point's nearest centroid, in chunk order.
std::vector<std::uint32_t> nearest_of(std::span<const Point> points,
                                      std::span<const Point> centroids) {
    const detail::NearestSearch search(centroids);
    std::vector<std::uint32_t> nearest(points.size());
    detail::for_each_chunk(points.size(), std::size_t{4096},
                           [&](std::size_t, std::size_t begin, std::size_t end) {
                               for (std::size_t i = begin; i < end; ++i)
                                   nearest[i] = search.nearest(points[i]);
                           });
    return nearest;
}

}  // namespace

const char* k_choice_name(KChoice choice) {
    switch (choice) {
        case KChoice::fixed:
            return "fixed";
        case KChoice::elbow:
            return "elbow";
        case KChoice::quality:
            return "quality";
    }
    return "?";
}

double quality_of_mse(double mse) {
    if (mse <= 0)
        return 100.0;
    const double psnr = 10.0 * std::log10(kPeak / mse);
    return std::clamp(kPerDb * (psnr - kZeroPsnr), 0.0, 100.0);
}

double mse_for_quality(double q) {
    if (q <= 0)
        return std::numeric_limits<double>::infinity();
    const double psnr = kZeroPsnr + q / kPerDb;
    return kPeak / std::pow(10.0, psnr / 10.0);
}

std::optional<QualityRange> parse_quality_range(std::string_view text) {
    const std::size_t dash = text.find('-');
    if (dash == std::string_view::npos) {
        const auto max = whole_0_100(text);
        if (!max)
            return std::nullopt;
        return QualityRange{0, *max};
    }
    const auto min = whole_0_100(text.substr(0, dash));
    const auto max = whole_0_100(text.substr(dash + 1));
    if (!min || !max || *min > *max)
        return std::nullopt;
    return QualityRange{*min, *max};
}

std::size_t kneedle_elbow(std::span<const int> ks, std::span<const double> values) {
    if (ks.size() < 3)
        return 0;
    const double x0 = ks.front(), x1 = ks.back();
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    const double span = *hi - *lo;
    std::size_t best = 0;
    double best_gap = -std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < ks.size(); ++i) {
        const double x = (ks[i] - x0) / (x1 - x0);
        const double y = span > 0 ? (values[i] - *lo) / span : 0.0;
        const double gap = (1.0 - y) - x;
        if (gap > best_gap) {
            best_gap = gap;
            best = i;
        }
    }
    return best;
}

SilhouetteSample::SilhouetteSample(std::span<const Point> points, std::span<const float> weights)
    : weights_(weights.begin(), weights.end()),
      points_(points.begin(), points.end()),
      distances_(points.size() * points.size()) {
    const std::size_t n = points.size();
    detail::for_each_chunk(
        n, std::size_t{64}, [&](std::size_t, std::size_t begin, std::size_t end) {
            for (std::size_t i = begin; i < end; ++i)
                for (std::size_t j = 0; j < n; ++j)
                    distances_[i * n + j] = std::sqrt(squared_distance(points[i], points[j]));
        });
}

double SilhouetteSample::score(std::span<const Point> centroids) const {
    const std::size_t k = centroids.size(), n = points_.size();
    if (k < 2 || n == 0)
        return 0.0;
    const std::vector<std::uint32_t> nearest = nearest_of(points_, centroids);
    std::vector<double> cluster_weight(k, 0.0);
    for (std::size_t i = 0; i < n; ++i)
        cluster_weight[nearest[i]] += weights_[i];
    std::vector<double> score(n, 0.0);
    detail::for_each_chunk(
        n, std::size_t{64}, [&](std::size_t, std::size_t begin, std::size_t end) {
            std::vector<double> sum(k);
            for (std::size_t i = begin; i < end; ++i) {
                std::fill(sum.begin(), sum.end(), 0.0);
                const float* distance = distances_.data() + i * n;
                for (std::size_t j = 0; j < n; ++j)
                    sum[nearest[j]] += double(weights_[j]) * distance[j];
                const std::uint32_t own = nearest[i];
                // One pixel of the point's color is left out of its own cluster's mean: its
                // other copies stay in, at distance 0 (a point of weight below 1: all of it).
                const double own_weight = cluster_weight[own] - std::min(1.0, double(weights_[i]));
                if (own_weight <= 0)
                    continue;  // a cluster of one pixel scores 0, as Rousseeuw sets it
                const double a = sum[own] / own_weight;
                double b = std::numeric_limits<double>::infinity();
                for (std::size_t c = 0; c < k; ++c) {
                    if (c != own && cluster_weight[c] > 0)
                        b = std::min(b, sum[c] / cluster_weight[c]);
                }
                if (std::isfinite(b) && std::max(a, b) > 0)
                    score[i] = (b - a) / std::max(a, b);
            }
        });
    double total = 0, weight = 0;
    for (std::size_t i = 0; i < n; ++i) {
        total += weights_[i] * score[i];
        weight += weights_[i];
    }
    return weight > 0 ? total / weight : 0.0;
}

double silhouette(std::span<const Point> points, std::span<const float> weights,
                  std::span<const Point> centroids) {
    return SilhouetteSample(points, weights).score(centroids);
}

namespace {

// davies_bouldin with each point's nearest centroid given.
double davies_bouldin_of(std::span<const Point> points, std::span<const float> weights,
                         std::span<const Point> centroids,
                         const std::vector<std::uint32_t>& nearest) {
    const std::size_t k = centroids.size();
    if (k < 2)
        return 0.0;
    std::vector<double> spread(k, 0.0), weight(k, 0.0);
    for (std::size_t i = 0; i < points.size(); ++i) {
        spread[nearest[i]] +=
            weights[i] * std::sqrt(squared_distance(points[i], centroids[nearest[i]]));
        weight[nearest[i]] += weights[i];
    }
    std::size_t used = 0;
    double total = 0;
    for (std::size_t i = 0; i < k; ++i) {
        if (weight[i] <= 0)
            continue;
        ++used;
        double worst = 0;
        for (std::size_t j = 0; j < k; ++j) {
            if (j == i || weight[j] <= 0)
                continue;
            const double d = std::sqrt(squared_distance(centroids[i], centroids[j]));
            if (d > 0)
                worst = std::max(worst, (spread[i] / weight[i] + spread[j] / weight[j]) / d);
        }
        total += worst;
    }
    return used > 0 ? total / double(used) : 0.0;
}

// sample_mse with each color's nearest centroid (in `space`) given.
double sample_mse_of(std::span<const Color> colors, std::span<const float> weights,
                     std::span<const Point> centroids, ColorSpace space,
                     const std::vector<std::uint32_t>& nearest) {
    // The centroids as the colors the palette will hold, premultiplied as Quality::mse compares.
    std::vector<Point> shown(centroids.size());
    for (std::size_t j = 0; j < centroids.size(); ++j)
        shown[j] = to_point(to_color(centroids[j], space));
    double error = 0, weight = 0;
    for (std::size_t i = 0; i < colors.size(); ++i) {
        const Point seen = to_point(colors[i]);
        const Point& c = shown[nearest[i]];
        double e = 0;
        for (int a = 0; a < 3; ++a)
            e += double(seen.v[a] - c.v[a]) * double(seen.v[a] - c.v[a]);
        error += weights[i] * e;
        weight += weights[i];
    }
    return weight > 0 ? error / weight : 0.0;
}

}  // namespace

double davies_bouldin(std::span<const Point> points, std::span<const float> weights,
                      std::span<const Point> centroids) {
    return davies_bouldin_of(points, weights, centroids, nearest_of(points, centroids));
}

double sample_mse(std::span<const Color> colors, std::span<const float> weights,
                  std::span<const Point> centroids, ColorSpace space) {
    std::vector<Point> points(colors.size());
    for (std::size_t i = 0; i < colors.size(); ++i)
        points[i] = to_point(colors[i], space);
    return sample_mse_of(colors, weights, centroids, space, nearest_of(points, centroids));
}

SampleFit sample_fit(const TrainingSet& training, std::span<const Point> centroids) {
    const std::vector<std::uint32_t> nearest = nearest_of(training.points, centroids);
    return {sample_mse_of(training.colors, training.weights, centroids, training.space, nearest),
            davies_bouldin_of(training.points, training.weights, centroids, nearest)};
}

}  // namespace quantize

namespace quantize {

namespace {

constexpr int kSearchRefineIterations = 4;

// The K of the sweep no lower than the fixed colors need, at least 2.
std::vector<int> ks_up_to(const ClusterOptions& cluster) {
    std::vector<int> ks = sweep_ks(cluster.k);
    const int least = std::max<int>(2, int(cluster.fixed.size()));
    std::erase_if(ks, [&](int k) { return k < least; });
    if (ks.empty())
        ks.push_back(cluster.k);
    return ks;
}

// What --quality's search visits first: the least K (as ks_up_to), doubling up to cluster.k.
// The bisection in the last gap then finds the fewest K there, so the coarse grid changes no
// answer: 8 refined K to 256 instead of 47.
std::vector<int> doubling_ks(const ClusterOptions& cluster) {
    std::vector<int> ks{ks_up_to(cluster).front()};
    while (ks.back() < cluster.k)
        ks.push_back(std::min(cluster.k, 2 * ks.back()));
    return ks;
}

// --quality searches K on every kSearchStride-th training color (in Morton order: an even
// spread over the colors) once there are kSearchMinPoints or more, then converges and checks
// the K found on all of them. 2, as the restarts' scouting (cluster.cpp) measured: the sample's
// MSE on half the colors is within ~0.5% of all's, and the search costs half.
constexpr std::size_t kSearchStride = 2;
constexpr std::size_t kSearchMinPoints = 16384;

// A strided copy of a training set, owning its entries.
struct OwnedTraining {
    std::vector<Point> points;
    std::vector<float> weights;
    std::vector<Color> colors;
    TrainingSet view(ColorSpace space) const { return {points, weights, colors, space}; }
};

OwnedTraining every_other(const TrainingSet& t) {
    return {detail::every_nth(t.points, kSearchStride), detail::every_nth(t.weights, kSearchStride),
            detail::every_nth(t.colors, kSearchStride)};
}

// Lloyd to convergence from a sweep's centroids, so the result is what a plain run at that
// K reaches.
Clustering converged_from(const TrainingSet& t, const ClusterOptions& cluster,
                          std::vector<Point> centroids) {
    return kmeans_from(t.points, t.weights, cluster, std::move(centroids));
}

Clustering by_elbow(const TrainingSet& t, const ClusterOptions& cluster) {
    const std::vector<int> ks = ks_up_to(cluster);
    if (ks.size() < 3)
        return kmeans(t.points, t.weights, cluster);
    CancelOnly cancel(cluster.observer);
    SweepOptions sweep = sweep_options_for(cluster, kChoiceSweep, ks);
    sweep.observer = &cancel;
    const std::vector<SweepStep> steps = sweep_kmeans(t.points, t.weights, sweep);
    std::vector<double> inertia;
    for (const SweepStep& s : steps)
        inertia.push_back(s.clustering.inertia);
    const std::size_t elbow = kneedle_elbow(ks, inertia);
    return converged_from(t, cluster, steps[elbow].clustering.centroids);
}

bool reaches_mse(const TrainingSet& t, std::span<const Point> centroids, double target) {
    return sample_mse(t.colors, t.weights, centroids, t.space) <= target;
}

// The fewest K of the search set `t` whose quick fit (a few Lloyd updates) reaches `target`:
// the bisecting sweep over doubling K until one does, then bisection in that last gap, each
// try grown from the largest K known short. The last step when none does.
SweepStep search_k(const TrainingSet& t, const TrainingSet& judged, const ClusterOptions& cluster,
                   double target) {
    const auto reaches = [&](const SweepStep& s) {
        return reaches_mse(judged, s.clustering.centroids, target);
    };
    SweepOptions sweep = sweep_options_for(cluster, SweepMethod::bisecting, doubling_ks(cluster));
    // The search only needs each K close enough to judge it; the K kept converges in the end.
    // 4 updates, not 8: --quality 85 on the 12 MP photo took 2.0x a plain run at its K with 8.
    sweep.refine_iterations = kSearchRefineIterations;
    CancelOnly cancel(cluster.observer);
    sweep.observer = &cancel;
    std::vector<SweepStep> steps = sweep_until(t.points, t.weights, sweep, reaches);
    SweepStep pick = steps.back();
    if (steps.size() >= 2 && reaches(pick)) {
        SweepStep below = steps[steps.size() - 2];
        while (pick.k - below.k > 1) {
            sweep.ks = {(below.k + pick.k) / 2};
            sweep.start = below.clustering.centroids;
            SweepStep mid = sweep_until(t.points, t.weights, sweep, {}).back();
            (reaches(mid) ? pick : below) = std::move(mid);
        }
    }
    return pick;
}

Clustering by_quality(const TrainingSet& t, const ClusterOptions& cluster, QualityRange range) {
    const double target = mse_for_quality(range.max);
    const bool strided = t.points.size() >= kSearchMinPoints;
    const OwnedTraining some = strided ? every_other(t) : OwnedTraining{};
    const SweepStep found = search_k(strided ? some.view(t.space) : t,
                                     strided ? some.view(t.space) : t, cluster, target);
    // Converged on every training color. A K judged on half of them must reach the target on
    // all: the half's own fit is a little optimistic (1% short at 200 colors), so while the
    // converged K falls short, K grows to where the error's K^(-2/3) law (k-means in three
    // dimensions) says the target lies, at least one more, by splits refined as the search's;
    // once reached, Lloyd converges there. At most a K or two over the fewest; the 12 MP
    // photo's --quality 85 took 8 steps of one K, 1 step this way.
    // The observer watches only the last Lloyd run, the one that gives the result, whether K
    // grew or not (so a trace's rows are the report's iterations, and the output is the same
    // bytes watched or not).
    CancelOnly cancel(cluster.observer);
    ClusterOptions unwatched = cluster;
    unwatched.observer = &cancel;
    Clustering result = converged_from(t, unwatched, found.clustering.centroids);
    SweepOptions grow = sweep_options_for(cluster, SweepMethod::bisecting, {});
    grow.refine_iterations = kSearchRefineIterations;
    grow.observer = &cancel;
    std::vector<Point> centroids = result.centroids;
    bool grown = false;
    for (double mse = sample_mse(t.colors, t.weights, centroids, t.space);
         mse > target && int(centroids.size()) < cluster.k;
         mse = sample_mse(t.colors, t.weights, centroids, t.space)) {
        const int had = int(centroids.size());
        const int law = int(std::ceil(had * std::pow(mse / target, 1.5)));
        grow.ks = {std::min(cluster.k, std::max(had + 1, law))};
        grow.start = centroids;
        centroids = sweep_until(t.points, t.weights, grow, {}).back().clustering.centroids;
        grown = true;
        if (int(centroids.size()) <= had)
            break;  // no distinct color left to split off
    }
    result = converged_from(t, cluster, grown ? centroids : result.centroids);
    const double mse = sample_mse(t.colors, t.weights, result.centroids, t.space);
    if (mse > mse_for_quality(range.min)) {
        throw Error(ErrorKind::quality_too_low, "quality",
                    "reaches quality " + std::to_string(int(std::floor(quality_of_mse(mse)))) +
                        " with the most colors allowed (" + std::to_string(cluster.k) +
                        "), below the --quality minimum " + std::to_string(range.min) +
                        "; nothing written");
    }
    return result;
}

}  // namespace

Clustering cluster_choosing_k(const TrainingSet& training, const ClusterOptions& cluster,
                              KChoice choice, QualityRange quality) {
    switch (choice) {
        case KChoice::fixed:
            return kmeans(training.points, training.weights, cluster);
        case KChoice::elbow:
            return by_elbow(training, cluster);
        case KChoice::quality:
            return by_quality(training, cluster, quality);
    }
    return {};
}

}  // namespace quantize
