// End-to-end tests of watching k-means: --trace, --animate, --plot-clusters, --plot-convergence.
#include <catch2/catch.hpp>

#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "quantize/quantize.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

namespace {

test::RunResult quantize_cli(const std::vector<std::string>& args) {
    return test::run(QUANTIZE_CLI, args);
}

// The trace's CSV rows as column -> value maps.
std::vector<std::map<std::string, std::string>> csv_rows(const std::string& text) {
    std::istringstream in(text);
    std::string line;
    std::getline(in, line);
    std::vector<std::string> names;
    std::stringstream header(line);
    for (std::string name; std::getline(header, name, ',');)
        names.push_back(name);
    std::vector<std::map<std::string, std::string>> rows;
    while (std::getline(in, line)) {
        std::map<std::string, std::string> row;
        std::size_t column = 0, start = 0;
        for (std::size_t i = 0; i <= line.size(); ++i)
            if (i == line.size() || line[i] == ',') {
                row[names.at(column++)] = line.substr(start, i - start);
                start = i + 1;
            }
        CHECK(column == names.size());
        rows.push_back(std::move(row));
    }
    return rows;
}

// A smooth 128x96 image of ~12,000 colors: k-means needs several iterations on it.
fs::path gradient_png(const test::TempDir& dir) {
    quantize::Image image = quantize::make_image(128, 96, {0, 0, 0, 255});
    for (int y = 0; y < 96; ++y)
        for (int x = 0; x < 128; ++x) {
            std::uint8_t* p = image.samples.data() + (std::size_t(y) * 128 + std::size_t(x)) * 3;
            p[0] = std::uint8_t(x * 2);
            p[1] = std::uint8_t(y * 2 + x / 3);
            p[2] = std::uint8_t(255 - x - y);
        }
    const fs::path path = dir / "gradient.png";
    test::write_bytes(path, quantize::encode_png(image, path));
    return path;
}

}  // namespace

TEST_CASE(
    "a CSV trace: a row per Lloyd iteration, inertia never rising in a run, the kept rows "
    "ending at the report's numbers, and the image unchanged",
    "[cli][watch]") {
    test::TempDir dir;
    const std::string input = test::sample_path("kodim23.png").string();
    // K = 16: five restarts compete, the winner is refined on all the colors.
    const auto traced = quantize_cli({input, "-k", "16", "-o", (dir / "traced.png").string(),
                                      "--trace", (dir / "trace.csv").string(), "--json"});
    REQUIRE(traced.exit_code == 0);
    const auto plain = quantize_cli({input, "-k", "16", "-o", (dir / "plain.png").string(), "-q"});
    REQUIRE(plain.exit_code == 0);
    CHECK(test::read_bytes(dir / "traced.png") == test::read_bytes(dir / "plain.png"));

    const auto report = nlohmann::json::parse(traced.out);
    const int iterations = report["kmeans"]["iterations"];
    const double inertia = report["kmeans"]["inertia"];
    const auto rows = csv_rows(test::read_text(dir / "trace.csv"));
    std::map<std::string, double> last;  // per run: the inertia of its last row
    std::map<std::string, int> step;     // per run: the step of its last row
    int seeds = 0, kept = 0;
    const std::map<std::string, std::string>* last_kept = nullptr;
    for (const auto& row : rows) {
        if (row.at("event") == "seed") {
            ++seeds;
            continue;
        }
        REQUIRE(row.at("event") == "iteration");
        const std::string run = row.at("run") + row.at("restart");
        const double value = std::stod(row.at("inertia"));
        if (last.count(run)) {
            CHECK(value <= last[run] * (1 + 1e-9));  // Lloyd's; sums' rounding ~1e-12
            CHECK(std::stoi(row.at("step")) == step[run] + 1);
        } else if (row.at("run") == "restart") {
            CHECK(row.at("step") == "1");
        }
        last[run] = value;
        step[run] = std::stoi(row.at("step"));
        if (row.at("kept") == "1") {
            ++kept;
            last_kept = &row;
        }
    }
    CHECK(seeds == 5 * 16);   // five restarts of 16 seeds
    CHECK(last.size() == 6);  // five restarts and the refinement
    REQUIRE(last_kept);
    CHECK(kept == iterations);  // the winner's and the refinement's rows
    CHECK(std::stoi(last_kept->at("step")) == iterations);
    CHECK(std::stod(last_kept->at("inertia")) == inertia);

    // The same rows on one thread, but for the times.
    REQUIRE(quantize_cli({input, "-k", "16", "-o", (dir / "one.png").string(), "--trace",
                          (dir / "one.csv").string(), "--threads", "1", "-q"})
                .exit_code == 0);
    auto one = csv_rows(test::read_text(dir / "one.csv"));
    auto two = rows;
    for (auto* table : {&one, &two})
        for (auto& row : *table)
            row.erase("seconds");
    CHECK(one == two);
}

TEST_CASE("a JSON trace of the palette form: every run's steps, one restart kept", "[cli][watch]") {
    test::TempDir dir;
    const auto r = quantize_cli({"palette", test::sample_path("kodim23.png").string(), "-k", "8",
                                 "--trace", (dir / "trace.json").string()});
    REQUIRE(r.exit_code == 0);
    const auto trace = nlohmann::json::parse(test::read_text(dir / "trace.json"));
    CHECK(trace["colors"] == 8);
    int kept_restarts = 0;
    for (const auto& run : trace["runs"]) {
        CHECK(run["steps"].size() == std::size_t(run["iterations"].get<int>() -
                                                 (run["refinement"].get<bool>()
                                                      ? run["steps"][0]["iteration"].get<int>() - 1
                                                      : 0)));
        if (!run["refinement"].get<bool>()) {
            CHECK(run["seeds"].size() == 8);
            for (const auto& pick : run["seeds"]) {  // the pick is one of its draws
                CHECK(pick["drawn"].size() == pick["candidates"].get<std::size_t>());
                bool among = false;
                for (const auto& d : pick["drawn"])
                    among = among || d == pick["color"];
                CHECK(among);
            }
            kept_restarts += run["kept"].get<bool>();
        }
        double before = 1e300;
        for (const auto& s : run["steps"]) {
            CHECK(s["inertia"].get<double>() <= before * (1 + 1e-9));
            before = s["inertia"];
        }
    }
    CHECK(kept_restarts == 1);
}

TEST_CASE("an animation of k-means: frames follow --max-frames, the last one is the written image",
          "[cli][watch]") {
    test::TempDir dir;
    const fs::path input = gradient_png(dir);
    const fs::path output = dir / "out.png";
    const auto all =
        quantize_cli({input.string(), "-k", "6", "--restarts", "1", "-o", output.string(),
                      "--animate", (dir / "all.gif").string(), "--max-frames", "1000", "--json"});
    REQUIRE(all.exit_code == 0);
    const int iterations = nlohmann::json::parse(all.out)["kmeans"]["iterations"];
    REQUIRE(iterations >= 4);
    const quantize::Animation every = quantize::read_animation(dir / "all.gif");
    CHECK(every.frames.size() == std::size_t(iterations) + 1);  // the seeding, then each step

    const auto few = quantize_cli({input.string(), "-k", "6", "--restarts", "1", "-o",
                                   (dir / "out2.png").string(), "--animate",
                                   (dir / "few.gif").string(), "--max-frames", "3", "-q"});
    REQUIRE(few.exit_code == 0);
    const quantize::Animation three = quantize::read_animation(dir / "few.gif");
    REQUIRE(three.frames.size() == 3);
    CHECK(three.frames.back().delay_ms > three.frames.front().delay_ms);  // held longer

    // The last frame, above its caption strip, is the output pixel for pixel.
    const quantize::Image written = quantize::read_image(output);
    const quantize::Image& last = every.frames.back().image;
    REQUIRE(last.width == written.width);
    REQUIRE(last.height > written.height);  // the caption strip below
    std::size_t differ = 0;
    for (std::size_t i = 0; i < written.pixel_count(); ++i)
        differ += !(last.pixel(i) == written.pixel(i));
    CHECK(differ == 0);
    // The first frame (the seeds) differs from it: the animation shows the palette settle.
    std::size_t moved = 0;
    for (std::size_t i = 0; i < written.pixel_count(); ++i)
        moved += !(every.frames.front().image.pixel(i) == written.pixel(i));
    CHECK(moved > 0);
}

TEST_CASE("the convergence and clusters plots are PNGs of their size with ink", "[cli][watch]") {
    test::TempDir dir;
    const auto r =
        quantize_cli({gradient_png(dir).string(), "-k", "6", "-o", (dir / "out.png").string(),
                      "--plot-convergence", (dir / "conv.png").string(), "--plot-clusters",
                      (dir / "clusters.png").string(), "-q"});
    REQUIRE(r.exit_code == 0);
    for (const auto& [name, width, height] :
         {std::tuple{"conv.png", 900, 600}, std::tuple{"clusters.png", 1200, 560}}) {
        const quantize::Image plot = quantize::read_image(dir / name);
        CHECK(plot.width == width);
        CHECK(plot.height == height);
        std::size_t ink = 0;
        for (std::size_t i = 0; i < plot.pixel_count(); ++i)
            ink += !(plot.pixel(i) == quantize::Color{255, 255, 255, 255});
        CHECK(ink > plot.pixel_count() / 50);
    }
}

TEST_CASE("watch options refuse bad names and values, and write over no input", "[cli][watch]") {
    test::TempDir dir;
    const std::string input = gradient_png(dir).string();
    const std::string out = (dir / "o.png").string();
    const auto bad_trace = quantize_cli({input, "-o", out, "--trace", (dir / "t.txt").string()});
    CHECK(bad_trace.exit_code == 2);
    CHECK(bad_trace.err.find("--trace") != std::string::npos);
    CHECK(quantize_cli({input, "-o", out, "--animate", (dir / "a.png").string()}).exit_code == 2);
    CHECK(
        quantize_cli({input, "-o", out, "--animate", (dir / "a.gif").string(), "--max-frames", "1"})
            .exit_code == 2);
    CHECK(quantize_cli({input, input, "--trace", (dir / "t.csv").string()}).exit_code == 2);
    CHECK(
        quantize_cli({"palette", input, "--each", "--trace", (dir / "t.csv").string()}).exit_code ==
        2);
    // The input named as a plot: refused before any work, the input kept.
    const auto before = test::read_bytes(input);
    CHECK(quantize_cli({input, "-o", out, "--plot-convergence", input, "-f"}).exit_code == 4);
    CHECK(test::read_bytes(input) == before);
    CHECK_FALSE(fs::exists(out));
}

TEST_CASE(
    "no file of a run is written twice: a view named like the image or another view is "
    "refused before any work, and --skip-if-larger writes no view either",
    "[cli][watch]") {
    test::TempDir dir;
    const std::string input = gradient_png(dir).string();
    const std::string out = (dir / "o.png").string();
    const auto same = quantize_cli({input, "-o", out, "--plot-clusters", out, "-f", "-q"});
    CHECK(same.exit_code == 4);
    CHECK(same.err ==
          "quantize: error: " + out + ": is also the output of " + input + " in this run\n");
    CHECK_FALSE(fs::exists(out));
    const std::string plot = (dir / "p.png").string();
    const auto views =
        quantize_cli({input, "-o", out, "--plot-clusters", plot, "--plot-convergence", plot});
    CHECK(views.exit_code == 4);
    CHECK(views.err == "quantize: error: " + plot +
                           ": is also the --plot-clusters file in this "
                           "run\n");
    CHECK_FALSE(fs::exists(out));
    // A BMP of a small PNG is larger: nothing at all is written, no view either.
    const std::string trace = (dir / "t.csv").string();
    const auto larger = quantize_cli({input, "-k", "8", "-o", (dir / "o.bmp").string(),
                                      "--skip-if-larger", "--trace", trace, "-q"});
    CHECK(larger.exit_code == 5);
    CHECK_FALSE(fs::exists(dir / "o.bmp"));
    CHECK_FALSE(fs::exists(trace));
}

TEST_CASE("an animated input is watched on frame 0 with a note, or on the --frame asked for",
          "[cli][watch]") {
    test::TempDir dir;
    const quantize::Image still = quantize::read_image(gradient_png(dir));
    quantize::IndexedAnimation moving;
    moving.width = still.width;
    moving.height = still.height;
    for (int f = 0; f < 3; ++f) {
        quantize::Image frame = still;
        for (std::size_t i = 0; i < frame.samples.size(); i += 3)
            frame.samples[i] = std::uint8_t(frame.samples[i] / 2 + 60 * f);
        quantize::Options options;
        options.clustering.colors = 64;
        moving.frames.push_back({quantize::quantize(frame, options).image, 100});
    }
    const fs::path input = dir / "moving.gif";
    test::write_bytes(input, quantize::encode_animation(moving, quantize::ImageFormat::gif, input));

    const auto first = quantize_cli({input.string(), "-k", "6", "-o", (dir / "out.gif").string(),
                                     "--animate", (dir / "first.gif").string(), "-q"});
    REQUIRE(first.exit_code == 0);
    CHECK(first.err.find("has 3 frames") != std::string::npos);
    CHECK(quantize::read_animation(dir / "first.gif").frames.size() >= 2);

    // --frame 2: that frame alone is quantized and shown; the last frame is the written one.
    const fs::path two = dir / "two.png";
    const auto second = quantize_cli({input.string(), "-k", "6", "--frame", "2", "-o", two.string(),
                                      "--animate", (dir / "second.gif").string(), "-q"});
    REQUIRE(second.exit_code == 0);
    CHECK(second.err.find("has 3 frames") == std::string::npos);
    const quantize::Image written = quantize::read_image(two);
    const quantize::Animation shown = quantize::read_animation(dir / "second.gif");
    std::size_t differ = 0;
    for (std::size_t i = 0; i < written.pixel_count(); ++i)
        differ += !(shown.frames.back().image.pixel(i) == written.pixel(i));
    CHECK(differ == 0);

    // A palette per frame is one k-means run per frame: nothing to watch as one.
    const auto refused =
        quantize_cli({input.string(), "-k", "6", "--palette-per-frame", "-o",
                      (dir / "per.gif").string(), "--trace", (dir / "t.csv").string()});
    CHECK(refused.exit_code == 2);
    CHECK(refused.err.find("palette-per-frame") != std::string::npos);
}

TEST_CASE("a watched quality search: the same bytes, one trace row per reported iteration",
          "[cli][watch][choose_k]") {
    test::TempDir dir;
    // 200x200 colors, nearly all distinct: --quality searches on every second one of them.
    quantize::Image image = quantize::make_image(200, 200, {0, 0, 0, 255});
    for (std::size_t i = 0; i < image.samples.size(); ++i)
        image.samples[i] = std::uint8_t((i * 2654435761u >> 7) % 256);
    const fs::path input = dir / "noise.png";
    test::write_bytes(input, quantize::encode_png(image, input));
    const auto plain =
        quantize_cli({input.string(), "--quality", "45", "-o", (dir / "plain.png").string(), "-q"});
    const auto watched =
        quantize_cli({input.string(), "--quality", "45", "-o", (dir / "watched.png").string(),
                      "--trace", (dir / "t.csv").string(), "--json"});
    REQUIRE(plain.exit_code == 0);
    REQUIRE(watched.exit_code == 0);
    CHECK(test::read_bytes(dir / "plain.png") == test::read_bytes(dir / "watched.png"));
    const int iterations = nlohmann::json::parse(watched.out)["kmeans"]["iterations"];
    std::size_t rows = 0;
    for (const auto& row : csv_rows(test::read_text(dir / "t.csv")))
        rows += row.at("event") == "iteration";
    CHECK(rows == std::size_t(iterations));
}

TEST_CASE("K chosen by -k auto or --quality: the final run at that K is watched", "[cli][watch]") {
    test::TempDir dir;
    const fs::path input = gradient_png(dir);
    for (const std::vector<std::string>& choice :
         {std::vector<std::string>{"-k", "auto"}, std::vector<std::string>{"--quality", "40"}}) {
        INFO(choice.front());
        std::vector<std::string> args{input.string(),
                                      "-o",
                                      (dir / "out.png").string(),
                                      "--force",
                                      "--json",
                                      "--trace",
                                      (dir / "t.csv").string(),
                                      "--plot-convergence",
                                      (dir / "v.png").string(),
                                      "--animate",
                                      (dir / "a.gif").string()};
        args.insert(args.begin() + 1, choice.begin(), choice.end());
        const auto r = quantize_cli(args);
        REQUIRE(r.exit_code == 0);
        CHECK(r.err.find("did not run") == std::string::npos);
        const auto report = nlohmann::json::parse(r.out);
        REQUIRE_FALSE(report["kmeans"]["exact"].get<bool>());
        // One run, kept, from the K search's centroids: no k-means++ picks, and its last row is
        // the report's k-means.
        const auto rows = csv_rows(test::read_text(dir / "t.csv"));
        REQUIRE_FALSE(rows.empty());
        for (const auto& row : rows) {
            CHECK(row.at("event") == "iteration");
            CHECK(row.at("kept") == "1");
        }
        CHECK(std::stoi(rows.back().at("step")) == report["kmeans"]["iterations"].get<int>());
        CHECK(std::stod(rows.back().at("inertia")) ==
              Approx(report["kmeans"]["inertia"].get<double>()).epsilon(1e-12));
        CHECK(fs::file_size(dir / "v.png") > 0);
        CHECK(fs::file_size(dir / "a.gif") > 0);
        fs::remove(dir / "v.png");
        fs::remove(dir / "a.gif");
    }
}
