// End-to-end tests of metadata: what an input carries (EXIF, XMP, comment, text, resolution,
// time, profile) comes out in every output format that keeps it, read back with the libraries
// that own those formats (exiv2, libspng); --strip drops all but the profile.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <memory>

#include <lcms2.h>
#include <spng.h>
#include <webp/mux.h>
#include <exiv2/exiv2.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "exif.hpp"
#include "jpeg.hpp"
#include "profiles.hpp"
#include "quantize/orientation.hpp"
#include "quantize/profile.hpp"
#include "quantize/quantize.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

namespace {

test::RunResult quantize_cli(const std::vector<std::string>& args) {
    return test::run(QUANTIZE_CLI, args);
}

// A real ICC profile (lcms2's sRGB), which must come back byte for byte. Made once: lcms2
// stamps each profile it makes with the time.
const std::vector<std::uint8_t>& test_icc() {
    static const std::vector<std::uint8_t> icc = [] {
        cmsHPROFILE profile = cmsCreate_sRGBProfile();
        cmsUInt32Number size = 0;
        cmsSaveProfileToMem(profile, nullptr, &size);
        std::vector<std::uint8_t> bytes(size);
        cmsSaveProfileToMem(profile, bytes.data(), &size);
        cmsCloseProfile(profile);
        return bytes;
    }();
    return icc;
}

// A JPEG of noise with an EXIF Artist and Copyright, an XMP packet, a comment and an ICC
// profile, written by exiv2.
std::vector<std::uint8_t> jpeg_with_metadata() {
    const quantize::Image noise = test::noise_image(40, 30);
    cv::Mat rgb(noise.height, noise.width, CV_8UC3,
                const_cast<std::uint8_t*>(noise.samples.data()));
    std::vector<std::uint8_t> jpeg;
    cv::imencode(".jpg", rgb, jpeg);
    auto image = Exiv2::ImageFactory::open(jpeg.data(), long(jpeg.size()));
    image->readMetadata();
    Exiv2::ExifData exif;
    exif["Exif.Image.Artist"] = "A. Photographer";
    exif["Exif.Image.Copyright"] = "(c) 2026";
    image->setExifData(exif);
    Exiv2::XmpData xmp;
    xmp["Xmp.dc.title"] = "lang=x-default Sunset";
    image->setXmpData(xmp);
    image->setComment("shot on film");
    auto icc_bytes = test_icc();
    Exiv2::DataBuf icc(icc_bytes.data(), long(icc_bytes.size()));
    image->setIccProfile(icc, false);
    image->writeMetadata();
    Exiv2::BasicIo& io = image->io();
    io.seek(0, Exiv2::BasicIo::beg);
    const Exiv2::DataBuf bytes = io.read(long(io.size()));
    return {bytes.pData_, bytes.pData_ + bytes.size_};
}

struct ReadBack {
    std::string artist, copyright, xmp, comment;
    std::vector<std::uint8_t> icc;
};

ReadBack read_with_exiv2(const fs::path& path) {
    auto image = Exiv2::ImageFactory::open(path.string());
    image->readMetadata();
    ReadBack r;
    const Exiv2::ExifData& exif = image->exifData();
    if (auto it = exif.findKey(Exiv2::ExifKey("Exif.Image.Artist")); it != exif.end())
        r.artist = it->toString();
    if (auto it = exif.findKey(Exiv2::ExifKey("Exif.Image.Copyright")); it != exif.end())
        r.copyright = it->toString();
    r.xmp = image->xmpPacket();
    r.comment = image->comment();
    if (image->iccProfileDefined())
        r.icc.assign(image->iccProfile()->pData_,
                     image->iccProfile()->pData_ + image->iccProfile()->size_);
    return r;
}

// The tags of a TIFF-structured EXIF block, by key.
std::string exif_tag(const std::vector<std::uint8_t>& block, const char* key) {
    Exiv2::ExifData exif;
    Exiv2::ExifParser::decode(exif, block.data(), std::uint32_t(block.size()));
    const auto it = exif.findKey(Exiv2::ExifKey(key));
    return it == exif.end() ? std::string() : it->toString();
}

// The PNG an encoder context with its chunks set makes of the samples (as its header says).
std::vector<std::uint8_t> encoded(spng_ctx* ctx, const std::vector<std::uint8_t>& samples) {
    spng_encode_image(ctx, samples.data(), samples.size(), SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE);
    std::size_t size = 0;
    int rc = 0;
    auto* buffer = static_cast<std::uint8_t*>(spng_get_png_buffer(ctx, &size, &rc));
    REQUIRE(rc == 0);
    std::vector<std::uint8_t> png(buffer, buffer + size);
    std::free(buffer);
    return png;
}

// A PNG of noise with pHYs (300 dpi), a tEXt, an iTXt and a tIME, written by libspng.
std::vector<std::uint8_t> png_with_chunks() {
    const quantize::Image noise = test::noise_image(40, 30);
    std::unique_ptr<spng_ctx, void (*)(spng_ctx*)> ctx(spng_ctx_new(SPNG_CTX_ENCODER),
                                                       spng_ctx_free);
    spng_set_option(ctx.get(), SPNG_ENCODE_TO_BUFFER, 1);
    spng_ihdr ihdr{40, 30, 8, SPNG_COLOR_TYPE_TRUECOLOR, 0, 0, 0};
    spng_set_ihdr(ctx.get(), &ihdr);
    spng_phys phys{11811, 11811, 1};  // 300 dpi in pixels per meter
    spng_set_phys(ctx.get(), &phys);
    char copyright[] = "(c) 2026 Someone";
    char caption[] = "caf\xc3\xa9";
    char empty[] = "";
    spng_text text[2] = {};
    std::strcpy(text[0].keyword, "Copyright");
    text[0].type = SPNG_TEXT;
    text[0].text = copyright;
    text[0].length = sizeof copyright - 1;
    std::strcpy(text[1].keyword, "Description");
    text[1].type = SPNG_ITXT;
    text[1].text = caption;
    text[1].length = sizeof caption - 1;
    text[1].language_tag = empty;
    text[1].translated_keyword = empty;
    spng_set_text(ctx.get(), text, 2);
    spng_time time{2026, 11, 29, 12, 30, 5};
    spng_set_time(ctx.get(), &time);
    return encoded(ctx.get(), noise.samples);
}

// The same PNG with its text and time chunks moved after the image data, where ImageMagick
// writes them.
std::vector<std::uint8_t> metadata_after_pixels(const std::vector<std::uint8_t>& png) {
    std::vector<std::vector<std::uint8_t>> before, moved, rest;
    bool seen_idat = false;
    for (std::size_t at = 8; at + 12 <= png.size();) {
        const std::uint32_t length = std::uint32_t(png[at]) << 24 |
                                     std::uint32_t(png[at + 1]) << 16 |
                                     std::uint32_t(png[at + 2]) << 8 | png[at + 3];
        const std::string type(png.begin() + long(at) + 4, png.begin() + long(at) + 8);
        std::vector<std::uint8_t> chunk(png.begin() + long(at),
                                        png.begin() + long(at + 12 + length));
        at += 12 + length;
        if (type == "tEXt" || type == "iTXt" || type == "tIME")
            moved.push_back(chunk);
        else if (type == "IDAT" || seen_idat)
            (seen_idat = true, rest).push_back(chunk);
        else
            before.push_back(chunk);
    }
    std::vector<std::uint8_t> out(png.begin(), png.begin() + 8);
    for (auto* group : {&before, &rest}) {
        for (const auto& chunk : *group) {
            if (group == &rest && chunk[4] == 'I' && chunk[5] == 'E') {  // IEND last
                for (const auto& m : moved)
                    out.insert(out.end(), m.begin(), m.end());
            }
            out.insert(out.end(), chunk.begin(), chunk.end());
        }
    }
    return out;
}

// A PNG of 8-bit samples (`color_type`: SPNG_COLOR_TYPE_TRUECOLOR or _GRAYSCALE) with an iCCP
// profile and, when given, an eXIf block, written by libspng.
std::vector<std::uint8_t> png_with_profile(int width, int height, spng_color_type color_type,
                                           const std::vector<std::uint8_t>& samples,
                                           const std::vector<std::uint8_t>& icc,
                                           const std::vector<std::uint8_t>& exif = {}) {
    std::unique_ptr<spng_ctx, void (*)(spng_ctx*)> ctx(spng_ctx_new(SPNG_CTX_ENCODER),
                                                       spng_ctx_free);
    spng_set_option(ctx.get(), SPNG_ENCODE_TO_BUFFER, 1);
    spng_ihdr ihdr{
        std::uint32_t(width), std::uint32_t(height), 8, std::uint8_t(color_type), 0, 0, 0};
    spng_set_ihdr(ctx.get(), &ihdr);
    std::vector<char> profile(icc.begin(), icc.end());
    spng_iccp iccp{};
    std::strcpy(iccp.profile_name, "test profile");
    iccp.profile = profile.data();
    iccp.profile_len = profile.size();
    if (!icc.empty())
        spng_set_iccp(ctx.get(), &iccp);
    std::vector<char> exif_bytes(exif.begin(), exif.end());
    spng_exif exif_chunk{exif_bytes.size(), exif_bytes.data()};
    if (!exif.empty())
        spng_set_exif(ctx.get(), &exif_chunk);
    return encoded(ctx.get(), samples);
}

// A PNG of the sample photo's pixels (RGB) with an iCCP profile and, when given, an eXIf block:
// the same numbers, meant in another color space.
std::vector<std::uint8_t> png_with_profile(const quantize::Image& image,
                                           const std::vector<std::uint8_t>& icc,
                                           const std::vector<std::uint8_t>& exif = {}) {
    return png_with_profile(image.width, image.height, SPNG_COLOR_TYPE_TRUECOLOR, image.samples,
                            icc, exif);
}

// Whether the bytes hold `text` anywhere (a chunk or marker name).
bool holds(const std::vector<std::uint8_t>& bytes, const std::string& text) {
    return std::search(bytes.begin(), bytes.end(), text.begin(), text.end()) != bytes.end();
}

// What a color-managed viewer shows of a file: its pixels converted to sRGB by its profile.
quantize::Image rendered(const fs::path& path) {
    quantize::Image image = quantize::read_image(path);
    quantize::convert_to_srgb(image);
    return image;
}

// Mean CIE76 difference between two renderings of the same size.
double mean_delta_e(const quantize::Image& a, const quantize::Image& b) {
    REQUIRE(a.pixel_count() == b.pixel_count());
    double sum = 0;
    for (std::size_t i = 0; i < a.pixel_count(); ++i) {
        const auto p = quantize::srgb_to_lab(a.pixel(i)), q = quantize::srgb_to_lab(b.pixel(i));
        sum += std::sqrt((p.c0 - q.c0) * (p.c0 - q.c0) + (p.c1 - q.c1) * (p.c1 - q.c1) +
                         (p.c2 - q.c2) * (p.c2 - q.c2));
    }
    return sum / double(a.pixel_count());
}

}  // namespace

TEST_CASE("an Adobe RGB photo keeps its colors: profile kept, converted or dropped",
          "[cli][profile]") {
    test::TempDir dir;
    const quantize::Image photo = quantize::read_image(test::sample_path("kodim23.png"));
    const fs::path input = dir / "adobe.png";
    const std::vector<std::uint8_t> icc = test::adobe_rgb_icc();  // made once: it holds the time
    test::write_bytes(input, png_with_profile(photo, icc));
    const quantize::Image original = rendered(input);
    auto run = [&](const std::string& name, const std::string& action) {
        const fs::path out = dir / name;
        const auto r =
            quantize_cli({input.string(), "-k", "256", "-o", out.string(), "--profile", action});
        REQUIRE(r.exit_code == 0);
        return std::pair{out, r.out};
    };
    // Kept: the same profile in the output, the rendering within ΔE76 4 of the input's.
    const auto [kept, kept_report] = run("kept.png", "keep");
    CHECK(quantize::read_image(kept).metadata.profile.icc == icc);
    const double kept_error = mean_delta_e(original, rendered(kept));
    CHECK(kept_error < 4.0);  // the quantization itself: about 3.4 at K = 256 on this photo
    CHECK_THAT(kept_report, Catch::Contains("kept: quantized in its RGB and embedded"));
    // Converted: sRGB numbers and no profile, as close.
    const auto [converted, converted_report] = run("srgb.png", "srgb");
    CHECK(quantize::read_image(converted).metadata.profile.empty());
    const double converted_error = mean_delta_e(original, rendered(converted));
    CHECK(converted_error < 4.0);
    CHECK_THAT(converted_report, Catch::Contains("converted to sRGB"));
    // Dropped: the numbers read as sRGB, visibly off (what losing the profile did before).
    const auto [dropped, dropped_report] = run("dropped.png", "drop");
    CHECK(quantize::read_image(dropped).metadata.profile.empty());
    const double dropped_error = mean_delta_e(original, rendered(dropped));
    CHECK(dropped_error > kept_error + 2.0);
    CHECK_THAT(dropped_report, Catch::Contains("dropped"));
    INFO("mean ΔE76 kept " << kept_error << ", converted " << converted_error << ", dropped "
                           << dropped_error);
    CHECK(converted_error < dropped_error);
}

TEST_CASE("a gray profile goes in no RGB output: keep converts the gray to sRGB",
          "[cli][profile]") {
    test::TempDir dir;
    // 8 gray levels in bands: K = 8 keeps each one, so the output shows the conversion alone.
    const std::uint8_t levels[8] = {0, 10, 40, 90, 128, 170, 210, 255};
    std::vector<std::uint8_t> gray(64 * 4);
    for (std::size_t i = 0; i < gray.size(); ++i)
        gray[i] = levels[i % 64 / 8];
    const fs::path input = dir / "gray.png";
    test::write_bytes(
        input, png_with_profile(64, 4, SPNG_COLOR_TYPE_GRAYSCALE, gray, test::gray_gamma22_icc()));
    const quantize::Image shown = rendered(input);  // the gray through its curve, in sRGB
    REQUIRE(shown.pixel(1 * 8).g < 5);              // gamma 2.2 against sRGB: 10 is near black
    for (const std::string ext : {"png", "jpg", "webp"}) {
        INFO(ext);
        const fs::path out = dir / ("out." + ext);
        const auto r = quantize_cli({input.string(), "-k", "8", "-o", out.string()});
        REQUIRE(r.exit_code == 0);
        CHECK_THAT(r.out, Catch::Contains("not for RGB data") &&
                              Catch::Contains("converted to sRGB (Little CMS)"));
        const std::vector<std::uint8_t> bytes = test::read_bytes(out);
        CHECK_FALSE(holds(bytes, "iCCP"));         // PNG
        CHECK_FALSE(holds(bytes, "ICC_PROFILE"));  // JPEG
        CHECK_FALSE(holds(bytes, "ICCP"));         // WebP
        const quantize::Image back = quantize::read_image(out);
        CHECK(back.metadata.profile.empty());
        if (ext == "png")
            CHECK(back.samples == shown.samples);
    }
    // drop still quantizes the numbers as they are, and srgb converts as keep now does.
    const fs::path dropped = dir / "dropped.png", converted = dir / "srgb.png";
    REQUIRE(quantize_cli({input.string(), "-k", "8", "-o", dropped.string(), "--profile", "drop"})
                .exit_code == 0);
    CHECK(quantize::read_image(dropped).samples == quantize::read_image(input).samples);
    REQUIRE(quantize_cli({input.string(), "-k", "8", "-o", converted.string(), "--profile", "srgb"})
                .exit_code == 0);
    CHECK(quantize::read_image(converted).samples == shown.samples);
}

TEST_CASE("a CMYK JPEG's profile converts its inks and goes in no output", "[cli][profile]") {
    test::TempDir dir;
    const std::uint8_t stored[4] = {200, 150, 100, 230};  // one flat color, Adobe's inverted inks
    const fs::path input = dir / "press.jpg";
    test::write_bytes(input, test::with_icc(test::encode_with_libjpeg(
                                                16, 16, 4, JCS_CMYK, [](jpeg_compress_struct&) {},
                                                [&](int, int, int c) { return stored[c]; }),
                                            test::cmyk_print_icc()));
    const quantize::Image decoded = quantize::read_image(input);  // converted through the profile
    for (const std::string action : {"keep", "srgb", "drop"}) {
        for (const std::string ext : {"png", "jpg"}) {
            INFO(action << " " << ext);
            const fs::path out = dir / ("out-" + action + "." + ext);
            const auto r =
                quantize_cli({input.string(), "-k", "2", "-o", out.string(), "--profile", action});
            REQUIRE(r.exit_code == 0);
            CHECK_THAT(r.out, Catch::Contains("'Test CMYK press' (CMYK) converted to sRGB"));
            const std::vector<std::uint8_t> bytes = test::read_bytes(out);
            CHECK_FALSE(holds(bytes, "iCCP"));
            CHECK_FALSE(holds(bytes, "ICC_PROFILE"));
            const quantize::Image back = quantize::read_image(out);
            CHECK(back.metadata.profile.empty());
            if (ext == "png")
                CHECK(back.samples == decoded.samples);
        }
    }
}

TEST_CASE("PNG and WebP EXIF orientation is applied once and the output says 1",
          "[cli][orientation]") {
    test::TempDir dir;
    const quantize::Image photo = quantize::read_image(test::sample_path("kodim23.png"));
    for (int orientation = 1; orientation <= 8; ++orientation) {
        INFO("orientation " << orientation);
        const fs::path input = dir / ("turned" + std::to_string(orientation) + ".png");
        test::write_bytes(input,
                          png_with_profile(photo, {}, test::exif_block(orientation, "Someone")));
        for (const char* ext : {".png", ".webp"}) {
            const fs::path out = dir / ("out" + std::to_string(orientation) + ext);
            const auto r = quantize_cli({input.string(), "-k", "16", "-o", out.string()});
            REQUIRE(r.exit_code == 0);
            const quantize::Image upright = quantize::read_image(out);
            CHECK(upright.width == (orientation >= 5 ? photo.height : photo.width));
            CHECK(upright.metadata.orientation == 1);  // says 1: not turned a second time
            CHECK(test::exif_artist(upright.metadata.exif) == "Someone");
            if (orientation != 1)
                CHECK_THAT(r.out, Catch::Contains("turned upright by its EXIF orientation"));
        }
        // The same pixels as turning the photo with apply_orientation.
        quantize::Image expected = photo;
        quantize::apply_orientation(expected, orientation);
        CHECK(quantize::read_image(input).samples == expected.samples);
    }
}

TEST_CASE("TIFF and WebP EXIF orientation is applied once, all 8 values", "[cli][orientation]") {
    test::TempDir dir;
    const quantize::Image photo = quantize::read_image(test::sample_path("kodim23.png"));
    cv::Mat rgb(photo.height, photo.width, CV_8UC3,
                const_cast<std::uint8_t*>(photo.samples.data()));
    cv::Mat bgr;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    for (int orientation = 1; orientation <= 8; ++orientation) {
        INFO("orientation " << orientation);
        quantize::Image expected = photo;
        quantize::apply_orientation(expected, orientation);
        // TIFF: OpenCV's file with the orientation tag set by exiv2.
        std::vector<std::uint8_t> tiff;
        cv::imencode(".tif", bgr, tiff);
        auto image = Exiv2::ImageFactory::open(tiff.data(), long(tiff.size()));
        image->readMetadata();
        image->exifData()["Exif.Image.Orientation"] = std::uint16_t(orientation);
        image->writeMetadata();
        Exiv2::BasicIo& io = image->io();
        io.seek(0, Exiv2::BasicIo::beg);
        const Exiv2::DataBuf tagged = io.read(long(io.size()));
        const fs::path tif = dir / "turned.tif";
        test::write_bytes(tif, {tagged.pData_, tagged.pData_ + tagged.size_});
        // WebP: OpenCV's lossless file with an EXIF chunk added by libwebp's mux.
        std::vector<std::uint8_t> webp;
        cv::imencode(".webp", bgr, webp, {cv::IMWRITE_WEBP_QUALITY, 101});
        const std::vector<std::uint8_t> exif = test::exif_block(orientation);
        WebPData data{webp.data(), webp.size()}, chunk{exif.data(), exif.size()}, out{};
        WebPMux* mux = WebPMuxCreate(&data, 1);
        REQUIRE(WebPMuxSetChunk(mux, "EXIF", &chunk, 1) == WEBP_MUX_OK);
        REQUIRE(WebPMuxAssemble(mux, &out) == WEBP_MUX_OK);
        WebPMuxDelete(mux);
        const fs::path wp = dir / "turned.webp";
        test::write_bytes(wp, {out.bytes, out.bytes + out.size});
        WebPDataClear(&out);
        for (const fs::path& input : {tif, wp}) {
            INFO(input.extension());
            const quantize::Image decoded = quantize::read_image(input);
            CHECK(decoded.metadata.orientation == orientation);
            CHECK(decoded.width == expected.width);
            CHECK(decoded.samples == expected.samples);
            const fs::path output = dir / "out.png";
            REQUIRE(
                quantize_cli({input.string(), "-k", "8", "-o", output.string(), "--force", "-q"})
                    .exit_code == 0);
            const quantize::Image upright = quantize::read_image(output);
            CHECK(upright.width == expected.width);
            CHECK(upright.metadata.orientation == 1);
        }
    }
}

TEST_CASE("JPEG metadata comes out in JPEG, WebP and PNG outputs, and --strip drops it",
          "[cli][metadata]") {
    test::TempDir dir;
    const fs::path input = dir / "in.jpg";
    test::write_bytes(input, jpeg_with_metadata());
    for (const char* ext : {".jpg", ".webp", ".tif"}) {
        INFO(ext);
        const fs::path out = dir / (std::string("out") + ext);
        REQUIRE(quantize_cli({input.string(), "-k", "8", "-o", out.string(), "-q"}).exit_code == 0);
        const ReadBack r = read_with_exiv2(out);
        CHECK(r.artist == "A. Photographer");
        CHECK(r.copyright == "(c) 2026");
        CHECK_THAT(r.xmp, Catch::Contains("Sunset"));
        if (std::string(ext) == ".jpg")
            CHECK(r.comment == "shot on film");
        CHECK(r.icc == test_icc());
    }
    // PNG: EXIF in eXIf, the comment as a text chunk, the profile in iCCP.
    const fs::path png = dir / "out.png";
    REQUIRE(quantize_cli({input.string(), "-k", "8", "-o", png.string(), "-q"}).exit_code == 0);
    const quantize::Metadata m = quantize::read_image(png).metadata;
    CHECK(exif_tag(m.exif, "Exif.Image.Artist") == "A. Photographer");
    CHECK(m.profile.icc == test_icc());

    // --strip keeps only what the colors need: the profile.
    const fs::path stripped = dir / "stripped.jpg";
    REQUIRE(quantize_cli({input.string(), "-k", "8", "-o", stripped.string(), "--strip", "-q"})
                .exit_code == 0);
    const ReadBack s = read_with_exiv2(stripped);
    CHECK(s.artist.empty());
    CHECK(s.xmp.empty());
    CHECK(s.comment.empty());
    CHECK(s.icc == test_icc());
    // --profile drop takes the profile too.
    const fs::path dropped = dir / "dropped.png";
    REQUIRE(quantize_cli({input.string(), "-k", "8", "-o", dropped.string(), "--strip", "--profile",
                          "drop", "-q"})
                .exit_code == 0);
    const quantize::Metadata d = quantize::read_image(dropped).metadata;
    CHECK(d.profile.empty());
    CHECK(d.exif.empty());
}

TEST_CASE("PNG text, resolution and time survive, wherever their chunks stand", "[cli][metadata]") {
    test::TempDir dir;
    const fs::path input = dir / "in.png";
    test::write_bytes(input, metadata_after_pixels(png_with_chunks()));
    REQUIRE(quantize::read_image(input).metadata.text.size() == 2);
    const fs::path out = dir / "out.png";
    REQUIRE(quantize_cli({input.string(), "-k", "8", "-o", out.string(), "-q"}).exit_code == 0);
    const quantize::Metadata m = quantize::read_image(out).metadata;
    REQUIRE(m.resolution);
    CHECK(m.resolution->x == 11811);
    CHECK(m.resolution->per_meter);
    REQUIRE(m.text.size() == 2);
    CHECK(m.text[0].keyword == "Copyright");
    CHECK(m.text[0].text == "(c) 2026 Someone");
    CHECK(m.text[1].international);
    CHECK(m.text[1].text == "caf\xc3\xa9");
    REQUIRE(m.time);
    CHECK(m.time->year == 2026);
    CHECK(m.time->second == 5);
    // The OpenCV-made PNG of the same pixels has none of them: nothing is invented.
    CHECK(quantize::read_image(test::sample_path("basn6a08.png")).metadata.text.empty());
    const fs::path stripped = dir / "stripped.png";
    REQUIRE(quantize_cli({input.string(), "-k", "8", "-o", stripped.string(), "--strip", "-q"})
                .exit_code == 0);
    const quantize::Metadata s = quantize::read_image(stripped).metadata;
    CHECK(s.text.empty());
    CHECK_FALSE(s.resolution);
    CHECK_FALSE(s.time);
}
