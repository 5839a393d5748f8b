// Decode speed against OpenCV's imread (libpng, libjpeg-turbo), in process, for `bench/run
// decode`; and the files it times, written here from the large photos.
//
//   cmake --build build --target quantize_bench_decode
//   build/quantize_bench_decode png SRC WIDTH HEIGHT PREFIX    writes PREFIX-{rgb,rgba}-FILTER.png
//   build/quantize_bench_decode jpeg SRC QUALITY OUT           writes OUT (OpenCV's encoder)
//   build/quantize_bench_decode time REPEATS FILE...           one JSON line per file
//
// `png` takes a centered WIDTH x HEIGHT crop of SRC (any format quantize reads) and writes it
// once per filter type through libspng (none, sub, up, average, paeth, and libspng's adaptive
// choice) and twice through OpenCV's libpng writer: its default (Sub on every row, zlib level 1,
// RLE strategy) and at level 6 (libpng's adaptive filter heuristic); then the same with an
// alpha channel (a radial gradient, so no row is flat).
//
// `time` decodes each file REPEATS times with read_animation (our decode stage) on 2 threads
// and on 1, and with cv::imread(IMREAD_UNCHANGED), interleaved, after one warm-up of each, and
// prints the medians (ms) and whether our pixels equal OpenCV's.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <tuple>
#include <vector>

#include <spng.h>
#include <tbb/task_arena.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "quantize/animation.hpp"
#include "quantize/io.hpp"
#include "timing.hpp"

namespace {

using bench::cpu_ms;
using bench::median;

using Clock = std::chrono::steady_clock;

// Wall and CPU time of one call, ms.
struct Times {
    double wall = 0, cpu = 0;
};

template <class F>
Times time_ms(F&& f) {
    const auto start = Clock::now();
    const double cpu_start = cpu_ms();
    f();
    return {std::chrono::duration<double, std::milli>(Clock::now() - start).count(),
            cpu_ms() - cpu_start};
}

// Our image as an OpenCV matrix in OpenCV's channel order (BGR, BGRA).
cv::Mat as_opencv(const quantize::Image& image) {
    const cv::Mat ours(image.height, image.width, CV_8UC(image.channels),
                       const_cast<std::uint8_t*>(image.samples.data()));
    cv::Mat out;
    cv::cvtColor(ours, out, image.channels == 4 ? cv::COLOR_RGBA2BGRA : cv::COLOR_RGB2BGR);
    return out;
}

// A centered crop, with an alpha channel (a radial gradient: 255 in the middle, 0 past the
// corners' distance) when `alpha`.
cv::Mat crop(const cv::Mat& bgr, int width, int height, bool alpha) {
    width = std::min(width, bgr.cols);
    height = std::min(height, bgr.rows);
    const cv::Mat part =
        bgr(cv::Rect((bgr.cols - width) / 2, (bgr.rows - height) / 2, width, height)).clone();
    if (!alpha)
        return part;
    cv::Mat out;
    cv::cvtColor(part, out, cv::COLOR_BGR2BGRA);
    const double cx = width / 2.0, cy = height / 2.0, far = std::hypot(cx, cy);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            const double d = std::hypot(x - cx, y - cy) / far;
            out.at<cv::Vec4b>(y, x)[3] = cv::saturate_cast<std::uint8_t>(255.0 * (1.0 - d));
        }
    }
    return out;
}

// Writes `bgr` (BGR or BGRA) through libspng with one filter choice.
bool write_spng(const cv::Mat& bgr, int filter_choice, const std::string& path) {
    cv::Mat rgb;
    cv::cvtColor(bgr, rgb, bgr.channels() == 4 ? cv::COLOR_BGRA2RGBA : cv::COLOR_BGR2RGB);
    spng_ctx* ctx = spng_ctx_new(SPNG_CTX_ENCODER);
    FILE* file = std::fopen(path.c_str(), "wb");
    spng_ihdr ihdr{};
    ihdr.width = std::uint32_t(rgb.cols);
    ihdr.height = std::uint32_t(rgb.rows);
    ihdr.bit_depth = 8;
    ihdr.color_type =
        rgb.channels() == 4 ? SPNG_COLOR_TYPE_TRUECOLOR_ALPHA : SPNG_COLOR_TYPE_TRUECOLOR;
    int rc = file ? spng_set_png_file(ctx, file) : 1;
    if (rc == 0)
        rc = spng_set_ihdr(ctx, &ihdr);
    if (rc == 0)
        rc = spng_set_option(ctx, SPNG_FILTER_CHOICE, filter_choice);
    if (rc == 0)
        rc = spng_encode_image(ctx, rgb.data, rgb.total() * rgb.elemSize(), SPNG_FMT_PNG,
                               SPNG_ENCODE_FINALIZE);
    spng_ctx_free(ctx);
    if (file)
        std::fclose(file);
    return rc == 0;
}

int write_pngs(const char* src, int width, int height, const std::string& prefix) {
    const cv::Mat bgr = as_opencv(quantize::read_image(src));
    struct Spng {
        const char* name;
        int choice;
    };
    const Spng filters[] = {
        {"none", SPNG_FILTER_CHOICE_NONE},   {"sub", SPNG_FILTER_CHOICE_SUB},
        {"up", SPNG_FILTER_CHOICE_UP},       {"average", SPNG_FILTER_CHOICE_AVG},
        {"paeth", SPNG_FILTER_CHOICE_PAETH}, {"spng-adaptive", SPNG_FILTER_CHOICE_ALL}};
    for (const bool alpha : {false, true}) {
        const cv::Mat image = crop(bgr, width, height, alpha);
        const std::string base = prefix + (alpha ? "-rgba-" : "-rgb-");
        for (const Spng& f : filters) {
            if (!write_spng(image, f.choice, base + f.name + ".png")) {
                std::fprintf(stderr, "cannot write %s%s.png\n", base.c_str(), f.name);
                return 1;
            }
        }
        if (!cv::imwrite(base + "opencv.png", image) ||
            !cv::imwrite(base + "libpng-adaptive.png", image, {cv::IMWRITE_PNG_COMPRESSION, 6})) {
            std::fprintf(stderr, "cannot write %sopencv.png\n", base.c_str());
            return 1;
        }
    }
    return 0;
}

int write_jpeg(const char* src, int quality, const char* out) {
    const cv::Mat bgr = as_opencv(quantize::read_image(src));
    return cv::imwrite(out, bgr, {cv::IMWRITE_JPEG_QUALITY, quality}) ? 0 : 1;
}

int time_files(int repeats, int count, char** files) {
    for (int f = 0; f < count; ++f) {
        const std::string path = files[f];
        tbb::task_arena two(2), one(1);
        quantize::Animation ours;
        cv::Mat theirs;
        auto ours_on = [&](tbb::task_arena& arena) {
            return time_ms(
                [&] { ours = arena.execute([&] { return quantize::read_animation(path); }); });
        };
        auto opencv = [&] {
            return time_ms([&] { theirs = cv::imread(path, cv::IMREAD_UNCHANGED); });
        };
        ours_on(two);  // warm-up: the pages of the file, the arenas' threads, the decoders
        ours_on(one);
        opencv();
        std::vector<double> t2, t1, tc, c2, c1, cc;
        for (int r = 0; r < repeats; ++r) {  // interleaved: noise hits all three alike
            for (auto [times, wall, cpu] :
                 {std::tuple{ours_on(two), &t2, &c2}, std::tuple{ours_on(one), &t1, &c1},
                  std::tuple{opencv(), &tc, &cc}}) {
                wall->push_back(times.wall);
                cpu->push_back(times.cpu);
            }
        }
        const quantize::Image& image = ours.frames.front().image;
        const cv::Mat mine = as_opencv(image);
        const bool same = theirs.size() == mine.size() && theirs.type() == mine.type() &&
                          cv::norm(theirs, mine, cv::NORM_INF) == 0;
        std::printf(
            "{\"file\": \"%s\", \"width\": %d, \"height\": %d, \"channels\": %d, "
            "\"ours_2\": %.3f, \"ours_1\": %.3f, \"opencv\": %.3f, \"cpu_ours_2\": %.3f, "
            "\"cpu_ours_1\": %.3f, \"cpu_opencv\": %.3f, \"same\": %s}\n",
            path.c_str(), image.width, image.height, image.channels, median(t2), median(t1),
            median(tc), median(c2), median(c1), median(cc), same ? "true" : "false");
        std::fflush(stdout);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    try {
        if (mode == "png" && argc == 6)
            return write_pngs(argv[2], std::atoi(argv[3]), std::atoi(argv[4]), argv[5]);
        if (mode == "jpeg" && argc == 5)
            return write_jpeg(argv[2], std::atoi(argv[3]), argv[4]);
        if (mode == "time" && argc >= 4)
            return time_files(std::max(1, std::atoi(argv[2])), argc - 3, argv + 3);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    std::fprintf(stderr,
                 "usage: %s png SRC WIDTH HEIGHT PREFIX | jpeg SRC QUALITY OUT | "
                 "time REPEATS FILE...\n",
                 argv[0]);
    return 2;
}
