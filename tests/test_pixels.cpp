#include <catch2/catch.hpp>

#include "quantize/pixels.hpp"

using namespace quantize;

TEST_CASE("pack orders colors and unpack inverts it", "[pixels]") {
    const Color c{0x12, 0x34, 0x56, 0x78};
    CHECK(pack(c) == 0x12345678u);
    CHECK(unpack(pack(c)) == c);
    CHECK(pack({1, 0, 0, 0}) > pack({0, 255, 255, 255}));
}

TEST_CASE("opaque colors survive the trip through a point exactly", "[pixels]") {
    for (int r = 0; r < 256; r += 5) {
        for (int g = 0; g < 256; g += 7) {
            for (int b = 0; b < 256; b += 11) {
                const Color c{std::uint8_t(r), std::uint8_t(g), std::uint8_t(b), 255};
                const Point p = to_point(c);
                CHECK(p.v[0] == float(r));
                CHECK(p.v[3] == 255.0f);
                REQUIRE(to_color(p) == c);
            }
        }
    }
}

TEST_CASE("points are premultiplied and every transparent color is one point", "[pixels]") {
    const Point half = to_point({200, 100, 0, 128});
    CHECK(half.v[0] == Approx(200 * 128 / 255.0));
    CHECK(half.v[1] == Approx(100 * 128 / 255.0));
    CHECK(half.v[3] == 128.0f);
    CHECK(to_color(half) == Color{200, 100, 0, 128});

    const Point a = to_point({255, 0, 0, 0}), b = to_point({0, 0, 255, 0});
    CHECK(squared_distance(a, b) == 0.0f);
    CHECK(to_color(a) == Color{0, 0, 0, 0});
}

TEST_CASE("make_image fills every pixel and picks channels from the fill", "[pixels]") {
    const Image opaque = make_image(3, 2, {1, 2, 3, 255});
    CHECK(opaque.channels == 3);
    CHECK(opaque.samples.size() == 18);
    CHECK(opaque.pixel(5) == Color{1, 2, 3, 255});
    const Image clear = make_image(2, 2, {1, 2, 3, 0});
    CHECK(clear.channels == 4);
    CHECK(clear.has_alpha());
    CHECK(clear.pixel(3) == Color{1, 2, 3, 0});
}
