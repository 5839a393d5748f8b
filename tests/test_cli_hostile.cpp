// The hostile corpus (tests/corpus.hpp) through the quantize command: each file exits as
// documented with exactly one error line naming it (and the limit, for bombs), nothing written;
// --limit-pixels and QUANTIZE_LIMIT_PIXELS move the limit; a batch reports them all and goes on.
#include <catch2/catch.hpp>

#include <cstdlib>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "corpus.hpp"
#include "quantize/formats.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

namespace {

test::RunResult quantize_cli(const std::vector<std::string>& args) {
    return test::run(QUANTIZE_CLI, args);
}

std::size_t line_count(const std::string& text) {
    return std::size_t(std::count(text.begin(), text.end(), '\n'));
}

// A real 2000x2000 image (4 MP), gradients: quick to quantize.
fs::path four_megapixels(const fs::path& dir) {
    cv::Mat bgr(2000, 2000, CV_8UC3);
    for (int y = 0; y < bgr.rows; ++y)
        for (int x = 0; x < bgr.cols; ++x)
            bgr.at<cv::Vec3b>(y, x) = {std::uint8_t(x / 8), std::uint8_t(y / 8), 90};
    const fs::path path = dir / "four.png";
    REQUIRE(cv::imwrite(path.string(), bgr));
    return path;
}

}  // namespace

TEST_CASE("each hostile file exits as documented with one line naming it", "[cli][hostile]") {
    test::TempDir dir;
    for (const test::HostileFile& file : test::hostile_corpus()) {
        INFO(file.name);
        const fs::path path = test::place(file, dir.path());
        const fs::path out = dir / (file.name + ".out.png");
        const auto r = quantize_cli({path.string(), "-o", out.string()});
        CHECK(r.exit_code == file.expected_exit);
        CHECK(line_count(r.err) == 1);
        CHECK_THAT(r.err, Catch::StartsWith("quantize: error: " + path.string() + ": "));
        CHECK_THAT(r.err, Catch::Contains(file.cause_substring));
        if (file.too_large)
            CHECK_THAT(r.err, Catch::Contains("--limit-pixels"));
        CHECK(r.out.empty());
        CHECK_FALSE(fs::exists(out));
    }
}

TEST_CASE("cut files of every format exit with our one line, nothing else on stderr",
          "[cli][hostile]") {
    test::TempDir dir;
    cv::Mat bgr(64, 96, CV_8UC3);
    for (int y = 0; y < bgr.rows; ++y)
        for (int x = 0; x < bgr.cols; ++x)
            bgr.at<cv::Vec3b>(y, x) = {std::uint8_t(x * 2), std::uint8_t(y * 3),
                                       std::uint8_t(x ^ y)};
    cv::Mat grey, linear;
    cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
    bgr.convertTo(linear, CV_32F, 1 / 255.0);
    // OpenCV's imdecode prints the exception its BMP, Netpbm, PAM, PFM, Radiance and EXR
    // readers raise on a cut file ("imdecode_(''): can't read data: ... Unexpected end of input
    // stream"): those are refused before it (PFM, Radiance and EXR by their magic: quantize reads
    // no floating-point samples). PNG, JPEG, WebP and TIFF are read by libraries of ours,
    // silenced.
    const std::vector<std::pair<std::string, const cv::Mat*>> formats = {
        {".bmp", &bgr}, {".ppm", &bgr},    {".pgm", &grey},   {".pbm", &grey},
        {".pam", &bgr}, {".pfm", &linear}, {".hdr", &linear}, {".exr", &linear},
        {".png", &bgr}, {".jpg", &bgr},    {".webp", &bgr},   {".tif", &bgr}};
    for (const auto& [ext, mat] : formats) {
        std::vector<std::uint8_t> whole;
        REQUIRE(cv::imencode(ext, *mat, whole));
        for (const std::size_t keep : {whole.size() / 2, whole.size() - 1}) {
            const fs::path path = dir / ("cut-" + std::to_string(keep) + ext);
            const fs::path out = dir / "out.png";
            const std::vector<std::uint8_t> cut(whole.begin(),
                                                whole.begin() + std::ptrdiff_t(keep));
            test::write_bytes(path, cut);
            fs::remove(out);
            INFO(path.filename().string());
            const auto r = quantize_cli({path.string(), "-o", out.string(), "-f"});
            CHECK(test::read_bytes(path) == cut);  // the input is never touched
            if (r.exit_code == 0) {  // every pixel there: a PNG cut in its IEND chunk's CRC
                CHECK(r.err.empty());
                continue;
            }
            CHECK(r.exit_code == 3);
            CHECK(line_count(r.err) == 1);
            CHECK_THAT(r.err, Catch::StartsWith("quantize: error: " + path.string() + ": "));
            CHECK(!fs::exists(out));  // and no output from a refused file
        }
    }
}

TEST_CASE("EXR, HDR and PFM files are refused before OpenCV writes them to a temporary file",
          "[cli][hostile]") {
    // OpenCV reads these formats only from a file: imdecode would write the bytes to
    // $OPENCV_TEMP_PATH/__opencv_temp.XXXXXX. Their samples are floating point, which quantize
    // does not read, so they are refused by their magic first.
    const test::TempDir dir, temp;
    cv::Mat linear(48, 64, CV_32FC3, cv::Scalar(0.2, 0.5, 0.8));
    linear(cv::Rect(0, 0, 32, 24)).setTo(cv::Scalar(0.9, 0.1, 0.3));
    ::setenv("OPENCV_TEMP_PATH", temp.path().c_str(), 1);
    for (const std::string ext : {".exr", ".hdr", ".pfm"}) {
        std::vector<std::uint8_t> whole;
        REQUIRE(cv::imencode(ext, linear, whole));
        const fs::path path = dir / ("linear" + ext);
        test::write_bytes(path, whole);
        INFO(ext);
        const auto r = quantize_cli({path.string(), "-o", (dir / "out.png").string(), "-f"});
        CHECK(r.exit_code == 3);
        CHECK(line_count(r.err) == 1);
        CHECK_THAT(r.err, Catch::Contains("files hold floating-point samples"));
        CHECK(fs::is_empty(temp.path()));
        CHECK(test::read_bytes(path) == whole);
        CHECK(!fs::exists(dir / "out.png"));
    }
    ::unsetenv("OPENCV_TEMP_PATH");
}

TEST_CASE("limit-pixels and QUANTIZE_LIMIT_PIXELS refuse a real image, and raise the limit",
          "[cli][hostile]") {
    test::TempDir dir;
    const fs::path input = four_megapixels(dir.path());
    const std::string out = (dir / "out.png").string();
    const auto refused = quantize_cli({input.string(), "-o", out, "--limit-pixels", "1000000"});
    CHECK(refused.exit_code == 3);
    CHECK(refused.err == "quantize: error: " + input.string() +
                             ": 2000x2000 pixels (4.0 MP) is over the limit of 1 MP (raise it with "
                             "--limit-pixels N or QUANTIZE_LIMIT_PIXELS=N)\n");
    CHECK_FALSE(fs::exists(out));
    CHECK(quantize_cli({input.string(), "-o", out, "-q"}).exit_code == 0);

    // The environment gives the limit when the option does not; the option wins over it.
    ::setenv("QUANTIZE_LIMIT_PIXELS", "1M", 1);
    const auto by_env = quantize_cli({input.string(), "-o", out, "-f"});
    const auto option_wins =
        quantize_cli({input.string(), "-o", out, "-f", "-q", "--limit-pixels", "4M"});
    const auto palette = quantize_cli({"palette", input.string()});
    ::setenv("QUANTIZE_LIMIT_PIXELS", "many", 1);
    const auto bad_env = quantize_cli({input.string(), "-o", out, "-f"});
    ::unsetenv("QUANTIZE_LIMIT_PIXELS");
    CHECK(by_env.exit_code == 3);
    CHECK_THAT(by_env.err, Catch::Contains("over the limit of 1 MP"));
    CHECK(option_wins.exit_code == 0);
    CHECK(palette.exit_code == 3);
    CHECK_THAT(palette.err, Catch::Contains("over the limit of 1 MP"));
    CHECK(bad_env.exit_code == 2);
    CHECK_THAT(bad_env.err, Catch::Contains("(got 'many' from QUANTIZE_LIMIT_PIXELS)"));

    // A 30000x30000 bomb under a raised limit still fails at once, on its too-short data.
    const test::HostileFile bomb{"bomb.png", test::png_claiming(30000, 30000), 3, ""};
    const auto raised =
        quantize_cli({test::place(bomb, dir.path()).string(), "--limit-pixels", "1G"});
    CHECK(raised.exit_code == 3);
    CHECK_THAT(raised.err, Catch::Contains("cannot hold 30000x30000 pixels"));
}

TEST_CASE("a batch of hostile files reports each one and still does the good one",
          "[cli][hostile][batch]") {
    test::TempDir dir;
    const fs::path in = dir / "in";
    fs::create_directory(in);
    std::vector<test::HostileFile> corpus = test::hostile_corpus();
    for (const test::HostileFile& file : corpus)
        test::place(file, in);
    cv::Mat good(32, 48, CV_8UC3, cv::Scalar(1, 2, 3));
    REQUIRE(cv::imwrite((in / "good.png").string(), good));
    const auto r = quantize_cli({"batch", in.string(), "-o", (dir / "out").string(), "-q"});
    CHECK(r.exit_code == 6);
    CHECK(fs::exists(dir / "out" / "good.png"));
    for (const test::HostileFile& file : corpus) {
        // A folder inside the input folder is not walked (no --recursive); a walk leaves out
        // the formats quantize does not read (.psd, .tga, ...), and says so.
        if (file.directory || quantize::unread_format_of(file.name))
            continue;
        INFO(file.name);
        CHECK_THAT(r.err, Catch::Contains((in / file.name).string() + ": "));
    }
}
