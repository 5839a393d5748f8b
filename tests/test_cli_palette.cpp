// End-to-end tests of `quantize palette`: files, formats, exit codes and messages.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "gif.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

namespace {

test::RunResult palette_cli(std::vector<std::string> args) {
    args.insert(args.begin(), "palette");
    return test::run(QUANTIZE_CLI, args);
}

// A PNG of one color, width x height.
fs::path flat_png(const test::TempDir& dir, const std::string& name, cv::Vec3b bgr, int width,
                  int height) {
    const fs::path path = dir / name;
    REQUIRE(cv::imwrite(path.string(), cv::Mat(height, width, CV_8UC3, cv::Scalar(bgr))));
    return path;
}

}  // namespace

TEST_CASE("palette help documents the options, formats and exit codes", "[cli][palette]") {
    const auto r = palette_cli({"--help"});
    CHECK(r.exit_code == 0);
    for (const char* text : {"quantize palette [options] INPUT...", "--format", "gpl", "ase", "aco",
                             "pal", "--swatch", "--swatch-style", "--sort", "--each", "--min-share",
                             "--fixed", "--space", "Exit status:"}) {
        CHECK_THAT(r.out, Catch::Contains(text));
    }
}

TEST_CASE("two single-color images give both colors with shares by pixel count", "[cli][palette]") {
    test::TempDir dir;
    const fs::path red = flat_png(dir, "red.png", {0, 0, 255}, 30, 10);
    const fs::path blue = flat_png(dir, "blue.png", {255, 0, 0}, 10, 10);
    const auto r = palette_cli({red.string(), blue.string(), "-k", "4", "--format", "json"});
    REQUIRE(r.exit_code == 0);
    const auto doc = nlohmann::json::parse(r.out);
    REQUIRE(doc["colors"].size() == 2);
    CHECK(doc["colors"][0]["hex"] == "#ff0000");
    CHECK(doc["colors"][0]["share"].get<double>() == Approx(75.0));
    CHECK(doc["colors"][1]["hex"] == "#0000ff");
    CHECK(doc["colors"][1]["share"].get<double>() == Approx(25.0));
}

TEST_CASE("the output extension picks the palette format, and the swatch is a PNG",
          "[cli][palette]") {
    test::TempDir dir;
    const fs::path photo = test::sample_path("kodim23.png");
    const auto r = palette_cli({photo.string(), "-k", "5", "-o", (dir / "p.gpl").string(),
                                "--swatch", (dir / "s.png").string(), "--fixed", "#ffffff"});
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.empty());
    const std::string gpl = test::read_text(dir / "p.gpl");
    CHECK(gpl.rfind("GIMP Palette\nName: kodim23\n", 0) == 0);
    CHECK_THAT(gpl, Catch::Contains("255 255 255\t#ffffff"));
    const cv::Mat swatch = cv::imread((dir / "s.png").string());
    REQUIRE(!swatch.empty());
    CHECK(swatch.cols == 640);
    CHECK(swatch.rows == 5 * 40);
    CHECK(test::hidden_files(dir.path()).empty());

    // Not again without --force.
    const auto again = palette_cli({photo.string(), "-k", "5", "-o", (dir / "p.gpl").string()});
    CHECK(again.exit_code == 4);
}

TEST_CASE("each input gets its own palette file with --each", "[cli][palette]") {
    test::TempDir dir;
    const fs::path a = flat_png(dir, "a.png", {0, 255, 0}, 8, 8);
    const fs::path b = flat_png(dir, "b.png", {40, 40, 40}, 8, 8);
    fs::create_directory(dir / "out");
    const auto r = palette_cli(
        {a.string(), b.string(), "--each", "-o", (dir / "out").string(), "--format", "hex"});
    REQUIRE(r.exit_code == 0);
    CHECK(test::read_text(dir / "out" / "a.hex") == "#00ff00\n");
    CHECK(test::read_text(dir / "out" / "b.hex") == "#282828\n");
}

TEST_CASE("colors below --min-share are dropped, and counted", "[cli][palette]") {
    test::TempDir dir;
    const fs::path big = flat_png(dir, "big.png", {0, 0, 255}, 99, 10);
    const fs::path small = flat_png(dir, "small.png", {0, 255, 0}, 1, 10);
    const auto r = palette_cli({big.string(), small.string(), "--min-share", "5"});
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("#ff0000") && !Catch::Contains("#00ff00"));
    CHECK(r.err == "quantize: dropped 1 color below 5% of the pixels\n");
}

TEST_CASE("a fully transparent image gives an empty palette, and a note that says why",
          "[cli][palette]") {
    test::TempDir dir;
    const fs::path clear = dir / "clear.png";
    REQUIRE(cv::imwrite(clear.string(), cv::Mat(10, 20, CV_8UC4, cv::Scalar(0, 0, 255, 0))));
    const auto r = palette_cli({clear.string(), "--format", "hex"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.empty());
    CHECK(r.err == "quantize: " + clear.string() +
                       ": every pixel is fully transparent, so no color was taken "
                       "(--keep-transparent counts them)\n");
    CHECK(palette_cli({clear.string(), "--format", "hex", "-q"}).err.empty());

    const auto kept = palette_cli({clear.string(), "--format", "hex", "--keep-transparent"});
    CHECK(kept.exit_code == 0);
    CHECK(kept.out == "#00000000\n");  // premultiplied: transparent is black
    CHECK(kept.err.empty());
}

TEST_CASE("palette errors: one line each, documented exit codes", "[cli][palette]") {
    const std::string photo = test::sample_path("kodim23.png").string();
    auto check = [](const test::RunResult& r, int code, const std::string& message) {
        CHECK(r.exit_code == code);
        CHECK(r.err == "quantize: error: " + message + "\n");
        CHECK(r.out.empty());
    };
    check(palette_cli({photo, "--format", "png"}), 2,
          "--format must be one of hex, txt, json, css, gpl, ase, aco, pal (got 'png')");
    check(palette_cli({photo, "-k", "0"}), 2, "--colors must be between 1 and 256 (got 0)");
    check(palette_cli({photo, "--fixed", "#12345"}), 2,
          "--fixed '#12345' is not a color (#rgb, #rrggbb or #rrggbbaa)");
    check(palette_cli({photo, "-k", "1", "--fixed", "#fff,#000"}), 2,
          "--fixed has 2 colors, more than --colors 1");
    check(palette_cli({photo, "--format", "ase"}), 2,
          "--format ase is binary: give the file to write with -o (- for standard output)");
    check(palette_cli({photo, "-o", "palette.png"}), 2,
          "--format cannot tell from 'palette.png': use a .hex, .txt, .json, .css, .gpl, .ase, "
          ".aco or .pal name, or --format");
    check(palette_cli({"/nonexistent/x.png"}), 3, "/nonexistent/x.png: no such file");
    check(palette_cli({}), 2, "no input image (see quantize palette --help)");
}

TEST_CASE(
    "palette: files named twice are refused, --each goes on past an unreachable quality "
    "naming the file, an animation weighs every frame",
    "[cli][palette]") {
    test::TempDir dir;
    const fs::path photo = test::sample_path("kodim23.png");
    const std::string p = (dir / "p.json").string();
    const auto twice = palette_cli({photo.string(), "-k", "4", "-o", p, "--swatch", p});
    CHECK(twice.exit_code == 4);
    CHECK(twice.err == "quantize: error: " + p + ": is also the palette file in this run\n");
    CHECK_FALSE(fs::exists(p));

    const fs::path flat = flat_png(dir, "flat.png", {0, 0, 255}, 20, 10);
    fs::create_directories(dir / "each");
    const auto each = palette_cli({photo.string(), flat.string(), "--each", "--quality", "95-99",
                                   "-k", "8", "-o", (dir / "each").string(), "--format", "json"});
    CHECK(each.exit_code == 99);
    CHECK_THAT(each.err, Catch::StartsWith("quantize: error: " + photo.string() + ": reaches "));
    CHECK(std::count(each.err.begin(), each.err.end(), '\n') == 1);
    CHECK(fs::exists(dir / "each" / "flat.json"));  // the next input is still done
    CHECK_FALSE(fs::exists(dir / "each" / "kodim23.json"));

    // Two frames of 4 x 10, all of color 0, then all of color 1: the palette counts both.
    const fs::path gif = dir / "two.gif";
    test::write_bytes(
        gif, test::write_gif(4, 10, test::ramp_table(2, 255, 0, 0),
                             {test::gif_frame(0, 0, 4, 10, std::vector<std::uint8_t>(40, 0)),
                              test::gif_frame(0, 0, 4, 10, std::vector<std::uint8_t>(40, 1))}));
    const auto frames = palette_cli({gif.string(), "-k", "4", "--format", "json"});
    REQUIRE(frames.exit_code == 0);
    const auto doc = nlohmann::json::parse(frames.out);
    REQUIRE(doc["colors"].size() == 2);
    CHECK(doc["pixels"] == 80);
    CHECK(doc["colors"][0]["count"].get<int>() + doc["colors"][1]["count"].get<int>() == 80);
}

TEST_CASE("palette -o - writes standard output, any format", "[cli][palette]") {
    const std::string input = test::sample_path("kodim23.png").string();
    const auto hex =
        test::run(QUANTIZE_CLI, {"palette", input, "-k", "4", "-o", "-", "--format", "hex"});
    CHECK(hex.exit_code == 0);
    CHECK(std::count(hex.out.begin(), hex.out.end(), '\n') == 4);
    const auto ase =
        test::run(QUANTIZE_CLI, {"palette", input, "-k", "4", "-o", "-", "--format", "ase"});
    CHECK(ase.exit_code == 0);
    CHECK(ase.out.rfind("ASEF", 0) == 0);
    CHECK_FALSE(fs::exists("-"));
}
