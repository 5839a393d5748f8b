// HEIC, AVIF and JPEG XL inputs (decoded by the libheif and libjxl modules), made in the test
// with Debian's encoders (heif-enc with x265 and libaom, cjxl) and compared with what their
// reference decoders (heif-convert, djxl) give; and the words for what quantize reads only in
// part (an animated PNG, a multi-page TIFF) or not at all.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdlib>

#include <opencv2/imgcodecs.hpp>

#include "exif.hpp"
#include "gif.hpp"
#include "quantize/animation.hpp"
#include "quantize/io.hpp"
#include "quantize/orientation.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

namespace {

test::RunResult quantize_cli(const std::vector<std::string>& args) {
    return test::run(QUANTIZE_CLI, args);
}

// Runs a Debian tool from /usr/bin (heif-enc, heif-convert: libheif-examples; cjxl, djxl:
// libjxl-tools; avifenc: libavif-bin); the test fails when it does.
void tool(const std::string& program, const std::vector<std::string>& args) {
    const test::RunResult r = test::run("/usr/bin/" + program, args);
    INFO(program << ": " << r.err);
    REQUIRE(r.exit_code == 0);
}

// A 96x64 picture: smooth gradients (what lossy coders keep well) with an alpha ramp when asked.
quantize::Image picture(bool alpha) {
    quantize::Image image = quantize::make_image(96, 64, {0, 0, 0, 255}, alpha ? 4 : 3);
    for (int y = 0; y < image.height; ++y) {
        for (int x = 0; x < image.width; ++x) {
            std::uint8_t* p = image.samples.data() +
                              (std::size_t(y) * 96 + std::size_t(x)) * std::size_t(image.channels);
            p[0] = std::uint8_t(x * 2);
            p[1] = std::uint8_t(y * 3);
            p[2] = std::uint8_t(128 + (x + y) % 64);
            if (alpha)
                p[3] = std::uint8_t(255 - x);
        }
    }
    return image;
}

int max_difference(const quantize::Image& a, const quantize::Image& b) {
    int most = 0;
    for (std::size_t i = 0; i < a.samples.size(); ++i)
        most = std::max(most, std::abs(int(a.samples[i]) - int(b.samples[i])));
    return most;
}

struct Case {
    std::string name;     // output file name; its extension picks the encoder's format
    std::string encoder;  // heif-enc or cjxl
    std::vector<std::string> options;
    bool alpha;
    int tolerance;  // largest sample difference allowed against the reference decoder's pixels
};

}  // namespace

TEST_CASE("HEIC, AVIF and JPEG XL decode to the reference decoders' pixels", "[cli][formats]") {
    test::TempDir dir;
    // heif-enc's lossless mode needs 4:4:4 and the identity matrix (RGB coded as is).
    const std::vector<std::string> heif_lossless = {"-L", "-p", "chroma=444",
                                                    "--matrix_coefficients=0"};
    const std::vector<Case> cases = {
        {"lossless.heic", "heif-enc", heif_lossless, false, 0},
        {"lossless.avif", "heif-enc", heif_lossless, false, 0},
        {"alpha.avif", "heif-enc", heif_lossless, true, 0},
        {"lossy.heic", "heif-enc", {"-q", "60"}, false, 0},
        {"lossy.avif", "heif-enc", {"-q", "60"}, false, 0},
        {"lossless.jxl", "cjxl", {"-d", "0"}, false, 0},
        {"alpha.jxl", "cjxl", {"-d", "0"}, true, 0},
        // libjxl's 8-bit output and djxl's PNG writer round the same float pixels apart by 1.
        {"lossy.jxl", "cjxl", {"-d", "1"}, false, 1},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        const quantize::Image source = picture(c.alpha);
        const fs::path png = dir / (c.name + ".source.png");
        test::write_bytes(png, quantize::encode_png(source, png));
        const fs::path encoded = dir / c.name;
        const fs::path reference = dir / (c.name + ".reference.png");
        std::vector<std::string> args = c.options;
        if (c.encoder == "heif-enc") {
            args.insert(args.end(), {png.string(), "-o", encoded.string()});
            tool("heif-enc", args);
            tool("heif-convert", {encoded.string(), reference.string()});
        } else {
            args.insert(args.begin(), {png.string(), encoded.string()});
            tool("cjxl", args);
            tool("djxl", {encoded.string(), reference.string()});
        }
        const quantize::Image ours = quantize::read_image(encoded);
        const quantize::Image theirs = quantize::read_image(reference);
        REQUIRE(ours.width == 96);
        REQUIRE(ours.height == 64);
        REQUIRE(ours.channels == theirs.channels);
        CHECK(ours.channels == (c.alpha ? 4 : 3));
        CHECK(max_difference(ours, theirs) <= c.tolerance);
        // cjxl's lossless mode keeps the source exactly; heif-enc's -L still goes through
        // libheif's RGB to YCbCr conversion (matrix 0, 4:4:4), which moves some samples.
        if (c.encoder == "cjxl" && c.options.back() == "0")
            CHECK(ours.samples == source.samples);

        // Through the command: quantized, and one line, exit 3, when cut short.
        const auto done = quantize_cli(
            {encoded.string(), "-k", "8", "-o", (dir / (c.name + ".out.png")).string(), "-q"});
        CHECK(done.exit_code == 0);
        CHECK(done.err.empty());
        std::vector<std::uint8_t> bytes = test::read_bytes(encoded);
        bytes.resize(bytes.size() / 2);
        const fs::path cut = dir / ("cut-" + c.name);
        test::write_bytes(cut, bytes);
        const auto refused = quantize_cli({cut.string(), "-o", (dir / "cut.png").string()});
        CHECK(refused.exit_code == 3);
        CHECK(std::count(refused.err.begin(), refused.err.end(), '\n') == 1);
        CHECK_THAT(refused.err, Catch::StartsWith("quantize: error: " + cut.string() +
                                                  ": truncated or corrupt "));
        CHECK_FALSE(fs::exists(dir / "cut.png"));
    }
}

TEST_CASE("a HEIC's EXIF orientation is not applied on top of its own", "[cli][formats]") {
    test::TempDir dir;
    // A JPEG stored sideways (EXIF orientation 6): heif-enc 1.15 codes the pixels as stored,
    // writes no irot, and copies the EXIF. The HEIF specification makes irot/imir, not EXIF,
    // say how the image stands (phones write both, the EXIF repeating what irot did), so the
    // pixels come as libheif delivers them and the EXIF kept says upright.
    cv::Mat bgr(40, 60, CV_8UC3, cv::Scalar(20, 120, 220));
    const fs::path jpeg = dir / "sideways.jpg";
    test::write_bytes(jpeg, test::jpeg_with_orientation(bgr, 6));
    const fs::path heic = dir / "sideways.heic";
    tool("heif-enc", {"-q", "80", jpeg.string(), "-o", heic.string()});
    const fs::path reference = dir / "reference.png";
    tool("heif-convert", {heic.string(), reference.string()});
    const quantize::Image ours = quantize::read_image(heic);
    const cv::Mat theirs =
        cv::imread(reference.string(), cv::IMREAD_UNCHANGED | cv::IMREAD_IGNORE_ORIENTATION);
    CHECK(ours.width == theirs.cols);
    CHECK(ours.height == theirs.rows);
    CHECK(ours.metadata.orientation == 1);
    CHECK_FALSE(ours.metadata.exif.empty());
    CHECK(quantize::exif_orientation(ours.metadata.exif) == 1);
}

TEST_CASE("every page of a multi-page TIFF is read, with one palette, and --frame picks one",
          "[cli][formats][animation]") {
    test::TempDir dir;
    std::vector<cv::Mat> pages;  // BGR, each page its own two colors
    for (int p = 0; p < 3; ++p) {
        cv::Mat page(16, 24, CV_8UC3, cv::Scalar(10 + 80 * p, 200 - 60 * p, 30));
        page(cv::Rect(0, 0, 12, 16)).setTo(cv::Scalar(250, 20 * p, 90));
        pages.push_back(page);
    }
    const fs::path tiff = dir / "pages.tif";
    REQUIRE(cv::imwritemulti(tiff.string(), pages));
    const quantize::Animation pages_read = quantize::read_animation(tiff);
    REQUIRE(pages_read.frames.size() == 3);
    for (std::size_t p = 0; p < 3; ++p) {
        const cv::Vec3b bgr = pages[p].at<cv::Vec3b>(0, 20);
        CHECK(pages_read.frames[p].image.pixel(20) == quantize::Color{bgr[2], bgr[1], bgr[0], 255});
    }
    // To GIF: every page a frame, one palette for all (6 colors fit in 8: exact).
    const auto gif = quantize_cli({tiff.string(), "-k", "8", "-o", (dir / "pages.gif").string()});
    REQUIRE(gif.exit_code == 0);
    const test::GifStructure s = test::read_gif_structure(test::read_bytes(dir / "pages.gif"));
    CHECK(s.frames == 3);
    CHECK(s.frames_with_local_table == 0);
    const quantize::Animation out = quantize::read_animation(dir / "pages.gif");
    for (std::size_t p = 0; p < 3; ++p)
        CHECK(out.frames[p].image.samples == pages_read.frames[p].image.samples);
    // To TIFF: a multi-page TIFF of the same pages (libtiff counts them; we read them back).
    const auto tif =
        quantize_cli({tiff.string(), "-k", "8", "-o", (dir / "pages-8.tif").string(), "-q"});
    REQUIRE(tif.exit_code == 0);
    std::vector<cv::Mat> written;
    REQUIRE(cv::imreadmulti((dir / "pages-8.tif").string(), written));
    CHECK(written.size() == 3);
    const quantize::Animation back = quantize::read_animation(dir / "pages-8.tif");
    REQUIRE(back.frames.size() == 3);
    for (std::size_t p = 0; p < 3; ++p)
        CHECK(back.frames[p].image.samples == pages_read.frames[p].image.samples);
    // To a still format: the first page, said; --frame N: page N.
    const auto png = quantize_cli({tiff.string(), "-o", (dir / "first.png").string()});
    REQUIRE(png.exit_code == 0);
    CHECK_THAT(png.out, Catch::Contains("multi-page TIFF of 3 pages: png keeps one, so only the "
                                        "first page was written"));
    CHECK_THAT(png.out, !Catch::Contains("was read"));
    REQUIRE(quantize_cli({tiff.string(), "--frame", "2", "-o", (dir / "third.png").string(), "-q"})
                .exit_code == 0);
    CHECK(quantize::read_image(dir / "third.png").samples == pages_read.frames[2].image.samples);
    // Pages of different sizes share no canvas: the first is read, and the report says so.
    const fs::path mixed = dir / "mixed.tif";
    REQUIRE(cv::imwritemulti(mixed.string(),
                             std::vector<cv::Mat>{pages[0], pages[1](cv::Rect(0, 0, 8, 8))}));
    const auto mixed_run = quantize_cli({mixed.string(), "-o", (dir / "mixed.png").string()});
    CHECK(mixed_run.exit_code == 0);
    CHECK_THAT(mixed_run.out,
               Catch::Contains("a multi-page TIFF: only the first page was read (of 2)"));
}

TEST_CASE("an animated PNG is read in part, and the report says so", "[cli][formats]") {
    test::TempDir dir;
    cv::Mat page(16, 24, CV_8UC3, cv::Scalar(10, 200, 30));

    // An acTL chunk (3 frames, endless) right after IHDR makes any PNG an animated one whose
    // default image is its first frame.
    const fs::path still = dir / "still.png";
    REQUIRE(cv::imwrite(still.string(), page));
    std::vector<std::uint8_t> png = test::read_bytes(still);
    const std::array<std::uint8_t, 12> actl_data = {'a', 'c', 'T', 'L', 0, 0, 0, 3, 0, 0, 0, 0};
    std::uint32_t crc = 0xffffffffu;  // CRC-32 of type and data (PNG's, ISO 3309)
    for (const std::uint8_t byte : actl_data) {
        crc ^= byte;
        for (int k = 0; k < 8; ++k)
            crc = crc & 1 ? 0xedb88320u ^ (crc >> 1) : crc >> 1;
    }
    crc ^= 0xffffffffu;
    std::vector<std::uint8_t> chunk = {0, 0, 0, 8};
    chunk.insert(chunk.end(), actl_data.begin(), actl_data.end());
    for (int shift = 24; shift >= 0; shift -= 8)
        chunk.push_back(std::uint8_t(crc >> shift));
    png.insert(png.begin() + 33, chunk.begin(), chunk.end());  // signature 8 + IHDR 25
    const fs::path apng = dir / "moving.png";
    test::write_bytes(apng, png);
    const auto apng_run = quantize_cli({apng.string(), "-o", (dir / "apng.png").string()});
    CHECK(apng_run.exit_code == 0);
    CHECK_THAT(apng_run.out,
               Catch::Contains("an animated PNG: only the first frame was read (of 3)"));
    const auto still_run = quantize_cli({still.string(), "-o", (dir / "still-16.png").string()});
    CHECK_THAT(still_run.out, !Catch::Contains("only the first"));
}

TEST_CASE("batch takes every readable extension and says what it left out",
          "[cli][formats][batch]") {
    test::TempDir dir;
    const fs::path in = dir / "in";
    fs::create_directory(in);
    cv::Mat bgr(16, 24, CV_8UC3, cv::Scalar(10, 200, 30));
    REQUIRE(cv::imwrite((in / "a.png").string(), bgr));
    const fs::path png = in / "a.png";
    tool("heif-enc", {"-q", "80", png.string(), "-o", (in / "b.heic").string()});
    tool("heif-enc", {"-q", "80", png.string(), "-o", (in / "c.avif").string()});
    tool("cjxl", {png.string(), (in / "d.jxl").string()});
    for (const char* name : {"e.tga", "f.TGA", "g.psd", "h.exr", "notes.txt"})
        test::write_bytes(in / name, {'x'});

    const auto r = quantize_cli({"batch", in.string(), "-o", (dir / "out").string()});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    // All four taken (the JPEG XL, smaller than any PNG of it, is skipped as larger).
    CHECK_THAT(r.out, Catch::Contains(", of 4"));
    for (const char* name : {"a.png", "b.png", "c.png"})
        CHECK(fs::exists(dir / "out" / name));
    CHECK_THAT(r.err, Catch::Contains((in / "d.jxl").string()));
    const std::string line =
        "left out 4 files of formats quantize does not read (.exr 1, .psd 1, .tga 2)";
    CHECK_THAT(r.err, Catch::StartsWith("quantize: " + line + "\n"));
    CHECK_THAT(r.out, Catch::Contains(line));

    // Nothing readable: "no image to do" says why.
    const fs::path only = dir / "only";
    fs::create_directory(only);
    test::write_bytes(only / "h.tga", {'x'});
    const auto none = quantize_cli({"batch", only.string(), "-o", (dir / "out2").string()});
    CHECK(none.exit_code == 0);
    CHECK_THAT(none.err,
               Catch::StartsWith("quantize: no image to do (left out 1 file of formats quantize "
                                 "does not read (.tga 1); "));
}

TEST_CASE("every frame of an animated JPEG XL is read, with its delays",
          "[cli][formats][animation]") {
    test::TempDir dir;
    // Three frames of two colors each, 50, 100 and 200 ms, looped forever; cjxl keeps them.
    std::vector<test::GifTestFrame> frames;
    for (int f = 0; f < 3; ++f) {
        std::vector<std::uint8_t> indices;
        for (int i = 0; i < 24 * 16; ++i)
            indices.push_back(std::uint8_t(i % 24 < 8 + 4 * f ? 2 * f : 2 * f + 1));
        frames.push_back(test::gif_frame(0, 0, 24, 16, indices));
        frames.back().delay_cs = 5 << f;
    }
    const std::vector<std::uint8_t> rgb = {250, 0, 0,  0,  250, 0,  0,  0,  250, 250, 250, 0,
                                           0,   9, 99, 99, 99,  99, 10, 20, 30,  40,  50,  60};
    test::write_bytes(dir / "in.gif", test::write_gif(24, 16, rgb, frames, 0));
    tool("cjxl", {(dir / "in.gif").string(), (dir / "in.jxl").string(), "-d", "0"});
    const quantize::Animation gif = quantize::read_animation(dir / "in.gif");
    const quantize::Animation jxl = quantize::read_animation(dir / "in.jxl");
    REQUIRE(jxl.frames.size() == 3);
    CHECK(jxl.loops == 0);
    for (std::size_t f = 0; f < 3; ++f) {
        INFO("frame " << f);
        CHECK(jxl.frames[f].delay_ms == 50 << f);
        CHECK(jxl.frames[f].image.samples == gif.frames[f].image.samples);  // lossless
    }
    const auto r = quantize_cli(
        {(dir / "in.jxl").string(), "-k", "8", "-o", (dir / "out.gif").string(), "--json"});
    REQUIRE(r.exit_code == 0);
    const test::GifStructure s = test::read_gif_structure(test::read_bytes(dir / "out.gif"));
    CHECK(s.frames == 3);
    CHECK(s.delays_cs == std::vector<int>{5, 10, 20});
    const quantize::Animation out = quantize::read_animation(dir / "out.gif");
    for (std::size_t f = 0; f < 3; ++f)
        CHECK(out.frames[f].image.samples == gif.frames[f].image.samples);  // 6 colors in 8
    // Cut short: one line naming the file, exit 3, nothing written.
    std::vector<std::uint8_t> bytes = test::read_bytes(dir / "in.jxl");
    bytes.resize(bytes.size() * 2 / 3);
    test::write_bytes(dir / "cut.jxl", bytes);
    const auto cut = quantize_cli({(dir / "cut.jxl").string(), "-o", (dir / "cut.gif").string()});
    CHECK(cut.exit_code == 3);
    CHECK(std::count(cut.err.begin(), cut.err.end(), '\n') == 1);
    CHECK_THAT(cut.err, Catch::StartsWith("quantize: error: " + (dir / "cut.jxl").string() +
                                          ": truncated or corrupt JPEG XL"));
    CHECK_FALSE(fs::exists(dir / "cut.gif"));
}

TEST_CASE("an HEIF image sequence: its still image, and the report says what was left out",
          "[cli][formats][animation]") {
    test::TempDir dir;
    // avifenc (libavif-bin) writes several inputs as an AVIF sequence ('avis': a 'moov' track)
    // with the first frame also as the primary image ('meta').
    std::vector<std::string> args = {"-s", "10"};
    for (int f = 0; f < 3; ++f) {
        quantize::Image frame = picture(false);
        for (std::size_t i = 0; i < frame.samples.size(); i += 3)
            frame.samples[i] = std::uint8_t(frame.samples[i] + 60 * f);
        const fs::path png = dir / ("frame" + std::to_string(f) + ".png");
        test::write_bytes(png, quantize::encode_png(frame, png));
        args.push_back(png.string());
    }
    const fs::path sequence = dir / "sequence.avif";
    args.push_back(sequence.string());
    tool("avifenc", args);
    const auto still = quantize_cli({sequence.string(), "-k", "8", "-o", (dir / "a.gif").string()});
    REQUIRE(still.exit_code == 0);
    CHECK_THAT(still.out, Catch::Contains("an HEIF image sequence: only the primary (still) image "
                                          "was read, not the 3 frames"));
    CHECK(test::read_gif_structure(test::read_bytes(dir / "a.gif")).frames == 1);
    // --frame past the still: refused, saying why.
    const auto second =
        quantize_cli({sequence.string(), "--frame", "1", "-o", (dir / "b.png").string()});
    CHECK(second.exit_code == 3);
    CHECK(std::count(second.err.begin(), second.err.end(), '\n') == 1);
    CHECK_THAT(second.err, Catch::Contains("an HEIF image sequence"));
    // Without its still image (the 'meta' box taken out): refused in one line, exit 3.
    const std::vector<std::uint8_t> bytes = test::read_bytes(sequence);
    std::vector<std::uint8_t> bare;
    for (std::size_t at = 0; at + 8 <= bytes.size();) {
        const std::size_t size = std::size_t(bytes[at]) << 24 | std::size_t(bytes[at + 1]) << 16 |
                                 std::size_t(bytes[at + 2]) << 8 | bytes[at + 3];
        REQUIRE(size >= 8);
        if (std::string(bytes.begin() + std::ptrdiff_t(at) + 4,
                        bytes.begin() + std::ptrdiff_t(at) + 8) != "meta")
            bare.insert(bare.end(), bytes.begin() + std::ptrdiff_t(at),
                        bytes.begin() + std::ptrdiff_t(at + size));
        at += size;
    }
    test::write_bytes(dir / "bare.avif", bare);
    const auto refused =
        quantize_cli({(dir / "bare.avif").string(), "-o", (dir / "bare.png").string()});
    CHECK(refused.exit_code == 3);
    CHECK(std::count(refused.err.begin(), refused.err.end(), '\n') == 1);
    CHECK_THAT(refused.err, Catch::StartsWith("quantize: error: " + (dir / "bare.avif").string() +
                                              ": an AVIF image sequence without a still image"));
}
