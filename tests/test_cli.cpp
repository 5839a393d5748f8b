// End-to-end tests of the quantize command: exit codes, messages, files.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "quantize/quantize.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

namespace {

test::RunResult quantize_cli(const std::vector<std::string>& args) {
    return test::run(QUANTIZE_CLI, args);
}

// A private copy of a sample, so outputs written beside it land in the temp dir.
fs::path copy_sample(const test::TempDir& dir, const std::string& name) {
    fs::copy_file(test::sample_path(name), dir / name);
    return dir / name;
}

std::size_t distinct_colors(const cv::Mat& bgr) {
    std::set<std::uint32_t> colors;
    for (int y = 0; y < bgr.rows; ++y) {
        for (int x = 0; x < bgr.cols; ++x) {
            const cv::Vec3b p = bgr.at<cv::Vec3b>(y, x);
            colors.insert(std::uint32_t(p[0]) << 16 | std::uint32_t(p[1]) << 8 | p[2]);
        }
    }
    return colors.size();
}

// Exactly one line on stderr, in the documented form.
void check_one_error_line(const test::RunResult& r, const std::string& expected) {
    CHECK(r.err == "quantize: error: " + expected + "\n");
    CHECK(r.out.empty());
}

}  // namespace

TEST_CASE("help documents usage, every option and the exit codes", "[cli]") {
    const auto r = quantize_cli({"--help"});
    CHECK(r.exit_code == 0);
    for (const char* text :
         {"Usage:", "quantize [options] INPUT", "--colors", "--output", "--force", "--sample",
          "--seed", "--max-iter", "--tolerance", "--threads", "--dither", "--dither-level",
          "--json", "--quiet", "--version", "Exit status:", "3  input missing"}) {
        CHECK_THAT(r.out, Catch::Contains(text));
    }
    CHECK(r.err.empty());
}

TEST_CASE("version prints the project version", "[cli]") {
    const auto r = quantize_cli({"--version"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == std::string("quantize ") + QUANTIZE_VERSION + "\n");
}

TEST_CASE("no input is a usage error", "[cli]") {
    const auto r = quantize_cli({});
    CHECK(r.exit_code == 2);
    check_one_error_line(r, "no input image (see quantize --help)");
    const auto unknown = quantize_cli({"--bogus"});
    CHECK(unknown.exit_code == 2);
    CHECK_THAT(unknown.err, Catch::StartsWith("quantize: error: ") && Catch::Contains("bogus"));
}

TEST_CASE("quantize INPUT -k K writes STEM-K.png beside the input and prints the report", "[cli]") {
    test::TempDir dir;
    const fs::path input = copy_sample(dir, "kodim23.png");
    const auto before = test::read_bytes(input);
    const auto r = quantize_cli({input.string(), "-k", "16"});
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());
    const fs::path output = dir / "kodim23-16.png";
    REQUIRE(fs::exists(output));
    const cv::Mat image = cv::imread(output.string());
    CHECK(image.cols == 768);
    CHECK(image.rows == 512);
    CHECK(distinct_colors(image) == 16);
    CHECK(test::read_bytes(input) == before);  // the input is never touched
    for (const char* text :
         {"Palette: 16 of 16 colors", "Size ", "Bits/px", "MSE", "PSNR", "iterations", "Time "}) {
        CHECK_THAT(r.out, Catch::Contains(text));
    }
    CHECK(test::hidden_files(dir.path()).empty());
}

TEST_CASE("json report: one document one document whose numbers match the file", "[cli]") {
    test::TempDir dir;
    const fs::path output = dir / "out.png";
    const auto r = quantize_cli(
        {test::sample_path("kodim23.png").string(), "-k", "8", "-o", output.string(), "--json"});
    REQUIRE(r.exit_code == 0);
    const auto doc = nlohmann::json::parse(r.out);
    CHECK(doc["colors"] == 8);
    CHECK(doc["width"] == 768);
    CHECK(doc["bytes"]["output"] == fs::file_size(output));
    std::uint64_t total = 0;
    double share = 0;
    for (const auto& entry : doc["palette"]) {
        total += entry["count"].get<std::uint64_t>();
        share += entry["share_percent"].get<double>();
    }
    CHECK(total == 768u * 512u);
    CHECK(share == Approx(100.0));
    CHECK(doc["quality"]["mse"].get<double>() > 0);
}

TEST_CASE("an input read from a pipe gives the same file and counts its bytes", "[cli]") {
    test::TempDir dir;
    const fs::path input = test::sample_path("kodim23.png");
    const fs::path piped = dir / "piped.png", direct = dir / "direct.png";
    const auto r =
        test::run("/bin/sh", {"-c", "cat '" + input.string() +
                                        "' | '" QUANTIZE_CLI "' /dev/stdin -k 8 --json -o '" +
                                        piped.string() + "'"});
    REQUIRE(r.exit_code == 0);
    CHECK(nlohmann::json::parse(r.out)["bytes"]["input"] == fs::file_size(input));
    REQUIRE(quantize_cli({input.string(), "-k", "8", "-o", direct.string()}).exit_code == 0);
    CHECK(test::read_bytes(piped) == test::read_bytes(direct));
}

TEST_CASE("quiet prints nothing on success", "[cli]") {
    test::TempDir dir;
    const auto r = quantize_cli({test::sample_path("kodim23.png").string(), "-k", "4", "-o",
                                 (dir / "q.png").string(), "-q"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.empty());
    CHECK(r.err.empty());
    CHECK(fs::exists(dir / "q.png"));
}

TEST_CASE("the same seed gives a byte-identical file on 1 and 2 threads", "[cli]") {
    test::TempDir dir;
    const std::string input = test::sample_path("kodim23.png").string();
    for (const char* threads : {"1", "2"}) {
        const auto r = quantize_cli({input, "-k", "32", "--seed", "5", "--threads", threads, "-q",
                                     "-o", (dir / (std::string("t") + threads + ".png")).string()});
        REQUIRE(r.exit_code == 0);
    }
    CHECK(test::read_bytes(dir / "t1.png") == test::read_bytes(dir / "t2.png"));
    const auto other =
        quantize_cli({input, "-k", "32", "--seed", "6", "-q", "-o", (dir / "s6.png").string()});
    REQUIRE(other.exit_code == 0);
    CHECK(test::read_bytes(dir / "t1.png") != test::read_bytes(dir / "s6.png"));
}

TEST_CASE("the report's palette table has its headers over their columns", "[cli][report]") {
    test::TempDir dir;
    const auto r = quantize_cli(
        {test::sample_path("kodim23.png").string(), "-k", "4", "-o", (dir / "x.png").string()});
    REQUIRE(r.exit_code == 0);
    std::istringstream lines(r.out);
    std::string header, row;
    while (std::getline(lines, header) && header.find("pixels") == std::string::npos) {
    }
    REQUIRE(std::getline(lines, row));
    // Right-aligned numbers end where their headers end; the color starts under "color".
    CHECK(header.find("pixels") + 6 == row.find('%') - 7);
    CHECK(header.find("share") + 5 == row.size());
    CHECK(header.find("color") == row.find('#'));
}

TEST_CASE("the output extension picks the format", "[cli]") {
    test::TempDir dir;
    const auto r = quantize_cli(
        {test::sample_path("kodim23.png").string(), "-k", "8", "-o", (dir / "x.bmp").string()});
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("only PNG and GIF outputs keep the palette"));
    const cv::Mat image = cv::imread((dir / "x.bmp").string());
    CHECK(distinct_colors(image) == 8);
}

TEST_CASE("an image with alpha keeps it, quantized with the colors", "[cli]") {
    test::TempDir dir;
    const auto r = quantize_cli(
        {test::sample_path("basn6a08.png").string(), "-k", "16", "-o", (dir / "a.png").string()});
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("alpha was quantized"));
    const cv::Mat image = cv::imread((dir / "a.png").string(), cv::IMREAD_UNCHANGED);
    CHECK(image.channels() == 4);
    // A format without alpha says it dropped it.
    for (const char* name : {"a.jpg", "a.bmp"}) {
        const auto flat = quantize_cli(
            {test::sample_path("basn6a08.png").string(), "-k", "16", "-o", (dir / name).string()});
        REQUIRE(flat.exit_code == 0);
        CHECK_THAT(flat.out, Catch::Contains("keeps no transparency: alpha was dropped"));
        CHECK_THAT(flat.out, !Catch::Contains("alpha was quantized"));
    }
}

TEST_CASE("K out of range is a usage error naming the input", "[cli]") {
    const std::string input = test::sample_path("kodim23.png").string();
    for (const char* k : {"0", "257", "-3"}) {
        const auto r = quantize_cli({input, "-k", k});
        CHECK(r.exit_code == 2);
        check_one_error_line(r, input + ": --colors must be between 1 and 256 (got " + k + ")");
    }
    const auto word = quantize_cli({input, "-k", "many"});
    CHECK(word.exit_code == 2);
    CHECK_THAT(word.err, Catch::StartsWith("quantize: error: ") && Catch::Contains("many"));
}

TEST_CASE("unreadable inputs exit 3 with one line naming the file", "[cli]") {
    test::TempDir dir;
    const auto missing = quantize_cli({(dir / "nope.jpg").string()});
    CHECK(missing.exit_code == 3);
    check_one_error_line(missing, (dir / "nope.jpg").string() + ": no such file");

    test::write_bytes(dir / "text.png",
                      {'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e'});
    const auto text = quantize_cli({(dir / "text.png").string()});
    CHECK(text.exit_code == 3);
    check_one_error_line(text, (dir / "text.png").string() +
                                   ": not an image quantize reads (corrupt, or an unknown format)");

    test::write_bytes(dir / "empty.png", {});
    const auto empty = quantize_cli({(dir / "empty.png").string()});
    CHECK(empty.exit_code == 3);
    check_one_error_line(empty, (dir / "empty.png").string() + ": empty file");

    std::vector<std::uint8_t> jpeg;
    REQUIRE(cv::imencode(".jpg", cv::imread(test::sample_path("kodim23.png").string()), jpeg));
    jpeg.resize(jpeg.size() * 2 / 3);
    test::write_bytes(dir / "cut.jpg", jpeg);
    const auto cut = quantize_cli({(dir / "cut.jpg").string()});
    CHECK(cut.exit_code == 3);
    check_one_error_line(cut,
                         (dir / "cut.jpg").string() + ": truncated JPEG (no end-of-image marker)");

    // Nothing was written for any of them.
    for (const auto& entry : fs::directory_iterator(dir.path())) {
        CHECK_THAT(entry.path().filename().string(), !Catch::Contains("-16.png"));
    }
}

TEST_CASE("outputs that cannot or must not be written exit 4 and lose nothing", "[cli]") {
    test::TempDir dir;
    const fs::path input = copy_sample(dir, "kodim23.png");
    const auto original = test::read_bytes(input);

    const auto same = quantize_cli({input.string(), "-o", input.string(), "--force"});
    CHECK(same.exit_code == 4);
    check_one_error_line(same, input.string() + ": is the input file; refusing to write over it");
    CHECK(test::read_bytes(input) == original);

    test::write_bytes(dir / "taken.png", {7, 7, 7});
    const auto taken = quantize_cli({input.string(), "-o", (dir / "taken.png").string()});
    CHECK(taken.exit_code == 4);
    check_one_error_line(
        taken, (dir / "taken.png").string() + ": already exists (use --force to overwrite)");
    CHECK(test::read_bytes(dir / "taken.png") == std::vector<std::uint8_t>{7, 7, 7});
    CHECK(quantize_cli({input.string(), "-o", (dir / "taken.png").string(), "--force", "-q"})
              .exit_code == 0);
    CHECK(test::read_bytes(dir / "taken.png") != std::vector<std::uint8_t>{7, 7, 7});

    const fs::path nowhere = dir / "missing" / "out.png";
    const auto no_dir = quantize_cli({input.string(), "-o", nowhere.string()});
    CHECK(no_dir.exit_code == 4);
    check_one_error_line(
        no_dir, nowhere.string() + ": directory " + (dir / "missing").string() + " does not exist");

    // /proc takes no new files, even from root.
    const auto read_only = quantize_cli({input.string(), "-o", "/proc/out.png"});
    CHECK(read_only.exit_code == 4);
    CHECK_THAT(read_only.err,
               Catch::StartsWith("quantize: error: /proc/out.png: cannot create files in /proc"));

    CHECK(test::hidden_files(dir.path()).empty());
    CHECK(test::read_bytes(input) == original);
}

TEST_CASE("the auto sample draws 2048 pixels per color, 32768 at least", "[cli]") {
    test::TempDir dir;
    const fs::path input = copy_sample(dir, "kodim23.png");
    auto bytes_with = [&](const std::string& name, std::vector<std::string> extra) {
        std::vector<std::string> args{input.string(), "-o", (dir / name).string(), "-q"};
        args.insert(args.end(), extra.begin(), extra.end());
        REQUIRE(quantize_cli(args).exit_code == 0);
        return test::read_bytes(dir / name);
    };
    CHECK(bytes_with("default.png", {"-k", "8"}) ==
          bytes_with("floor.png", {"-k", "8", "--sample", "32768"}));
    CHECK(bytes_with("auto.png", {"-k", "64", "--sample", "auto"}) ==
          bytes_with("rule.png", {"-k", "64", "--sample", "131072"}));
    CHECK(bytes_with("default64.png", {"-k", "64"}) !=
          bytes_with("more.png", {"-k", "64", "--sample", "262144"}));
    const auto wrong = quantize_cli({input.string(), "--sample", "many"});
    CHECK(wrong.exit_code == 2);
    CHECK_THAT(wrong.err, Catch::StartsWith("quantize: error: " + input.string() +
                                            ": --sample must be auto or a pixel count"));
}

TEST_CASE("PNG level, JPEG and WebP quality trade bytes as asked", "[cli]") {
    test::TempDir dir;
    const fs::path input = copy_sample(dir, "kodim23.png");
    auto bytes_with = [&](const std::string& name, std::vector<std::string> extra) {
        std::vector<std::string> args{input.string(), "-k", "32", "-o", (dir / name).string()};
        args.insert(args.end(), extra.begin(), extra.end());
        const auto r = quantize_cli(args);
        REQUIRE(r.exit_code == 0);
        return fs::file_size(dir / name);
    };
    CHECK(bytes_with("fast.png", {"--png-level", "1"}) >
          bytes_with("best.png", {"--png-level", "9"}));
    CHECK(bytes_with("low.jpg", {"--jpeg-quality", "30"}) <
          bytes_with("high.jpg", {"--jpeg-quality", "95"}));
    CHECK(bytes_with("lossy.webp", {"--webp-quality", "40"}) < bytes_with("lossless.webp", {}));
    // Lossless WebP (the default) holds exactly the quantized colors.
    CHECK(distinct_colors(cv::imread((dir / "lossless.webp").string())) <= 32);

    // auto is level 7 (for an image without long runs): the same bytes as asking for 7.
    CHECK(bytes_with("auto16.png", {"-k", "16", "--png-level", "auto"}) ==
          bytes_with("seven16.png", {"-k", "16", "--png-level", "7"}));
    for (const char* level : {"13", "fast"}) {
        const auto wrong = quantize_cli({input.string(), "--png-level", level});
        CHECK(wrong.exit_code == 2);
        CHECK_THAT(wrong.err, Catch::StartsWith("quantize: error: " + input.string() +
                                                ": --png-level must be auto or between 0 and 12"));
    }

    const auto bad = quantize_cli({input.string(), "--jpeg-quality", "101"});
    CHECK(bad.exit_code == 2);
    CHECK(bad.err == "quantize: error: " + input.string() +
                         ": --jpeg-quality must be between 0 and 100 (got 101)\n");
}

TEST_CASE("skip-if-larger writes nothing, says so and exits 5", "[cli]") {
    test::TempDir dir;
    // A tiny, well-compressed PNG: its quantized copy comes out larger.
    const fs::path input = copy_sample(dir, "basn6a08.png");
    const fs::path output = dir / "out.png";
    const auto r = quantize_cli(
        {input.string(), "-k", "8", "-o", output.string(), "--skip-if-larger", "--json"});
    CHECK(r.exit_code == 5);
    CHECK_FALSE(fs::exists(output));
    CHECK(test::hidden_files(dir.path()).empty());
    const auto doc = nlohmann::json::parse(r.out);
    CHECK(doc["bytes"]["written"] == false);
    CHECK(doc["bytes"]["output"].get<std::uint64_t>() > doc["bytes"]["input"].get<std::uint64_t>());
    CHECK(doc["bytes"]["uncompressed"] == 32 * 32 * 4);
    CHECK(doc["bits_per_pixel"]["index"] == 3);
    for (const char* key : {"delta_e00_mean", "delta_e00_p95", "ssim_luma", "alpha_mse"})
        CHECK(doc["quality"].contains(key));

    // Without the flag it is written, and the report notes the growth.
    const auto plain = quantize_cli({input.string(), "-k", "8", "-o", output.string()});
    CHECK(plain.exit_code == 0);
    CHECK(fs::exists(output));
    CHECK_THAT(plain.out, Catch::Contains("the output is larger than the input"));
}

TEST_CASE("dither fs diffuses the error, says so, and bad values are usage errors", "[cli]") {
    test::TempDir dir;
    const fs::path input = copy_sample(dir, "kodim23.png");
    const auto plain =
        quantize_cli({input.string(), "-k", "8", "-o", (dir / "plain.png").string()});
    REQUIRE(plain.exit_code == 0);
    const auto r = quantize_cli(
        {input.string(), "-k", "8", "-o", (dir / "fs.png").string(), "--dither", "fs", "--json"});
    REQUIRE(r.exit_code == 0);
    const auto doc = nlohmann::json::parse(r.out);
    CHECK(doc["dither"]["method"] == "fs");
    CHECK(doc["dither"]["level"] == 1.0);
    CHECK_THAT(doc["notes"].dump(), Catch::Contains("dithered (Floyd-Steinberg, level 1)"));
    CHECK(test::read_bytes(dir / "plain.png") != test::read_bytes(dir / "fs.png"));
    CHECK(distinct_colors(cv::imread((dir / "fs.png").string())) <= 8);
    // A level alone implies fs; level 0 is no dithering at all.
    const auto level = quantize_cli(
        {input.string(), "-k", "8", "-o", (dir / "zero.png").string(), "--dither-level", "0"});
    REQUIRE(level.exit_code == 0);
    CHECK(test::read_bytes(dir / "plain.png") == test::read_bytes(dir / "zero.png"));

    const auto name = quantize_cli({input.string(), "--dither", "riemersma"});
    CHECK(name.exit_code == 2);
    check_one_error_line(name, input.string() +
                                   ": --dither must be none, fs, adaptive, ordered or bayer (got "
                                   "'riemersma')");
    const auto range = quantize_cli({input.string(), "--dither", "fs", "--dither-level", "1.5"});
    CHECK(range.exit_code == 2);
    check_one_error_line(range,
                         input.string() + ": --dither-level must be between 0 and 1 (got 1.5)");
}

TEST_CASE("standard input and output: a pipe gives the bytes a file would", "[cli][pipe]") {
    test::TempDir dir;
    const fs::path input = copy_sample(dir, "kodim23.png");
    const fs::path file = dir / "file.png", piped = dir / "piped.png";
    REQUIRE(quantize_cli({input.string(), "-k", "8", "-o", file.string(), "-q"}).exit_code == 0);
    const auto r =
        test::run("/bin/sh", {"-c", "cat '" + input.string() +
                                        "' | '" QUANTIZE_CLI "' - -k 8 -o - --format png > '" +
                                        piped.string() + "'"});
    CHECK(r.exit_code == 0);
    CHECK(test::read_bytes(piped) == test::read_bytes(file));
    CHECK_THAT(r.err, Catch::Contains("Palette: 8 of 8 colors"));  // the report on stderr
    const auto quiet = test::run("/bin/sh", {"-c", "'" QUANTIZE_CLI "' - -k 8 -o - --format png -q"
                                                   " < '" +
                                                       input.string() + "' | wc -c"});
    CHECK(quiet.err.empty());
    CHECK(std::stoul(quiet.out) == fs::file_size(file));
    // Not an image on standard input: exit 3, one line; -o - needs --format.
    const auto text =
        test::run("/bin/sh", {"-c", "echo hello | '" QUANTIZE_CLI "' - -k 4 -o - --format png"});
    CHECK(text.exit_code == 3);
    CHECK_THAT(text.err, Catch::StartsWith("quantize: error: standard input: "));
    CHECK(std::count(text.err.begin(), text.err.end(), '\n') == 1);
    const auto no_format = quantize_cli({input.string(), "-k", "4", "-o", "-"});
    CHECK(no_format.exit_code == 2);
    CHECK_THAT(no_format.err, Catch::Contains("--format is required with -o -"));
}

TEST_CASE("several inputs: each output beside its input, a bad one reported, exit 6",
          "[cli][several]") {
    test::TempDir dir;
    const fs::path a = copy_sample(dir, "kodim23.png");
    const fs::path b = copy_sample(dir, "basn6a08.png");
    test::write_bytes(dir / "bad.png", {'n', 'o'});
    const auto r =
        quantize_cli({a.string(), (dir / "bad.png").string(), b.string(), "-k", "8", "-q"});
    CHECK(r.exit_code == 6);
    CHECK_THAT(r.err, Catch::StartsWith("quantize: error: " + (dir / "bad.png").string() + ": "));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(fs::exists(dir / "kodim23-8.png"));
    CHECK(fs::exists(dir / "basn6a08-8.png"));
    // --ext names them; its extension picks the format.
    const auto ext =
        quantize_cli({a.string(), b.string(), "-k", "8", "--ext", "-small.webp", "-q"});
    CHECK(ext.exit_code == 0);
    CHECK(fs::exists(dir / "kodim23-small.webp"));
    CHECK(fs::exists(dir / "basn6a08-small.webp"));
    // pngquant's --ext .png --force would replace the input: refused, that takes --in-place.
    const auto before = test::read_bytes(a);
    const auto same = quantize_cli({a.string(), "-k", "8", "--ext", ".png", "--force"});
    CHECK(same.exit_code == 4);
    CHECK(test::read_bytes(a) == before);
    CHECK(quantize_cli({a.string(), b.string(), "-o", (dir / "x.png").string()}).exit_code == 2);
}

TEST_CASE("several inputs: no output goes over another input, nor over another's output",
          "[cli][several]") {
    test::TempDir dir;
    const fs::path a = copy_sample(dir, "kodim23.png");
    // The second input is named as the first one's output would be.
    const fs::path b = dir / "kodim23-8.png";
    fs::copy_file(test::sample_path("basn6a08.png"), b);
    const auto before = test::read_bytes(b);
    const auto r = quantize_cli({a.string(), b.string(), "-k", "8", "--force", "-q"});
    CHECK(r.exit_code == 6);
    CHECK(r.err ==
          "quantize: error: " + b.string() + ": is the input file; refusing to write over it\n");
    CHECK(test::read_bytes(b) == before);
    CHECK(fs::exists(dir / "kodim23-8-8.png"));  // the second input is still done
    // a.png and a.jpg both name a-8.png: the first writes it, the second is reported.
    cv::imwrite((dir / "kodim23.jpg").string(), cv::imread(a.string()));
    fs::remove(b);
    const auto twins =
        quantize_cli({a.string(), (dir / "kodim23.jpg").string(), "-k", "8", "--force", "-q"});
    CHECK(twins.exit_code == 6);
    CHECK(twins.err == "quantize: error: " + b.string() + ": is also the output of " + a.string() +
                           " in this run (name the outputs apart with --ext)\n");
    const auto alone = quantize_cli({a.string(), "-k", "8", "-o", (dir / "alone.png").string()});
    CHECK(test::read_bytes(b) == test::read_bytes(dir / "alone.png"));
}

TEST_CASE(
    "a value an option cannot take is one line naming the option, and a fixed color named "
    "twice is refused",
    "[cli]") {
    const std::string input = test::sample_path("kodim23.png").string();
    check_one_error_line(quantize_cli({input, "--seed", "-1"}),
                         "--seed does not take '-1' (see quantize --help)");
    check_one_error_line(quantize_cli({input, "--max-iter=abc"}),
                         "--max-iter does not take 'abc' (see quantize --help)");
    check_one_error_line(quantize_cli({"batch", input, "-o", "/nonexistent", "--jobs", "x"}),
                         "--jobs does not take 'x' (see quantize batch --help)");
    const auto twice = quantize_cli({input, "-k", "4", "--fixed", "#fff,#fff"});
    CHECK(twice.exit_code == 2);
    CHECK_THAT(twice.err, Catch::Contains("--fixed names #ffffff twice"));
}

TEST_CASE("a reader that closes the pipe early gets exit 4 and one line, no signal death",
          "[cli][pipe]") {
    test::TempDir dir;
    const fs::path input = copy_sample(dir, "kodim23.png");
    const fs::path status = dir / "status", err = dir / "err";
    // BMP: larger than a pipe's buffer, so the writes go on after head has gone.
    const auto r = test::run(
        "/bin/sh", {"-c", "{ '" QUANTIZE_CLI "' '" + input.string() +
                              "' -k 8 -o - --format bmp -q 2>'" + err.string() + "'; echo $? >'" +
                              status.string() + "'; } | head -c 10 >/dev/null"});
    CHECK(r.exit_code == 0);
    CHECK(test::read_text(status) == "4\n");
    const std::string line = test::read_text(err);
    CHECK_THAT(line, Catch::StartsWith("quantize: error: standard output: write failed: "));
    CHECK(std::count(line.begin(), line.end(), '\n') == 1);
}

TEST_CASE(
    "SIGINT and SIGTERM stop a run of several inputs between polls: exit 130, no partial "
    "output",
    "[cli][several]") {
    test::TempDir dir;
    std::vector<std::string> args;
    for (int i = 0; i < 30; ++i) {
        const fs::path input = dir / ("in" + std::to_string(100 + i) + ".png");
        fs::copy_file(test::sample_path("kodim23.png"), input);
        args.push_back(input.string());
    }
    args.insert(args.end(), {"-k", "4", "--force"});
    for (const int signal : {SIGINT, SIGTERM}) {
        // Standard output on a pipe: the signal goes as soon as the first report arrives (the
        // run is then under way: an event, not a delay).
        int pipe_fds[2];
        REQUIRE(::pipe(pipe_fds) == 0);
        const std::string out_fd = "/dev/fd/" + std::to_string(pipe_fds[1]);
        const pid_t pid =
            test::spawn(QUANTIZE_CLI, args, out_fd, (dir / "err").string(), -1, pipe_fds[0]);
        ::close(pipe_fds[1]);
        bool sent = false;
        char buffer[4096];
        for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) {
            if (!sent) {
                ::kill(pid, signal);
                sent = true;
            }
        }
        ::close(pipe_fds[0]);
        CHECK(test::wait_exit_code(pid) == 130);
        const std::string err = test::read_text(dir / "err");
        CHECK(std::count(err.begin(), err.end(), '\n') == 1);
        CHECK_THAT(err, Catch::Contains("interrupted"));
        CHECK(test::hidden_files(dir.path()).empty());  // no temporary left behind
        std::size_t done = 0;
        for (int i = 0; i < 30; ++i) {
            const fs::path output = dir / ("in" + std::to_string(100 + i) + "-4.png");
            if (fs::exists(output)) {
                ++done;
                CHECK_NOTHROW(quantize::read_image(output));  // every output whole
                fs::remove(output);
            }
        }
        CHECK(done >= 1);
        CHECK(done < 30);
    }
}

TEST_CASE("in place: each input replaced only once its output is whole, keeping its mode",
          "[cli][in-place]") {
    test::TempDir dir;
    const fs::path a = copy_sample(dir, "kodim23.png");
    fs::permissions(a, fs::perms::owner_read | fs::perms::owner_write);
    const auto original = test::read_bytes(a);
    // A run that fails to write (a file size limit in the child) leaves the input untouched.
    struct rlimit before = {};
    ::getrlimit(RLIMIT_FSIZE, &before);
    struct rlimit small = before;
    small.rlim_cur = 1000;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    const pid_t pid = test::spawn(QUANTIZE_CLI, {a.string(), "-k", "16", "--in-place"},
                                  (dir / "out").string(), (dir / "err").string());
    ::setrlimit(RLIMIT_FSIZE, &before);
    CHECK(test::wait_exit_code(pid) == 4);
    CHECK(test::read_bytes(a) == original);
    CHECK(test::hidden_files(dir.path()).empty());

    REQUIRE(quantize_cli({a.string(), "-k", "16", "--in-place", "-q"}).exit_code == 0);
    const auto replaced = test::read_bytes(a);
    CHECK(replaced != original);
    CHECK(replaced.size() < original.size());
    CHECK(distinct_colors(cv::imread(a.string())) <= 16);
    CHECK(fs::status(a).permissions() == (fs::perms::owner_read | fs::perms::owner_write));
    CHECK(quantize_cli({a.string(), "-k", "16", "--in-place", "-o", "x.png"}).exit_code == 2);
}

TEST_CASE("limit-pixels and QUANTIZE_LIMIT_PIXELS refuse larger inputs with exit 3", "[cli]") {
    test::TempDir dir;
    const fs::path input = copy_sample(dir, "kodim23.png");  // 768x512, 0.4 MP
    const std::string out = (dir / "out.png").string();
    const auto refused = quantize_cli({input.string(), "-o", out, "--limit-pixels", "100k"});
    CHECK(refused.exit_code == 3);
    check_one_error_line(refused,
                         input.string() +
                             ": 768x512 pixels (0.4 MP) is over the limit of 0.1 MP "
                             "(raise it with --limit-pixels N or QUANTIZE_LIMIT_PIXELS=N)");
    CHECK_FALSE(fs::exists(out));
    CHECK(quantize_cli({input.string(), "-o", out, "-q", "--limit-pixels", "393216"}).exit_code ==
          0);
    for (const char* bad : {"0", "-5", "12X", "M", ""}) {
        const auto r = quantize_cli({input.string(), "--limit-pixels", bad});
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::Contains("--limit-pixels must be a pixel count of at least 1"));
    }
    const auto help = quantize_cli({"--help"});
    CHECK_THAT(help.out, Catch::Contains("--limit-pixels"));
    CHECK_THAT(help.out, Catch::Contains("QUANTIZE_LIMIT_PIXELS"));
}
