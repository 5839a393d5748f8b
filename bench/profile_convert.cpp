// Times convert_to_srgb on a 12 MP image from Adobe RGB and Display P3 (matrix-shaper) and a LUT
// version of Adobe RGB (RGB and RGBA) on 1 and 2 threads, against quantize() of the same image at K
// = 256 run in turn with it (the budget is 10% of that run: the machines are shared and noisy, so
// the ratio is what to read). Prints medians of `repeats` runs (default 9) in milliseconds.
//
//   cmake --build build --target quantize_bench_profile
//   build/quantize_bench_profile [IMAGE [repeats]]
//
// IMAGE defaults to ../shared/images/large/spider_web_from_webp.png (12 MP); "noise" makes a
// 4000 x 3000 noise image instead.
#include <tbb/global_control.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "profiles.hpp"
#include "quantize/profile.hpp"
#include "quantize/quantize.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

quantize::Image with_alpha(const quantize::Image& rgb) {
    quantize::Image rgba = quantize::make_image(rgb.width, rgb.height, {0, 0, 0, 200}, 4);
    for (std::size_t i = 0; i < rgb.pixel_count(); ++i) {
        for (int c = 0; c < 3; ++c)
            rgba.samples[i * 4 + std::size_t(c)] = rgb.samples[i * 3 + std::size_t(c)];
    }
    return rgba;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string path =
        argc > 1 && argv[1][0] != 0 ? argv[1] : "../shared/images/large/spider_web_from_webp.png";
    const int repeats = argc > 2 ? std::max(1, std::atoi(argv[2])) : 9;
    quantize::Image rgb;
    if (path == "noise") {
        rgb = quantize::make_image(4000, 3000, {0, 0, 0, 255}, 3);
        std::mt19937 rng(3);
        for (auto& s : rgb.samples)
            s = static_cast<std::uint8_t>(rng());
    } else {
        rgb = quantize::read_image(path);
    }
    std::printf("%s: %d x %d (%.1f MP), %d repeats\n\n", path.c_str(), rgb.width, rgb.height,
                double(rgb.pixel_count()) / 1e6, repeats);
    const std::vector<std::uint8_t> profiles[] = {test::adobe_rgb_icc(), test::display_p3_icc(),
                                                  test::adobe_rgb_lut_icc()};
    const char* names[] = {"Adobe RGB", "Display P3", "Adobe RGB LUT (Little CMS path)"};
    quantize::Options options;
    options.clustering.colors = 256;

    std::printf("| profile | channels | threads | convert ms | quantize K=256 ms | ratio |\n");
    std::printf("|---|---|---|---|---|---|\n");
    for (int p = 0; p < 3; ++p) {
        for (int channels : {3, 4}) {
            quantize::Image image = channels == 4 ? with_alpha(rgb) : rgb;
            image.metadata.profile.icc = profiles[p];
            for (int threads : {1, 2}) {
                tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                                          std::size_t(threads));
                std::vector<double> convert, run;
                for (int r = 0; r < repeats; ++r) {
                    quantize::Image copy = image;
                    auto start = Clock::now();
                    quantize::convert_to_srgb(copy);
                    convert.push_back(ms_since(start));
                    if (channels == 3) {
                        start = Clock::now();
                        const quantize::Quantized q = quantize::quantize(image, options);
                        run.push_back(ms_since(start));
                    }
                }
                if (channels == 3) {
                    std::printf("| %s | %d | %d | %.1f | %.0f | %.1f%% |\n", names[p], channels,
                                threads, median(convert), median(run),
                                100 * median(convert) / median(run));
                } else {
                    std::printf("| %s | %d | %d | %.1f | | |\n", names[p], channels, threads,
                                median(convert));
                }
            }
        }
    }
}
