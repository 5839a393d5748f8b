// Stage "cluster": weighted k-means with k-means++ seeding, parallel on oneTBB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "quantize/pixels.hpp"

namespace quantize {

struct ClusterOptions {
    int k = 16;                // clusters wanted, >= 1
    int max_iterations = 100;  // Lloyd updates at most, >= 1
    // Stop once no centroid moved more than this in an update (Euclidean, in point units on the
    // 0..255 scale); 0 runs until nothing moves or max_iterations.
    double tolerance = 0.02;
    std::uint64_t seed = 1;  // drives the k-means++ draws
};

struct Clustering {
    std::vector<Point> centroids;  // min(k, number of distinct points) entries
    double inertia = 0;            // sum of weight * squared distance to the nearest centroid
    int iterations = 0;            // Lloyd updates performed
    bool converged = false;        // stopped by the tolerance, not by max_iterations
};

// k-means++ (Arthur & Vassilvitskii 2007): the first seed is drawn with probability
// proportional to weight, each next one proportional to weight * squared distance to the
// nearest seed so far. Returns indices of distinct points: fewer than k when the points hold
// fewer than k distinct positions. Same inputs and seed give the same seeds on any thread count.
std::vector<std::size_t> seed_kmeans_plus_plus(std::span<const Point> points,
                                               std::span<const float> weights, int k,
                                               std::uint64_t seed);

// Weighted Lloyd iterations from k-means++ seeds, accelerated with Hamerly's bounds (exactly the
// assignments of plain Lloyd). An empty cluster is moved to the point farthest from its
// centroid. Deterministic whatever the thread count: sums are reduced in fixed chunks in a
// fixed order.
Clustering kmeans(std::span<const Point> points, std::span<const float> weights,
                  const ClusterOptions& options);

}  // namespace quantize
