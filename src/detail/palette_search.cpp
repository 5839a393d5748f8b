#include "detail/palette_search.hpp"

#include <algorithm>
#include <cstdlib>
#include <new>
#include <string>

#include "detail/memory.hpp"
#include "quantize/error.hpp"

namespace quantize::detail {

namespace {

bool all_opaque(const Palette& palette) {
    return std::all_of(palette.begin(), palette.end(),
                       [](const PaletteEntry& e) { return e.color.a == 255; });
}

// The space's distance as a quadratic form on sRGB differences, for the spaces that have one
// (a linear map of sRGB): the cell search then finds nearest colors.
std::optional<RgbMetric> rgb_metric(ColorSpace space) {
    switch (space) {
        case ColorSpace::rgb:
            return kIdentityMetric;
        case ColorSpace::wrgb:
            return kWeightedRgbMetric;
        case ColorSpace::lab:
        case ColorSpace::oklab:
            return std::nullopt;
    }
    return std::nullopt;
}

SearchKind search_kind(ImageView image, const Palette& palette, ColorSpace space) {
    if (image.has_alpha())
        return SearchKind::alpha;
    if (rgb_metric(space) && all_opaque(palette))
        return SearchKind::cells;
    return SearchKind::table;
}

// The palette's points in `space`; throws unless 1..256 colors.
std::vector<Point> palette_points(const Palette& palette, ColorSpace space) {
    if (palette.empty() || palette.size() > NearestSearch::kMaxSize) {
        throw Error(ErrorKind::invalid_argument, "palette",
                    "must hold 1..256 colors, got " + std::to_string(palette.size()));
    }
    std::vector<Point> points;
    for (const PaletteEntry& e : palette)
        points.push_back(to_point(e.color, space));
    return points;
}

}  // namespace

void count_into(IndexCounts& counts, const std::uint8_t* first, const std::uint8_t* last) {
    // Four tables side by side, so runs of one index do not wait on each other's increments.
    std::array<std::array<std::uint32_t, 256>, 4> part{};
    const std::size_t n = std::size_t(last - first);
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        ++part[0][first[i]];
        ++part[1][first[i + 1]];
        ++part[2][first[i + 2]];
        ++part[3][first[i + 3]];
    }
    for (; i < n; ++i)
        ++part[0][first[i]];
    for (std::size_t j = 0; j < 256; ++j)
        counts[j] += std::uint64_t{part[0][j]} + part[1][j] + part[2][j] + part[3][j];
}

void OpaqueTable::Free::operator()(void* p) const {
    std::free(p);
}

namespace {

constexpr std::uint32_t kBlockSlots = 64;  // a line of kCellOffsets
constexpr std::size_t kBlocks = (std::size_t{1} << 24) / kBlockSlots;

}  // namespace

OpaqueTable::OpaqueTable(ColorSpace space, std::span<const Point> points)
    : space_(space),
      grid_(points, space),
      blocks_(space, points),
      wide_(points.size() > 255),
      tested_(new std::atomic<std::uint64_t>[kBlocks / 64]) {
    const std::size_t bytes = (std::size_t{1} << 24) * (wide_ ? 2 : 1);
    lut_.reset(std::calloc(bytes, 1));
    if (!lut_)
        throw std::bad_alloc();
    advise_huge_pages(lut_.get(), bytes);
    for (std::size_t i = 0; i < kBlocks / 64; ++i)
        tested_[i].store(0, std::memory_order_relaxed);
}

bool OpaqueTable::claim_block(std::uint32_t block) const {
    const std::uint64_t bit = std::uint64_t{1} << (block % 64);
    return (tested_[block / 64].fetch_or(bit, std::memory_order_relaxed) & bit) == 0;
}

template <class Slot>
std::uint8_t OpaqueTable::fill(std::uint32_t at, Color c) const {
    const std::uint32_t block = at / kBlockSlots;
    if (blocks_.enabled() && claim_block(block)) {
        const auto corner = [](std::uint8_t v) { return std::uint8_t(v & ~3); };
        if (const auto sole =
                blocks_.sole_nearest(Color{corner(c.r), corner(c.g), corner(c.b), 255})) {
            Slot* line = slots<Slot>() + std::size_t(block) * kBlockSlots;
            for (std::uint32_t i = 0; i < kBlockSlots; ++i)
                std::atomic_ref<Slot>(line[i]).store(Slot(*sole + 1), std::memory_order_relaxed);
            return *sole;
        }
    }
    const std::uint8_t index = grid_.nearest(to_point(c, space_));
    std::atomic_ref<Slot>(slots<Slot>()[at]).store(Slot(index + 1), std::memory_order_relaxed);
    return index;
}

template std::uint8_t OpaqueTable::fill<std::uint8_t>(std::uint32_t, Color) const;
template std::uint8_t OpaqueTable::fill<std::uint16_t>(std::uint32_t, Color) const;

PaletteSearch::PaletteSearch(ImageView image, const Palette& palette, ColorSpace space)
    : kind_(search_kind(image, palette, space)),
      space_(space),
      exact_(palette_points(palette, space)) {
    switch (kind_) {
        case SearchKind::cells: {
            std::vector<Color> colors;
            for (const PaletteEntry& e : palette)
                colors.push_back(e.color);
            cells_.emplace(colors, *rgb_metric(space));
            return;
        }
        case SearchKind::table:
            table_.emplace(space_, palette_points(palette, space));
            return;
        case SearchKind::alpha:
            return;
    }
}

}  // namespace quantize::detail
