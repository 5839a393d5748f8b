#include <catch2/catch.hpp>

#include <algorithm>
#include <utility>

#include "quantize/swatch.hpp"

using namespace quantize;

namespace {

Color at(const Image& image, int x, int y) {
    return image.pixel(std::size_t(y) * std::size_t(image.width) + std::size_t(x));
}

}  // namespace

TEST_CASE("bars: one row per color, length by share, on white", "[swatch]") {
    const Palette palette{{{200, 30, 30, 255}, 600}, {{20, 40, 160, 255}, 300}};
    const Image image = render_swatch(palette, SwatchStyle::bars);
    REQUIRE(image.width == 640);
    REQUIRE(image.height == 2 * 40);
    CHECK(image.channels == 3);
    // Away from the label (which starts at the left), each bar shows its color.
    CHECK(at(image, 630, 20) == Color{200, 30, 30, 255});  // the largest spans the width
    CHECK(at(image, 300, 60) == Color{20, 40, 160, 255});  // half the share, half the length
    CHECK(at(image, 330, 60) == Color{255, 255, 255, 255});
}

TEST_CASE("squares: eight to a row, labels in a contrasting color", "[swatch]") {
    Palette palette;
    for (int i = 0; i < 10; ++i)
        palette.push_back({{std::uint8_t(i * 25), 0, 0, 255}, 1});
    palette[9].color = {250, 250, 250, 255};
    const Image image = render_swatch(palette, SwatchStyle::squares);
    REQUIRE(image.width == 640);
    REQUIRE(image.height == 2 * 80);
    for (int i = 0; i < 10; ++i) {
        const int x = (i % 8) * 80, y = (i / 8) * 80;
        CHECK(at(image, x + 5, y + 5) == palette[std::size_t(i)].color);
    }
    CHECK(at(image, 2 * 80 + 5, 80 + 5) == Color{255, 255, 255, 255});  // past the last
    // The label of a dark square is drawn in white, of a light one in black (anti-aliased, so
    // look for pixels near those inks along the label's line).
    auto brightest_and_darkest = [&](int i) {
        const int x0 = (i % 8) * 80, y0 = (i / 8) * 80;
        int high = 0, low = 765;
        for (int y = y0 + 55; y < y0 + 80; ++y) {
            for (int x = x0; x < x0 + 80; ++x) {
                const Color c = at(image, x, y);
                high = std::max(high, c.r + c.g + c.b);
                low = std::min(low, c.r + c.g + c.b);
            }
        }
        return std::pair{high, low};
    };
    CHECK(brightest_and_darkest(0).first > 600);   // white ink on black
    CHECK(brightest_and_darkest(9).second < 150);  // black ink on near-white
}

TEST_CASE("swatch styles are known by name", "[swatch]") {
    CHECK(parse_swatch_style("bars") == SwatchStyle::bars);
    CHECK(parse_swatch_style("squares") == SwatchStyle::squares);
    CHECK_FALSE(parse_swatch_style("circles"));
}
