// Threshold masks for ordered dithering: each holds every rank 0..n-1 of an n-cell square once,
// so the thresholds (rank + 0.5) / n are spread evenly over 0..1.
#pragma once

#include <cstdint>
#include <vector>

namespace quantize::detail {

struct ThresholdMask {
    int side = 0;                     // the mask is side x side, tiled over the image
    std::vector<std::uint16_t> rank;  // row-major, 0..side*side-1, each once
};

// The 8x8 Bayer matrix (recursive: M(2n) = [4M, 4M+2; 4M+3, 4M+1]).
ThresholdMask bayer_mask();

// A 64x64 blue-noise mask by Ulichney's void-and-cluster method (1993): energy is a toroidal
// Gaussian (sigma 1.5) around every set cell; a fixed pseudo-random 10% start is relaxed by
// moving the tightest cluster's cell into the largest void until that changes nothing, then
// ranks are given by removing tightest clusters (ranks below the start's count) and filling
// largest voids (the rest). Deterministic: the same mask every time, in a few milliseconds,
// which is why the library ships its output as a table (blue_noise_mask).
ThresholdMask void_and_cluster_mask();

// void_and_cluster_mask()'s output, shipped as the table src/detail/blue_noise_64.inc (a
// copy, in microseconds; tests check it equals the method's output, and print it with
// `unit_tests "[.blue-noise-table]"`).
ThresholdMask blue_noise_mask();

}  // namespace quantize::detail
