#include "quantize/remap.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <optional>
#include <string>

#include "detail/mapping.hpp"
#include "detail/memory.hpp"
#include "detail/palette_search.hpp"
#include "detail/parallel.hpp"
#include "quantize/error.hpp"
#include "quantize/sample.hpp"

namespace quantize {

namespace {

// Pixels per parallel chunk: 64 Ki pixels amortize the per-chunk count table; the cancel is
// polled once per chunk (kPollPixels).
constexpr std::size_t kPixelChunk = detail::kPollPixels;

using detail::IndexCounts;

// For opaque images compared in sRGB: the cell search (see detail/cell_search.hpp).
void remap_opaque_rgb(ImageView image, detail::CellSearch& search,
                      std::vector<std::uint8_t>& indices, std::vector<IndexCounts>& counts,
                      const detail::Poll& poll) {
    detail::for_each_chunk(image.pixel_count(), kPixelChunk,
                           [&](std::size_t c, std::size_t begin, std::size_t end) {
                               poll();
                               std::uint8_t* out = indices.data();
                               for (std::size_t i = begin; i < end; ++i) {
                                   const std::uint8_t* s = image.at(i);  // rows may be padded
                                   out[i] = search.nearest(s[0], s[1], s[2]);
                               }
                               detail::count_into(counts[c], out + begin, out + end);
                           });
}

// For opaque images in other spaces: the table of every opaque color, runs of one color looked
// up once.
void remap_opaque(ImageView image, const detail::OpaqueTable& table,
                  std::vector<std::uint8_t>& indices, std::vector<IndexCounts>& counts,
                  const detail::Poll& poll) {
    detail::for_each_chunk(
        image.pixel_count(), kPixelChunk, [&](std::size_t c, std::size_t begin, std::size_t end) {
            poll();
            IndexCounts& local = counts[c];
            std::uint32_t previous_key = std::numeric_limits<std::uint32_t>::max();
            std::uint8_t previous_index = 0;
            for (std::size_t i = begin; i < end; ++i) {
                const std::uint8_t* s = image.at(i);  // rows may be padded
                const std::uint32_t key = detail::rgb_key(s);
                if (key != previous_key) {
                    previous_key = key;
                    previous_index = table.nearest(s[0], s[1], s[2]);
                }
                indices[i] = previous_index;
                ++local[previous_index];
            }
        });
}

// For images with alpha: the alpha cache, one per chunk.
void remap_with_alpha(ImageView image, detail::PaletteSearch& search,
                      std::vector<std::uint8_t>& indices, std::vector<IndexCounts>& counts,
                      const detail::Poll& poll) {
    detail::for_each_chunk(
        image.pixel_count(), kPixelChunk, [&](std::size_t c, std::size_t begin, std::size_t end) {
            poll();
            IndexCounts& local = counts[c];
            search.with_nearest([&](auto&& nearest) {
                for (std::size_t i = begin; i < end; ++i) {
                    const std::uint8_t index = nearest(canonical(image.pixel(i)));
                    indices[i] = index;
                    ++local[index];
                }
            });
        });
}

// The mapping methods, one row each: name (the --dither value), what it is, whether it runs in
// parallel, its output's automatic PNG level, its run function. Rows in Dither's order.
constexpr DitherMethod kMethods[] = {
    {Dither::none, "none", "nearest color", true, 7, detail::run_none},
    {Dither::fs, "fs", "Floyd-Steinberg", false, 6, detail::run_fs},
    {Dither::adaptive, "adaptive", "adaptive error diffusion", false, 6, detail::run_adaptive},
    {Dither::ordered, "ordered", "ordered, blue noise", true, 6, detail::run_ordered},
    {Dither::bayer, "bayer", "ordered, Bayer 8x8", true, 6, detail::run_bayer},
};

constexpr bool rows_in_enum_order() {
    for (std::size_t i = 0; i < std::size(kMethods); ++i) {
        if (static_cast<std::size_t>(kMethods[i].dither) != i)
            return false;
    }
    return true;
}
static_assert(rows_in_enum_order(), "dither_method(d) reads row d");

}  // namespace

namespace detail {

IndexedImage indexed_image(ImageView image, Palette palette, std::vector<std::uint8_t> indices,
                           std::span<const IndexCounts> counts) {
    for (PaletteEntry& e : palette)
        e.count = 0;
    for (const IndexCounts& local : counts) {
        for (std::size_t j = 0; j < palette.size(); ++j)
            palette[j].count += local[j];
    }
    return {image.width(), image.height(), std::move(palette), std::move(indices)};
}

IndexedImage counted_image(ImageView image, Palette palette, std::vector<std::uint8_t> indices) {
    // In parallel chunks: 3 ms less of adaptive mapping on the 12 MP photo at K = 16 (2 threads)
    // than one count on one thread.
    const std::vector<IndexCounts> counts = map_chunks<IndexCounts>(
        indices.size(), kPixelChunk, [&](std::size_t begin, std::size_t end) {
            IndexCounts local{};
            count_into(local, indices.data() + begin, indices.data() + end);
            return local;
        });
    return indexed_image(image, std::move(palette), std::move(indices), counts);
}

std::vector<float> palette_spacings(const Palette& palette) {
    std::vector<Point> points;
    for (const PaletteEntry& e : palette)
        points.push_back(to_point(e.color));
    std::vector<float> out(points.size(), 0.0f);
    for (std::size_t i = 0; i < points.size(); ++i) {
        float best = std::numeric_limits<float>::infinity();
        for (std::size_t j = 0; j < points.size(); ++j) {
            if (j != i)
                best = std::min(best, squared_distance(points[i], points[j]));
        }
        out[i] = std::isfinite(best) ? std::sqrt(best) : 0.0f;
    }
    return out;
}

IndexedImage run_none(ImageView image, Palette palette, ColorSpace space, float,
                      const Progress& progress) {
    PaletteSearch search(image, palette, space);
    return remap_using(image, std::move(palette), search, Poll(progress, Stage::remap));
}

}  // namespace detail

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

IndexedImage remap(ImageView image, Palette palette, ColorSpace space) {
    detail::PaletteSearch search(image, palette, space);
    return detail::remap_using(image, std::move(palette), search);
}

std::vector<IndexedImage> remap_frames(std::span<const Image* const> images, const Palette& palette,
                                       ColorSpace space, const Progress& progress) {
    const detail::Poll poll(progress, Stage::remap);
    // One search for the opaque frames and one for those with alpha, made on first need.
    std::optional<detail::PaletteSearch> opaque, with_alpha;
    for (const Image* image : images) {
        std::optional<detail::PaletteSearch>& search = image->has_alpha() ? with_alpha : opaque;
        if (!search)
            search.emplace(*image, palette, space);
    }
    // The frames at once, each in its chunks too: one frame at a time, a 480x320 frame's 3
    // chunks left one of 2 cores idle a third of the time.
    std::vector<IndexedImage> mapped(images.size());
    detail::for_each_chunk(images.size(), 1, [&](std::size_t, std::size_t i, std::size_t) {
        const Image& image = *images[i];
        mapped[i] =
            detail::remap_using(image, palette, image.has_alpha() ? *with_alpha : *opaque, poll);
    });
    return mapped;
}

IndexedImage detail::remap_using(ImageView image, Palette palette, PaletteSearch& search,
                                 const Poll& poll) {
    std::vector<std::uint8_t> indices;
    detail::resize_populated(indices, image.pixel_count());
    std::vector<IndexCounts> counts(detail::chunk_count(image.pixel_count(), kPixelChunk),
                                    IndexCounts{});
    switch (search.kind()) {
        case SearchKind::cells:
            remap_opaque_rgb(image, search.cells(), indices, counts, poll);
            break;
        case SearchKind::table:
            remap_opaque(image, search.table(), indices, counts, poll);
            break;
        case SearchKind::alpha:
            remap_with_alpha(image, search, indices, counts, poll);
            break;
    }
    return indexed_image(image, std::move(palette), std::move(indices), counts);
}

std::span<const DitherMethod> dither_methods() {
    return kMethods;
}

const DitherMethod& dither_method(Dither dither) {
    return kMethods[static_cast<std::size_t>(dither)];
}

const char* dither_name(Dither dither) {
    return dither_method(dither).name;
}

Dither dither_at(Dither dither, double level) {
    return level > 0 ? dither : Dither::none;
}

std::optional<Dither> parse_dither(std::string_view name) {
    for (const DitherMethod& m : kMethods) {
        if (name == m.name)
            return m.dither;
    }
    return std::nullopt;
}

Dither dither_named(std::string_view name) {
    if (const auto dither = parse_dither(name))
        return *dither;
    std::string names;  // "none, fs, ... or bayer", from the table
    for (std::size_t i = 0; i < std::size(kMethods); ++i) {
        names += i == 0 ? "" : i + 1 == std::size(kMethods) ? " or " : ", ";
        names += kMethods[i].name;
    }
    throw Error(ErrorKind::invalid_argument, "dither",
                "must be " + names + " (got '" + std::string(name) + "')");
}

IndexedImage map_to_palette(ImageView image, Palette palette, ColorSpace space, Dither dither,
                            float level, const Progress& progress) {
    if (!(level >= 0 && level <= 1)) {
        throw Error(ErrorKind::invalid_argument, "dither-level",
                    "must be between 0 and 1 (got " + std::to_string(level) + ")");
    }
    IndexedImage mapped =
        dither_method(dither).run(image, std::move(palette), space, level, progress);
    mapped.dither = dither_at(dither, level);
    return mapped;
}

IndexedImage remap_dithered(ImageView image, Palette palette, ColorSpace space, float level) {
    return map_to_palette(image, std::move(palette), space, Dither::fs, level);
}

Color color_at(const IndexedImage& image, std::size_t pixel) {
    return image.palette[image.indices[pixel]].color;
}

}  // namespace quantize
