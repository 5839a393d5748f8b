// The trade of the palette PNG's deflate, for `bench/run encode`: each engine and level of
// detail::deflate_image_data on the image data of IMAGE quantized to K colors (the default
// options, mapped by --dither DITHER, none if not given), on one thread and on two,
// interleaved, REPEATS times each; one JSON line per setting with the median time (ms), the
// bytes, whether the stream inflates to the scanlines exactly, whether both thread counts gave
// the same bytes and whether it is the setting the encoder picks by default for these
// scanlines.
//
//   cmake --build build --target quantize_bench_encode
//   build/quantize_bench_encode IMAGE K REPEATS [DITHER]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <libdeflate.h>
#include <tbb/task_arena.h>

#include "detail/png_encode.hpp"
#include "quantize/io.hpp"
#include "quantize/quantize.hpp"
#include "timing.hpp"

namespace {

using bench::cpu_ms;
using bench::median;

using Clock = std::chrono::steady_clock;
using quantize::detail::DeflateEngine;
using quantize::detail::DeflateSetting;

const char* engine_name(DeflateEngine engine) {
    switch (engine) {
        case DeflateEngine::libdeflate:
            return "libdeflate";
        case DeflateEngine::zlib_bands:
            return "zlib bands";
        case DeflateEngine::zlib_deep_bands:
            return "zlib deep bands";
        case DeflateEngine::isal_bands:
            return "ISA-L bands";
        case DeflateEngine::libdeflate_bands:
            return "libdeflate bands";
    }
    return "?";
}

// True when `stream` inflates to exactly `rows`.
bool inflates_to(const std::vector<std::uint8_t>& stream, const std::vector<std::uint8_t>& rows) {
    libdeflate_decompressor* d = libdeflate_alloc_decompressor();
    std::vector<std::uint8_t> out(rows.size());
    std::size_t produced = 0;
    const bool ok = libdeflate_zlib_decompress(d, stream.data(), stream.size(), out.data(),
                                               out.size(), &produced) == LIBDEFLATE_SUCCESS &&
                    produced == rows.size() && out == rows;
    libdeflate_free_decompressor(d);
    return ok;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4 && argc != 5) {
        std::fprintf(stderr, "usage: %s IMAGE K REPEATS [DITHER]\n", argv[0]);
        return 2;
    }
    const quantize::Image image = quantize::read_image(argv[1]);
    quantize::Options options;
    options.clustering.colors = std::atoi(argv[2]);
    if (argc == 5)
        options.mapping.dither = quantize::dither_named(argv[4]);
    const int repeats = std::max(1, std::atoi(argv[3]));
    const quantize::IndexedImage mapped = quantize::quantize(image, options).image;
    const std::vector<std::uint8_t> rows = quantize::detail::palette_scanlines(mapped);
    const DeflateSetting settings[] = {
        {DeflateEngine::libdeflate, 5},       {DeflateEngine::libdeflate, 6},
        {DeflateEngine::libdeflate, 7},       {DeflateEngine::libdeflate, 8},
        {DeflateEngine::libdeflate, 9},       {DeflateEngine::zlib_bands, 6},
        {DeflateEngine::zlib_bands, 7},       {DeflateEngine::zlib_bands, 8},
        {DeflateEngine::zlib_bands, 9},       {DeflateEngine::zlib_deep_bands, 9},
        {DeflateEngine::isal_bands, 1},       {DeflateEngine::isal_bands, 2},
        {DeflateEngine::isal_bands, 3},       {DeflateEngine::libdeflate_bands, 5},
        {DeflateEngine::libdeflate_bands, 6}, {DeflateEngine::libdeflate_bands, 7},
        {DeflateEngine::libdeflate_bands, 8}, {DeflateEngine::libdeflate_bands, 9},
    };
    const DeflateSetting chosen = quantize::detail::deflate_setting_for(
        rows, quantize::EncodeOptions::kAutoPngLevel, mapped.dither);
    tbb::task_arena one(1), two(2);
    for (const DeflateSetting& setting : settings) {
        std::vector<std::uint8_t> on_one, on_two;
        auto deflate_on = [&](tbb::task_arena& arena, std::vector<std::uint8_t>& out) {
            const auto start = Clock::now();
            out = arena.execute(
                [&] { return quantize::detail::deflate_image_data("bench.png", rows, setting); });
            return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        };
        std::vector<double> t1, t2, c1;
        for (int r = 0; r < repeats; ++r) {  // interleaved
            const double cpu = cpu_ms();
            t1.push_back(deflate_on(one, on_one));
            c1.push_back(cpu_ms() - cpu);
            t2.push_back(deflate_on(two, on_two));
        }
        std::printf(
            "{\"engine\": \"%s\", \"level\": %d, \"rows_bytes\": %zu, \"bytes\": %zu, "
            "\"ms_1\": %.3f, \"ms_2\": %.3f, \"cpu_1\": %.3f, \"exact\": %s, \"same_bytes\": %s, "
            "\"default\": %s}\n",
            engine_name(setting.engine), setting.level, rows.size(), on_one.size(), median(t1),
            median(t2), median(c1), inflates_to(on_one, rows) ? "true" : "false",
            on_one == on_two ? "true" : "false",
            setting.engine == chosen.engine && setting.level == chosen.level ? "true" : "false");
        std::fflush(stdout);
    }
    return 0;
}
