// What the cancel polled inside the pixel loops costs: every mapping method (map_to_palette) and
// the quality measure on an image, without a progress callback and with one that always says go
// on (polled once per 64 Ki pixels or 16-row band), run in turn `repeats` times; prints the
// medians (ms), the ratio with to without and the polls made. Outputs must be equal.
//
//   cmake --build build --target quantize_bench_poll
//   build/quantize_bench_poll IMAGE K [repeats]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "quantize/quantize.hpp"
#include "timing.hpp"

namespace {

using bench::median;
using Clock = std::chrono::steady_clock;

// Milliseconds `work` took.
template <class Work>
double timed(Work&& work) {
    const auto start = Clock::now();
    work();
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3)
        return std::fprintf(stderr, "usage: %s IMAGE K [repeats]\n", argv[0]), 2;
    const int repeats = argc > 3 ? std::atoi(argv[3]) : 7;
    const quantize::Image image = quantize::read_image(argv[1]);
    quantize::Options options;  // the palette mapped to: the default run's at K colors
    options.clustering.colors = std::atoi(argv[2]);
    const quantize::Quantized q = quantize::quantize(image, options);
    const quantize::ColorSpace space = options.clustering.space;
    std::atomic<long> polls = 0;
    const quantize::Progress go_on = [&](quantize::Stage) {
        ++polls;
        return true;
    };
    std::printf(
        "| what | without ms | with ms | with/without | polls per run |\n|---|---|---|---|---|\n");
    for (const quantize::DitherMethod& method : quantize::dither_methods()) {
        std::vector<double> off, on;
        quantize::IndexedImage a, b;
        polls = 0;
        for (int r = 0; r < repeats; ++r) {  // in turn: noise hits both alike
            off.push_back(timed([&] {
                a = quantize::map_to_palette(image, q.image.palette, space, method.dither, 1);
            }));
            on.push_back(timed([&] {
                b = quantize::map_to_palette(image, q.image.palette, space, method.dither, 1,
                                             go_on);
            }));
            if (a.indices != b.indices)
                return std::fprintf(stderr, "polled run differs\n"), 1;
        }
        std::printf("| remap --dither %s | %.1f | %.1f | %.3f | %ld |\n", method.name, median(off),
                    median(on), median(on) / median(off), polls.load() / repeats);
    }
    std::vector<double> off, on;
    polls = 0;
    for (int r = 0; r < repeats; ++r) {
        off.push_back(
            timed([&] { quantize::measure_quality(image, q.image, quantize::kDeltaESample, 0); }));
        on.push_back(timed(
            [&] { quantize::measure_quality(image, q.image, quantize::kDeltaESample, 0, go_on); }));
    }
    std::printf("| measure_quality | %.1f | %.1f | %.3f | %ld |\n", median(off), median(on),
                median(on) / median(off), polls.load() / repeats);
}
