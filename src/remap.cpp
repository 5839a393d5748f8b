#include "quantize/remap.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <optional>
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

// 0xRRGGBB of a color, and of an opaque pixel's three samples.
std::uint32_t rgb_key(Color c) {
    return std::uint32_t{c.r} << 16 | std::uint32_t{c.g} << 8 | c.b;
}
std::uint32_t rgb_key(const std::uint8_t* rgb) {
    return std::uint32_t{rgb[0]} << 16 | std::uint32_t{rgb[1]} << 8 | rgb[2];
}

// For opaque images compared in sRGB: the cell search (see detail/cell_search.hpp).
void remap_opaque_rgb(const Image& image, detail::CellSearch& search,
                      std::vector<std::uint8_t>& indices, std::vector<Counts>& counts) {
    detail::for_each_chunk(image.pixel_count(), kPixelChunk,
                           [&](std::size_t c, std::size_t begin, std::size_t end) {
                               const std::uint8_t* s = image.samples.data() + 3 * begin;
                               std::uint8_t* out = indices.data();
                               for (std::size_t i = begin; i < end; ++i, s += 3)
                                   out[i] = search.nearest(s[0], s[1], s[2]);
                               count_into(counts[c], out + begin, out + end);
                           });
}

// For opaque colors in other spaces: one slot per 24-bit color holding its palette index + 1
// (0 = not yet known), 32 MiB of virtual memory of which only the pages of colors present are
// ever touched. Slots are filled on first sight; two threads meeting the same new color both
// compute the same answer, so relaxed atomics suffice and the result is deterministic.
class OpaqueTable {
  public:
    OpaqueTable(ColorSpace space, const detail::NearestSearch& search)
        : space_(space),
          search_(search),
          lut_(static_cast<std::uint16_t*>(
              std::calloc(std::size_t{1} << 24, sizeof(std::uint16_t)))) {
        if (!lut_)
            throw std::bad_alloc();
        detail::advise_huge_pages(lut_.get(), (std::size_t{1} << 24) * sizeof(std::uint16_t));
    }

    // Index of the palette color nearest to the opaque color `key` = 0xRRGGBB.
    std::uint8_t nearest(std::uint32_t key) const {
        std::atomic_ref<std::uint16_t> slot(lut_[key]);
        std::uint16_t v = slot.load(std::memory_order_relaxed);
        if (v == 0) {
            const Color color{std::uint8_t(key >> 16), std::uint8_t(key >> 8), std::uint8_t(key),
                              255};
            v = static_cast<std::uint16_t>(search_.nearest(to_point(color, space_)) + 1);
            slot.store(v, std::memory_order_relaxed);
        }
        return static_cast<std::uint8_t>(v - 1);
    }

  private:
    struct Free {
        void operator()(std::uint16_t* p) const { std::free(p); }
    };
    ColorSpace space_;
    const detail::NearestSearch& search_;
    std::unique_ptr<std::uint16_t[], Free> lut_;
};

// For colors with alpha (32-bit colors, too many for a table): a small direct-mapped cache in
// front of the search, one per thread of work.
class AlphaCache {
  public:
    AlphaCache(ColorSpace space, const detail::NearestSearch& search)
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
    const detail::NearestSearch& search_;
    std::vector<Slot> slots_;
};

// For opaque images in other spaces: the table above, runs of one color looked up once.
void remap_opaque(const Image& image, const OpaqueTable& table, std::vector<std::uint8_t>& indices,
                  std::vector<Counts>& counts) {
    detail::for_each_chunk(
        image.pixel_count(), kPixelChunk, [&](std::size_t c, std::size_t begin, std::size_t end) {
            Counts& local = counts[c];
            const std::uint8_t* s = image.samples.data() + begin * 3;
            std::uint32_t previous_key = std::numeric_limits<std::uint32_t>::max();
            std::uint8_t previous_index = 0;
            for (std::size_t i = begin; i < end; ++i, s += 3) {
                const std::uint32_t key = rgb_key(s);
                if (key != previous_key) {
                    previous_key = key;
                    previous_index = table.nearest(key);
                }
                indices[i] = previous_index;
                ++local[previous_index];
            }
        });
}

// For images with alpha: the cache above, one per chunk.
void remap_with_alpha(const Image& image, ColorSpace space, const detail::NearestSearch& search,
                      std::vector<std::uint8_t>& indices, std::vector<Counts>& counts) {
    detail::for_each_chunk(
        image.pixel_count(), kPixelChunk, [&](std::size_t c, std::size_t begin, std::size_t end) {
            Counts& local = counts[c];
            AlphaCache cache(space, search);
            for (std::size_t i = begin; i < end; ++i) {
                const std::uint8_t index = cache.nearest(canonical(image.pixel(i)));
                indices[i] = index;
                ++local[index];
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

// The exact search over the palette's points in `space`; throws unless 1..256 colors.
detail::NearestSearch search_for(const Palette& palette, ColorSpace space) {
    if (palette.empty() || palette.size() > detail::NearestSearch::kMaxSize) {
        throw Error(ErrorKind::invalid_argument, "palette",
                    "must hold 1..256 colors, got " + std::to_string(palette.size()));
    }
    std::vector<Point> points;
    for (const PaletteEntry& e : palette)
        points.push_back(to_point(e.color, space));
    return detail::NearestSearch(points);
}

// The indexed image of `indices` over `palette`, whose counts become the sums of `counts`.
IndexedImage indexed_image(const Image& image, Palette palette, std::vector<std::uint8_t> indices,
                           std::span<const Counts> counts) {
    for (PaletteEntry& e : palette)
        e.count = 0;
    for (const Counts& local : counts) {
        for (std::size_t j = 0; j < palette.size(); ++j)
            palette[j].count += local[j];
    }
    return {image.width, image.height, std::move(palette), std::move(indices)};
}

// A color with premultiplied alpha, R, G, B and A on 0..255, in float: what error diffusion
// adds and subtracts. Premultiplied, so a color's weight in the error is its visible share.
using Premultiplied = std::array<float, 4>;

Premultiplied premultiplied(Color c) {
    const float a = float(c.a) / 255.0f;
    return {float(c.r) * a, float(c.g) * a, float(c.b) * a, float(c.a)};
}

// Clamps an error-adjusted color into the colors that exist (alpha 0..255, each color
// 0..alpha) and returns the nearest 8-bit straight-alpha color to it; p is clamped in place.
// With kAlpha false p is opaque (alpha 255, left as it is).
template <bool kAlpha>
Color clamped_color(Premultiplied& p) {
    auto byte = [](float v) { return static_cast<std::uint8_t>(v + 0.5f); };  // v in 0..255
    if constexpr (!kAlpha) {
        for (int c = 0; c < 3; ++c)
            p[c] = std::clamp(p[c], 0.0f, 255.0f);
        return {byte(p[0]), byte(p[1]), byte(p[2]), 255};
    }
    p[3] = std::clamp(p[3], 0.0f, 255.0f);
    for (int c = 0; c < 3; ++c)
        p[c] = std::clamp(p[c], 0.0f, p[3]);
    const std::uint8_t a = byte(p[3]);
    if (a == 0)
        return {0, 0, 0, 0};
    const float unmultiply = 255.0f / p[3];
    return {byte(std::min(255.0f, p[0] * unmultiply)), byte(std::min(255.0f, p[1] * unmultiply)),
            byte(std::min(255.0f, p[2] * unmultiply)), a};
}

// Serpentine Floyd-Steinberg over the whole image in one sequential pass. nearest(color) gives
// the palette index of a canonical color. kAlpha: the image has alpha, which carries error too;
// opaque images keep alpha 255 and only R, G and B carry error.
template <bool kAlpha, class Nearest>
void diffuse(const Image& image, const Palette& palette, float level, Nearest&& nearest,
             std::vector<std::uint8_t>& indices) {
    constexpr int kChannels = kAlpha ? 4 : 3;
    std::vector<Premultiplied> targets;
    for (const PaletteEntry& e : palette)
        targets.push_back(premultiplied(e.color));
    const float ahead = level * 7 / 16, behind_below = level * 3 / 16, below = level * 5 / 16,
                ahead_below = level * 1 / 16;
    const std::size_t width = std::size_t(image.width);
    // Error owed to each pixel of this row and of the next, with one spare slot at each end so
    // the edges need no tests (what lands there is dropped). A slot is zeroed as it is read, so
    // the row is clean when it comes back as the next one.
    std::vector<Premultiplied> row(width + 2), next(width + 2);
    for (std::size_t y = 0; y < std::size_t(image.height); ++y) {
        const bool forward = y % 2 == 0;
        for (std::size_t n = 0; n < width; ++n) {
            const std::size_t x = forward ? n : width - 1 - n;
            const std::size_t i = y * width + x;
            const std::size_t s = x + 1;  // x's slot in row and next
            Premultiplied owed = row[s];
            row[s] = Premultiplied{};
            const std::uint8_t* sample = image.samples.data() + i * kChannels;
            const Color original{sample[0], sample[1], sample[2],
                                 kAlpha ? sample[3] : std::uint8_t{255}};
            // A fully transparent pixel stays exactly transparent and drops the error owed to it
            // (its color is invisible, so that error would be lost on it or, carried on, would
            // tint the visible edge beyond it); it gives none either.
            if (kAlpha && original.a == 0) {
                indices[i] = nearest(Color{0, 0, 0, 0});
                continue;
            }
            Premultiplied target = premultiplied(original);
            for (int c = 0; c < kChannels; ++c)
                target[c] += owed[c];
            const std::uint8_t index = nearest(clamped_color<kAlpha>(target));
            indices[i] = index;
            const std::size_t s_ahead = forward ? s + 1 : s - 1;
            const std::size_t s_behind = forward ? s - 1 : s + 1;
            for (int c = 0; c < kChannels; ++c) {
                const float error = target[c] - targets[index][c];
                row[s_ahead][c] += error * ahead;
                next[s_behind][c] += error * behind_below;
                next[s][c] += error * below;
                next[s_ahead][c] += error * ahead_below;
            }
        }
        row.front() = row.back() = Premultiplied{};
        std::swap(row, next);
    }
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

// The searches of one palette, each made on first use and then shared by every image mapped to
// it (the tables fill as colors are met, so later images find most of their colors known).
class Remapper {
  public:
    Remapper(const Palette& palette, ColorSpace space)
        : palette_(palette), space_(space), search_(search_for(palette, space)) {}

    // Builds what the images need, one thread; then map() may run on many.
    void prepare(const Image& image) {
        if (image.has_alpha())
            return;
        if (space_ == ColorSpace::rgb && all_opaque(palette_)) {
            if (!cells_)
                cells_.emplace(colors_of(palette_));
        } else if (!table_) {
            table_.emplace(space_, search_);
        }
    }

    IndexedImage map(const Image& image) {
        std::vector<std::uint8_t> indices;
        detail::resize_populated(indices, image.pixel_count());
        std::vector<Counts> counts(detail::chunk_count(image.pixel_count(), kPixelChunk), Counts{});
        if (image.has_alpha())
            remap_with_alpha(image, space_, search_, indices, counts);
        else if (cells_)
            remap_opaque_rgb(image, *cells_, indices, counts);
        else
            remap_opaque(image, *table_, indices, counts);
        return indexed_image(image, palette_, std::move(indices), counts);
    }

  private:
    const Palette& palette_;
    ColorSpace space_;
    detail::NearestSearch search_;
    std::optional<detail::CellSearch> cells_;
    std::optional<OpaqueTable> table_;
};

IndexedImage remap(const Image& image, Palette palette, ColorSpace space) {
    Remapper remapper(palette, space);
    remapper.prepare(image);
    return remapper.map(image);
}

std::vector<IndexedImage> remap_frames(std::span<const Image* const> images, const Palette& palette,
                                       ColorSpace space) {
    Remapper remapper(palette, space);
    for (const Image* image : images)
        remapper.prepare(*image);
    std::vector<IndexedImage> out(images.size());
    detail::for_each_chunk(images.size(), 1, [&](std::size_t, std::size_t begin, std::size_t) {
        out[begin] = remapper.map(*images[begin]);
    });
    return out;
}

const char* dither_name(Dither dither) {
    return dither == Dither::fs ? "fs" : "none";
}

std::optional<Dither> parse_dither(std::string_view name) {
    for (Dither d : {Dither::none, Dither::fs}) {
        if (name == dither_name(d))
            return d;
    }
    return std::nullopt;
}

IndexedImage remap_dithered(const Image& image, Palette palette, ColorSpace space, float level) {
    if (!(level >= 0 && level <= 1)) {
        throw Error(ErrorKind::invalid_argument, "dither-level",
                    "must be between 0 and 1 (got " + std::to_string(level) + ")");
    }
    const detail::NearestSearch search = search_for(palette, space);
    std::vector<std::uint8_t> indices;
    detail::resize_populated(indices, image.pixel_count());
    // The same exact searches as remap, so level 0 gives its indices.
    if (image.has_alpha()) {
        AlphaCache cache(space, search);
        diffuse<true>(
            image, palette, level, [&](Color c) { return cache.nearest(c); }, indices);
    } else if (space == ColorSpace::rgb && all_opaque(palette)) {
        detail::CellSearch cells(colors_of(palette));
        diffuse<false>(
            image, palette, level, [&](Color c) { return cells.nearest(c.r, c.g, c.b); }, indices);
    } else {
        const OpaqueTable table(space, search);
        diffuse<false>(
            image, palette, level, [&](Color c) { return table.nearest(rgb_key(c)); }, indices);
    }
    Counts counts{};
    count_into(counts, indices.data(), indices.data() + indices.size());
    return indexed_image(image, std::move(palette), std::move(indices), std::span(&counts, 1));
}

Color color_at(const IndexedImage& image, std::size_t pixel) {
    return image.palette[image.indices[pixel]].color;
}

}  // namespace quantize
