#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

#include <tbb/task_arena.h>

#include "quantize/sample.hpp"
#include "support.hpp"

using namespace quantize;

namespace {
std::uint64_t total(const std::vector<ColorCount>& counts) {
    std::uint64_t t = 0;
    for (const auto& c : counts)
        t += c.count;
    return t;
}
}  // namespace

TEST_CASE("sampling every pixel gives the exact histogram", "[sample]") {
    const std::vector<Color> colors{{10, 20, 30, 255}, {200, 0, 0, 255}, {0, 0, 255, 255}};
    const Image image = test::image_of_colors(40, 30, colors);
    std::map<std::uint32_t, std::uint32_t> expected;
    for (std::size_t i = 0; i < image.pixel_count(); ++i)
        ++expected[pack(image.pixel(i))];

    const auto counts = sample_colors(image, 0, 1);
    REQUIRE(counts.size() == 3);
    for (const auto& c : counts)
        CHECK(c.count == expected[pack(c.color)]);
    CHECK(total(counts) == image.pixel_count());
    // Morton order: the bits of r, g, b, a interleaved, highest first.
    auto z = [](Color c) {
        std::uint64_t key = 0;
        for (int bit = 7; bit >= 0; --bit) {
            for (int channel : {c.r, c.g, c.b, c.a})
                key = key << 1 | ((channel >> bit) & 1);
        }
        return key;
    };
    CHECK(z(counts[0].color) < z(counts[1].color));
    CHECK(z(counts[1].color) < z(counts[2].color));
}

TEST_CASE("every pixel of a many-colored image: the exact histogram in Morton order", "[sample]") {
    // 76,800 pixels of 4 bits a channel: more keys than one parallel chunk holds, and
    // repeated colors in most of the 256 buckets the sort spreads them into.
    Image image = test::noise_image(320, 240);
    for (auto& s : image.samples)
        s &= 0xf0;
    std::map<std::uint64_t, std::pair<Color, std::uint32_t>> expected;  // by Morton key
    for (std::size_t i = 0; i < image.pixel_count(); ++i) {
        const Color c = image.pixel(i);
        std::uint64_t z = 0;
        for (int bit = 7; bit >= 0; --bit) {
            for (int channel : {c.r, c.g, c.b, c.a})
                z = z << 1 | ((channel >> bit) & 1);
        }
        auto& entry = expected[z];
        entry.first = c;
        ++entry.second;
    }
    const auto counts = sample_colors(image, 0, 1);
    REQUIRE(counts.size() == expected.size());
    std::size_t i = 0;
    for (const auto& [z, entry] : expected) {
        CHECK(counts[i].color == entry.first);
        CHECK(counts[i].count == entry.second);
        ++i;
    }
}

TEST_CASE("a subsample is the same on 1 and several threads", "[sample]") {
    const Image image = test::noise_image(1000, 600);
    std::vector<ColorCount> single, multi;
    tbb::task_arena(1).execute([&] { single = sample_colors(image, 100000, 7); });
    tbb::task_arena(4).execute([&] { multi = sample_colors(image, 100000, 7); });
    REQUIRE(single.size() == multi.size());
    CHECK(total(single) == 100000);
    for (std::size_t i = 0; i < single.size(); ++i) {
        CHECK(single[i].color == multi[i].color);
        CHECK(single[i].count == multi[i].count);
    }
}

TEST_CASE("a subsample draws the asked number of pixels, reproducibly by seed", "[sample]") {
    const Image image = test::noise_image(200, 100);
    const auto a = sample_colors(image, 5000, 42);
    const auto b = sample_colors(image, 5000, 42);
    const auto c = sample_colors(image, 5000, 43);
    CHECK(total(a) == 5000);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        CHECK(pack(a[i].color) == pack(b[i].color));
    bool differs = a.size() != c.size();
    for (std::size_t i = 0; !differs && i < a.size(); ++i)
        differs = pack(a[i].color) != pack(c[i].color);
    CHECK(differs);
}

TEST_CASE("the stratified sample covers the whole image", "[sample]") {
    // Top half black, bottom half white: a sample of 100 pixels draws one from each row.
    Image image = make_image(100, 100, {0, 0, 0, 255});
    std::fill(image.samples.begin() + 50 * 100 * 3, image.samples.end(), std::uint8_t{255});
    const auto counts = sample_colors(image, 100, 9);
    REQUIRE(counts.size() == 2);
    CHECK(counts[0].count == 50);
    CHECK(counts[1].count == 50);
}

TEST_CASE("fully transparent pixels are counted as one color", "[sample]") {
    const Image image =
        test::image_of_colors(10, 10, {{255, 0, 0, 0}, {0, 255, 0, 0}, {9, 9, 9, 255}});
    const auto counts = sample_colors(image, 0, 1);
    REQUIRE(counts.size() == 2);
    CHECK(counts[0].color == Color{0, 0, 0, 0});
}

TEST_CASE("distinct_colors lists few colors and gives up past the limit", "[sample]") {
    const std::vector<Color> colors{{5, 5, 5, 255}, {1, 2, 3, 255}, {250, 1, 1, 255}};
    const Image image = test::image_of_colors(30, 30, colors);
    const auto found = distinct_colors(image, 3);
    REQUIRE(found.has_value());
    REQUIRE(found->size() == 3);
    CHECK((*found)[0] == Color{1, 2, 3, 255});
    CHECK((*found)[2] == Color{250, 1, 1, 255});
    CHECK_FALSE(distinct_colors(image, 2).has_value());
    CHECK_FALSE(distinct_colors(test::noise_image(64, 64), 256).has_value());
}
