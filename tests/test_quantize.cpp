#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <set>

#include <opencv2/imgcodecs.hpp>

#include "quantize/quantize.hpp"
#include "support.hpp"

using namespace quantize;
namespace fs = std::filesystem;

namespace {
Options with_colors(int k, int threads = 0) {
    Options o;
    o.clustering.colors = k;
    o.running.threads = threads;
    return o;
}
}  // namespace

TEST_CASE("an image with at most K colors comes back exactly", "[quantize]") {
    const std::vector<Color> colors{
        {255, 0, 0, 255}, {0, 128, 0, 255}, {1, 2, 3, 255}, {250, 250, 250, 255}};
    const Image image = test::image_of_colors(64, 48, colors);
    for (int k : {4, 16, 256}) {
        const Quantized q = quantize::quantize(image, with_colors(k));
        CHECK(q.exact);
        REQUIRE(q.image.palette.size() == 4);
        for (std::size_t i = 0; i < image.pixel_count(); ++i)
            REQUIRE(color_at(q.image, i) == image.pixel(i));
    }
    CHECK_FALSE(quantize::quantize(image, with_colors(3)).exact);
}

TEST_CASE("the result has at most K colors, the input's size and counts that add up",
          "[quantize]") {
    const Image image = read_image(test::sample_path("kodim23.png"));
    for (int k : {1, 2, 16, 256}) {
        const Quantized q = quantize::quantize(image, with_colors(k));
        CHECK(q.image.width == image.width);
        CHECK(q.image.height == image.height);
        CHECK(q.image.palette.size() <= std::size_t(k));
        CHECK(q.image.palette.size() >= std::size_t(k) * 9 / 10);
        CHECK(total_count(q.image.palette) == image.pixel_count());
        std::set<std::uint32_t> distinct;
        for (const auto& e : q.image.palette)
            distinct.insert(pack(e.color));
        CHECK(distinct.size() == q.image.palette.size());
        for (std::size_t j = 1; j < q.image.palette.size(); ++j) {
            CHECK(q.image.palette[j - 1].count >= q.image.palette[j].count);
        }
    }
}

TEST_CASE("MSE falls as K grows on a Kodak photo", "[quantize]") {
    const Image image = read_image(test::sample_path("kodim23.png"));
    double previous = 1e30;
    for (int k : {2, 4, 8, 16, 32, 64, 128, 256}) {
        const Quantized q = quantize::quantize(image, with_colors(k));
        const double mse = measure_quality(image, q.image).mse;
        CHECK(mse < previous);
        previous = mse;
    }
    CHECK(previous < 50.0);  // K = 256 on kodim23 is close to the original (PSNR > 42 dB)
}

TEST_CASE("the same seed gives identical results on 1 and 2 threads", "[quantize]") {
    const Image image = read_image(test::sample_path("kodim23.png"));
    const Quantized one = quantize::quantize(image, with_colors(64, 1));
    const Quantized two = quantize::quantize(image, with_colors(64, 2));
    REQUIRE(one.image.palette.size() == two.image.palette.size());
    for (std::size_t j = 0; j < one.image.palette.size(); ++j) {
        CHECK(one.image.palette[j].color == two.image.palette[j].color);
        CHECK(one.image.palette[j].count == two.image.palette[j].count);
    }
    CHECK(one.image.indices == two.image.indices);
    CHECK(one.clustering.inertia == two.clustering.inertia);
}

TEST_CASE("option values out of range are refused by name", "[quantize]") {
    auto subject_of = [](Options o) -> std::string {
        try {
            validate(o);
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::invalid_argument);
            return e.subject();
        }
        return "";
    };
    CHECK(subject_of(with_colors(0)) == "colors");
    CHECK(subject_of(with_colors(257)) == "colors");
    Options o;
    o.clustering.max_iter = 0;
    CHECK(subject_of(o) == "max-iter");
    o = {};
    o.clustering.tolerance = -1;
    CHECK(subject_of(o) == "tolerance");
    o = {};
    o.running.threads = -2;
    CHECK(subject_of(o) == "threads");
    for (double level : {-0.1, 1.5, std::nan("")}) {
        o = {};
        o.mapping.dither_level = level;
        CHECK(subject_of(o) == "dither-level");
    }
    CHECK(subject_of(Options{}).empty());
}

TEST_CASE("a progress callback sees every stage in order and can cancel", "[quantize]") {
    test::TempDir dir;
    std::vector<Stage> seen;
    quantize_file(test::sample_path("kodim23.png"), dir / "out.png", with_colors(8), false,
                  [&](Stage s) {
                      seen.push_back(s);
                      return true;
                  });
    // Stage::cluster comes again before every Lloyd update, so a cancel is seen inside k-means.
    CHECK(std::count(seen.begin(), seen.end(), Stage::cluster) > 1);
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    CHECK(seen == std::vector<Stage>{Stage::decode, Stage::sample, Stage::cluster, Stage::remap,
                                     Stage::encode, Stage::measure, Stage::write});
    try {
        quantize_file(test::sample_path("kodim23.png"), dir / "stopped.png", with_colors(8), false,
                      [](Stage s) { return s != Stage::cluster; });
        FAIL("not cancelled");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::cancelled);
    }
    CHECK_FALSE(fs::exists(dir / "stopped.png"));
}

TEST_CASE("quantize_file reports what it wrote", "[quantize]") {
    test::TempDir dir;
    const Report r =
        quantize_file(test::sample_path("kodim23.png"), dir / "out.png", with_colors(16), false);
    CHECK(r.output_bytes == fs::file_size(dir / "out.png"));
    CHECK(r.input_bytes == fs::file_size(test::sample_path("kodim23.png")));
    CHECK(r.palette.size() == 16);
    CHECK(total_count(r.palette) == 768u * 512u);
    CHECK(r.quality.mse > 0);
    CHECK(r.iterations >= 1);
    CHECK(r.training_colors > 1000);
    CHECK(default_output_path("a/b/photo.jpg", 16) == fs::path("a/b/photo-16.png"));
}

TEST_CASE("the palette of two single-color images is both colors, weighted by size",
          "[quantize][extract]") {
    const Color red{255, 0, 0, 255}, blue{0, 0, 255, 255};
    const std::vector<Image> images{make_image(30, 10, red), make_image(10, 10, blue)};
    Options options;
    options.clustering.colors = 8;
    const Palette palette = extract_palette(images, options);
    REQUIRE(palette.size() == 2);
    CHECK(palette[0].color == red);
    CHECK(palette[0].count == 300);
    CHECK(palette[1].color == blue);
    CHECK(palette[1].count == 100);
}

TEST_CASE("extracted palettes leave out transparent pixels and keep fixed colors",
          "[quantize][extract]") {
    const Image photo = read_image(test::sample_path("kodim23.png"));
    Options options;
    options.clustering.colors = 6;
    options.clustering.fixed = {{255, 255, 255, 255}, {0, 0, 0, 255}};
    const Palette palette = extract_palette(std::vector<Image>{photo}, options);
    REQUIRE(palette.size() <= 6);
    std::uint64_t total = 0;
    for (const PaletteEntry& e : palette)
        total += e.count;
    CHECK(total == Approx(photo.pixel_count()).epsilon(0.001));
    for (const Color& c : options.clustering.fixed) {
        CHECK(std::any_of(palette.begin(), palette.end(),
                          [&](const PaletteEntry& e) { return e.color == c && e.fixed; }));
    }

    const Image clear = test::image_of_colors(20, 20, {{0, 0, 0, 0}, {10, 200, 30, 255}});
    const Palette opaque = extract_palette(std::vector<Image>{clear}, Options{});
    REQUIRE(opaque.size() == 1);
    CHECK(opaque[0].color == Color{10, 200, 30, 255});
    CHECK(extract_palette(std::vector<Image>{clear}, Options{}, true).size() == 2);
}

TEST_CASE("fixed colors are in the output palette exactly, whatever the image", "[quantize]") {
    const Image photo = read_image(test::sample_path("kodim23.png"));
    Options options;
    options.clustering.colors = 8;
    options.clustering.fixed = {{255, 0, 255, 255}, {0, 0, 0, 255}, {12, 34, 56, 255}};
    const Quantized q = quantize::quantize(photo, options);
    REQUIRE(q.image.palette.size() <= 8);
    for (const Color& c : options.clustering.fixed) {
        CHECK(std::any_of(q.image.palette.begin(), q.image.palette.end(),
                          [&](const PaletteEntry& e) { return e.color == c; }));
    }
    options.clustering.fixed.resize(9, Color{1, 2, 3, 255});
    CHECK_THROWS_AS(quantize::quantize(photo, options), Error);
}

TEST_CASE("RGBA images keep their transparency: clear stays clear, edges stay translucent",
          "[quantize]") {
    const std::vector<fs::path> files = test::shared_images("alpha");
    if (files.empty())
        WARN("../shared/images/alpha is not there; nothing checked");
    test::TempDir dir;
    for (const fs::path& file : files) {
        INFO(file);
        const Image input = read_image(file);
        REQUIRE(input.has_alpha());
        const fs::path output = dir / (file.stem().string() + "-16.png");
        const Report report = quantize_file(file, output, with_colors(16), false);
        CHECK(report.alpha);
        CHECK(report.quality.alpha_mse >= 0);
        // Read back by OpenCV, an independent decoder: BGRA.
        const cv::Mat back = cv::imread(output.string(), cv::IMREAD_UNCHANGED);
        REQUIRE(back.channels() == 4);
        REQUIRE(std::size_t(back.total()) == input.pixel_count());
        std::size_t clear = 0, clear_kept = 0, translucent_in = 0, translucent_out = 0;
        for (std::size_t i = 0; i < input.pixel_count(); ++i) {
            const std::uint8_t a_in = input.pixel(i).a;
            const std::uint8_t a_out = back.data[4 * i + 3];
            clear += a_in == 0;
            clear_kept += a_in == 0 && a_out == 0;
            translucent_in += a_in > 0 && a_in < 255;
            translucent_out += a_out > 0 && a_out < 255;
        }
        CHECK(clear_kept == clear);
        if (translucent_in > input.pixel_count() / 100)
            CHECK(translucent_out > 0);
    }
}

TEST_CASE("an in-memory run gets the report a file run gets, less the file's fields",
          "[quantize][report]") {
    const Image image = read_image(test::sample_path("kodim23.png"));
    const Options options = with_colors(8);
    const Quantized q = quantize::quantize(image, options);
    const Report r = report_for(image, q, options);
    CHECK(r.colors_requested == 8);
    CHECK(r.width == image.width);
    CHECK(r.palette.size() == q.image.palette.size());
    CHECK(r.inertia == q.clustering.inertia);
    CHECK(r.quality.mse > 0);
    CHECK_FALSE(r.written);
    CHECK(r.output_bytes == 0);
    const Report same = report_for(image, q, options, r.quality);
    CHECK(format_json(same) == format_json(r));
}

TEST_CASE("the default maps without dithering, as --dither none does", "[quantize][dither]") {
    // Chosen by measurement (README, "Dithering"): adaptive diffusion lowers butteraugli but
    // raises SSIMULACRA and bytes against none at every K, and takes 1.3-1.5x the wall time on the
    // 12 MP photo, so the default stays plain mapping.
    CHECK(Options{}.mapping.dither == Dither::none);
    const Image image = read_image(test::sample_path("kodim23.png"));
    Options none = with_colors(16, 2);
    none.mapping.dither = Dither::none;
    Options adaptive = none;
    adaptive.mapping.dither = Dither::adaptive;
    const Quantized by_default = quantize::quantize(image, with_colors(16, 2));
    CHECK(by_default.image.indices == quantize::quantize(image, none).image.indices);
    CHECK(by_default.image.indices != quantize::quantize(image, adaptive).image.indices);
}

TEST_CASE("dithered PNG output is deflated at its method's automatic level, 6",
          "[quantize][dither]") {
    // quantize_file tells the encoder how the pixels were mapped (EncodeOptions::dither): the
    // automatic level then gives the file an explicit level 6 gives, and level 7 (undithered
    // output's) another.
    test::TempDir dir;
    const auto written = [&](Dither dither, int level, const char* name) {
        Options options = with_colors(64, 2);
        options.mapping.dither = dither;
        options.encoding.encode.png_level = level;
        quantize_file(test::sample_path("kodim23.png"), dir / name, options, false);
        return test::read_bytes(dir / name);
    };
    for (Dither dither : {Dither::fs, Dither::adaptive, Dither::ordered}) {
        const auto automatic = written(dither, EncodeOptions::kAutoPngLevel, "auto.png");
        CHECK(automatic == written(dither, 6, "six.png"));
        CHECK(automatic != written(dither, 7, "seven.png"));
        for (const char* name : {"auto.png", "six.png", "seven.png"})
            fs::remove(dir / name);
    }
    CHECK(written(Dither::none, EncodeOptions::kAutoPngLevel, "auto.png") ==
          written(Dither::none, 7, "seven.png"));
}

namespace {
// The image's pixels copied into rows `pad` bytes longer than needed, gaps filled with 0x5a
// (a color the image must not pick up), viewed in place.
struct PaddedCopy {
    std::vector<std::uint8_t> bytes;
    ImageView view;
    PaddedCopy(const Image& image, std::size_t pad) {
        const std::size_t row = std::size_t(image.width) * std::size_t(image.channels);
        bytes.assign((row + pad) * std::size_t(image.height), 0x5a);
        for (std::size_t y = 0; y < std::size_t(image.height); ++y)
            std::copy_n(image.samples.data() + y * row, row, bytes.data() + y * (row + pad));
        view = ImageView(bytes.data(), image.width, image.height, image.channels,
                         std::ptrdiff_t(row + pad));
    }
};
}  // namespace

TEST_CASE(
    "an ImageView with padded rows quantizes, measures and gives palettes as the packed image",
    "[quantize][view]") {
    for (const char* name : {"kodim23.png", "basn6a08.png"}) {
        const Image image = read_image(test::sample_path(name));
        const PaddedCopy padded(image, 13);
        REQUIRE_FALSE(padded.view.packed());
        for (Dither dither : {Dither::none, Dither::fs}) {
            Options options = with_colors(16, 2);
            options.mapping.dither = dither;
            const Quantized packed = quantize::quantize(image, options);
            const Quantized strided = quantize::quantize(padded.view, options);
            CHECK(strided.image.indices == packed.image.indices);
            REQUIRE(strided.image.palette.size() == packed.image.palette.size());
            for (std::size_t j = 0; j < packed.image.palette.size(); ++j)
                CHECK(strided.image.palette[j].color == packed.image.palette[j].color);
            CHECK(measure_quality(padded.view, packed.image).mse ==
                  measure_quality(image, packed.image).mse);
            CHECK(measure_quality(padded.view, packed.image).ssim ==
                  measure_quality(image, packed.image).ssim);
        }
        const ImageView views[] = {padded.view};
        Image plain = image;  // views carry no profile: compared with the image taken as sRGB
        plain.metadata = {};
        const Image images[] = {plain};
        const Palette from_view =
            extract_palette(std::span<const ImageView>(views), with_colors(8));
        const Palette from_image = extract_palette(std::span<const Image>(images), with_colors(8));
        REQUIRE(from_view.size() == from_image.size());
        for (std::size_t j = 0; j < from_view.size(); ++j)
            CHECK(from_view[j].color == from_image[j].color);
    }
}

TEST_CASE("an ImageView refuses sizes, channels and strides that cannot be", "[quantize][view]") {
    const std::vector<std::uint8_t> bytes(64 * 3);
    auto kind_of = [&](int w, int h, int c, std::ptrdiff_t stride) {
        try {
            ImageView(bytes.data(), w, h, c, stride);
        } catch (const Error& e) {
            return e.kind();
        }
        return ErrorKind::cancelled;  // nothing thrown
    };
    CHECK(kind_of(8, 8, 3, 0) == ErrorKind::cancelled);
    CHECK(kind_of(8, 8, 2, 0) == ErrorKind::invalid_argument);
    CHECK(kind_of(-1, 8, 3, 0) == ErrorKind::invalid_argument);
    CHECK(kind_of(8, 8, 3, 23) == ErrorKind::invalid_argument);
    CHECK(kind_of(8, 8, 3, -23) == ErrorKind::invalid_argument);
    CHECK(kind_of(8, 8, 3, -24) == ErrorKind::cancelled);  // rows upwards: a flipped array
    CHECK_THROWS_WITH(ImageView(nullptr, 2, 2, 3), "image: has no pixel data");
}

TEST_CASE("report_of describes an in-memory run as the file report does", "[quantize][view]") {
    const Image image = read_image(test::sample_path("kodim23.png"));
    const Options options = with_colors(16, 2);
    const Quantized q = quantize::quantize(image, options);
    const Report r = report_of(image, q, options);
    CHECK(r.width == image.width);
    CHECK(r.height == image.height);
    CHECK(r.colors_requested == 16);
    CHECK(r.palette.size() == q.image.palette.size());
    CHECK(r.iterations == q.clustering.iterations);
    CHECK(r.quality.mse == measure_quality(image, q.image).mse);
    CHECK_FALSE(r.written);
    const test::TempDir dir;
    const Report from_file =
        quantize_file(test::sample_path("kodim23.png"), dir / "k.png", options, true);
    CHECK(r.quality.mse == from_file.quality.mse);
    CHECK(r.quality.delta_e_mean == from_file.quality.delta_e_mean);
}

TEST_CASE("a cancel is seen inside k-means, between Lloyd updates", "[quantize][cancel]") {
    const Image image = read_image(test::sample_path("kodim23.png"));
    Options options = with_colors(64, 1);
    options.clustering.tolerance = 0;  // many updates
    options.clustering.restarts = 1;
    int cluster_calls = 0;
    // Stage::cluster is entered once, polled before each of the 63 k-means++ picks after the
    // first, then before each update: the 67th call, before the third update, says stop.
    const Progress stop = [&](Stage stage) {
        return stage != Stage::cluster || ++cluster_calls <= 66;
    };
    try {
        quantize::quantize(image, options, stop);
        FAIL("not cancelled");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::cancelled);
    }
    CHECK(cluster_calls == 67);
}

TEST_CASE("a cancel is seen inside k-means++ seeding, between picks", "[quantize][cancel]") {
    const Image image = read_image(test::sample_path("kodim23.png"));
    Options options = with_colors(64, 1);
    options.clustering.restarts = 1;
    // Counts the picks told, and stops at the second Stage::cluster call: the first poll inside
    // k-means, before the second pick (without it, all 64 picks would come first).
    class Picks : public KMeansObserver {
      public:
        KMeansWants wants() const override { return {true, false}; }
        void seed_picked(const SeedPick&) override { ++picks; }
        int picks = 0;
    } picks;
    options.running.observer = &picks;
    int cluster_calls = 0;
    const Progress stop = [&](Stage stage) {
        return stage != Stage::cluster || ++cluster_calls < 2;
    };
    CHECK_THROWS_AS(quantize::quantize(image, options, stop), Error);
    CHECK(cluster_calls == 2);
    CHECK(picks.picks == 1);
}

TEST_CASE("a progress callback that says stop cancels every entry point taking one",
          "[quantize][cancel]") {
    const fs::path path = test::sample_path("kodim23.png");
    const Image image = read_image(path);
    const std::vector<std::uint8_t> bytes = test::read_bytes(path);
    const Options options = with_colors(16, 1);
    const Quantized q = quantize::quantize(image, options);
    // Asked once, at the first stage: nothing after it runs.
    int calls = 0;
    const Progress stop = [&](Stage) {
        ++calls;
        return false;
    };
    auto cancelled = [&](auto&& call) {
        calls = 0;
        try {
            call();
            return false;
        } catch (const Error& e) {
            return e.kind() == ErrorKind::cancelled && calls == 1;
        }
    };
    const test::TempDir dir;
    Animation animation;
    animation.width = image.width;
    animation.height = image.height;
    animation.frames = {{image, 100}};
    CHECK(cancelled([&] { remap(image, q.image.palette, ColorSpace::wrgb, 1, stop); }));
    CHECK(cancelled([&] { measure_quality(image, q.image, kDeltaESample, 1, stop); }));
    CHECK(cancelled([&] { read_image(path, {}, 1, stop); }));
    CHECK(cancelled([&] { decode_image(bytes, "kodim23.png", {}, 1, stop); }));
    CHECK(cancelled([&] { report_of(image, q, options, stop); }));
    CHECK(cancelled([&] { report_for(image, q, options, stop); }));
    CHECK(cancelled([&] { quantize::quantize(image, options, stop); }));
    CHECK(cancelled([&] { quantize_animation(animation, options, stop); }));
    CHECK(cancelled([&] { quantize_file(path, dir / "out.png", options, true, stop); }));
    CHECK(cancelled([&] {
        quantize_encoded(bytes, "kodim23.png", ImageFormat::png, "out.png", options, stop);
    }));
    CHECK_FALSE(fs::exists(dir / "out.png"));

    // Asked again at the remap, after k-means ran: stopped there.
    std::vector<Stage> seen;
    const Progress stop_at_remap = [&](Stage stage) {
        seen.push_back(stage);
        return stage != Stage::remap;
    };
    CHECK_THROWS_AS(quantize::quantize(image, options, stop_at_remap), Error);
    REQUIRE_FALSE(seen.empty());
    CHECK(seen.back() == Stage::remap);
    CHECK(std::count(seen.begin(), seen.end(), Stage::cluster) > 1);  // polled inside k-means
}

TEST_CASE("remap, measure_quality, read_image and decode_image give the same on any threads",
          "[quantize][threads]") {
    const fs::path path = test::sample_path("kodim23.png");
    const Image image = read_image(path);
    // A PNG of 4.3 MB of pixels, which the fast path decodes on two threads when it may.
    Image large;
    large.width = 1201;
    large.height = 899;
    large.channels = 4;
    large.samples.resize(large.pixel_count() * 4);
    for (std::size_t i = 0; i < large.samples.size(); ++i)
        large.samples[i] = std::uint8_t((i * 2654435761u) >> 13);  // noise: no flat rows
    const std::vector<std::uint8_t> bytes = encode_png(large, "large.png");
    const Quantized q = quantize::quantize(image, with_colors(16));
    const Palette& palette = q.image.palette;
    // The same results as the calls in the caller's arena, on 1 and on 2 threads.
    const IndexedImage plain = remap(image, palette);
    const Quality measured = measure_quality(image, plain);
    for (int threads : {1, 2}) {
        CHECK(remap(image, palette, ColorSpace::rgb, threads).indices == plain.indices);
        CHECK(measure_quality(image, plain, kDeltaESample, threads).ssim == measured.ssim);
        CHECK(read_image(path, {}, threads).samples == image.samples);
        CHECK(decode_image(bytes, "large.png", {}, threads).samples == large.samples);
    }
    // That the limits hold: test_threads.cpp.
    CHECK_THROWS_AS(remap(image, palette, ColorSpace::rgb, -1), Error);
    CHECK_THROWS_AS(decode_image(bytes, "large.png", {}, -1), Error);
}
