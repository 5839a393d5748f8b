// End-to-end tests of choosing K: `quantize analyze`, --quality (one image, batch, palette),
// -k auto, exit 99 and the bad values.
#include <catch2/catch.hpp>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "quantize/quantize.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

namespace {

test::RunResult cli(const std::vector<std::string>& args) {
    return test::run(QUANTIZE_CLI, args);
}

int line_count(const std::string& text) {
    return int(std::count(text.begin(), text.end(), '\n'));
}

const std::string kPhoto = test::sample_path("kodim23.png").string();

}  // namespace

TEST_CASE("analyze --json has every column per K and the picks with reasons", "[cli][analyze]") {
    const auto r = cli({"analyze", kPhoto, "-k", "24", "--json"});
    REQUIRE(r.exit_code == 0);
    const auto doc = nlohmann::json::parse(r.out);
    CHECK(doc["k_max"] == 24);
    REQUIRE(doc["rows"].size() == 19);  // 2..16, 18, 20, 22, 24
    for (const auto& row : doc["rows"]) {
        for (const char* key : {"k", "inertia", "mse", "psnr", "quality", "delta_e00_mean", "ssim",
                                "png_bytes", "silhouette", "davies_bouldin"}) {
            INFO(key);
            CHECK(row.contains(key));
        }
    }
    std::vector<std::string> names;
    for (const auto& p : doc["picks"]) {
        names.push_back(p["name"]);
        CHECK_FALSE(p["reason"].get<std::string>().empty());
    }
    CHECK(names == std::vector<std::string>{"elbow", "silhouette", "quality 50", "quality 70",
                                            "quality 80", "quality 90"});
}

TEST_CASE("analyze --csv is a header and one line per K, and -o writes it to a file",
          "[cli][analyze]") {
    test::TempDir dir;
    const fs::path out = dir / "k.csv";
    const auto r = cli({"analyze", kPhoto, "-k", "8", "--csv", "-o", out.string()});
    REQUIRE(r.exit_code == 0);
    const std::string csv = test::read_text(out);
    CHECK(csv.rfind("k,inertia,mse,psnr,quality,delta_e00_mean,ssim,png_bytes,silhouette,"
                    "davies_bouldin\n",
                    0) == 0);
    CHECK(line_count(csv) == 1 + 7);
    // The table never goes over an input, nor over a file without --force.
    CHECK(cli({"analyze", kPhoto, "-k", "8", "--csv", "-o", out.string()}).exit_code == 4);
    // -o - is standard output, as everywhere else.
    const auto dash = cli({"analyze", kPhoto, "-k", "8", "--csv", "-o", "-"});
    CHECK(dash.exit_code == 0);
    CHECK(dash.out == test::read_text(out));
    // The table and the chart named alike: refused before any work.
    const std::string both = (dir / "both.png").string();
    const auto same = cli({"analyze", kPhoto, "-k", "8", "-o", both, "--plot", both});
    CHECK(same.exit_code == 4);
    CHECK(same.err == "quantize: error: " + both + ": is also the table in this run\n");
    CHECK_FALSE(fs::exists(both));
    // -k is the largest K here, and --quality is not an analyze option: --help says so.
    const auto help = cli({"analyze", "--help"});
    CHECK_THAT(help.out, Catch::Contains("the largest K analyzed, 2..256 (default: 256)"));
    CHECK_THAT(help.out, !Catch::Contains("--quality RANGE"));
    CHECK(cli({"analyze", kPhoto, "--quality", "50"}).exit_code == 2);
}

TEST_CASE("one color: analyze fails naming the file, -k auto says K 1 plainly", "[cli][analyze]") {
    test::TempDir dir;
    const fs::path flat = dir / "flat.png";
    quantize::write_file_atomically(
        flat, quantize::encode_png(test::image_of_colors(8, 8, {{10, 20, 30, 255}}), flat), true);
    const auto r = cli({"analyze", flat.string()});
    CHECK(r.exit_code == 3);
    CHECK(r.err ==
          "quantize: error: " + flat.string() + ": has fewer than 2 colors: nothing to choose\n");
    const auto k = cli({flat.string(), "-k", "auto", "-o", (dir / "out.png").string()});
    CHECK(k.exit_code == 0);
    CHECK_THAT(k.out, Catch::Contains("; K 1: the image holds one color\n"));
    CHECK_THAT(k.out, !Catch::Contains("elbow"));
}

TEST_CASE("the text report names how K was chosen, the JSON has it, the default name holds it",
          "[cli][choose_k]") {
    test::TempDir dir;
    const fs::path input = dir / "photo.png";
    fs::copy_file(kPhoto, input);
    const auto r = cli({input.string(), "--quality", "50"});
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("the fewest colors reaching quality 50 (") ||
                          Catch::Contains("the fewest colors whose sample reaches quality 50;"));
    int chosen = 0;
    for (const auto& entry : fs::directory_iterator(dir.path())) {
        const std::string name = entry.path().filename().string();
        if (name != "photo.png")
            chosen = std::stoi(name.substr(6));
    }
    REQUIRE(chosen > 1);
    CHECK(chosen < 256);
    const auto json =
        cli({input.string(), "--quality", "50", "--json", "-o", (dir / "again.png").string()});
    REQUIRE(json.exit_code == 0);
    const auto doc = nlohmann::json::parse(json.out);
    CHECK(doc["k_choice"] == "quality");
    CHECK(doc["colors_chosen"] == chosen);
    // Judged on the training sample: the whole image lands within a point of it.
    CHECK(doc["quality"]["score"].get<double>() >= 49);
    const auto elbow =
        cli({input.string(), "-k", "auto", "--json", "-o", (dir / "auto.png").string()});
    REQUIRE(elbow.exit_code == 0);
    CHECK(nlohmann::json::parse(elbow.out)["k_choice"] == "elbow");
}

TEST_CASE("a quality the most colors cannot reach writes nothing and exits 99", "[cli][choose_k]") {
    test::TempDir dir;
    const fs::path out = dir / "out.png";
    const auto r = cli({kPhoto, "-k", "4", "--quality", "90-100", "-o", out.string()});
    CHECK(r.exit_code == 99);
    CHECK(line_count(r.err) == 1);
    CHECK_THAT(r.err, Catch::Contains("quality"));
    CHECK_FALSE(fs::exists(out));
    CHECK(test::hidden_files(dir.path()).empty());
    // The palette form too.
    CHECK(cli({"palette", kPhoto, "-k", "4", "--quality", "90-100"}).exit_code == 99);
}

TEST_CASE("batch lists the files below the quality minimum apart and exits 99", "[cli][choose_k]") {
    test::TempDir dir;
    fs::create_directories(dir / "in");
    fs::copy_file(kPhoto, dir / "in" / "photo.png");
    // A flat image: one color meets any quality.
    test::write_bytes(
        dir / "in" / "flat.png",
        quantize::encode_png(quantize::make_image(16, 16, {200, 40, 40, 255}), "flat.png"));
    const auto r = cli({"batch", (dir / "in").string(), "-o", (dir / "out").string(), "-k", "4",
                        "--quality", "85-100", "--keep-larger"});
    CHECK(r.exit_code == 99);
    CHECK_THAT(r.out, Catch::Contains("below the --quality minimum"));
    CHECK_THAT(r.out, Catch::Contains("photo.png"));
    CHECK_THAT(r.out, Catch::Contains("1 done"));
    // The output is named after the input alone; its line says the K chosen.
    CHECK_THAT(r.err, Catch::Contains("flat.png (") && Catch::Contains(", K 1 by quality)"));
    CHECK_FALSE(fs::exists(dir / "out" / "photo.png"));
    CHECK(fs::exists(dir / "out" / "flat.png"));
}

TEST_CASE("bad --quality and -k values exit 2 with one line naming the option", "[cli][choose_k]") {
    test::TempDir dir;
    const fs::path palette = dir / "p.hex";
    test::write_bytes(palette, {'#', 'f', 'f', '0', '0', '0', '0', '\n'});
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{kPhoto, "--quality", "80-60"}, "--quality"},
        {{kPhoto, "--quality", "101"}, "--quality"},
        {{kPhoto, "--quality", "abc"}, "--quality"},
        {{kPhoto, "-k", "lots"}, "--colors"},
        {{kPhoto, "-k", "auto", "--quality", "50"}, "--quality"},
        {{"batch", kPhoto, "-o", (dir / "o").string(), "-k", "auto", "--palette", palette.string()},
         "--colors"},
        {{"batch", kPhoto, "-o", (dir / "o").string(), "--quality", "50", "--palette",
          palette.string()},
         "--quality"},
        {{"analyze", kPhoto, "-k", "1"}, "--colors"},
        {{"analyze", kPhoto, "--json", "--csv"}, "--csv"},
    };
    for (const auto& [args, option] : cases) {
        const auto r = cli(args);
        INFO(args.back() << ": " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(line_count(r.err) == 1);
        CHECK_THAT(r.err, Catch::Contains(option));
    }
}

TEST_CASE("analyze --plot writes one PNG chart of the figure's size", "[cli][analyze]") {
    test::TempDir dir;
    const fs::path chart = dir / "k.png";
    const auto r = cli({"analyze", kPhoto, "-k", "16", "--plot", chart.string(), "--quiet"});
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.empty());
    const quantize::Image image = quantize::read_image(chart);
    CHECK(image.width == 1000);
    CHECK(image.height == 900);
    // Not a blank page: many colors of ink (lines, text, antialiasing).
    std::set<std::uint32_t> colors;
    for (std::size_t i = 0; i < image.pixel_count(); ++i)
        colors.insert(quantize::pack(image.pixel(i)));
    CHECK(colors.size() > 50);
    CHECK(test::hidden_files(dir.path()).empty());
    CHECK(cli({"analyze", kPhoto, "--plot", (dir / "k.svg").string()}).exit_code == 2);
}

TEST_CASE("K by the elbow or by quality: the same bytes whatever the thread count",
          "[cli][choose_k]") {
    test::TempDir dir;
    for (const std::vector<std::string>& choice :
         {std::vector<std::string>{"-k", "auto"}, std::vector<std::string>{"--quality", "55"}}) {
        std::vector<std::vector<std::uint8_t>> outputs;
        for (const char* threads : {"1", "2"}) {
            const fs::path out = dir / (std::string("t") + threads + ".png");
            std::vector<std::string> args{kPhoto, "-o",        out.string(), "--force",
                                          "-q",   "--threads", threads};
            args.insert(args.end(), choice.begin(), choice.end());
            REQUIRE(cli(args).exit_code == 0);
            outputs.push_back(test::read_bytes(out));
        }
        CHECK(outputs[0] == outputs[1]);
    }
}

TEST_CASE("an image of no more colors than -k still has K chosen by --quality and -k auto",
          "[cli][choose_k]") {
    test::TempDir dir;
    // 256 gray levels, 16 pixels each: every color fits in -k 256.
    quantize::Image image = quantize::make_image(64, 64, {0, 0, 0, 255});
    for (std::size_t i = 0; i < image.pixel_count(); ++i)
        std::fill_n(image.samples.data() + 3 * i, 3, std::uint8_t(i % 256));
    const fs::path gray = dir / "gray.png";
    test::write_bytes(gray, quantize::encode_png(image, gray));
    const auto analysis = nlohmann::json::parse(cli({"analyze", gray.string(), "--json"}).out);
    std::map<std::string, int> picks;
    for (const auto& p : analysis["picks"])
        picks[p["name"]] = p["k"].is_null() ? 0 : p["k"].get<int>();
    REQUIRE(picks["quality 70"] > 2);

    const auto quality =
        cli({gray.string(), "--quality", "50-70", "--json", "-o", (dir / "q.png").string()});
    REQUIRE(quality.exit_code == 0);
    const auto q = nlohmann::json::parse(quality.out);
    // The fewest K reaching 70, searched K by K: no more than the sweep's grid K reaching it.
    CHECK(q["colors_chosen"].get<int>() <= picks["quality 70"]);
    CHECK(q["colors_chosen"].get<int>() < 64);
    CHECK(q["colors"] == q["colors_chosen"]);
    CHECK_FALSE(q["kmeans"]["exact"].get<bool>());
    CHECK(q["quality"]["score"].get<double>() >= 69);

    const auto elbow = cli({gray.string(), "-k", "auto", "--json", "-o", (dir / "a.png").string()});
    REQUIRE(elbow.exit_code == 0);
    CHECK(nlohmann::json::parse(elbow.out)["colors_chosen"] == picks["elbow"]);
    CHECK(picks["elbow"] < 64);

    // The palette form too.
    const auto palette = cli({"palette", gray.string(), "--quality", "50-70", "--format", "json"});
    REQUIRE(palette.exit_code == 0);
    CHECK(nlohmann::json::parse(palette.out)["colors"].size() < 64);

    // A fixed K keeps every color exactly, as before.
    const auto fixed = cli({gray.string(), "-k", "256", "--json", "-o", (dir / "f.png").string()});
    REQUIRE(fixed.exit_code == 0);
    CHECK(nlohmann::json::parse(fixed.out)["kmeans"]["exact"].get<bool>());
    CHECK(nlohmann::json::parse(fixed.out)["colors"] == 256);
}
