#include "quantize/remap.hpp"

#include <array>
#include <atomic>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <string>

#include "detail/nearest.hpp"
#include "detail/parallel.hpp"
#include "quantize/error.hpp"
#include "quantize/sample.hpp"

namespace quantize {

namespace {

// Pixels per parallel chunk: 64 Ki pixels amortize the per-chunk count table.
constexpr std::size_t kPixelChunk = std::size_t{1} << 16;

using Counts = std::array<std::uint64_t, detail::NearestSearch::kMaxSize>;

// For opaque images: one slot per 24-bit color holding its palette index + 1 (0 = not yet
// known), 32 MiB of virtual memory of which only the pages of colors present are ever
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
    out.indices.resize(image.pixel_count());
    std::vector<Counts> counts(detail::chunk_count(image.pixel_count(), kPixelChunk), Counts{});
    if (image.has_alpha()) {
        remap_with_alpha(image, space, search, out.indices, counts);
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
