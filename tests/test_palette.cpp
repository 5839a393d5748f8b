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
