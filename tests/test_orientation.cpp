#include <catch2/catch.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "exif.hpp"
#include "quantize/error.hpp"
#include "quantize/orientation.hpp"
#include "support.hpp"

using quantize::Color;
using quantize::Image;

namespace {

// The asymmetric 3 x 2 image, pixels named by letter:  a b c
//                                                       d e f
Image letters(int channels) {
    Image image = quantize::make_image(3, 2, {0, 0, 0, 255}, channels);
    for (std::size_t i = 0; i < 6; ++i) {
        std::uint8_t* p = image.samples.data() + i * std::size_t(channels);
        p[0] = static_cast<std::uint8_t>('a' + i);
        p[1] = static_cast<std::uint8_t>(10 * i);
        p[2] = static_cast<std::uint8_t>(200 - i);
        if (channels == 4)
            p[3] = static_cast<std::uint8_t>(100 + i);
    }
    return image;
}

// The image's layout as rows of letters, e.g. "abc/def".
std::string layout(const Image& image) {
    std::string text;
    for (int y = 0; y < image.height; ++y) {
        if (y)
            text += '/';
        for (int x = 0; x < image.width; ++x) {
            const Color c = image.pixel(std::size_t(y) * std::size_t(image.width) + std::size_t(x));
            text += static_cast<char>(c.r);
        }
    }
    return text;
}

// What the EXIF specification (CIPA DC-008, tag 0x0112) says a viewer shows for stored
// "abc/def" with each orientation.
const char* const upright_layout[9] = {nullptr,    "abc/def",  "cba/fed",  "fed/cba", "def/abc",
                                       "ad/be/cf", "da/eb/fc", "fc/eb/da", "cf/be/ad"};

cv::Mat to_mat(const Image& image) {
    return cv::Mat(image.height, image.width, CV_8UC(image.channels),
                   const_cast<std::uint8_t*>(image.samples.data()))
        .clone();
}

}  // namespace

TEST_CASE("apply_orientation turns the pixels as the EXIF specification defines") {
    for (int channels : {3, 4}) {
        for (int o = 1; o <= 8; ++o) {
            CAPTURE(channels, o);
            const Image stored = letters(channels);
            Image image = stored;
            image.metadata.orientation = o;
            quantize::apply_orientation(image, o);
            CHECK(layout(image) == upright_layout[o]);
            CHECK(image.width == (o >= 5 ? 2 : 3));
            CHECK(image.height == (o >= 5 ? 3 : 2));
            CHECK(image.samples.size() == stored.samples.size());
            CHECK(image.metadata.orientation == o);  // still says what the file had
            // Every pixel moved whole: G, B and alpha went with R.
            for (std::size_t i = 0; i < image.pixel_count(); ++i) {
                const Color c = image.pixel(i);
                const std::size_t from = std::size_t(c.r - 'a');
                CHECK(c == stored.pixel(from));
            }
        }
    }
}

TEST_CASE("apply_orientation rejects values outside 1..8 and leaves empty images alone") {
    Image image = letters(3);
    CHECK_THROWS_AS(quantize::apply_orientation(image, 0), quantize::Error);
    CHECK_THROWS_AS(quantize::apply_orientation(image, 9), quantize::Error);
    CHECK(layout(image) == "abc/def");
    Image empty = quantize::make_image(0, 0, {0, 0, 0, 255});
    quantize::apply_orientation(empty, 6);
    CHECK(empty.samples.empty());
}

TEST_CASE("apply_orientation agrees with OpenCV's decoding of an oriented JPEG") {
    // A larger, noisy image: JPEG round trips are lossy, but both sides decode the same
    // stream, so the only difference allowed is the turn itself: the bytes must be equal.
    const Image original = test::noise_image(37, 23);
    const cv::Mat bgr = to_mat(original);
    for (int o = 1; o <= 8; ++o) {
        CAPTURE(o);
        const std::vector<std::uint8_t> jpeg = test::jpeg_with_orientation(bgr, o);
        const cv::Mat as_stored =
            cv::imdecode(jpeg, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
        const cv::Mat by_opencv = cv::imdecode(jpeg, cv::IMREAD_COLOR);
        REQUIRE(!as_stored.empty());
        REQUIRE(!by_opencv.empty());
        Image image = quantize::make_image(as_stored.cols, as_stored.rows, {0, 0, 0, 255});
        std::memcpy(image.samples.data(), as_stored.data, image.samples.size());
        quantize::apply_orientation(image, o);
        REQUIRE(image.width == by_opencv.cols);
        REQUIRE(image.height == by_opencv.rows);
        CHECK(std::memcmp(image.samples.data(), by_opencv.data, image.samples.size()) == 0);
    }
}

TEST_CASE("exif_orientation reads the tag with exiv2, 1 when missing or invalid") {
    for (int o = 1; o <= 8; ++o) {
        CHECK(quantize::exif_orientation(test::exif_block(o)) == o);
        CHECK(quantize::exif_orientation(test::exif_block(o, "x", true)) == o);  // big-endian
    }
    CHECK(quantize::exif_orientation({}) == 1);
    CHECK(quantize::exif_orientation(test::exif_block(0, "Somebody")) == 1);  // no tag
    CHECK(quantize::exif_orientation(test::exif_block(9)) == 1);              // out of range
    CHECK(quantize::exif_orientation(test::exif_block(0x100)) == 1);

    // With the JPEG APP1 prefix still on.
    std::vector<std::uint8_t> prefixed = {'E', 'x', 'i', 'f', 0, 0};
    const auto block = test::exif_block(6);
    prefixed.insert(prefixed.end(), block.begin(), block.end());
    CHECK(quantize::exif_orientation(prefixed) == 6);

    // Garbage and truncated blocks.
    const std::vector<std::uint8_t> garbage = {'I', 'I', 42, 0, 0xff, 0xff, 0xff, 0x7f, 1, 2, 3};
    CHECK(quantize::exif_orientation(garbage) == 1);
    const std::vector<std::uint8_t> text(200, 'z');
    CHECK(quantize::exif_orientation(text) == 1);
    for (std::size_t n = 0; n < block.size(); ++n) {
        const int o = quantize::exif_orientation(std::span(block.data(), n));
        CHECK((o == 1 || o == 6));
    }
}

TEST_CASE("exif_with_orientation sets the tag and keeps the others") {
    for (bool big_endian : {false, true}) {
        CAPTURE(big_endian);
        const auto block = test::exif_block(6, "Ansel Adams", big_endian);
        const auto upright = quantize::exif_with_orientation(block, 1);
        REQUIRE(!upright.empty());
        CHECK(quantize::exif_orientation(upright) == 1);
        CHECK(test::exif_artist(upright) == "Ansel Adams");
        CHECK(upright[0] == (big_endian ? 'M' : 'I'));  // byte order kept

        const auto turned = quantize::exif_with_orientation(upright, 8);
        CHECK(quantize::exif_orientation(turned) == 8);
        CHECK(test::exif_artist(turned) == "Ansel Adams");
    }
    // A block without the tag gets one; an empty block becomes the tag alone.
    const auto added = quantize::exif_with_orientation(test::exif_block(0, "A. Painter"), 3);
    CHECK(quantize::exif_orientation(added) == 3);
    CHECK(test::exif_artist(added) == "A. Painter");
    const auto fresh = quantize::exif_with_orientation({}, 1);
    REQUIRE(!fresh.empty());
    CHECK(quantize::exif_orientation(fresh) == 1);
    CHECK(quantize::exif_orientation(quantize::exif_with_orientation({}, 5)) == 5);

    CHECK_THROWS_AS(quantize::exif_with_orientation(test::exif_block(6), 0), quantize::Error);
    CHECK_THROWS_AS(quantize::exif_with_orientation(test::exif_block(6), 9), quantize::Error);
    // Unreadable: dropped rather than passed on.
    const std::vector<std::uint8_t> garbage(64, 'q');
    CHECK(quantize::exif_with_orientation(garbage, 1).empty());
}
