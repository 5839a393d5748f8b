#include <catch2/catch.hpp>

#include <cmath>
#include <utility>

#include <nlohmann/json.hpp>

#include "quantize/color.hpp"
#include "quantize/report.hpp"

using namespace quantize;

TEST_CASE("CIEDE2000 matches Sharma, Wu and Dalal's test data", "[report]") {
    // Pairs 1, 7, 11, 13, 17, 19, 25 and 34 of the paper's table: gray, hue wrap-around, mean hue
    // on both sides of 180 degrees, large differences.
    struct Pair {
        Coordinates a, b;
        double want;
    };
    const Pair pairs[] = {
        {{50, 2.6772, -79.7751}, {50, 0, -82.7485}, 2.0425},
        {{50, 0, 0}, {50, -1, 2}, 2.3669},
        {{50, 2.4900, -0.0010}, {50, -2.4900, 0.0011}, 7.2195},
        {{50, -0.0010, 2.4900}, {50, 0.0009, -2.4900}, 4.8045},
        {{50, 2.5, 0}, {73, 25, -18}, 27.1492},
        {{50, 2.5, 0}, {50, 3.1736, 0.5854}, 1.0000},
        {{60.2574, -34.0099, 36.2677}, {60.4626, -34.1751, 39.4387}, 1.2644},
        {{22.7233, 20.0904, -46.6940}, {23.0331, 14.9730, -42.5619}, 2.0373},
    };
    for (const Pair& p : pairs) {
        CHECK(delta_e_2000(p.a, p.b) == Approx(p.want).margin(5e-5));
        CHECK(delta_e_2000(p.b, p.a) == Approx(p.want).margin(5e-5));
    }
}

TEST_CASE("MSE sums the squared error over R, G and B per pixel", "[report]") {
    Image original = make_image(2, 1, {10, 20, 30, 255});
    original.samples[3] = 0;  // second pixel (0, 20, 30)
    const IndexedImage quantized{2, 1, {{{12, 20, 27, 255}, 2}}, {0, 0}};
    const Quality q = measure_quality(original, quantized);
    // Pixel 1: 4 + 0 + 9 = 13; pixel 2: 144 + 0 + 9 = 153.
    CHECK(q.mse == Approx((13.0 + 153.0) / 2));
    CHECK(q.psnr == Approx(10 * std::log10(3 * 255.0 * 255.0 / 83.0)));
    CHECK(q.alpha_mse == 0.0);
}

TEST_CASE("identical images have zero MSE and infinite PSNR", "[report]") {
    const Image original = make_image(3, 3, {1, 2, 3, 255});
    const IndexedImage same{3, 3, {{{1, 2, 3, 255}, 9}}, std::vector<std::uint8_t>(9, 0)};
    const Quality q = measure_quality(original, same);
    CHECK(q.mse == 0.0);
    CHECK(std::isinf(q.psnr));
}

TEST_CASE("with alpha, colors are compared as seen over black and alpha apart", "[report]") {
    const Image original = make_image(1, 1, {255, 0, 0, 0});  // invisible red
    const IndexedImage clear{1, 1, {{{0, 0, 0, 0}, 1}}, {0}};
    CHECK(measure_quality(original, clear).mse == 0.0);
    const IndexedImage opaque{1, 1, {{{255, 0, 0, 255}, 1}}, {0}};
    const Quality q = measure_quality(original, opaque);
    CHECK(q.mse == Approx(255.0 * 255.0));
    CHECK(q.alpha_mse == Approx(255.0 * 255.0));
}

namespace {
Report sample_report() {
    Report r;
    r.input = "in.jpg";
    r.output = "in-2.png";
    r.width = 10;
    r.height = 10;
    r.colors_requested = 2;
    r.palette = {{{255, 0, 0, 255}, 75}, {{0, 0, 255, 255}, 25}};
    r.input_bytes = 1000;
    r.output_bytes = 250;
    r.quality = {12.5, 10 * std::log10(3 * 255.0 * 255.0 / 12.5), 0};
    r.training_colors = 40;
    r.iterations = 7;
    r.inertia = 1234.5;
    r.converged = true;
    r.seed = 9;
    r.times.decode = 1;
    r.times.cluster = 2;
    r.times.total = 3.5;
    return r;
}
}  // namespace

TEST_CASE("the JSON report carries the same numbers", "[report]") {
    const Report r = sample_report();
    const auto doc = nlohmann::json::parse(format_json(r));
    CHECK(doc["input"] == "in.jpg");
    CHECK(doc["colors"] == 2);
    CHECK(doc["palette"][0]["hex"] == "#ff0000");
    CHECK(doc["palette"][0]["count"] == 75);
    CHECK(doc["palette"][0]["share_percent"].get<double>() == Approx(75.0));
    CHECK(doc["palette"][1]["rgb"] == nlohmann::json::array({0, 0, 255}));
    CHECK(doc["bytes"]["input"] == 1000);
    CHECK(doc["bytes"]["output"] == 250);
    CHECK(doc["bits_per_pixel"]["input"].get<double>() == Approx(80.0));
    CHECK(doc["bits_per_pixel"]["output"].get<double>() == Approx(20.0));
    CHECK(doc["compression_ratio"].get<double>() == Approx(4.0));
    CHECK(doc["quality"]["mse"].get<double>() == Approx(12.5));
    CHECK(doc["kmeans"]["iterations"] == 7);
    CHECK(doc["kmeans"]["seed"] == 9);
    CHECK(doc["times_ms"]["cluster"].get<double>() == Approx(2.0));
    CHECK(doc["times_ms"]["total"].get<double>() == Approx(3.5));
    CHECK(nlohmann::json::parse(format_json(r, -1)) == doc);  // one line, same content
}

TEST_CASE("the text report lists the palette and the sizes", "[report]") {
    const std::string text = format_text(sample_report());
    CHECK_THAT(text, Catch::Contains("#ff0000"));
    CHECK_THAT(text, Catch::Contains("75.0%"));
    CHECK_THAT(text,
               Catch::Contains("1,000 B -> 250 B  (ratio 4.00; uncompressed 24-bit: 300 B, 1.2x)"));
    CHECK_THAT(text, Catch::Contains("Bits/px   80.00 -> 20.00"));
    CHECK_THAT(text, Catch::Contains("MSE 12.50"));
    CHECK_THAT(text, Catch::Contains("7 iterations (converged)"));
}

TEST_CASE("ΔE00 and SSIM: zero and one for identical images, worse for coarser ones", "[report]") {
    // A horizontal gray ramp, 64 x 32, against itself and against 2 and 8 levels of it.
    Image ramp = make_image(64, 32, {0, 0, 0, 255});
    for (int y = 0; y < 32; ++y) {
        for (int x = 0; x < 64; ++x) {
            for (int c = 0; c < 3; ++c)
                ramp.samples[(std::size_t(y) * 64 + std::size_t(x)) * 3 + std::size_t(c)] =
                    std::uint8_t(x * 4);
        }
    }
    auto levels = [&](int n) {
        IndexedImage q{64, 32, {}, std::vector<std::uint8_t>(64 * 32)};
        for (int i = 0; i < n; ++i) {
            const auto v = std::uint8_t((i * 64 / n + 32 / n) * 4);
            q.palette.push_back({{v, v, v, 255}, 0});
        }
        for (std::size_t i = 0; i < q.indices.size(); ++i)
            q.indices[i] = std::uint8_t(int(i % 64) * n / 64);
        return q;
    };
    const Quality exact = measure_quality(ramp, levels(64));
    CHECK(exact.delta_e_mean == Approx(0.0).margin(1e-9));
    CHECK(exact.delta_e_p95 == Approx(0.0).margin(1e-9));
    CHECK(exact.ssim == Approx(1.0));
    const Quality eight = measure_quality(ramp, levels(8));
    const Quality two = measure_quality(ramp, levels(2));
    CHECK(eight.delta_e_mean > 0);
    CHECK(two.delta_e_mean > eight.delta_e_mean);
    CHECK(two.delta_e_p95 >= two.delta_e_mean);
    CHECK(eight.ssim < 1.0);
    CHECK(two.ssim < eight.ssim);
}

TEST_CASE("the uncompressed baseline and the palette index width", "[report]") {
    Report r;
    r.width = 10;
    r.height = 4;
    CHECK(r.baseline_bytes() == 120);
    r.alpha = true;
    CHECK(r.baseline_bytes() == 160);
    for (auto [k, bits] : {std::pair{1, 0}, {2, 1}, {5, 3}, {16, 4}, {17, 5}, {256, 8}}) {
        r.palette.assign(std::size_t(k), PaletteEntry{});
        CHECK(r.index_bits() == bits);
    }
}

TEST_CASE("the K of --quality is told truthfully: MAX reached, or only MIN at the most colors",
          "[report]") {
    Report r = sample_report();
    r.k_choice = KChoice::quality;
    r.quality_asked = {30, 50};
    r.colors_requested = 256;
    // Quality 40: PSNR 30 dB.
    r.quality.mse = mse_for_quality(40);
    r.colors_chosen = 256;
    CHECK_THAT(
        format_text(r),
        Catch::Contains("; K 256, the most allowed: quality 40 reaches MIN 30, not MAX 50\n"));
    CHECK_THAT(format_text(r), !Catch::Contains("fewest"));
    r.quality.mse = mse_for_quality(55);
    r.colors_chosen = 40;
    CHECK_THAT(format_text(r),
               Catch::Contains("; K 40: the fewest colors reaching quality 50 (55 reached)\n"));
    // Picked on the sample's estimate, the image a little short of MAX: said so.
    r.quality.mse = mse_for_quality(49.5);
    CHECK_THAT(format_text(r), Catch::Contains("; K 40: the fewest colors whose sample reaches "
                                               "quality 50; the image measures 49\n"));
}
