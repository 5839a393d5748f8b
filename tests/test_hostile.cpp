// Every file of the hostile corpus (tests/corpus.hpp) through the library: refused with the
// documented kind and cause, and with bounded memory (peak resident size measured around each).
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <opencv2/imgcodecs.hpp>

#include "corpus.hpp"
#include "quantize/error.hpp"
#include "quantize/io.hpp"
#include "support.hpp"

using namespace quantize;

namespace {

// The process's peak resident size so far, in bytes (Linux reports KiB).
std::uint64_t peak_rss() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return std::uint64_t(usage.ru_maxrss) * 1024;
}

// Far below what any of the bombs claims (the smallest, 16384x16384 RGB, is 805 MB), above
// what decoding a 96x64 picture costs with OpenCV's codecs loaded.
constexpr std::uint64_t kBoundedGrowth = std::uint64_t{64} << 20;

}  // namespace

TEST_CASE("every hostile file is refused with its cause and bounded memory", "[io][hostile]") {
    test::TempDir dir;
    // OpenCV's codecs module loaded first, so its own size is not counted against a file.
    CHECK_THROWS_AS(decode_image(std::vector<std::uint8_t>{'x'}, "warm-up"), Error);
    for (const test::HostileFile& file : test::hostile_corpus()) {
        INFO(file.name);
        const std::filesystem::path path = test::place(file, dir.path());
        const std::uint64_t before = peak_rss();
        try {
            read_image(path);
            FAIL("no error");
        } catch (const Error& e) {
            CHECK(e.kind() == (file.too_large ? ErrorKind::too_large : ErrorKind::input));
            CHECK(e.subject() == path.string());
            CHECK_THAT(e.cause(), Catch::Contains(file.cause_substring));
        }
        CHECK(peak_rss() - before < kBoundedGrowth);
    }
}

TEST_CASE("limits are the caller's: raised, a file is decoded, and lowered, refused",
          "[io][hostile]") {
    cv::Mat bgr(300, 400, CV_8UC3, cv::Scalar(10, 200, 30));
    std::vector<std::uint8_t> png, jpeg, webp;
    REQUIRE(cv::imencode(".png", bgr, png));
    REQUIRE(cv::imencode(".jpg", bgr, jpeg));
    REQUIRE(cv::imencode(".webp", bgr, webp));
    for (const auto* bytes : {&png, &jpeg, &webp}) {
        CHECK(decode_image(*bytes, "ok").pixel_count() == 120000);
        DecodeLimits pixels;
        pixels.max_pixels = 119999;
        CHECK_THROWS_WITH(decode_image(*bytes, "f", pixels),
                          "f: 400x300 pixels (0.1 MP) is over the limit of 119999 pixels (raise it "
                          "with --limit-pixels N or QUANTIZE_LIMIT_PIXELS=N)");
        DecodeLimits wide;
        wide.max_width = 399;
        CHECK_THROWS_WITH(decode_image(*bytes, "f", wide),
                          "f: 400x300 pixels: the width is over the limit of 399 pixels");
        DecodeLimits tall;
        tall.max_height = 299;
        CHECK_THROWS_WITH(decode_image(*bytes, "f", tall),
                          "f: 400x300 pixels: the height is over the limit of 299 pixels");
        DecodeLimits bytes_limit;
        bytes_limit.max_bytes = 120000 * 3 - 1;
        CHECK_THROWS_WITH(decode_image(*bytes, "f", bytes_limit),
                          "f: 400x300 pixels at 3 bytes each (0.4 MB) is over the limit of 0.4 "
                          "MB decoded");
    }
    // A bomb under a raised limit still fails, fast, on its too-short data.
    DecodeLimits raised;
    raised.max_pixels = 1'000'000'000;
    raised.max_bytes = 3'000'000'000;  // 30000 x 30000 x 3 bytes is 2.7 GB
    CHECK_THROWS_WITH(decode_image(test::png_claiming(30000, 30000), "b.png", raised),
                      Catch::Contains("11 bytes of image data cannot hold 30000x30000 pixels"));
}
