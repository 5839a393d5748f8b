// Stage "cluster": weighted k-means with k-means++ seeding, parallel on oneTBB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "quantize/pixels.hpp"

namespace quantize {

class KMeansObserver;

struct ClusterOptions {
    int k = 16;  // clusters wanted, >= 1
    // Lloyd updates at most, >= 1: of the kept run, its scouting and refinement together.
    int max_iterations = 100;
    // Stop once no centroid moved more than this in an update (Euclidean, in point units on the
    // 0..255 scale); 0 runs until nothing moves or max_iterations.
    double tolerance = 0.1;
    std::uint64_t seed = 1;  // drives the k-means++ draws
    // Independent runs (seeding + Lloyd) from seeds seed, seed + 1, ...; the one with the
    // lowest inertia is kept (ties: the first). >= 1. Several runs compete (on every second
    // point, with 4,096 points or more) until no centroid moves more than 10 x tolerance; the
    // winner's centroids then start a last Lloyd run on all the points, to the tolerance.
    int restarts = 1;
    // Centroids that never move (at most k): they come first in the result, k-means++ seeds
    // the other k - fixed.size() around them and Lloyd fits those around them.
    std::vector<Point> fixed;
    // Told of what it wants (seed picks, Lloyd iterations) and asked before every pick and Lloyd
    // update whether to stop: the one place progress, cancel, traces and animations hook in. Not
    // owned; null = none. What it does not want is not measured: same result, same time.
    KMeansObserver* observer = nullptr;
};

struct Clustering {
    std::vector<Point> centroids;  // fixed ones first; at most k entries in all
    std::vector<double> sizes;     // total weight of the points nearest to each centroid
    double inertia = 0;            // sum of weight * squared distance to the nearest centroid
    int iterations = 0;            // Lloyd updates performed
    bool converged = false;        // stopped by the tolerance, not by max_iterations
};

// Which run of k-means a call is about: a restart (0-based; restart r seeds from seed + r), or
// the refinement, the winning restart's centroids run again on every point to the tolerance
// (see ClusterOptions::restarts).
struct KMeansRun {
    int restart = 0;
    bool refinement = false;
};

// One k-means++ seed.
struct SeedPick {
    KMeansRun run;
    int seed = 0;  // 0-based among the drawn seeds (fixed centroids not counted)
    Point point;   // where it lies (the space k-means works in)
    // Its share of the draw's mass: weight * D^2 over the sum of weight * D^2 of all points
    // (the first seed, drawn by weight alone: weight over total weight), 0..1.
    double share = 0;
    int candidates = 1;  // draws it was the best of (greedy k-means++; 1 for the first seed)
    // Those draws, in order (a point may come twice); valid during the call.
    std::span<const Point> drawn;
};

// One Lloyd iteration: centroids moved to their points' means, then points reassigned.
struct LloydStep {
    KMeansRun run;
    // 1-based; the refinement goes on from the winning restart's count, so its last step's
    // iteration is Clustering::iterations.
    int iteration = 0;
    // After the reassignment. The last iteration of a run sums it as Clustering::inertia does
    // (equal to it); the others take it from the cluster sums in O(k) instead of O(points),
    // within ~1e-12 of that sum, relatively.
    double inertia = 0;
    int clusters_moved = 0;                    // centroids that moved at all
    double largest_shift = 0, mean_shift = 0;  // centroid moves, point units (0..255 scale)
    std::size_t reassigned = 0;                // points whose nearest centroid changed
    // Share of the point-to-centroid distances plain Lloyd computes (points x k) that
    // Hamerly's bounds and the nearest-first search spared, 0..1.
    double skipped = 0;
    double seconds = 0;                // wall time of the iteration
    std::span<const Point> centroids;  // after the update (fixed first); valid during the call
};

// What an observer has k-means measure and tell it. Each costs time only when wanted: a
// progress or cancel observer wants neither and costs one virtual call per pick and per Lloyd
// update.
struct KMeansWants {
    bool seeds = false;  // seed_picked: every k-means++ pick with its draws
    // seeded and iterated: the seeding's inertia, then per Lloyd update the inertia, shifts,
    // reassigned points, skipped distances, time and centroids (a few % of Lloyd's time).
    bool iterations = false;
};
inline constexpr KMeansWants kWantsEverything{true, true};

// Watches k-means work (traces, animations, progress) and may stop it. Calls about one run come
// in order; restarts may run side by side, so calls about different runs can come at once from
// different threads. Nothing here changes the result.
class KMeansObserver {
  public:
    virtual ~KMeansObserver() = default;
    // Asked once per call of kmeans / kmeans_from; the default wants everything.
    virtual KMeansWants wants() const { return kWantsEverything; }
    virtual void seed_picked(const SeedPick&) {}
    // A run's starting centroids (fixed first) and the inertia they give, before any Lloyd step.
    virtual void seeded(KMeansRun, std::span<const Point> /*centroids*/, double /*inertia*/) {}
    virtual void iterated(const LloydStep&) {}
    // Once every run is done, in order (restarts, then the refinement): each run's final
    // inertia and iterations; `kept` marks the run whose centroids are the result (the
    // refinement when there is one) and the restart that won.
    virtual void finished(KMeansRun, double /*inertia*/, int /*iterations*/, bool /*kept*/) {}
    // Asked before each k-means++ pick but the first and before each Lloyd update (of every
    // restart and of every K of a sweep), from any thread, whatever wants() says: true stops
    // k-means there with Error(cancelled), so a cancel takes effect within one pick or one
    // iteration (each one pass over the points).
    virtual bool cancelled() { return false; }
};

// Passes only cancelled() on to `inner` (null: never cancels) and wants nothing: how a sweep's
// many warm-started runs stay cancellable without being traced.
class CancelOnly : public KMeansObserver {
  public:
    explicit CancelOnly(KMeansObserver* inner) : inner_(inner) {}
    KMeansWants wants() const override { return {}; }
    bool cancelled() override { return inner_ && inner_->cancelled(); }

  private:
    KMeansObserver* inner_;
};

// k-means++ (Arthur & Vassilvitskii 2007): the first seed is drawn with probability
// proportional to weight, each next one proportional to weight * squared distance to the
// nearest seed (or fixed centroid) so far. Returns the indices of k - fixed.size() distinct
// points, or fewer when the points hold fewer distinct positions away from the fixed ones.
// Same inputs and seed give the same seeds on any thread count.
std::vector<std::size_t> seed_kmeans_plus_plus(std::span<const Point> points,
                                               std::span<const float> weights, int k,
                                               std::uint64_t seed,
                                               std::span<const Point> fixed = {});

// Weighted Lloyd iterations from k-means++ seeds, accelerated with Hamerly's bounds and a
// search that visits other centroids nearest-first and stops when no farther one can win
// (exactly the assignments of plain Lloyd). An empty cluster is moved to the point farthest
// from its centroid. Deterministic whatever the thread count: sums are reduced in fixed chunks in a
// fixed order.
Clustering kmeans(std::span<const Point> points, std::span<const float> weights,
                  const ClusterOptions& options);

// Lloyd as kmeans runs it, warm-started: from `initial` instead of k-means++ seeds (a sweep
// over K starts each K from the one before; a caller may start from a palette it has). The
// first options.fixed.size() entries of `initial` must be the fixed centroids (they never
// move); options.k and options.restarts are not used, and K is initial.size() (1..256).
// The observer sees one run, restart 0, kept: seeded with `initial` (no k-means++ picks), then
// its Lloyd updates and finished.
Clustering kmeans_from(std::span<const Point> points, std::span<const float> weights,
                       const ClusterOptions& options, std::vector<Point> initial);

}  // namespace quantize
