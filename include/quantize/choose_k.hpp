// Stage "cluster", when the user does not give K: how many colors to fit (a fixed K, the
// elbow of the inertia curve, or the fewest that reach a quality), and the measures that
// decide it (the quality scale, Kneedle, silhouette, Davies-Bouldin).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "quantize/cluster.hpp"
#include "quantize/color.hpp"
#include "quantize/sweep.hpp"

namespace quantize {

// How the pipeline picks K. One row each in choose_k.cpp's switch.
enum class KChoice {
    fixed,    // K = ClusteringOptions::colors
    elbow,    // -k auto: the Kneedle elbow of inertia against K, 2..colors
    quality,  // --quality: the fewest colors, at most `colors`, whose quality reaches max
};
const char* k_choice_name(KChoice choice);  // "fixed", "elbow", "quality"

// --quality MIN-MAX on the 0..100 scale of quality_of_mse: the smallest K whose quality reaches
// max is used; if even `colors` colors stay below min, the image is refused (Error(quality),
// exit 99 as pngquant's).
struct QualityRange {
    int min = 0;    // 0..max
    int max = 100;  // min..100
};

// The 0..100 quality scale: Q = 4 (PSNR - 20), clamped to 0..100, PSNR = 10 log10(3 * 255^2 /
// MSE) in dB with MSE as Quality::mse (squared RGB error summed over the channels). So Q 100 =
// 45 dB (differences a viewer does not find side by side), Q 80 = 40 dB (a photo at 256
// colors), Q 60 = 35 dB, Q 40 = 30 dB (banding plain to see), Q 0 = 20 dB. README has the table
// against the mean CIEDE2000. One number a user can compare across images, monotone in MSE.
double quality_of_mse(double mse);
// The largest MSE whose quality is at least q (0..100); +infinity for q = 0.
double mse_for_quality(double q);

// Parses "MIN-MAX" or "MAX" (whole numbers 0..100, MIN <= MAX); nullopt otherwise.
std::optional<QualityRange> parse_quality_range(std::string_view text);

// Kneedle (Satopaa et al. 2011) on a decreasing convex curve: x and y scaled to 0..1, the
// elbow is the point farthest above the chord's image, i.e. argmax of (1 - y) - x. `ks`
// ascending, one value per K; ties to the smaller K. Returns an index into ks.
std::size_t kneedle_elbow(std::span<const int> ks, std::span<const double> values);

// Mean silhouette (Rousseeuw 1987) of the weighted points under nearest-centroid assignment:
// per point (b - a) / max(a, b), a the weighted mean distance to its own cluster's points, b
// the least such mean to another cluster's; weighted mean over points; -1..1, higher is
// better separated. A point of weight w stands for w pixels of its color (w below 1: one
// point's share): a is one of them against the rest of its cluster, its own other w - 1
// copies at distance 0 among them, so a color alone in its cluster scores 1 when it has
// copies and 0 only when it is one pixel (Rousseeuw's singleton). O(n^2): pass a sample
// (analyze uses kSilhouetteSample points).
double silhouette(std::span<const Point> points, std::span<const float> weights,
                  std::span<const Point> centroids);
inline constexpr std::size_t kSilhouetteSample = 1000;

// silhouette of many palettes on one sample: the pairwise distances, which no palette changes,
// computed once (n^2 floats: 4 MB for kSilhouetteSample points); each score then costs n^2
// additions. score(c) == silhouette(points, weights, c).
class SilhouetteSample {
  public:
    SilhouetteSample(std::span<const Point> points, std::span<const float> weights);
    double score(std::span<const Point> centroids) const;

  private:
    std::vector<float> weights_;
    std::vector<Point> points_;
    std::vector<float> distances_;  // n x n, row i: point i to every point
};

// Davies-Bouldin index (1979): mean over clusters of the largest (s_i + s_j) / d(c_i, c_j),
// s the weighted mean distance of a cluster's points to its centroid; 0.. , lower is better.
double davies_bouldin(std::span<const Point> points, std::span<const float> weights,
                      std::span<const Point> centroids);

// MSE (as Quality::mse) of the weighted colors against their nearest centroid in `space`:
// the image's MSE estimated from its sample, without a remap.
double sample_mse(std::span<const Color> colors, std::span<const float> weights,
                  std::span<const Point> centroids, ColorSpace space);

// The training sample as k-means sees it, with its colors for the quality estimate.
struct TrainingSet {
    std::span<const Point> points;  // in the clustering's space
    std::span<const float> weights;
    std::span<const Color> colors;  // the same entries as colors, for sample_mse
    ColorSpace space = ColorSpace::rgb;
};

// sample_mse and davies_bouldin of one palette on the training set, from one nearest-centroid
// pass (the same numbers as the two calls, in half the time).
struct SampleFit {
    double mse = 0;
    double davies_bouldin = 0;
};
SampleFit sample_fit(const TrainingSet& training, std::span<const Point> centroids);

// The clustering with K picked as `choice` says, at most cluster.k (fixed: exactly; elbow:
// Kneedle over sweep_ks(cluster.k); quality: the fewest K whose sample_mse reaches
// quality.max, searched on every second training color (16,384 or more; else all) by a
// bisecting sweep over doubling K and a bisection in the last gap, then Lloyd to convergence
// on all of them, K grown by the K^(-2/3) law while it falls short there). cluster.observer
// is asked to cancel throughout (CancelOnly in the sweeps) and watches the final Lloyd run.
// Throws Error(quality_too_low) when even cluster.k stays below quality.min.
Clustering cluster_choosing_k(const TrainingSet& training, const ClusterOptions& cluster,
                              KChoice choice, QualityRange quality);

// The sweep analyze and -k auto use. Merging down, by measurement (bench/run choosek, the 12 MP
// photo, K 2..256, interleaved runs, medians) with the wrgb default and --sample auto: its MSE is
// 2.5% lower at K 16, 2.7% at 64 and 0.1% at 256 (157.5 / 39.6 / 13.77 against bisecting's
// 161.6 / 40.7 / 13.79), and analyze took 2.70x one -k 256 run against 2.87x (idle machine, 5
// runs; 2.74x against 3.03x in a busy one). With plain rgb and the fixed sample, bisecting had
// won (2.8% lower MSE at K 16). --quality's search grows K by bisecting: it stops early, where a
// merging sweep would pay for the k-means at the largest K first.
inline constexpr SweepMethod kChoiceSweep = SweepMethod::merging;

}  // namespace quantize
