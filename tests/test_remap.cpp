#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>

#include <tbb/task_arena.h>

#include "detail/grid_search.hpp"
#include "detail/mapping.hpp"
#include "detail/nearest.hpp"
#include "detail/palette_search.hpp"
#include "detail/threshold_masks.hpp"
#include "detail/uniform_blocks.hpp"
#include "detail/weighted_rgb.hpp"
#include "quantize/error.hpp"
#include "quantize/io.hpp"
#include "quantize/remap.hpp"
#include "quantize/sample.hpp"
#include "support.hpp"

using namespace quantize;

namespace {

Palette random_palette(std::size_t size, bool alpha, unsigned seed) {
    std::mt19937 rng(seed);
    Palette palette;
    while (palette.size() < size) {
        const Color c{std::uint8_t(rng()), std::uint8_t(rng()), std::uint8_t(rng()),
                      alpha ? std::uint8_t(rng()) : std::uint8_t(255)};
        const bool seen =
            std::any_of(palette.begin(), palette.end(), [&](auto& e) { return e.color == c; });
        if (!seen)
            palette.push_back({c, 0});
    }
    return palette;
}

std::vector<Point> points_of(const Palette& palette, ColorSpace space = ColorSpace::rgb) {
    std::vector<Point> points;
    for (const auto& e : palette)
        points.push_back(to_point(e.color, space));
    return points;
}

void check_against_brute_force(const Image& image, const Palette& palette,
                               ColorSpace space = ColorSpace::rgb) {
    const IndexedImage out = remap(image, palette, space);
    const std::vector<Point> points = points_of(palette, space);
    REQUIRE(out.indices.size() == image.pixel_count());
    std::uint64_t total = 0;
    for (std::size_t j = 0; j < palette.size(); ++j)
        total += out.palette[j].count;
    CHECK(total == image.pixel_count());
    std::vector<std::uint64_t> counts(palette.size(), 0);
    for (std::size_t i = 0; i < image.pixel_count(); ++i) {
        const std::size_t expected =
            nearest_index(to_point(quantize::canonical(image.pixel(i)), space), points);
        REQUIRE(out.indices[i] == expected);
        ++counts[expected];
    }
    for (std::size_t j = 0; j < palette.size(); ++j)
        CHECK(out.palette[j].count == counts[j]);
}

}  // namespace

TEST_CASE("the fast nearest search equals brute force, best and runner-up", "[remap]") {
    std::mt19937 rng(5);
    for (std::size_t k : {1, 2, 7, 16, 100, 256}) {
        const std::vector<Point> centroids = points_of(random_palette(k, true, unsigned(k)));
        const detail::NearestSearch search(centroids);
        for (int t = 0; t < 2000; ++t) {
            const Point p = to_point({std::uint8_t(rng()), std::uint8_t(rng()), std::uint8_t(rng()),
                                      std::uint8_t(rng())});
            const detail::Nearest2 r = search.nearest2(p);
            std::vector<float> d;
            for (const Point& c : centroids)
                d.push_back(squared_distance(p, c));
            REQUIRE(r.index == nearest_index(p, centroids));
            REQUIRE(r.best == d[r.index]);
            std::sort(d.begin(), d.end());
            if (k > 1)
                REQUIRE(r.second == d[1]);
        }
    }
}

TEST_CASE("remap of an opaque image equals brute force on random data", "[remap]") {
    for (std::size_t k : {1, 2, 16, 256}) {
        check_against_brute_force(test::noise_image(300, 200, false, unsigned(k)),
                                  random_palette(k, false, 99));
    }
}

TEST_CASE("remap of an image with alpha equals brute force", "[remap]") {
    for (std::size_t k : {3, 64, 256}) {
        check_against_brute_force(test::noise_image(256, 128, true, unsigned(k)),
                                  random_palette(k, true, 5));
    }
}

TEST_CASE("remap equals brute force on a photograph", "[remap]") {
    // Real photos repeat colors in runs and neighborhoods, which the caches exploit.
    check_against_brute_force(read_image(test::sample_path("kodim23.png")),
                              random_palette(64, false, 21));
}

TEST_CASE("remap equals brute force with a palette fitted to the photograph", "[remap]") {
    // A dense palette where it matters: every cell the photo touches holds several candidates.
    const Image image = read_image(test::sample_path("kodim23.png"));
    Palette palette;
    for (const ColorCount& c : sample_colors(image, 4096, 1)) {
        if (palette.size() < 256)
            palette.push_back({c.color, 0});
    }
    check_against_brute_force(image, palette);
}

TEST_CASE("remap breaks ties toward the lowest palette index", "[remap]") {
    // (1, y, z) is equally far from (0, y, z) and (2, y, z); (9, 9, 9) is listed twice.
    std::vector<Color> colors;
    for (int v = 0; v < 256; v += 3)
        colors.push_back({1, std::uint8_t(v), std::uint8_t(255 - v), 255});
    const Image image = test::image_of_colors(64, 64, colors);
    const Palette palette{{{0, 0, 0, 255}, 0}, {{2, 0, 0, 255}, 0},     {{9, 9, 9, 255}, 0},
                          {{9, 9, 9, 255}, 0}, {{2, 255, 255, 255}, 0}, {{0, 255, 255, 255}, 0}};
    check_against_brute_force(image, palette);
}

TEST_CASE("remap equals brute force in every color space", "[remap]") {
    const Image photo = read_image(test::sample_path("kodim23.png"));
    for (ColorSpace space : {ColorSpace::lab, ColorSpace::oklab}) {
        check_against_brute_force(photo, random_palette(48, false, 4), space);
        check_against_brute_force(test::noise_image(100, 80, true, 2), random_palette(32, true, 6),
                                  space);
    }
}

TEST_CASE("remap of an opaque image with a translucent palette color equals brute force",
          "[remap]") {
    Palette palette = random_palette(40, false, 12);
    palette[7].color.a = 128;
    check_against_brute_force(test::noise_image(200, 100, false, 5), palette);
}

TEST_CASE("remap gives the same indices on 1 and several threads", "[remap]") {
    const Image image = test::noise_image(512, 300, false, 8);
    const Palette palette = random_palette(200, false, 3);
    IndexedImage a, b;
    tbb::task_arena(1).execute([&] { a = remap(image, palette); });
    tbb::task_arena(4).execute([&] { b = remap(image, palette); });
    CHECK(a.indices == b.indices);
}

TEST_CASE("every fully transparent pixel maps to the transparent entry", "[remap]") {
    const Image image =
        test::image_of_colors(20, 20, {{255, 0, 0, 0}, {0, 0, 255, 0}, {250, 250, 250, 255}});
    const Palette palette{{{0, 0, 0, 0}, 0}, {{255, 255, 255, 255}, 0}};
    const IndexedImage out = remap(image, palette);
    for (std::size_t i = 0; i < image.pixel_count(); ++i) {
        CHECK(out.indices[i] == (image.pixel(i).a == 0 ? 0 : 1));
    }
}

namespace {

// Black, white and four corners of the RGB cube between them, after `first`, before `last`:
// few colors, far from the gradients below.
Palette few_colors(std::vector<Color> first = {}, std::vector<Color> last = {}) {
    first.insert(first.end(), {{0, 0, 0, 255},
                               {255, 0, 0, 255},
                               {0, 255, 0, 255},
                               {255, 255, 0, 255},
                               {0, 0, 255, 255},
                               {255, 255, 255, 255}});
    first.insert(first.end(), last.begin(), last.end());
    Palette palette;
    for (const Color& c : first)
        palette.push_back({c, 0});
    return palette;
}

// Mean over 8x8 blocks and channels of |block average of the output - block average of the
// input|, on 0..255: how far the picture seen from a distance is from the original.
double block_average_error(const Image& image, const IndexedImage& out) {
    constexpr int kBlock = 8;
    double total = 0;
    int blocks = 0;
    for (int by = 0; by + kBlock <= image.height; by += kBlock) {
        for (int bx = 0; bx + kBlock <= image.width; bx += kBlock) {
            double in[3] = {0, 0, 0}, got[3] = {0, 0, 0};
            for (int y = by; y < by + kBlock; ++y) {
                for (int x = bx; x < bx + kBlock; ++x) {
                    const std::size_t i = std::size_t(y) * std::size_t(image.width) + x;
                    const Color a = image.pixel(i), b = color_at(out, i);
                    in[0] += a.r, in[1] += a.g, in[2] += a.b;
                    got[0] += b.r, got[1] += b.g, got[2] += b.b;
                }
            }
            for (int c = 0; c < 3; ++c)
                total += std::abs(in[c] - got[c]) / (kBlock * kBlock);
            ++blocks;
        }
    }
    return total / (3.0 * blocks);
}

// Red across, green down, blue constant: a smooth ramp between few palette colors.
Image gradient_image(int width, int height) {
    Image image = make_image(width, height, {0, 0, 0, 255});
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            std::uint8_t* p = image.samples.data() + 3 * (std::size_t(y) * width + x);
            p[0] = std::uint8_t(x * 255 / (width - 1));
            p[1] = std::uint8_t(y * 255 / (height - 1));
            p[2] = 96;
        }
    }
    return image;
}

}  // namespace

TEST_CASE("dithering keeps a gradient's block averages closer to the original", "[remap]") {
    const Image image = gradient_image(256, 128);
    const Palette few = few_colors();
    for (ColorSpace space : {ColorSpace::rgb, ColorSpace::lab, ColorSpace::oklab}) {
        const double plain = block_average_error(image, remap(image, few, space));
        const double half = block_average_error(image, remap_dithered(image, few, space, 0.5f));
        const double full = block_average_error(image, remap_dithered(image, few, space, 1.0f));
        INFO(color_space_name(space) << ": none " << plain << ", 0.5 " << half << ", 1 " << full);
        CHECK(half < plain);
        CHECK(full < half);
        CHECK(full < plain / 4);
    }
}

TEST_CASE("dithering at level 0 gives remap's indices byte for byte", "[remap]") {
    const Image photo = read_image(test::sample_path("kodim23.png"));
    const Image alpha = test::noise_image(120, 90, true, 4);
    for (ColorSpace space : {ColorSpace::rgb, ColorSpace::lab, ColorSpace::oklab}) {
        const Palette opaque = random_palette(64, false, 8);
        const IndexedImage a = remap(photo, opaque, space);
        const IndexedImage b = remap_dithered(photo, opaque, space, 0.0f);
        CHECK(a.indices == b.indices);
        for (std::size_t j = 0; j < opaque.size(); ++j)
            CHECK(a.palette[j].count == b.palette[j].count);
        const Palette translucent = random_palette(32, true, 9);
        CHECK(remap(alpha, translucent, space).indices ==
              remap_dithered(alpha, translucent, space, 0.0f).indices);
    }
}

TEST_CASE("dithering uses only palette colors and counts every pixel", "[remap]") {
    const Image image = read_image(test::sample_path("kodim23.png"));
    const Palette palette = random_palette(16, false, 2);
    const IndexedImage out = remap_dithered(image, palette, ColorSpace::rgb, 1.0f);
    REQUIRE(out.indices.size() == image.pixel_count());
    std::vector<std::uint64_t> counts(palette.size(), 0);
    for (std::uint8_t index : out.indices) {
        REQUIRE(index < palette.size());
        ++counts[index];
    }
    for (std::size_t j = 0; j < palette.size(); ++j) {
        CHECK(out.palette[j].color == palette[j].color);
        CHECK(out.palette[j].count == counts[j]);
    }
    CHECK_THROWS_AS(remap_dithered(image, palette, ColorSpace::rgb, 1.5f), Error);
}

TEST_CASE("dithering gives the same indices on 1 and 2 threads", "[remap]") {
    const Image image = read_image(test::sample_path("kodim23.png"));
    const Palette palette = random_palette(32, false, 6);
    IndexedImage a, b;
    tbb::task_arena(1).execute([&] { a = remap_dithered(image, palette, ColorSpace::rgb, 1.0f); });
    tbb::task_arena(2).execute([&] { b = remap_dithered(image, palette, ColorSpace::rgb, 1.0f); });
    CHECK(a.indices == b.indices);
}

TEST_CASE("dithering keeps transparent pixels transparent and out of the error", "[remap]") {
    // Left half fully transparent (colors that would matter if they were seen), right half an
    // opaque gradient: the right half dithers exactly as the gradient does on its own.
    const int width = 64, height = 48;
    const Image gradient = gradient_image(width / 2, height);
    Image half = make_image(width / 2, height, {0, 0, 0, 0}, 4);
    Image both = make_image(width, height, {0, 0, 0, 0}, 4);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            std::uint8_t* p = both.samples.data() + 4 * (std::size_t(y) * width + x);
            if (x < width / 2) {
                p[0] = std::uint8_t(7 * x), p[1] = 200, p[2] = std::uint8_t(y), p[3] = 0;
                continue;
            }
            const Color c = gradient.pixel(std::size_t(y) * (width / 2) + (x - width / 2));
            p[0] = c.r, p[1] = c.g, p[2] = c.b, p[3] = 255;
            std::uint8_t* q =
                half.samples.data() + 4 * (std::size_t(y) * (width / 2) + x - width / 2);
            q[0] = c.r, q[1] = c.g, q[2] = c.b, q[3] = 255;
        }
    }
    // Transparent first, so its index is 0; one translucent color to dither alpha with.
    const Palette palette = few_colors({{0, 0, 0, 0}}, {{128, 128, 96, 128}});
    const IndexedImage out_both = remap_dithered(both, palette, ColorSpace::rgb, 1.0f);
    const IndexedImage out_half = remap_dithered(half, palette, ColorSpace::rgb, 1.0f);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            const std::size_t i = std::size_t(y) * width + x;
            if (x < width / 2) {
                REQUIRE(out_both.indices[i] == 0);
            } else {
                REQUIRE(out_both.indices[i] ==
                        out_half.indices[std::size_t(y) * (width / 2) + x - width / 2]);
            }
        }
    }
}

TEST_CASE("every dithering method keeps a gradient's block averages close to the original",
          "[remap][dither]") {
    const Image image = gradient_image(256, 128);
    const Palette few = few_colors();
    for (ColorSpace space : {ColorSpace::rgb, ColorSpace::lab, ColorSpace::oklab}) {
        const double plain = block_average_error(image, remap(image, few, space));
        for (const DitherMethod& method : dither_methods()) {
            if (method.dither == Dither::none)
                continue;
            const double dithered =
                block_average_error(image, map_to_palette(image, few, space, method.dither, 1.0f));
            INFO(color_space_name(space)
                 << " " << method.name << ": none " << plain << ", " << dithered);
            CHECK(dithered < plain / 2);
        }
    }
}

TEST_CASE("every method at level 0 gives remap's indices, and none is remap", "[remap][dither]") {
    const Image photo = read_image(test::sample_path("kodim23.png"));
    const Palette palette = random_palette(32, false, 12);
    const IndexedImage plain = remap(photo, palette, ColorSpace::rgb);
    for (const DitherMethod& method : dither_methods()) {
        INFO(method.name);
        CHECK(map_to_palette(photo, palette, ColorSpace::rgb, method.dither, 0.0f).indices ==
              plain.indices);
    }
    CHECK(map_to_palette(photo, palette, ColorSpace::rgb, Dither::none, 1.0f).indices ==
          plain.indices);
    CHECK_THROWS_AS(map_to_palette(photo, palette, ColorSpace::rgb, Dither::ordered, -0.5f), Error);
}

TEST_CASE("adaptive dithering leaves a flat region and a hard edge undithered", "[remap][dither]") {
    // Left: a gradient between palette colors, which dithers. Right: flat grey, a palette color,
    // after a hard edge. Full Floyd-Steinberg carries the gradient's error across the edge and
    // speckles the flat side; adaptive diffusion leaves the flat side one color and the edge
    // pixels (columns 63, 64) as plain remap maps them.
    const int width = 128, height = 64;
    const Image gradient = gradient_image(width / 2, height);
    Image image = make_image(width, height, {128, 128, 128, 255});
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width / 2; ++x) {
            const Color c = gradient.pixel(std::size_t(y) * (width / 2) + x);
            std::uint8_t* p = image.samples.data() + 3 * (std::size_t(y) * width + x);
            p[0] = c.r, p[1] = c.g, p[2] = c.b;
        }
    }
    // Greys close to the flat side's, which error carried across the edge would pick.
    const Palette few =
        few_colors({}, {{128, 128, 128, 255}, {112, 112, 112, 255}, {144, 144, 144, 255}});
    const IndexedImage plain = remap(image, few, ColorSpace::rgb);
    const IndexedImage adaptive = map_to_palette(image, few, ColorSpace::rgb, Dither::adaptive, 1);
    const IndexedImage fs = map_to_palette(image, few, ColorSpace::rgb, Dither::fs, 1);
    const std::uint8_t grey = 6;  // the flat side's color, last in the palette
    int fs_specks = 0, gradient_changes = 0;
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            const std::size_t i = std::size_t(y) * width + x;
            if (x >= width / 2) {
                REQUIRE(adaptive.indices[i] == grey);
                fs_specks += fs.indices[i] != grey;
            } else {
                gradient_changes += adaptive.indices[i] != plain.indices[i];
            }
            if (x == width / 2 - 1)
                REQUIRE(adaptive.indices[i] == plain.indices[i]);
        }
    }
    CHECK(fs_specks > 0);                 // the test has teeth: without the map, error crosses
    CHECK(gradient_changes > width * 4);  // and the gradient is dithered
}

TEST_CASE("adaptive dithering leaves noise mostly undithered and costs few changes",
          "[remap][dither]") {
    // Noise hides banding: the dither map gives it little error, so far fewer pixels leave
    // their nearest color than under Floyd-Steinberg.
    const Image noise = test::noise_image(96, 64);
    const Palette palette = random_palette(16, false, 4);
    const IndexedImage plain = remap(noise, palette, ColorSpace::rgb);
    auto changed = [&](Dither d) {
        const IndexedImage out = map_to_palette(noise, palette, ColorSpace::rgb, d, 1);
        int n = 0;
        for (std::size_t i = 0; i < out.indices.size(); ++i)
            n += out.indices[i] != plain.indices[i];
        return n;
    };
    CHECK(changed(Dither::adaptive) * 4 < changed(Dither::fs));
}

TEST_CASE("every method gives the same indices on 1 and 2 threads", "[remap][dither]") {
    const Image image = read_image(test::sample_path("kodim23.png"));
    const Image alpha = test::noise_image(300, 200, true, 5);
    const Palette palette = random_palette(32, false, 6);
    const Palette translucent = random_palette(32, true, 7);
    for (const DitherMethod& method : dither_methods()) {
        for (ColorSpace space : {ColorSpace::rgb, ColorSpace::oklab}) {
            IndexedImage a, b, c, d;
            tbb::task_arena(1).execute([&] {
                a = map_to_palette(image, palette, space, method.dither, 1);
                c = map_to_palette(alpha, translucent, space, method.dither, 1);
            });
            tbb::task_arena(2).execute([&] {
                b = map_to_palette(image, palette, space, method.dither, 1);
                d = map_to_palette(alpha, translucent, space, method.dither, 1);
            });
            INFO(method.name << " " << color_space_name(space));
            CHECK(a.indices == b.indices);
            CHECK(c.indices == d.indices);
        }
    }
}

TEST_CASE("each band of the diffusion equals its rows diffused alone", "[remap][dither]") {
    // 9 bands of 256 rows (the last shorter) make four groups, the first diffusing three bands
    // pixel by pixel in step, the others two or one (src/remap_fs.cpp). A band's rows depend
    // only on the pixels from 16 rows before it on, so each must equal those rows diffused as an
    // image of their own, in one pass: a band in step that read another's state would not.
    constexpr std::size_t kBandRows = 256, kWarmRows = 16;
    const Image image = test::noise_image(40, int(8 * kBandRows + 100), false, 11);
    const std::size_t w = std::size_t(image.width), h = std::size_t(image.height);
    for (std::size_t colors : {16, 64}) {  // all compared at once; the cell table
        const Palette palette = random_palette(colors, false, 12);
        detail::PaletteSearch search(image, palette, ColorSpace::rgb);
        const std::vector<std::uint8_t> banded =
            detail::diffuse_errors(image, palette, search, 1, detail::DitherMap{}, kBandRows);
        for (std::size_t keep = 0; keep < h; keep += kBandRows) {
            const std::size_t first = keep - std::min(keep, kWarmRows);
            const std::size_t last = std::min(h, keep + kBandRows);
            Image rows = make_image(int(w), int(last - first), {0, 0, 0, 255}, 3);
            std::copy(image.samples.begin() + std::ptrdiff_t(first * w * 3),
                      image.samples.begin() + std::ptrdiff_t(last * w * 3), rows.samples.begin());
            detail::PaletteSearch rows_search(rows, palette, ColorSpace::rgb);
            const std::vector<std::uint8_t> alone =
                detail::diffuse_errors(rows, palette, rows_search, 1, detail::DitherMap{}, 0);
            INFO(colors << " colors, band from row " << keep);
            CHECK(std::equal(alone.begin() + std::ptrdiff_t((keep - first) * w), alone.end(),
                             banded.begin() + std::ptrdiff_t(keep * w)));
        }
    }
}

TEST_CASE("ordered dithering maps a region two frames share alike in both", "[remap][dither]") {
    // Two frames of a gradient; the second has a different top-left corner. Ordered methods
    // are pixel-local, so everything outside the corner maps alike; error diffusion would
    // carry the corner's change on.
    const Image first = gradient_image(160, 96);
    Image second = first;
    for (int y = 0; y < 24; ++y) {
        for (int x = 0; x < 40; ++x) {
            std::uint8_t* p = second.samples.data() + 3 * (std::size_t(y) * 160 + x);
            p[0] = 20, p[1] = 200, p[2] = 140;
        }
    }
    const Palette few = few_colors();
    for (Dither d : {Dither::ordered, Dither::bayer}) {
        const IndexedImage a = map_to_palette(first, few, ColorSpace::rgb, d, 1);
        const IndexedImage b = map_to_palette(second, few, ColorSpace::rgb, d, 1);
        int differ_outside = 0;
        for (int y = 0; y < 96; ++y) {
            for (int x = 0; x < 160; ++x) {
                const std::size_t i = std::size_t(y) * 160 + x;
                if (y >= 24 || x >= 40)
                    differ_outside += a.indices[i] != b.indices[i];
            }
        }
        INFO(dither_name(d));
        CHECK(differ_outside == 0);
        CHECK(dither_method(d).parallel);
    }
}

TEST_CASE("every method keeps clear pixels clear", "[remap][dither]") {
    // Clear pixels of many colors among translucent and opaque ones.
    Image image = test::noise_image(64, 48, true, 9);
    for (std::size_t i = 0; i < image.pixel_count(); i += 3)
        image.samples[4 * i + 3] = 0;
    const Palette palette = few_colors({{0, 0, 0, 0}}, {{128, 128, 96, 128}});
    for (const DitherMethod& method : dither_methods()) {
        const IndexedImage out = map_to_palette(image, palette, ColorSpace::rgb, method.dither, 1);
        INFO(method.name);
        for (std::size_t i = 0; i < image.pixel_count(); ++i) {
            if (image.pixel(i).a == 0)
                REQUIRE(out.indices[i] == 0);
        }
    }
}

TEST_CASE("the blue-noise and Bayer masks hold every rank once", "[remap][dither]") {
    for (const detail::ThresholdMask& mask : {detail::bayer_mask(), detail::blue_noise_mask()}) {
        std::vector<int> seen(mask.rank.size(), 0);
        for (std::uint16_t r : mask.rank) {
            REQUIRE(r < seen.size());
            ++seen[r];
        }
        CHECK(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
        CHECK(std::size_t(mask.side * mask.side) == mask.rank.size());
    }
    CHECK(detail::bayer_mask().side == 8);
    CHECK(detail::bayer_mask().rank[0] == 0);
    CHECK(detail::bayer_mask().rank[1] == 32);  // row 0 of the usual 8x8 Bayer matrix: 0 32 8 40
    CHECK(detail::bayer_mask().rank[9] == 16);  // row 1: 48 16 56 24
    CHECK(detail::blue_noise_mask().rank == detail::blue_noise_mask().rank);
}

TEST_CASE("the shipped blue-noise table is the void-and-cluster method's output",
          "[remap][dither]") {
    const detail::ThresholdMask made = detail::void_and_cluster_mask();
    const detail::ThresholdMask shipped = detail::blue_noise_mask();
    CHECK(shipped.side == made.side);
    CHECK(shipped.rank == made.rank);
}

// Prints src/detail/blue_noise_64.inc's numbers (run on purpose only, hidden by the tag).
TEST_CASE("print the blue-noise table", "[.blue-noise-table]") {
    const detail::ThresholdMask made = detail::void_and_cluster_mask();
    for (std::size_t i = 0; i < made.rank.size(); ++i)
        std::printf("%s%u,%s", i % 16 == 0 ? "    " : " ", unsigned(made.rank[i]),
                    i % 16 == 15 ? "\n" : "");
}

TEST_CASE("the grid search equals brute force in lab, oklab and sRGB with translucent colors",
          "[remap][dither]") {
    // Every 5th level of each channel (52^3 colors, corners included) and a palette clustered
    // in one corner, so most colors fall in cells far from every point, and some outside the
    // palette's box.
    for (ColorSpace space : {ColorSpace::lab, ColorSpace::oklab, ColorSpace::rgb}) {
        for (std::size_t k : {std::size_t{2}, std::size_t{256}}) {
            Palette palette = random_palette(k, space == ColorSpace::rgb, unsigned(k + 3));
            for (PaletteEntry& e : palette)
                e.color.r = std::uint8_t(e.color.r / 4);
            palette.push_back(palette.back());  // a tie, to go to the lower index
            if (palette.size() > 256)
                palette.erase(palette.begin());
            const std::vector<Point> points = points_of(palette, space);
            const detail::GridSearch grid(points, space);
            for (int r = 0; r < 256; r += 5) {
                for (int g = 0; g < 256; g += 5) {
                    for (int b = 0; b < 256; b += 5) {
                        const Point p = to_point(
                            Color{std::uint8_t(r), std::uint8_t(g), std::uint8_t(b), 255}, space);
                        REQUIRE(grid.nearest(p) == nearest_index(p, points));
                    }
                }
            }
        }
    }
}

TEST_CASE("a block of colors the uniform-block test settles maps to its answer, brute force",
          "[remap][dither]") {
    // Random 4 x 4 x 4 blocks, palettes of 2 to 64 colors (the most the test takes) with a tie:
    // every color of a settled block is nearest to the settled index, and the test settles
    // many blocks (at K = 16 most blocks hold one palette color's colors only).
    std::mt19937 rng(31);
    for (ColorSpace space : {ColorSpace::lab, ColorSpace::oklab}) {
        for (std::size_t k : {std::size_t{2}, std::size_t{16}, std::size_t{63}}) {
            Palette palette = random_palette(k, false, unsigned(k + 40));
            palette.push_back(palette.front());  // a tie, to go to the lower index
            const std::vector<Point> points = points_of(palette, space);
            const detail::UniformBlocks blocks(space, points);
            REQUIRE(blocks.enabled());
            std::size_t settled = 0;
            constexpr int kBlocks = 1500;
            for (int n = 0; n < kBlocks; ++n) {
                const Color corner{std::uint8_t(rng() & ~3u), std::uint8_t(rng() & ~3u),
                                   std::uint8_t(rng() & ~3u), 255};
                const std::optional<std::uint8_t> sole = blocks.sole_nearest(corner);
                if (!sole)
                    continue;
                ++settled;
                for (int i = 0; i < 64; ++i) {
                    const Color c{std::uint8_t(corner.r + (i >> 4)),
                                  std::uint8_t(corner.g + ((i >> 2) & 3)),
                                  std::uint8_t(corner.b + (i & 3)), 255};
                    REQUIRE(nearest_index(to_point(c, space), points) == *sole);
                }
            }
            CAPTURE(k);
            CHECK(settled > kBlocks / 3);
        }
    }
    // Larger palettes and the sRGB spaces: nothing to test, the table searches color by color.
    CHECK_FALSE(detail::UniformBlocks(ColorSpace::oklab,
                                      points_of(random_palette(65, false, 3), ColorSpace::oklab))
                    .enabled());
    CHECK_FALSE(
        detail::UniformBlocks(ColorSpace::rgb, points_of(random_palette(8, false, 3))).enabled());
}

// Brute force in exact integers for the spaces compared by an integer form (rgb, wrgb), where
// float points could break a tie between two equally near colors otherwise; else by points.
std::size_t exact_nearest(Color c, const Palette& palette, ColorSpace space) {
    if (space != ColorSpace::rgb && space != ColorSpace::wrgb)
        return nearest_index(to_point(c, space), points_of(palette, space));
    const detail::RgbMetric& metric =
        space == ColorSpace::wrgb ? detail::kWeightedRgbMetric : detail::kIdentityMetric;
    std::size_t best = 0;
    std::int64_t best_distance = std::numeric_limits<std::int64_t>::max();
    for (std::size_t i = 0; i < palette.size(); ++i) {
        const Color& p = palette[i].color;
        const std::int64_t d = metric.of(c.r - p.r, c.g - p.g, c.b - p.b);
        if (d < best_distance) {
            best = i;
            best_distance = d;
        }
    }
    return best;
}

TEST_CASE("the search dithering uses equals brute force in every color space", "[remap][dither]") {
    // Dithering looks up many new colors: in sRGB through CellSearch, in lab and oklab through
    // the table of every opaque color. Both must give brute force's answer, ties to the lowest
    // index.
    const Image opaque = make_image(4, 4, {1, 2, 3, 255});
    std::mt19937 rng(21);
    // A guessed index (error diffusion's neighbour) must not change the answer either, in any
    // space's metric: the guess is taken only when provably nearest.
    for (ColorSpace space :
         {ColorSpace::rgb, ColorSpace::wrgb, ColorSpace::lab, ColorSpace::oklab}) {
        // 1 to 16 colors: sRGB's search compares them all at once (CellSearch::nearest_of_few);
        // 17 and 256: through its table.
        for (std::size_t k : {std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{256}}) {
            Palette palette = random_palette(k, false, unsigned(k));
            if (k == 15 || k == 16)
                palette.push_back(palette.front());  // a tie, to go to the lower index
            const std::vector<Point> points = points_of(palette, space);
            detail::PaletteSearch search(opaque, palette, space);
            search.with_nearest([&](auto&& nearest) {
                for (int n = 0; n < 20000; ++n) {
                    const Color c{std::uint8_t(rng()), std::uint8_t(rng()), std::uint8_t(rng()),
                                  255};
                    const std::size_t expected = nearest_index(to_point(c, space), points);
                    REQUIRE(nearest(c) == expected);
                    REQUIRE(nearest(c, std::uint8_t(rng() % palette.size())) == expected);
                    // A color just inside half the sRGB gap from a palette color p to its
                    // nearest other one, in a random direction, with p guessed: the shortcut's
                    // hardest case, where a search measuring the gap in another metric than
                    // its own would answer p wrongly; then with a random guess.
                    const std::size_t pi = rng() % palette.size();
                    const Color& p = palette[pi].color;
                    double gap = 1e9;
                    for (std::size_t j = 0; j < palette.size(); ++j) {
                        const Color& o = palette[j].color;
                        if (j != pi)
                            gap = std::min(gap, std::hypot(o.r - p.r, o.g - p.g, o.b - p.b));
                    }
                    std::normal_distribution<double> normal;
                    const double dir[3] = {normal(rng), normal(rng), normal(rng)};
                    const double scale = 0.49 * gap / std::hypot(dir[0], dir[1], dir[2]);
                    const auto moved = [scale](std::uint8_t from, double step) {
                        return std::uint8_t(std::clamp(std::lround(from + scale * step), 0L, 255L));
                    };
                    const Color off{moved(p.r, dir[0]), moved(p.g, dir[1]), moved(p.b, dir[2]),
                                    255};
                    const std::size_t off_expected = exact_nearest(off, palette, space);
                    REQUIRE(nearest(off, std::uint8_t(pi)) == off_expected);
                    REQUIRE(nearest(off, std::uint8_t(rng() % palette.size())) == off_expected);
                }
            });
        }
    }
}
