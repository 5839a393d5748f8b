// Exact nearest palette color for opaque sRGB pixels, through a lazily filled table of all
// 2^24 colors, found by cells of the RGB cube instead of by comparing every palette color.
//
// A palette color c can be the nearest to some color inside an axis-aligned box B only if
// mindist(B, c) <= u, where u is the smallest maxdist(B, c') over the whole palette: the color
// achieving u is never farther than that from any color in B. Those colors are B's
// candidates; every color in B is compared with them alone, in palette order, so ties go to the
// lowest index exactly as in brute force. A sub-box's candidates are a subset of its parent's,
// so fine cells (4x4x4 colors) are filled from coarse ones (16x16x16): a fine cell holds 1 to 3
// candidates on average at K = 256 on photos.
//
// The table stores each fine cell's 64 answers in one 64-byte cache line, filled the first
// time a pixel lands in the cell: a photo touches a few ten thousand of the 262,144 cells.
// Lookups and fills are thread-safe; two threads filling one cell write the same bytes, so
// the answers never depend on the thread count.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "quantize/pixels.hpp"

namespace quantize::detail {

class CellSearch {
  public:
    // 1..256 opaque palette colors (alpha is ignored: every color is compared as opaque).
    explicit CellSearch(std::span<const Color> palette);

    // Index of the palette color nearest to (r, g, b) in squared sRGB distance; ties go to the
    // lowest index.
    // `key` is 0xRRGGBB.
    std::uint8_t nearest(std::uint32_t key) {
        const std::uint32_t cell = cell_of(key);
        const std::uint64_t bit = std::uint64_t{1} << (cell % 64);
        if ((filled_[cell / 64].load(std::memory_order_acquire) & bit) == 0)
            fill(cell);
        return std::atomic_ref<std::uint8_t>(table_[std::size_t{cell} * 64 + slot_of(key)])
            .load(std::memory_order_relaxed);
    }

    // Asks the cache for the line holding key's answer, ahead of nearest(key): lookups of a
    // detailed photo go all over the table, so each one would otherwise wait for memory.
    void prefetch(std::uint32_t key) const {
        __builtin_prefetch(table_.get() + std::size_t{cell_of(key)} * 64);
    }

    static constexpr int kFineBits = 6;    // per channel: 64^3 cells of 4^3 colors
    static constexpr int kCoarseBits = 4;  // per channel: 16^3 cells of 16^3 colors

  private:
    struct Box {
        int lo[3];
        int hi[3];  // inclusive
    };

    // 0xRRGGBB -> fine cell (the top kFineBits of each channel) and slot in it (the rest).
    static std::uint32_t cell_of(std::uint32_t key) {
        return (key >> 18 & 0x3f) << 12 | (key >> 10 & 0x3f) << 6 | (key >> 2 & 0x3f);
    }
    static std::uint32_t slot_of(std::uint32_t key) {
        return (key >> 16 & 3) << 4 | (key >> 8 & 3) << 2 | (key & 3);
    }
    static Box box_of(std::uint32_t cell, int bits);
    // The candidates among `from` (ascending palette indices) for box b, ascending.
    void candidates_of(const Box& b, std::span<const std::uint32_t> from,
                       std::vector<std::uint32_t>& out) const;
    void fill(std::uint32_t cell);

    std::vector<Color> palette_;
    std::vector<std::uint32_t> coarse_first_;  // per coarse cell, offset into coarse_list_
    std::vector<std::uint32_t> coarse_list_;
    std::unique_ptr<std::uint8_t[]> table_;                 // 2^24 answers, cell by cell
    std::unique_ptr<std::atomic<std::uint64_t>[]> filled_;  // one bit per fine cell
};

}  // namespace quantize::detail
