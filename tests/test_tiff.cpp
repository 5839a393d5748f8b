// TIFF: alpha of each kind (ExtraSamples) decoded to straight colors, still and page by page,
// our own TIFFs marking their alpha and reading back, and files cut inside their image data.
// The inputs are written here by libtiff, with the tags each case needs.
#include <catch2/catch.hpp>

#include <tiffio.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "quantize/error.hpp"
#include "quantize/io.hpp"
#include "quantize/quantize.hpp"
#include "support.hpp"

using namespace quantize;
namespace fs = std::filesystem;

namespace {

// One page of a test TIFF: 2x1 RGBA pixels of `bits` (8 or 16) per sample, its samples given
// on 0..255 (16-bit ones are scaled by 257), and its ExtraSamples value (-1: no tag).
struct TiffTestPage {
    int bits = 8;
    int extra_samples = -1;
    std::vector<int> samples;  // 8: R, G, B, A of each pixel
};

// Writes the pages as a TIFF at `path` (uncompressed, one strip a page).
void write_tiff(const fs::path& path, const std::vector<TiffTestPage>& pages) {
    TIFF* tiff = TIFFOpen(path.c_str(), "w");
    REQUIRE(tiff);
    for (const TiffTestPage& page : pages) {
        TIFFSetField(tiff, TIFFTAG_IMAGEWIDTH, 2);
        TIFFSetField(tiff, TIFFTAG_IMAGELENGTH, 1);
        TIFFSetField(tiff, TIFFTAG_BITSPERSAMPLE, page.bits);
        TIFFSetField(tiff, TIFFTAG_SAMPLESPERPIXEL, 4);
        TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
        TIFFSetField(tiff, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
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
