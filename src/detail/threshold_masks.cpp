#include "detail/threshold_masks.hpp"

#include <cmath>
#include <cstddef>
#include <iterator>

namespace quantize::detail {

ThresholdMask bayer_mask() {
    ThresholdMask mask{1, {0}};
    while (mask.side < 8) {
        const int n = mask.side, side = 2 * n;
        std::vector<std::uint16_t> rank(std::size_t(side * side));
        constexpr int kQuadrant[2][2] = {{0, 2}, {3, 1}};
        for (int y = 0; y < side; ++y) {
            for (int x = 0; x < side; ++x) {
                rank[std::size_t(y * side + x)] = std::uint16_t(
                    4 * mask.rank[std::size_t((y % n) * n + x % n)] + kQuadrant[y / n][x / n]);
            }
        }
        mask = {side, std::move(rank)};
    }
    return mask;
}

namespace {

// void_and_cluster_mask()'s ranks, row-major.
constexpr std::uint16_t kBlueNoise64[] = {
#include "detail/blue_noise_64.inc"
};

constexpr int kSide = 64;
constexpr int kCells = kSide * kSide;
constexpr int kReach = 9;  // the Gaussian is cut off beyond 9 cells (6 sigma)

// The cells' energies: the sum of a toroidal Gaussian around every set cell.
class Energy {
  public:
    Energy() : value_(kCells, 0.0), set_(kCells, false) {
        for (int d = -kReach; d <= kReach; ++d)
            kernel_[std::size_t(d + kReach)] = std::exp(-double(d * d) / (2 * 1.5 * 1.5));
    }

    bool is_set(int cell) const { return set_[std::size_t(cell)]; }

    void flip(int cell) {
        const bool now = !set_[std::size_t(cell)];
        set_[std::size_t(cell)] = now;
        const double sign = now ? 1.0 : -1.0;
        const int cx = cell % kSide, cy = cell / kSide;
        for (int dy = -kReach; dy <= kReach; ++dy) {
            const int y = (cy + dy + kSide) % kSide;
            for (int dx = -kReach; dx <= kReach; ++dx) {
                const int x = (cx + dx + kSide) % kSide;
                value_[std::size_t(y * kSide + x)] +=
                    sign * kernel_[std::size_t(dy + kReach)] * kernel_[std::size_t(dx + kReach)];
            }
        }
    }

    // The set cell of highest energy (tightest cluster); ties to the lowest cell.
    int tightest_cluster() const { return extreme(true); }
    // The unset cell of lowest energy (largest void); ties to the lowest cell.
    int largest_void() const { return extreme(false); }

  private:
    int extreme(bool among_set) const {
        int best = -1;
        for (int c = 0; c < kCells; ++c) {
            if (set_[std::size_t(c)] != among_set)
                continue;
            const double v = value_[std::size_t(c)];
            if (best < 0 ||
                (among_set ? v > value_[std::size_t(best)] : v < value_[std::size_t(best)]))
                best = c;
        }
        return best;
    }

    std::vector<double> value_;
    std::vector<bool> set_;
    double kernel_[2 * kReach + 1];
};

}  // namespace

ThresholdMask void_and_cluster_mask() {
    Energy energy;
    // The start: a tenth of the cells, picked by a fixed linear congruential sequence.
    constexpr int kStart = kCells / 10;
    std::uint32_t state = 12345;
    for (int placed = 0; placed < kStart;) {
        state = state * 1664525u + 1013904223u;
        const int cell = int((state >> 8) % kCells);
        if (!energy.is_set(cell)) {
            energy.flip(cell);
            ++placed;
        }
    }
    // Relaxed: the tightest cluster's cell moves to the largest void until it would come back.
    for (int round = 0; round < kCells; ++round) {
        const int cluster = energy.tightest_cluster();
        energy.flip(cluster);
        const int hole = energy.largest_void();
        energy.flip(hole);
        if (hole == cluster)
            break;
    }
    ThresholdMask mask{kSide, std::vector<std::uint16_t>(kCells)};
    // Ranks below the start's count: its cells removed tightest cluster first, on a copy.
    Energy removing = energy;
    for (int rank = kStart - 1; rank >= 0; --rank) {
        const int cell = removing.tightest_cluster();
        removing.flip(cell);
        mask.rank[std::size_t(cell)] = std::uint16_t(rank);
    }
    // The rest: largest voids filled in turn.
    for (int rank = kStart; rank < kCells; ++rank) {
        const int cell = energy.largest_void();
        energy.flip(cell);
        mask.rank[std::size_t(cell)] = std::uint16_t(rank);
    }
    return mask;
}

ThresholdMask blue_noise_mask() {
    static_assert(std::size(kBlueNoise64) == kCells);
    return {kSide, std::vector<std::uint16_t>(std::begin(kBlueNoise64), std::end(kBlueNoise64))};
}

}  // namespace quantize::detail
