// The JPEG decoder (libjpeg-turbo's API, src/detail/jpeg_decode.cpp) against OpenCV's: the same
// pixels for color, grey, CMYK and YCCK files, every EXIF orientation applied alike, and damaged
// files refused; on two threads, where large baseline files are decoded in two halves side by
// side, the same pixels and the same refusals.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include <jpeglib.h>
#include <lcms2.h>
#include <tbb/task_arena.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "detail/jpeg_decode.hpp"
#include "exif.hpp"
#include "jpeg.hpp"
#include "profiles.hpp"
#include "quantize/error.hpp"
#include "quantize/io.hpp"
#include "quantize/orientation.hpp"
#include "quantize/quantize.hpp"
#include "support.hpp"

using namespace quantize;
using Bytes = std::vector<std::uint8_t>;

namespace {

// An image with structure in both directions and unequal sides, so every flip and turn shows.
cv::Mat test_picture(int width = 67, int height = 41) {
    cv::Mat bgr(height, width, CV_8UC3);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x)
            bgr.at<cv::Vec3b>(y, x) = {std::uint8_t(x * 3), std::uint8_t(y * 5),
                                       std::uint8_t((x * y) % 256)};
    }
    return bgr;
}

Bytes encode_jpeg(const cv::Mat& mat, int quality = 90) {
    Bytes jpeg;
    REQUIRE(cv::imencode(".jpg", mat, jpeg, {cv::IMWRITE_JPEG_QUALITY, quality}));
    return jpeg;
}

// What OpenCV's imdecode gives, as our RGB(A) layout.
Image opencv_decoded(const Bytes& bytes, int flags = cv::IMREAD_COLOR) {
    const cv::Mat bgr = cv::imdecode(bytes, flags);
    REQUIRE(bgr.type() == CV_8UC3);
    Image image = make_image(bgr.cols, bgr.rows, {0, 0, 0, 255}, 3);
    cv::Mat rgb(bgr.rows, bgr.cols, CV_8UC3, image.samples.data());
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    return image;
}

void check_same_pixels(const Image& ours, const Image& theirs) {
    REQUIRE(ours.width == theirs.width);
    REQUIRE(ours.height == theirs.height);
    REQUIRE(ours.channels == theirs.channels);
    CHECK(ours.samples == theirs.samples);
}

// An APP1 EXIF segment holding only IFD0's orientation, made by exiv2, inserted right after SOI.
Bytes with_orientation(const Bytes& jpeg, int orientation) {
    const std::vector<std::uint8_t> block = test::exif_block(orientation);
    const std::size_t size = 6 + block.size();
    const std::size_t length = size + 2;
    const std::uint8_t app1[] = {
        jpeg[0], jpeg[1],  // SOI
        0xff,    0xe1,    std::uint8_t(length >> 8), std::uint8_t(length), 'E', 'x', 'i', 'f',
        0,       0};
    // Copied with memcpy: GCC 12 warns falsely on vector::insert here (-Warray-bounds).
    Bytes out(sizeof app1 + block.size() + jpeg.size() - 2);
    std::memcpy(out.data(), app1, sizeof app1);
    std::memcpy(out.data() + sizeof app1, block.data(), block.size());
    std::memcpy(out.data() + sizeof app1 + block.size(), jpeg.data() + 2, jpeg.size() - 2);
    return out;
}

// A 4-component JPEG (OpenCV writes none): CMYK with Adobe's marker, or YCCK, from the given
// ink values.
Bytes encode_four_component(int width, int height, J_COLOR_SPACE space) {
    return test::encode_with_libjpeg(
        width, height, 4, JCS_CMYK,
        [&](jpeg_compress_struct& cinfo) { jpeg_set_colorspace(&cinfo, space); },
        [](int x, int y, int c) {
            const int inks[] = {x * 3, y * 5, (x + y) * 2, 255 - x};
            return inks[c];
        });
}

// A color JPEG with the luma sampled h x v times the chroma (OpenCV writes 4:2:0 only), from a
// picture with detail in both directions.
Bytes encode_sampled(int width, int height, int h, int v) {
    return test::encode_with_libjpeg(
        width, height, 3, JCS_RGB,
        [&](jpeg_compress_struct& cinfo) {
            cinfo.comp_info[0].h_samp_factor = h;
            cinfo.comp_info[0].v_samp_factor = v;
        },
        [](int x, int y, int c) {
            const int rgb[] = {x * 3 + y, (x ^ y) * 5, (x * y) % 251};
            return rgb[c];
        });
}

}  // namespace

TEST_CASE("JPEG inputs decode to exactly the pixels OpenCV gives", "[io][jpeg]") {
    const cv::Mat photo = cv::imread(test::sample_path("kodim23.png").string(), cv::IMREAD_COLOR);
    for (int quality : {95, 50}) {
        const Bytes jpeg = encode_jpeg(photo, quality);  // 4:2:0, as OpenCV writes
        INFO("quality " << quality);
        const Image ours = decode_image(jpeg, "photo.jpg");
        check_same_pixels(ours, opencv_decoded(jpeg));
        CHECK(ours.source.channels == 3);
        CHECK(ours.source.file_bytes == jpeg.size());
    }
    // Progressive, and odd sizes that cut through the MCUs.
    Bytes progressive;
    REQUIRE(cv::imencode(".jpg", test_picture(131, 77), progressive,
                         {cv::IMWRITE_JPEG_PROGRESSIVE, 1}));
    check_same_pixels(decode_image(progressive, "p.jpg"), opencv_decoded(progressive));

    cv::Mat grey;
    cv::cvtColor(photo, grey, cv::COLOR_BGR2GRAY);
    const Bytes grey_jpeg = encode_jpeg(grey);
    const Image ours = decode_image(grey_jpeg, "grey.jpg");
    CHECK(ours.source.channels == 1);
    check_same_pixels(ours, opencv_decoded(grey_jpeg));
}

TEST_CASE("CMYK and YCCK JPEGs convert to the colors OpenCV gives", "[io][jpeg]") {
    for (const J_COLOR_SPACE space : {JCS_CMYK, JCS_YCCK}) {
        INFO("color space " << int(space));
        const Bytes jpeg = encode_four_component(45, 29, space);
        check_same_pixels(decode_image(jpeg, "ink.jpg"), opencv_decoded(jpeg));
    }
}

TEST_CASE("a CMYK JPEG's inks go through its CMYK profile to sRGB, which is set aside",
          "[io][jpeg][profile]") {
    // One flat color (JPEG keeps it within a level), as Adobe stores inks: 255 is no ink.
    const std::uint8_t stored[4] = {200, 150, 100, 230};
    const Bytes plain = test::encode_with_libjpeg(
        16, 16, 4, JCS_CMYK, [](jpeg_compress_struct&) {},
        [&](int, int, int c) { return stored[c]; });
    const std::vector<std::uint8_t> icc = test::cmyk_print_icc();
    const Bytes jpeg = test::with_icc(plain, icc);
    const Image ours = decode_image(jpeg, "press.jpg");

    // What Little CMS makes of the inks, relative colorimetric: the profile's colors.
    cmsHPROFILE press = cmsOpenProfileFromMem(icc.data(), cmsUInt32Number(icc.size()));
    cmsHPROFILE srgb = cmsCreate_sRGBProfile();
    cmsHTRANSFORM transform = cmsCreateTransform(press, TYPE_CMYK_8_REV, srgb, TYPE_RGB_8,
                                                 INTENT_RELATIVE_COLORIMETRIC, 0);
    std::uint8_t expected[3] = {};
    cmsDoTransform(transform, stored, expected, 1);
    cmsDeleteTransform(transform);
    cmsCloseProfile(srgb);
    cmsCloseProfile(press);
    const Image naive = opencv_decoded(jpeg);  // ignores the profile
    int off = 0, off_naive = 0;
    for (std::size_t i = 0; i < ours.pixel_count(); ++i) {
        for (std::size_t c = 0; c < 3; ++c) {
            off = std::max(off, std::abs(int(ours.samples[i * 3 + c]) - int(expected[c])));
            off_naive =
                std::max(off_naive, std::abs(int(naive.samples[i * 3 + c]) - int(expected[c])));
        }
    }
    INFO("expected " << int(expected[0]) << " " << int(expected[1]) << " " << int(expected[2]));
    CHECK(off <= 2);
    CHECK(off_naive > 20);  // the profile matters here: OpenCV's formula is far off
    // The pixels are sRGB now: no CMYK profile left to embed, but the report can name it.
    CHECK(ours.metadata.profile.empty());
    REQUIRE(ours.source.set_aside_profile);
    CHECK(ours.source.set_aside_profile->name == "Test CMYK press");
    CHECK(ours.source.set_aside_profile->data == "CMYK");
    CHECK(ours.source.set_aside_profile->converted);

    // A CMYK profile on an RGB JPEG describes nothing: OpenCV's pixels, the profile set aside.
    const Bytes rgb = test::with_icc(encode_jpeg(test_picture()), icc);
    const Image wrong = decode_image(rgb, "wrong.jpg");
    check_same_pixels(wrong, opencv_decoded(rgb));
    CHECK(wrong.metadata.profile.empty());
    REQUIRE(wrong.source.set_aside_profile);
    CHECK_FALSE(wrong.source.set_aside_profile->converted);
    // Without a profile: OpenCV's conversion, nothing set aside.
    CHECK_FALSE(decode_image(plain, "plain.jpg").source.set_aside_profile);
}

TEST_CASE("every EXIF orientation is applied as OpenCV applies it", "[io][jpeg]") {
    const Bytes plain = encode_jpeg(test_picture());
    const Image stored = decode_image(plain, "plain.jpg");
    for (int orientation = 1; orientation <= 8; ++orientation) {
        INFO("orientation " << orientation);
        const Bytes jpeg = with_orientation(plain, orientation);
        const Image ours = decode_image(jpeg, "turned.jpg");
        CHECK(ours.metadata.orientation == orientation);
        CHECK(exif_orientation(ours.metadata.exif) == 1);  // upright now, and says so
        check_same_pixels(ours, opencv_decoded(jpeg));
        // Turned or not, the same pixels: sides swap from 5 on.
        CHECK(ours.width == (orientation >= 5 ? stored.height : stored.width));
        CHECK(ours.samples.size() == stored.samples.size());
    }
}

TEST_CASE("damaged JPEGs are errors, never gray-filled successes", "[io][jpeg]") {
    const Bytes jpeg = encode_jpeg(test_picture(400, 300));
    auto expect = [](const Bytes& bytes, const std::string& cause) {
        try {
            decode_image(bytes, "bad.jpg");
            FAIL("no error");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::input);
            CHECK(e.subject() == "bad.jpg");
            CHECK_THAT(e.cause(), Catch::Contains(cause));
        }
    };
    // The scan cut in half, the end-of-image marker kept: libjpeg would warn and fill with gray.
    Bytes cut(jpeg.begin(), jpeg.begin() + std::ptrdiff_t(jpeg.size() / 2));
    cut.insert(cut.end(), {0xff, 0xd9});
    expect(cut, "truncated or corrupt JPEG: Corrupt JPEG data: premature end of data segment");
    // Garbage in the middle of the scan.
    Bytes damaged = jpeg;
    for (std::size_t i = jpeg.size() / 2; i < jpeg.size() / 2 + 64; ++i)
        damaged[i] = 0xff;
    expect(damaged, "JPEG");
    // No image at all after the start marker.
    expect({0xff, 0xd8, 0xff, 0xd9}, "corrupt or unsupported JPEG");
}

TEST_CASE("bytes skipped before a JPEG marker decode, the warning kept for the report",
          "[io][jpeg]") {
    const Bytes jpeg = encode_jpeg(test_picture(400, 300));
    REQUIRE(jpeg[jpeg.size() - 2] == 0xff);
    REQUIRE(jpeg[jpeg.size() - 1] == 0xd9);
    // Junk between the scan and the end-of-image marker, as some cameras write: every pixel was
    // read before it. OpenCV, ImageMagick and Pillow decode such files too. (libjpeg's bit
    // buffer may take a junk byte or two as the scan's padding; the rest it skips, and warns.)
    const Bytes junk(16, 0x5a);
    Bytes padded(jpeg.begin(), jpeg.end() - 2);
    padded.insert(padded.end(), junk.begin(), junk.end());
    padded.insert(padded.end(), {0xff, 0xd9});
    const Image clean = decode_image(jpeg, "clean.jpg");
    const Image decoded = decode_image(padded, "padded.jpg");
    CHECK(decoded.samples == clean.samples);
    CHECK(clean.source.warnings.empty());
    REQUIRE(decoded.source.warnings.size() == 1);
    const std::string& warning = decoded.source.warnings.front();
    CHECK_THAT(warning, Catch::StartsWith("Corrupt JPEG data: ") &&
                            Catch::EndsWith(" extraneous bytes before marker 0xd9"));
    const Report report =
        quantize_encoded(padded, "padded.jpg", ImageFormat::png, "out.png", Options{}).report;
    CHECK(std::count(report.notes.begin(), report.notes.end(), "decoded despite: " + warning) == 1);
    // The same junk cutting the scan short is still an error (gray would fill the rest).
    Bytes cut(jpeg.begin(), jpeg.begin() + std::ptrdiff_t(jpeg.size() / 2));
    cut.insert(cut.end(), junk.begin(), junk.end());
    cut.insert(cut.end(), {0xff, 0xd9});
    CHECK_THROWS_AS(decode_image(cut, "cut.jpg"), Error);
}

TEST_CASE("JPEGs of every chroma sampling decode to OpenCV's pixels", "[io][jpeg]") {
    // 4:4:4, 4:2:2, 4:2:0 and 4:4:0: iMCU rows of 8 and 16 rows, read several rows a call;
    // sides that cut through the MCUs.
    const std::pair<int, int> samplings[] = {{1, 1}, {2, 1}, {2, 2}, {1, 2}};
    const std::pair<int, int> sizes[] = {{131, 77}, {67, 41}, {40, 203}};
    for (const auto& [h, v] : samplings) {
        for (const auto& [width, height] : sizes) {
            INFO(h << "x" << v << " sampling, " << width << "x" << height);
            const Bytes jpeg = encode_sampled(width, height, h, v);
            check_same_pixels(decode_image(jpeg, "s.jpg"), opencv_decoded(jpeg));
        }
    }
}

namespace {

// Decoded on `threads` threads: on two, baseline files from 2^17 pixels are decoded in two
// halves side by side (detail/jpeg_decode.cpp).
Image decoded_on(int threads, const Bytes& jpeg) {
    Image image;
    tbb::task_arena(threads).execute([&] { image = decode_image(jpeg, "s.jpg"); });
    return image;
}

}  // namespace

TEST_CASE("JPEGs decoded in two halves side by side give the pixels of one pass", "[io][jpeg]") {
    // Every sampling, the split inside and between iMCU rows of 8 and 16, sides cutting MCUs.
    const std::pair<int, int> samplings[] = {{1, 1}, {2, 1}, {2, 2}, {1, 2}, {4, 1}, {1, 4}};
    const std::pair<int, int> sizes[] = {{521, 301}, {263, 517}, {16385, 9}, {405, 333}};
    for (const auto& [h, v] : samplings) {
        for (const auto& [width, height] : sizes) {
            INFO(h << "x" << v << " sampling, " << width << "x" << height);
            const Bytes jpeg = encode_sampled(width, height, h, v);
            const Image two = decoded_on(2, jpeg);
            check_same_pixels(two, decoded_on(1, jpeg));
            check_same_pixels(two, opencv_decoded(jpeg));
        }
    }
    // Grey, replicated.
    cv::Mat grey;
    cv::cvtColor(test_picture(611, 389), grey, cv::COLOR_BGR2GRAY);
    const Bytes grey_jpeg = encode_jpeg(grey);
    const Image two = decoded_on(2, grey_jpeg);
    CHECK(two.source.channels == 1);
    check_same_pixels(two, opencv_decoded(grey_jpeg));
}

TEST_CASE("damage in either half of a JPEG decoded side by side is an error", "[io][jpeg]") {
    const Bytes jpeg = encode_jpeg(test_picture(700, 500));
    REQUIRE(std::uint64_t(700) * 500 >= (std::uint64_t{1} << 17));
    // The scan cut in the top half, then in the bottom half: the end marker kept.
    for (const double at : {0.2, 0.5, 0.9}) {
        INFO("cut at " << at);
        Bytes cut(jpeg.begin(), jpeg.begin() + std::ptrdiff_t(double(jpeg.size()) * at));
        cut.insert(cut.end(), {0xff, 0xd9});
        try {
            decoded_on(2, cut);
            FAIL("no error");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::input);
            CHECK_THAT(e.cause(), Catch::Contains("premature end of data segment"));
        }
        // Garbage in place of the scan's bytes there.
        Bytes damaged = jpeg;
        const std::size_t from = std::size_t(double(jpeg.size()) * at);
        for (std::size_t i = from; i < from + 64; ++i)
            damaged[i] = 0xff;
        CHECK_THROWS_AS(decoded_on(2, damaged), Error);
    }
    // Bytes skipped before the end marker: decoded, the warning kept once.
    Bytes padded(jpeg.begin(), jpeg.end() - 2);
    padded.insert(padded.end(), 16, 0x5a);
    padded.insert(padded.end(), {0xff, 0xd9});
    const Image decoded = decoded_on(2, padded);
    CHECK(decoded.samples == decoded_on(1, jpeg).samples);
    CHECK(decoded.source.warnings.size() == 1);
}
