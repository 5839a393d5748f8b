// End-to-end tests of metadata: what an input carries (EXIF, XMP, comment, text, resolution,
// time, profile) comes out in every output format that keeps it, read back with the libraries
// that own those formats (exiv2, libspng); --strip drops all but the profile.
#include <catch2/catch.hpp>

#include <memory>

#include <lcms2.h>
#include <spng.h>
#include <exiv2/exiv2.hpp>
#include <opencv2/imgcodecs.hpp>

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
    spng_encode_image(ctx.get(), noise.samples.data(), noise.samples.size(), SPNG_FMT_PNG,
                      SPNG_ENCODE_FINALIZE);
    std::size_t size = 0;
    int rc = 0;
    auto* buffer = static_cast<std::uint8_t*>(spng_get_png_buffer(ctx.get(), &size, &rc));
    std::vector<std::uint8_t> png(buffer, buffer + size);
    std::free(buffer);
    return png;
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

}  // namespace

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
