// GIF: the decoder against frames giflib writes with known indices, and round trips through
// the encoder.
#include <catch2/catch.hpp>

#include <set>

#include "gif.hpp"
#include "quantize/quantize.hpp"
#include "support.hpp"

using namespace quantize;

namespace {

std::set<std::uint32_t> colors_of(const Image& image) {
    std::set<std::uint32_t> colors;
    for (std::size_t i = 0; i < image.pixel_count(); ++i)
        colors.insert(pack(image.pixel(i)));
    return colors;
}

// The 2^n entries of a GIF's global color table from its logical screen descriptor.
int global_table_size(const std::vector<std::uint8_t>& gif) {
    REQUIRE(gif.size() > 13);
    REQUIRE((gif[10] & 0x80) != 0);
    return 2 << (gif[10] & 7);
}

}  // namespace

TEST_CASE("GIF pixels are what giflib's frame says, interlaced or not", "[gif]") {
    const bool interlaced = GENERATE(false, true);
    constexpr int kWidth = 13, kHeight = 11;  // odd sizes: every interlace pass is partial
    std::vector<std::uint8_t> rgb(3 * 8);
    for (std::size_t i = 0; i < rgb.size(); ++i)
        rgb[i] = std::uint8_t(i * 37 + 5);
    test::GifTestFrame frame;
    frame.width = kWidth;
    frame.height = kHeight;
    frame.interlaced = interlaced;
    frame.transparent = 5;
    for (int i = 0; i < kWidth * kHeight; ++i)
        frame.indices.push_back(std::uint8_t((i * 7 + i / kWidth) % 8));
    const auto bytes = test::write_gif(kWidth, kHeight, rgb, {frame});
    const Image image = decode_image(bytes, "known.gif");
    REQUIRE(image.width == kWidth);
    REQUIRE(image.height == kHeight);
    REQUIRE(image.channels == 4);
    for (std::size_t i = 0; i < image.pixel_count(); ++i) {
        const std::uint8_t index = frame.indices[i];
        const Color expected =
            index == 5 ? Color{0, 0, 0, 0}
                       : Color{rgb[3 * index], rgb[3 * index + 1], rgb[3 * index + 2], 255};
        INFO("pixel " << i);
        CHECK(image.pixel(i) == expected);
    }
}

TEST_CASE("a GIF without transparent pixels decodes as RGB", "[gif]") {
    const test::GifTestFrame frame = test::gif_frame(0, 0, 4, 2, {0, 1, 1, 0, 1, 0, 0, 1});
    const Image image = decode_image(test::write_gif(4, 2, {255, 0, 0, 0, 0, 255}, {frame}), "x");
    CHECK(image.channels == 3);
    CHECK(image.pixel(1) == Color{0, 0, 255, 255});
}

TEST_CASE("GIF round trip keeps the size, at most K colors and the transparency", "[gif]") {
    std::vector<Color> colors;
    for (int i = 0; i < 60; ++i)
        colors.push_back(
            {std::uint8_t(i * 4), std::uint8_t(255 - i * 3), std::uint8_t(i * 9), 255});
    colors.push_back({0, 0, 0, 0});
    const Image original = test::image_of_colors(61, 37, colors);
    Options options;
    options.clustering.colors = 16;
    const Quantized q = quantize::quantize(original, options);
    const auto bytes = encode_image(q.image, ImageFormat::gif, "out.gif");
    const Image decoded = decode_image(bytes, "out.gif");
    REQUIRE(decoded.width == 61);
    REQUIRE(decoded.height == 37);
    CHECK(colors_of(decoded).size() <= 16);
    for (std::size_t i = 0; i < original.pixel_count(); ++i) {
        INFO("pixel " << i);
        CHECK((original.pixel(i).a == 0) == (decoded.pixel(i).a == 0));
        if (original.pixel(i).a != 0)
            CHECK(decoded.pixel(i) == color_at(q.image, i));
    }
    CHECK(test::read_gif_structure(bytes).transparent.front() != NO_TRANSPARENT_COLOR);
}

TEST_CASE("GIF color tables hold every K from 2 to 256 at the next power of two", "[gif]") {
    for (int k = 2; k <= 256; ++k) {
        IndexedImage image;
        image.width = 16;
        image.height = 16;
        for (int i = 0; i < k; ++i)
            image.palette.push_back({{std::uint8_t(i), std::uint8_t(255 - i), 7, 255}});
        for (int i = 0; i < 256; ++i)
            image.indices.push_back(std::uint8_t(i % k));
        const auto bytes = encode_image(image, ImageFormat::gif, "k.gif");
        int expected = 2;
        while (expected < k)
            expected *= 2;
        INFO("K = " << k);
        REQUIRE(global_table_size(bytes) == expected);
        const Image decoded = decode_image(bytes, "k.gif");
        for (std::size_t i = 0; i < decoded.pixel_count(); ++i)
            REQUIRE(decoded.pixel(i) == image.palette[i % std::size_t(k)].color);
    }
}

TEST_CASE("a GIF whose frames lie partly off the canvas decodes the part on it", "[gif]") {
    const test::GifTestFrame frame = test::gif_frame(3, 1, 4, 4, std::vector<std::uint8_t>(16, 1));
    const Image image =
        decode_image(test::write_gif(5, 3, {0, 0, 0, 9, 9, 9}, {frame}), "offset.gif");
    REQUIRE(image.width == 5);
    CHECK(image.pixel(0).a == 0);                          // not covered: clear
    CHECK(image.pixel(5 + 3) == Color{9, 9, 9, 255});      // (3, 1)
    CHECK(image.pixel(2 * 5 + 4) == Color{9, 9, 9, 255});  // (4, 2)
}

TEST_CASE("an animation whose frames together are over the byte limit is refused as it grows",
          "[gif][animation][hostile]") {
    std::vector<test::GifTestFrame> frames(5, test::gif_frame(0, 0, 1, 1, {1}));
    const auto bytes = test::write_gif(1000, 1000, {0, 0, 0, 9, 9, 9}, frames);
    DecodeLimits limits;
    limits.max_bytes = 8'000'000;  // two frames of 4 MB
    try {
        decode_animation(bytes, "many.gif", limits);
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::too_large);
        CHECK(std::string(e.what()) ==
              "many.gif: 3 frames of 1000x1000 pixels (12.0 MB decoded) are over the limit of "
              "8.0 MB decoded");
    }
    CHECK(decode_image(bytes, "many.gif", limits).width == 1000);  // the first frame alone fits
}
