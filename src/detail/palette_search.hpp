// The one place where remap and every dithering method choose how to find a color's nearest
// palette entry: the cell search for opaque images compared in sRGB, a table of all 2^24 opaque
// colors in other spaces (filled a block at a time through detail::UniformBlocks where it shows
// one answer for the block, else through detail::GridSearch), a small cache per thread of work for
// colors with alpha. All three are exact (ties to the lowest index, like quantize::nearest_index)
// and give the same answers whatever the thread count.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "detail/cell_search.hpp"
#include "detail/grid_search.hpp"
#include "detail/nearest.hpp"
#include "detail/uniform_blocks.hpp"
#include "quantize/palette.hpp"
#include "quantize/pixels.hpp"

namespace quantize::detail {

// Counts of each palette index, 256 of them.
using IndexCounts = std::array<std::uint64_t, NearestSearch::kMaxSize>;

// Adds how often each index occurs in [first, last) to counts.
void count_into(IndexCounts& counts, const std::uint8_t* first, const std::uint8_t* last);

// 0xRRGGBB of an opaque pixel's three samples.
inline std::uint32_t rgb_key(const std::uint8_t* rgb) {
    return std::uint32_t{rgb[0]} << 16 | std::uint32_t{rgb[1]} << 8 | rgb[2];
}

// For opaque colors in spaces other than sRGB (or with translucent palette colors): one slot per
// 24-bit color holding its palette index + 1 (0 = not yet known), of which only the pages of
// colors present are ever touched. Slots are filled on first sight, a block of 4 x 4 x 4 colors
// at once where one palette color is the nearest to all of them (UniformBlocks), else through
// the grid search in the working space; two threads meeting the same new color both compute
// the same answer, so relaxed atomics suffice and the result is deterministic.
class OpaqueTable {
  public:
    OpaqueTable(ColorSpace space, std::span<const Point> points);

    // Index of the palette color nearest to the opaque color (r, g, b).
    std::uint8_t nearest(std::uint8_t r, std::uint8_t g, std::uint8_t b) const {
        // Slots in the cell search's order (kCellOffsets): colors close in sRGB share cache
        // lines and pages, where 0xRRGGBB order puts a step in red 64 KiB away.
        const std::uint32_t at = kCellOffsets[0][r] + kCellOffsets[1][g] + kCellOffsets[2][b];
        if (wide_)
            return nearest_in<std::uint16_t>(at, Color{r, g, b, 255});
        return nearest_in<std::uint8_t>(at, Color{r, g, b, 255});
    }

  private:
    // nearest() through the table's slots of type Slot: a byte for palettes of up to 255 colors
    // (16 MiB, one cell of the cell search's order a cache line), two for 256 (32 MiB). Bytes
    // where they suffice: adaptive diffusion at K = 16 on the 12 MP photo in Oklab looks up 1.8
    // million distinct colors, whose slots filled 7.3 MiB of cache lines in two-byte slots and
    // fill 4.1 MiB in bytes (its remap 9% faster on two threads, 14% on one).
    template <class Slot>
    std::uint8_t nearest_in(std::uint32_t at, Color c) const {
        const Slot v = std::atomic_ref<Slot>(slots<Slot>()[at]).load(std::memory_order_relaxed);
        if (v == 0)
            return fill<Slot>(at, c);
        return static_cast<std::uint8_t>(v - 1);
    }

    // Fills the slot of color c (at `at`), or its whole block, and returns c's index.
    template <class Slot>
    std::uint8_t fill(std::uint32_t at, Color c) const;

    // True for the first caller about block `block` (a line of 64 slots, kCellOffsets).
    bool claim_block(std::uint32_t block) const;

    template <class Slot>
    Slot* slots() const {
        return static_cast<Slot*>(lut_.get());
    }

    struct Free {
        void operator()(void* p) const;
    };
    ColorSpace space_;
    GridSearch grid_;
    UniformBlocks blocks_;
    bool wide_;  // 256 palette colors: an index + 1 needs two bytes
    std::unique_ptr<void, Free> lut_;
    // One bit per block of 64 slots, set once the block was tested (2^18 blocks).
    std::unique_ptr<std::atomic<std::uint64_t>[]> tested_;
};

// For colors with alpha (32-bit colors, too many for a table): a small direct-mapped cache in
// front of the search, one per thread of work.
class AlphaCache {
  public:
    AlphaCache(ColorSpace space, const NearestSearch& search)
        : space_(space), search_(search), slots_(std::size_t{1} << kBits, Slot{0, 0, false}) {}

    // Index of the palette color nearest to `color`, which must be canonical.
    std::uint8_t nearest(Color color) {
        const std::uint32_t key = pack(color);
        Slot& slot = slots_[(key * 0x9E3779B1u) >> (32 - kBits)];
        if (!slot.valid || slot.key != key)
            slot = {key, static_cast<std::uint8_t>(search_.nearest(to_point(color, space_))), true};
        return slot.index;
    }

  private:
    static constexpr int kBits = 12;
    struct Slot {
        std::uint32_t key;
        std::uint8_t index;
        bool valid;
    };
    ColorSpace space_;
    const NearestSearch& search_;
    std::vector<Slot> slots_;
};

// Which of the searches above an image and palette take.
enum class SearchKind {
    cells,  // opaque image, opaque palette, rgb or wrgb: CellSearch
    table,  // opaque image, any other case: OpaqueTable
    alpha,  // image with alpha: AlphaCache, one per thread of work
};

// One callable of several lambdas' call operators.
template <class... F>
struct Overloaded : F... {
    using F::operator()...;
};
// Spelled out for compilers without C++20's deduction for aggregates (clang before 17).
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

class PaletteSearch {
  public:
    // Throws Error (invalid_argument) unless the palette holds 1..256 colors.
    PaletteSearch(ImageView image, const Palette& palette, ColorSpace space);
    PaletteSearch(const PaletteSearch&) = delete;  // the alpha caches refer to exact_
    PaletteSearch& operator=(const PaletteSearch&) = delete;

    SearchKind kind() const { return kind_; }
    ColorSpace space() const { return space_; }
    const NearestSearch& exact() const { return exact_; }
    CellSearch& cells() { return *cells_; }
    const OpaqueTable& table() const { return *table_; }

    // Calls body(nearest), where nearest(Color) gives the palette index of a canonical color
    // (opaque unless kind() is alpha), and nearest(Color, guess) the same when the index
    // `guess` is likely the answer (the cell search then checks it first, see
    // CellSearch::nearest_near); nearest(lanes) that of an opaque color given as 32-bit lanes
    // (R, G, B, each 0..255: opaque_color) as error diffusion rounds it, with no guess. Call it
    // once per thread of work: the alpha cache it makes is that thread's own.
    template <class Body>
    void with_nearest(Body&& body) {
        switch (kind_) {
            case SearchKind::cells:
                body(Overloaded{[this](Color c) { return cells_->nearest(c.r, c.g, c.b); },
                                [this](Color c, std::uint8_t guess) {
                                    return cells_->nearest_near(c.r, c.g, c.b, guess);
                                },
                                [this](__m128i lanes) { return cells_->nearest(lanes); }});
                return;
            case SearchKind::table:
                body(Overloaded{
                    [this](Color c) { return table_->nearest(c.r, c.g, c.b); },
                    [this](Color c, std::uint8_t) { return table_->nearest(c.r, c.g, c.b); },
                    [this](__m128i lanes) {
                        const Color c = opaque_color(lanes);
                        return table_->nearest(c.r, c.g, c.b);
                    }});
                return;
            case SearchKind::alpha: {
                AlphaCache cache(space_, exact_);
                body(Overloaded{
                    [&cache](Color c) { return cache.nearest(c); },
                    [&cache](Color c, std::uint8_t) { return cache.nearest(c); },
                    [&cache](__m128i lanes) { return cache.nearest(opaque_color(lanes)); }});
                return;
            }
        }
    }

  private:
    SearchKind kind_;
    ColorSpace space_;
    NearestSearch exact_;
    std::optional<CellSearch> cells_;
    std::optional<OpaqueTable> table_;
};

}  // namespace quantize::detail
