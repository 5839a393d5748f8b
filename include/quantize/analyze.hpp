// Choosing K for a user: one image quantized at every K of a dense sequence up to K_max from
// one shared sweep (see sweep.hpp), with the measures a k-means guide chooses K by, and the
// picks (elbow, best silhouette, fewest colors per quality level), each with its reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "quantize/quantize.hpp"

namespace quantize {

// One K of the analysis. Where each number is measured:
// - inertia: k-means' objective on the training sample (in the clustering's space);
// - mse, psnr, score: the training sample against the palette (sample_mse), what --quality
//   judges by;
// - delta_e00_mean, ssim, png_bytes: the image mapped to the palette, on a preview of at most
//   kAnalyzePreviewPixels (a mosaic of 16 full-resolution tiles on an even grid when the image
//   is larger), delta_e00_mean on kAnalyzeDeltaESample of them; png_bytes is the preview's PNG
//   scaled by the pixel ratio (an estimate, exact when the image is no larger; bench/run choosek
//   prints its error);
// - silhouette: on kSilhouetteSample points taken evenly from the training sample;
// - davies_bouldin: on the whole training sample.
struct KRow {
    int k = 0;
    double inertia = 0, mse = 0, psnr = 0, score = 0;
    double delta_e00_mean = 0, ssim = 0;
    std::uint64_t png_bytes = 0;
    double silhouette = 0, davies_bouldin = 0;
};

inline constexpr std::size_t kAnalyzePreviewPixels = 1u << 18;  // 262,144
// Preview pixels the per-K ΔE00 is measured on (a stratified sample, as measure_quality takes
// it): a quarter of the report's kDeltaESample, so the 47 K of an analysis cost what 12
// reports' do (ΔE00 was a quarter of analyze's time). bench/run choosek prints the error
// against a real run's report at K 16, 64 and 256.
inline constexpr std::size_t kAnalyzeDeltaESample = 16384;

// A K recommended, and why, in one line.
struct KPick {
    std::string name;  // "elbow", "silhouette", "quality 80", ...
    int k = 0;         // 0: not reached at any K of the analysis
    std::string reason;
};

// The quality levels analyze picks the fewest colors for (on the 0..100 scale).
inline constexpr int kAnalyzeLevels[] = {50, 70, 80, 90};

struct Analysis {
    int width = 0, height = 0;
    int k_max = 0;
    std::size_t training_colors = 0;  // distinct colors of the training sample
    std::size_t preview_pixels = 0;
    SweepMethod method = kChoiceSweep;
    std::vector<KRow> rows;  // ascending K
    std::vector<KPick> picks;
};

// Analyzes K = 2 .. k_max (sweep_ks) for the image with options (sample, seed, space,
// tolerance, fixed colors, threads). Throws Error(invalid_argument "colors") when k_max is
// outside 2..256 and Error(input) when the image has fewer distinct colors than 2.
// `method` is the sweep's (both are kept to be measured against each other: bench choosek).
Analysis analyze(const Image& image, const Options& options, int k_max,
                 SweepMethod method = kChoiceSweep);

// The picks from the rows (pure): Kneedle elbow on inertia, the largest silhouette, the
// fewest K whose score reaches each of kAnalyzeLevels.
std::vector<KPick> pick_ks(const std::vector<KRow>& rows);

// A table for people (the rows, then the picks), one JSON document, or CSV (a header line, then
// one line per K; the picks are in JSON and text only).
std::string format_analysis_text(const Analysis& analysis);
std::string format_analysis_json(const Analysis& analysis, int indent = 2);
std::string format_analysis_csv(const Analysis& analysis);

}  // namespace quantize
