// The C++ call the Python binding wraps, timed in-process: quantize() on an image already in
// memory plus report_of(), as quantize.quantize(array) does. One warm-up run, then REPEATS
// timed runs; prints their milliseconds as a JSON list (for `bench/run python`).
//   quantize_bench_call IMAGE K REPEATS
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "quantize/quantize.hpp"

static volatile std::size_t sink;  // keeps the report's text from being optimized away

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: quantize_bench_call IMAGE K REPEATS\n");
        return 2;
    }
    const quantize::Image image = quantize::read_image(argv[1]);
    quantize::Options options;
    options.clustering.colors = std::atoi(argv[2]);
    const int repeats = std::atoi(argv[3]);
    const auto once = [&] {
        const auto start = std::chrono::steady_clock::now();
        const quantize::Quantized q = quantize::quantize(image, options);
        const quantize::Report r = quantize::report_of(image, q, options);
        sink = quantize::format_json(r).size();  // the binding hands this text to Python
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count();
    };
    once();
    std::printf("[");
    for (int i = 0; i < repeats; ++i)
        std::printf("%s%.3f", i ? ", " : "", once());
    std::printf("]\n");
}
