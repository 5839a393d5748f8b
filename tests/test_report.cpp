#include <catch2/catch.hpp>

#include <cmath>

#include <nlohmann/json.hpp>

#include "quantize/report.hpp"

using namespace quantize;

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
    CHECK(doc["times_ms"]["total"].get<double>() == Approx(3.0));
    CHECK(nlohmann::json::parse(format_json(r, -1)) == doc);  // one line, same content
}

TEST_CASE("the text report lists the palette and the sizes", "[report]") {
    const std::string text = format_text(sample_report());
    CHECK_THAT(text, Catch::Contains("#ff0000"));
    CHECK_THAT(text, Catch::Contains("75.0%"));
    CHECK_THAT(text, Catch::Contains("1,000 B -> 250 B  (ratio 4.00)"));
    CHECK_THAT(text, Catch::Contains("Bits/px   80.00 -> 20.00"));
    CHECK_THAT(text, Catch::Contains("MSE 12.50"));
    CHECK_THAT(text, Catch::Contains("7 iterations (converged)"));
}
