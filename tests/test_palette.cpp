#include <catch2/catch.hpp>

#include "quantize/palette.hpp"

using namespace quantize;

TEST_CASE("hex codes are lower-case, with alpha only when not opaque", "[palette]") {
    CHECK(to_hex({255, 16, 0, 255}) == "#ff1000");
    CHECK(to_hex({1, 2, 3, 128}) == "#01020380");
}

TEST_CASE("centroids that round to one color give one entry", "[palette]") {
    const std::vector<Point> centroids{
        {{10.2f, 20, 30, 255}}, {{9.8f, 20, 30, 255}}, {{50, 60, 70, 255}}};
    const Palette palette = palette_from_centroids(centroids);
    REQUIRE(palette.size() == 2);
    CHECK(palette[0].color == Color{10, 20, 30, 255});
    CHECK(palette[1].color == Color{50, 60, 70, 255});
}

TEST_CASE("compaction drops unused entries and sorts by count", "[palette]") {
    Palette palette{
        {{1, 1, 1, 255}, 5}, {{2, 2, 2, 255}, 0}, {{3, 3, 3, 255}, 9}, {{0, 0, 0, 255}, 5}};
    const auto table = compact_and_sort_by_count(palette);
    REQUIRE(palette.size() == 3);
    CHECK(palette[0].color == Color{3, 3, 3, 255});
    CHECK(palette[1].color == Color{0, 0, 0, 255});  // equal counts: by color
    CHECK(palette[2].color == Color{1, 1, 1, 255});
    CHECK(table[2] == 0);
    CHECK(table[3] == 1);
    CHECK(table[0] == 2);
    CHECK(total_count(palette) == 19);
}

TEST_CASE("palettes sort by share, luminance and hue", "[palette]") {
    const Color black{0, 0, 0, 255}, white{255, 255, 255, 255}, red{255, 0, 0, 255},
        yellow{255, 255, 0, 255}, green{0, 160, 0, 255}, blue{0, 0, 255, 255};
    Palette palette{{blue, 10}, {white, 50}, {red, 30}, {black, 5}, {green, 40}, {yellow, 20}};
    auto order = [&](PaletteOrder o) {
        sort_palette(palette, o);
        std::vector<Color> colors;
        for (const PaletteEntry& e : palette)
            colors.push_back(e.color);
        return colors;
    };
    CHECK(order(PaletteOrder::share) == std::vector<Color>{white, green, red, yellow, blue, black});
    // CIELAB L*: black 0, blue 32, red 53, green 58, yellow 97, white 100.
    CHECK(order(PaletteOrder::luminance) ==
          std::vector<Color>{black, blue, red, green, yellow, white});
    // Greys first (dark to light), then hue angle: red 40, yellow 102, green 136, blue 306.
    CHECK(order(PaletteOrder::hue) == std::vector<Color>{black, white, red, yellow, green, blue});
    CHECK(parse_palette_order("hue") == PaletteOrder::hue);
    CHECK_FALSE(parse_palette_order("random"));
}
