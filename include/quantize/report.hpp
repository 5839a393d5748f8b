// Stage "report": what a run achieved, measured and formatted for people and for scripts.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "quantize/choose_k.hpp"
#include "quantize/palette.hpp"
#include "quantize/pixels.hpp"
#include "quantize/progress.hpp"
#include "quantize/remap.hpp"

namespace quantize {

// Wall-clock milliseconds per stage.
struct StageTimes {
    // Milliseconds. measure: the quality numbers of the report (MSE, ΔE, SSIM), taken while
    // the output is encoded, on the cores encoding leaves free.
    double decode = 0, sample = 0, cluster = 0, remap = 0, encode = 0, write = 0, measure = 0;
    // Wall time from the start of decoding to the end of writing: less than the sum of the
    // stages, since measure overlaps encode. 0 until quantize_file sets it.
    double total = 0;
};

// Error of the quantized image against the original.
struct Quality {
    // Mean over pixels of the squared error summed over R, G and B on the 0..255 scale (the
    // k-means quantization literature's MSE; 0 = identical). Images with alpha compare colors
    // premultiplied by alpha, i.e. as seen over black.
    double mse = 0;
    // 10 log10(3 * 255^2 / mse) in dB; +infinity when mse = 0.
    double psnr = 0;
    // Mean squared alpha error per pixel on 0..255; 0 for opaque images.
    double alpha_mse = 0;
    // CIEDE2000 between each pixel and its palette color (colors as seen over white), mean and
    // 95th percentile, over a stratified sample of at most kDeltaESample pixels (every pixel of
    // smaller images): enough for two decimals, and cheap on any image size.
    double delta_e_mean = 0;
    double delta_e_p95 = 0;
    // Mean SSIM of luma (BT.601 Y' on 0..255, colors over white), 8x8 windows stepped by 4,
    // constants (0.01 * 255)^2 and (0.03 * 255)^2 (Wang et al. 2004); 1 = identical.
    double ssim = 1;
    // quality_of_mse(mse): the 0..100 scale of --quality.
    double score() const { return quality_of_mse(mse); }
};

inline constexpr std::size_t kDeltaESample = 65536;

// delta_e_sample: pixels the ΔE00 numbers are measured on, at most (>= 1); an animation shares
// kDeltaESample among its frames, so its measure costs what a still's does.
Quality measure_quality(ImageView original, const IndexedImage& quantized,
                        std::size_t delta_e_sample = kDeltaESample);

// One frame of an animation as it came out.
struct FrameReport {
    double mse = 0;       // as Quality::mse, of this frame
    int delay_ms = 0;     // how long it stays, in ms
    bool reused = false;  // its pixels equal the frame before's: that frame's indices, no remap
};

struct Report {
    std::filesystem::path input, output;
    int width = 0, height = 0;
    SourceFormat source;
    bool alpha = false;        // the image has an alpha channel, quantized along with color
    int colors_requested = 0;  // -k: K, or the most colors when K was chosen
    KChoice k_choice = KChoice::fixed;  // how K was picked
    QualityRange quality_asked;         // --quality MIN-MAX, when k_choice is quality
    int colors_chosen = 0;              // the K k-means fitted (the image's colors when exact)
    Palette palette;                    // largest count first
    std::uint64_t input_bytes = 0, output_bytes = 0;
    // false when --skip-if-larger kept the output from being written (it would have been
    // output_bytes, more than the input's input_bytes).
    bool written = true;
    Quality quality;
    std::size_t training_colors = 0;  // distinct colors k-means trained on
    bool exact = false;  // the image had <= K colors and was kept as it is, without k-means
    int iterations = 0;
    double inertia = 0;  // k-means objective on the training colors (weighted by counts)
    bool converged = false;
    std::uint64_t seed = 0;
    Dither dither = Dither::none;  // how pixels were mapped to the palette
    double dither_level = 0;       // share of the error diffused, 0..1; 0 without dithering
    StageTimes times;
    std::vector<std::string> notes;  // conversions and warnings a user should know about
    // An animation written as one: every frame (quality then averages them, each frame
    // weighing alike, all being the canvas size; bytes are the whole file's). Empty for a
    // still image.
    std::vector<FrameReport> frames;
    int loops = 0;  // as Animation::loops, when frames is not empty

    // Pixels stored: width x height, times the frames of an animation.
    std::uint64_t pixel_count() const {
        return std::uint64_t(width) * std::uint64_t(height) *
               std::max<std::uint64_t>(frames.size(), 1);
    }
    double input_bits_per_pixel() const;   // over every stored pixel (all frames)
    double output_bits_per_pixel() const;  // likewise
    double compression_ratio() const;      // input bytes / output bytes
    // The image (every frame) stored uncompressed at 8 bits a channel: 3 bytes a pixel, 4 with
    // alpha.
    std::uint64_t baseline_bytes() const;
    // Bits a palette index needs: ceil(log2 K) for the K colors of the palette.
    int index_bits() const;
};

// 1234567 -> "1,234,567": how byte and pixel counts are printed.
std::string grouped(std::uint64_t value);

// Multi-line text for people: palette table, then sizes, quality, k-means and timings.
std::string format_text(const Report& report);
// One JSON document with the same numbers (indent < 0: a single line).
std::string format_json(const Report& report, int indent = 2);

}  // namespace quantize
