// TIFF: alpha of each kind (ExtraSamples) decoded to straight colors, still and page by page,
// for RGB and grey; CMYK inks converted as a CMYK JPEG's are, through the file's CMYK profile
// when it has one; our own TIFFs marking their alpha and reading back, and files cut inside
// their image data. The inputs are written here by libtiff, with the tags each case needs.
#include <catch2/catch.hpp>

#include <lcms2.h>
#include <tiffio.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "profiles.hpp"
#include "quantize/error.hpp"
#include "quantize/io.hpp"
#include "quantize/quantize.hpp"
#include "support.hpp"

using namespace quantize;
namespace fs = std::filesystem;

namespace {

// One page of a test TIFF: 2x1 pixels of `bits` (8 or 16) per sample, its samples given on
// 0..255 (16-bit ones are scaled by 257), its ExtraSamples value (-1: no tag); RGBA unless
// `photometric` and `channels` say otherwise, with the ICC profile `icc` when not empty.
struct TiffTestPage {
    TiffTestPage(int bits, int extra_samples, std::vector<int> samples,
                 int photometric = PHOTOMETRIC_RGB, int channels = 4,
                 std::vector<std::uint8_t> icc = {})
        : bits(bits),
          extra_samples(extra_samples),
          samples(std::move(samples)),
          photometric(photometric),
          channels(channels),
          icc(std::move(icc)) {}

    int bits;
    int extra_samples;
    std::vector<int> samples;  // 2 x channels: R, G, B, A of each pixel (or grey, alpha; inks)
    int photometric;
    int channels;
    std::vector<std::uint8_t> icc;
};

// Writes the pages as a TIFF at `path` (uncompressed, one strip a page).
void write_tiff(const fs::path& path, const std::vector<TiffTestPage>& pages) {
    TIFF* tiff = TIFFOpen(path.c_str(), "w");
    REQUIRE(tiff);
    for (const TiffTestPage& page : pages) {
        TIFFSetField(tiff, TIFFTAG_IMAGEWIDTH, 2);
        TIFFSetField(tiff, TIFFTAG_IMAGELENGTH, 1);
        TIFFSetField(tiff, TIFFTAG_BITSPERSAMPLE, page.bits);
        TIFFSetField(tiff, TIFFTAG_SAMPLESPERPIXEL, page.channels);
        TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC, page.photometric);
        TIFFSetField(tiff, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
        if (!page.icc.empty())
            TIFFSetField(tiff, TIFFTAG_ICCPROFILE, std::uint32_t(page.icc.size()), page.icc.data());
        if (pages.size() > 1)
            TIFFSetField(tiff, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
        if (page.extra_samples >= 0) {
            const std::uint16_t kinds[] = {std::uint16_t(page.extra_samples)};
            TIFFSetField(tiff, TIFFTAG_EXTRASAMPLES, 1, kinds);
        }
        std::vector<std::uint8_t> row8;
        std::vector<std::uint16_t> row16;
        for (const int v : page.samples) {
            row8.push_back(std::uint8_t(v));
            row16.push_back(std::uint16_t(v * 257));
        }
        void* row = page.bits == 8 ? static_cast<void*>(row8.data()) : row16.data();
        REQUIRE(TIFFWriteScanline(tiff, row, 0, 0) == 1);
        REQUIRE(TIFFWriteDirectory(tiff) == 1);
    }
    TIFFClose(tiff);
}

// Whether each color sample is within `tolerance` of the expected one, alpha exact.
void check_pixel(Color got, Color expected, int tolerance) {
    INFO("got " << int(got.r) << "," << int(got.g) << "," << int(got.b) << "," << int(got.a));
    CHECK(std::abs(int(got.r) - int(expected.r)) <= tolerance);
    CHECK(std::abs(int(got.g) - int(expected.g)) <= tolerance);
    CHECK(std::abs(int(got.b) - int(expected.b)) <= tolerance);
    CHECK(got.a == expected.a);
}

// A straight half-transparent pixel and an opaque one; the same premultiplied by alpha.
const std::vector<int> kStraight = {200, 100, 50, 128, 10, 20, 30, 255};
const std::vector<int> kPremultiplied = {100, 50, 25, 128, 10, 20, 30, 255};
constexpr Color kHalf{200, 100, 50, 128}, kOpaque{10, 20, 30, 255};

// Inks as TIFF stores them (0 is no ink): C, M, Y, K of two pixels.
const std::vector<int> kInks = {100, 0, 200, 0, 10, 60, 90, 100};

// A CMYK page of kInks.
TiffTestPage cmyk_page(int bits, std::vector<std::uint8_t> icc = {}) {
    return {bits, -1, kInks, PHOTOMETRIC_SEPARATED, 4, std::move(icc)};
}

// What Little CMS makes of pixel `i` of kInks through `icc`, relative colorimetric to sRGB.
Color through_profile(const std::vector<std::uint8_t>& icc, std::size_t i) {
    cmsHPROFILE press = cmsOpenProfileFromMem(icc.data(), cmsUInt32Number(icc.size()));
    cmsHPROFILE srgb = cmsCreate_sRGBProfile();
    cmsHTRANSFORM transform =
        cmsCreateTransform(press, TYPE_CMYK_8, srgb, TYPE_RGB_8, INTENT_RELATIVE_COLORIMETRIC, 0);
    std::uint8_t inks[4], rgb[3] = {};
    for (std::size_t c = 0; c < 4; ++c)
        inks[c] = std::uint8_t(kInks[i * 4 + c]);
    cmsDoTransform(transform, inks, rgb, 1);
    cmsDeleteTransform(transform);
    cmsCloseProfile(srgb);
    cmsCloseProfile(press);
    return {rgb[0], rgb[1], rgb[2], 255};
}

// kInks as a CMYK JPEG without a profile converts them (OpenCV's formula on inks inverted as
// Adobe stores them: K' - (C * K' >> 8), K' = 255 - K), worked out by hand; libtiff's own
// conversion, K' * (255 - C) / 255, gives one less in every channel but green's 255.
const Color kNaive[2] = {{156, 255, 56, 255}, {149, 119, 101, 255}};

}  // namespace

TEST_CASE("TIFF alpha of each kind decodes to straight colors", "[io][tiff]") {
    test::TempDir dir;
    struct Case {
        const char* name;
        TiffTestPage page;
        int tolerance;  // un-premultiplying 8-bit colors of alpha 128 is exact to 1
    };
    const Case cases[] = {
        // Unassociated (as Pillow, GIMP and Photoshop write): libtiff's RGBA interface, which
        // OpenCV reads 8-bit TIFFs through, premultiplies it; it must come back straight.
        {"unassociated-8.tif", {8, EXTRASAMPLE_UNASSALPHA, kStraight}, 1},
        // Associated: stored premultiplied.
        {"associated-8.tif", {8, EXTRASAMPLE_ASSOCALPHA, kPremultiplied}, 1},
        {"associated-16.tif", {16, EXTRASAMPLE_ASSOCALPHA, kPremultiplied}, 1},
        // 16-bit unassociated: OpenCV reads the samples as stored.
        {"unassociated-16.tif", {16, EXTRASAMPLE_UNASSALPHA, kStraight}, 0},
        // Unspecified, or no tag: taken as stored.
        {"unspecified-8.tif", {8, EXTRASAMPLE_UNSPECIFIED, kStraight}, 0},
        {"untagged-8.tif", {8, -1, kStraight}, 0},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        const fs::path path = dir / c.name;
        write_tiff(path, {c.page});
        const Image image = read_image(path);
        REQUIRE(image.channels == 4);
        check_pixel(image.pixel(0), kHalf, c.tolerance);
        check_pixel(image.pixel(1), kOpaque, 0);
    }
}

TEST_CASE("grey TIFF alpha of each kind decodes to straight colors", "[io][tiff]") {
    test::TempDir dir;
    // Grey 200 half transparent and grey 30 opaque, stored straight or premultiplied.
    const std::vector<int> straight = {200, 128, 30, 255}, premultiplied = {100, 128, 30, 255};
    struct Case {
        const char* name;
        int extra_samples;
        const std::vector<int>& samples;
        int tolerance;  // un-premultiplying 8-bit colors of alpha 128 is exact to 1
    };
    const Case cases[] = {
        {"associated.tif", EXTRASAMPLE_ASSOCALPHA, premultiplied, 1},
        {"unassociated.tif", EXTRASAMPLE_UNASSALPHA, straight, 0},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        const fs::path path = dir / c.name;
        const TiffTestPage page{8, c.extra_samples, c.samples, PHOTOMETRIC_MINISBLACK, 2};
        write_tiff(path, {page});
        const Image image = read_image(path);
        REQUIRE(image.channels == 4);
        CHECK(image.source.channels == 2);
        check_pixel(image.pixel(0), {200, 200, 200, 128}, c.tolerance);
        check_pixel(image.pixel(1), {30, 30, 30, 255}, 0);
        // A page of a multi-page TIFF reads the same.
        write_tiff(path, {page, page});
        const Animation pages = read_animation(path);
        REQUIRE(pages.frames.size() == 2);
        check_pixel(pages.frames[1].image.pixel(0), {200, 200, 200, 128}, c.tolerance);
    }
}

TEST_CASE("a CMYK TIFF's inks go through its CMYK profile to sRGB, which is set aside",
          "[io][tiff][profile]") {
    test::TempDir dir;
    const std::vector<std::uint8_t> icc = test::cmyk_print_icc();
    for (const int bits : {8, 16}) {
        INFO(bits << "-bit inks");
        const fs::path path = dir / ("press-" + std::to_string(bits) + ".tif");
        write_tiff(path, {cmyk_page(bits, icc)});
        const Image image = read_image(path);
        for (std::size_t i = 0; i < 2; ++i) {
            INFO("pixel " << i);
            const Color expected = through_profile(icc, i);
            check_pixel(image.pixel(i), expected, 1);
            // The profile matters here: the naive conversion is far off.
            CHECK(std::abs(int(kNaive[i].r) - int(expected.r)) +
                      std::abs(int(kNaive[i].b) - int(expected.b)) >
                  20);
        }
        CHECK(image.channels == 3);  // opaque
        CHECK(image.source.channels == 3);
        // The pixels are sRGB now: no CMYK profile left to embed, but the report can name it.
        CHECK(image.metadata.profile.empty());
        REQUIRE(image.source.set_aside_profile);
        CHECK(image.source.set_aside_profile->name == "Test CMYK press");
        CHECK(image.source.set_aside_profile->data == "CMYK");
        CHECK(image.source.set_aside_profile->converted);
    }
}

TEST_CASE("a CMYK TIFF without a profile converts as a CMYK JPEG without one", "[io][tiff]") {
    test::TempDir dir;
    for (const int bits : {8, 16}) {
        INFO(bits << "-bit inks");
        const fs::path path = dir / ("plain-" + std::to_string(bits) + ".tif");
        write_tiff(path, {cmyk_page(bits)});
        const Image image = read_image(path);
        check_pixel(image.pixel(0), kNaive[0], 0);
        check_pixel(image.pixel(1), kNaive[1], 0);
        CHECK(image.channels == 3);
        CHECK_FALSE(image.source.set_aside_profile);
    }
}

TEST_CASE("the CMYK pages of a multi-page TIFF go through its CMYK profile", "[io][tiff]") {
    test::TempDir dir;
    const std::vector<std::uint8_t> icc = test::cmyk_print_icc();
    const fs::path path = dir / "pages.tif";
    write_tiff(path, {cmyk_page(8, icc), {8, EXTRASAMPLE_ASSOCALPHA, kPremultiplied}});
    const Animation pages = read_animation(path);
    REQUIRE(pages.frames.size() == 2);
    REQUIRE(pages.frames[0].image.channels == 4);  // the RGBA page's alpha
    check_pixel(pages.frames[0].image.pixel(0), through_profile(icc, 0), 1);
    check_pixel(pages.frames[0].image.pixel(1), through_profile(icc, 1), 1);
    check_pixel(pages.frames[1].image.pixel(0), kHalf, 1);
    check_pixel(pages.frames[1].image.pixel(1), kOpaque, 0);
    REQUIRE(pages.source.set_aside_profile);
    CHECK(pages.source.set_aside_profile->converted);
    CHECK(pages.metadata.profile.empty());
}

TEST_CASE("each page of a multi-page TIFF is made straight by its own alpha kind", "[io][tiff]") {
    test::TempDir dir;
    const fs::path path = dir / "pages.tif";
    write_tiff(path, {{8, EXTRASAMPLE_UNASSALPHA, kStraight},
                      {8, EXTRASAMPLE_UNSPECIFIED, kStraight},
                      {8, EXTRASAMPLE_ASSOCALPHA, kPremultiplied},
                      {16, EXTRASAMPLE_UNASSALPHA, kStraight}});
    const Animation pages = read_animation(path);
    REQUIRE(pages.frames.size() == 4);
    for (std::size_t i = 0; i < pages.frames.size(); ++i) {
        INFO("page " << i);
        REQUIRE(pages.frames[i].image.channels == 4);
        check_pixel(pages.frames[i].image.pixel(0), kHalf, i == 1 ? 0 : 1);
        check_pixel(pages.frames[i].image.pixel(1), kOpaque, 0);
    }
}

TEST_CASE("an RGBA TIFF we write marks its alpha unassociated and reads back straight",
          "[io][tiff]") {
    test::TempDir dir;
    // Half-transparent and dark colors, where premultiplying by alpha loses the most.
    Image image;
    image.width = 4;
    image.height = 2;
    image.channels = 4;
    image.samples = {200, 100, 50, 128, 10, 20, 30, 255, 255, 255, 255, 1,   90, 60, 30, 40,
                     0,   0,   0,  0,   7,  7,  7,  7,   120, 240, 60,  200, 33, 66, 99, 99};
    Options options;
    options.clustering.colors = 8;  // the 8 colors, exactly
    const IndexedImage indexed = quantize::quantize(image, options).image;
    const fs::path path = dir / "out.tif";
    test::write_bytes(path, encode_image(indexed, ImageFormat::tiff, path));

    TIFF* tiff = TIFFOpen(path.c_str(), "r");
    REQUIRE(tiff);
    std::uint16_t count = 0;
    const std::uint16_t* kinds = nullptr;
    REQUIRE(TIFFGetField(tiff, TIFFTAG_EXTRASAMPLES, &count, &kinds) == 1);
    CHECK(count == 1);
    CHECK(kinds[0] == EXTRASAMPLE_UNASSALPHA);
    TIFFClose(tiff);

    // Read back, each pixel is its palette color to within the rounding of un-premultiplying
    // (255 / alpha / 2, up to 1 at alpha >= 128; exact colors need not survive alpha 1..7).
    const Image back = read_image(path);
    REQUIRE(back.channels == 4);
    for (std::size_t i = 0; i < back.pixel_count(); ++i) {
        const Color want = color_at(indexed, i);
        INFO("pixel " << i);
        if (want.a >= 128)
            check_pixel(back.pixel(i), want, 1);
        else if (want.a >= 40)
            check_pixel(back.pixel(i), want, 4);
        else
            CHECK(back.pixel(i).a == want.a);
    }
}
