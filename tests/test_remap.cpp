#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include <tbb/task_arena.h>

#include "detail/nearest.hpp"
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
