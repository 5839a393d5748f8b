#include "quantize/remap.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <string>

#include "detail/cell_search.hpp"
#include "detail/memory.hpp"
#include "detail/nearest.hpp"
#include "detail/parallel.hpp"
#include "quantize/error.hpp"
#include "quantize/sample.hpp"

namespace quantize {

namespace {

// Pixels per parallel chunk: 64 Ki pixels amortize the per-chunk count table.
constexpr std::size_t kPixelChunk = std::size_t{1} << 16;

using Counts = std::array<std::uint64_t, detail::NearestSearch::kMaxSize>;

// Adds how often each index occurs in [first, last) to counts. Four tables side by side, so
// runs of one index do not wait on each other's increments.
void count_into(Counts& counts, const std::uint8_t* first, const std::uint8_t* last) {
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

// For opaque images compared in sRGB: the cell search (see detail/cell_search.hpp), runs of one
// color looked up once.
void remap_opaque_rgb(const Image& image, std::span<const Color> palette,
                      std::vector<std::uint8_t>& indices, std::vector<Counts>& counts) {
    detail::CellSearch search(palette);
    // Pixels between a prefetch and its lookup: enough to cover a memory access.
    constexpr std::size_t kAhead = 64;
    auto key_of = [](const std::uint8_t* s) {
        return std::uint32_t{s[0]} << 16 | std::uint32_t{s[1]} << 8 | s[2];
    };
    detail::for_each_chunk(image.pixel_count(), kPixelChunk,
                           [&](std::size_t c, std::size_t begin, std::size_t end) {
                               Counts& local = counts[c];
                               const std::uint8_t* samples = image.samples.data();
                               std::uint8_t* out = indices.data();
                               for (std::size_t i = begin; i < end; ++i) {
                                   if (i + kAhead < end)
                                       search.prefetch(key_of(samples + 3 * (i + kAhead)));
                                   out[i] = search.nearest(key_of(samples + 3 * i));
                               }
                               count_into(local, out + begin, out + end);
                           });
}

// For opaque images in other spaces: one slot per 24-bit color holding its palette index + 1 (0 =
// not yet known), 32 MiB of virtual memory of which only the pages of colors present are ever
// touched. Slots are filled on first sight; two threads meeting the same new color both
// compute the same answer, so relaxed atomics suffice and the result is deterministic.
void remap_opaque(const Image& image, ColorSpace space, const detail::NearestSearch& search,
                  std::vector<std::uint8_t>& indices, std::vector<Counts>& counts) {
    struct Free {
        void operator()(std::uint16_t* p) const { std::free(p); }
    };
    std::unique_ptr<std::uint16_t[], Free> lut(
        static_cast<std::uint16_t*>(std::calloc(std::size_t{1} << 24, sizeof(std::uint16_t))));
    if (!lut)
        throw std::bad_alloc();
    detail::advise_huge_pages(lut.get(), (std::size_t{1} << 24) * sizeof(std::uint16_t));

    detail::for_each_chunk(
        image.pixel_count(), kPixelChunk, [&](std::size_t c, std::size_t begin, std::size_t end) {
            Counts& local = counts[c];
            const std::uint8_t* s = image.samples.data() + begin * 3;
            std::uint32_t previous_key = std::numeric_limits<std::uint32_t>::max();
            std::uint8_t previous_index = 0;
            for (std::size_t i = begin; i < end; ++i, s += 3) {
                const std::uint32_t key =
                    (std::uint32_t{s[0]} << 16) | (std::uint32_t{s[1]} << 8) | s[2];
                if (key != previous_key) {
                    std::atomic_ref<std::uint16_t> slot(lut[key]);
                    std::uint16_t v = slot.load(std::memory_order_relaxed);
                    if (v == 0) {
                        v = static_cast<std::uint16_t>(
                            search.nearest(to_point({s[0], s[1], s[2], 255}, space)) + 1);
                        slot.store(v, std::memory_order_relaxed);
                    }
                    previous_key = key;
                    previous_index = static_cast<std::uint8_t>(v - 1);
                }
                indices[i] = previous_index;
                ++local[previous_index];
            }
        });
}

// For images with alpha (32-bit colors, too many for a table): a small direct-mapped cache per
// chunk in front of the search.
void remap_with_alpha(const Image& image, ColorSpace space, const detail::NearestSearch& search,
                      std::vector<std::uint8_t>& indices, std::vector<Counts>& counts) {
    constexpr int kCacheBits = 12;
    struct Slot {
        std::uint32_t key;
        std::uint8_t index;
        bool valid;
    };
    detail::for_each_chunk(
        image.pixel_count(), kPixelChunk, [&](std::size_t c, std::size_t begin, std::size_t end) {
            Counts& local = counts[c];
            std::vector<Slot> cache(std::size_t{1} << kCacheBits, Slot{0, 0, false});
            for (std::size_t i = begin; i < end; ++i) {
                const Color color = canonical(image.pixel(i));
                const std::uint32_t key = pack(color);
                Slot& slot = cache[(key * 0x9E3779B1u) >> (32 - kCacheBits)];
                if (!slot.valid || slot.key != key) {
                    slot = {key, static_cast<std::uint8_t>(search.nearest(to_point(color, space))),
                            true};
                }
                indices[i] = slot.index;
                ++local[slot.index];
            }
        });
}

bool all_opaque(const Palette& palette) {
    return std::all_of(palette.begin(), palette.end(),
                       [](const PaletteEntry& e) { return e.color.a == 255; });
}

std::vector<Color> colors_of(const Palette& palette) {
    std::vector<Color> colors;
    for (const PaletteEntry& e : palette)
        colors.push_back(e.color);
    return colors;
}

}  // namespace

std::size_t nearest_index(const Point& p, std::span<const Point> palette) {
    std::size_t best = 0;
    float best_d = std::numeric_limits<float>::infinity();
    for (std::size_t j = 0; j < palette.size(); ++j) {
        const float d = squared_distance(p, palette[j]);
        if (d < best_d) {
            best_d = d;
            best = j;
        }
    }
    return best;
}

IndexedImage remap(const Image& image, Palette palette, ColorSpace space) {
    if (palette.empty() || palette.size() > detail::NearestSearch::kMaxSize) {
        throw Error(ErrorKind::invalid_argument, "palette",
                    "must hold 1..256 colors, got " + std::to_string(palette.size()));
    }
    std::vector<Point> points;
    for (const PaletteEntry& e : palette)
        points.push_back(to_point(e.color, space));
    const detail::NearestSearch search(points);

    IndexedImage out;
    out.width = image.width;
    out.height = image.height;
    detail::resize_on_huge_pages(out.indices, image.pixel_count());
    std::vector<Counts> counts(detail::chunk_count(image.pixel_count(), kPixelChunk), Counts{});
    if (image.has_alpha()) {
        remap_with_alpha(image, space, search, out.indices, counts);
    } else if (space == ColorSpace::rgb && all_opaque(palette)) {
        remap_opaque_rgb(image, colors_of(palette), out.indices, counts);
    } else {
        remap_opaque(image, space, search, out.indices, counts);
    }
    for (PaletteEntry& e : palette)
        e.count = 0;
    for (const Counts& local : counts) {
        for (std::size_t j = 0; j < palette.size(); ++j)
            palette[j].count += local[j];
    }
    out.palette = std::move(palette);
    return out;
}

Color color_at(const IndexedImage& image, std::size_t pixel) {
    return image.palette[image.indices[pixel]].color;
}

}  // namespace quantize
