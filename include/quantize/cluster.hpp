// Stage "cluster": weighted k-means with k-means++ seeding, parallel on oneTBB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "quantize/pixels.hpp"

namespace quantize {

struct ClusterOptions {
    int k = 16;                // clusters wanted, >= 1
    int max_iterations = 100;  // Lloyd updates at most, >= 1
    // Stop once no centroid moved more than this in an update (Euclidean, in point units on the
    // 0..255 scale); 0 runs until nothing moves or max_iterations.
    double tolerance = 0.1;
    std::uint64_t seed = 1;  // drives the k-means++ draws
    // Independent runs (seeding + Lloyd) from seeds seed, seed + 1, ...; the one with the
    // lowest inertia is kept (ties: the first). >= 1. With 16,384 points or more the runs
    // compete on every second point and the winner's centroids start a last Lloyd run on all.
    int restarts = 1;
    // Centroids that never move (at most k): they come first in the result, k-means++ seeds
    // the other k - fixed.size() around them and Lloyd fits those around them.
    std::vector<Point> fixed;
    // Polled before every Lloyd update (of every restart, possibly from several threads at
    // once); false stops the run with Error(cancelled). Empty: never stops.
    std::function<bool()> keep_going;
};

struct Clustering {
    std::vector<Point> centroids;  // fixed ones first; at most k entries in all
    std::vector<double> sizes;     // total weight of the points nearest to each centroid
    double inertia = 0;            // sum of weight * squared distance to the nearest centroid
    int iterations = 0;            // Lloyd updates performed
    bool converged = false;        // stopped by the tolerance, not by max_iterations
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

}  // namespace quantize
