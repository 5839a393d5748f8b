// The whole pipeline in one header: decode -> pixels -> sample -> cluster -> palette -> remap
// -> encode, plus the report. Include this one header to use the library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "quantize/animation.hpp"
#include "quantize/choose_k.hpp"
#include "quantize/cluster.hpp"
#include "quantize/color.hpp"
#include "quantize/error.hpp"
#include "quantize/files.hpp"
#include "quantize/io.hpp"
#include "quantize/palette.hpp"
#include "quantize/palette_io.hpp"
#include "quantize/pixels.hpp"
#include "quantize/progress.hpp"
#include "quantize/remap.hpp"
#include "quantize/report.hpp"
#include "quantize/sample.hpp"
#include "quantize/swatch.hpp"
#include "quantize/version.hpp"

namespace quantize {

// ClusteringOptions::sample's default: the sample K needs, see sample_for.
inline constexpr std::size_t kAutoSample = static_cast<std::size_t>(-1);

// What k-means fits and how: the palette's size and colors. (ClusterOptions in cluster.hpp is
// the k-means call these resolve to.)
struct ClusteringOptions {
    int colors = 16;  // K, 1..256; the most colors when choose_k picks K
    // How K is picked (choose_k.hpp): `colors` itself, the elbow (-k auto) or the fewest colors
    // that reach `quality` (--quality). Not with a given palette.
    KChoice choose_k = KChoice::fixed;
    QualityRange quality;  // with KChoice::quality, on the 0..100 scale of quality_of_mse
    // Pixels drawn to train k-means on (stratified, seeded); 0 = every pixel; kAutoSample = as
    // many as K needs (sample_for).
    std::size_t sample = kAutoSample;
    std::uint64_t seed = 1;
    int max_iter = 100;  // Lloyd updates at most, 1..10000
    // See ClusterOptions::tolerance, 0..255. 0.1 by measurement: on Kodak, MSE within 0.3% of
    // 0.02 at K = 16 and unchanged at K = 64 and 256, with up to a third fewer iterations.
    double tolerance = 0.1;
    // k-means runs from seeds seed, seed + 1, ..., the lowest inertia kept; 0..100, 0 = auto:
    // 5 when colors <= 32 (cheap there on the auto sample, and where seeding luck weighs most:
    // on Kodak at K = 16 one run is 1.9% above the best of three full-data runs), else 1.
    int restarts = 0;
    // Where k-means measures distances and pixels find their nearest color. wrgb by
    // measurement (README, "Color spaces"): MSE and mean CIEDE2000 both below pngquant's at
    // every K; rgb gives the lowest MSE alone (and the output of earlier versions).
    ColorSpace space = ColorSpace::wrgb;
    // Colors always in the palette, exactly, counted in `colors`; k-means fits the others
    // around them.
    std::vector<Color> fixed;
    // A palette given in advance (at most 256 colors): every pixel is mapped to its nearest
    // entry, no k-means runs, and the palette keeps its order and every entry, used or not, so
    // all images mapped to it share one PNG palette. `colors` and `fixed` are then ignored.
    Palette palette;
    // Animations: a palette fitted to each frame, instead of one shared by all. Here because it
    // decides what each k-means trains on (one frame's pixels, or a share of every frame's).
    bool palette_per_frame = false;
};

// How pixels are mapped to the palette.
struct MappingOptions {
    // How pixels are mapped to the palette (see Dither and map_to_palette): nearest color by
    // default, chosen by measurement (README, "Dithering").
    Dither dither = Dither::none;
    // How strongly `dither` dithers, 0..1 (0 = not at all, 1 = full): the share of the error
    // diffused (fs, adaptive) or of the ordered threshold's spread (ordered, bayer).
    double dither_level = 1.0;
};

// What an output file holds besides the pixels' indices (file output only: quantize_file,
// quantize_encoded).
struct EncodingOptions {
    EncodeOptions encode;  // per-format encoder settings
    // What the output keeps of the input's profile, and whether it drops the rest of the
    // metadata (EXIF, XMP, text, resolution, time), as pngquant's --strip.
    ProfileAction profile = ProfileAction::keep;
    bool strip = false;
    // When the output would be larger than the input, write nothing (Report::written = false).
    bool skip_if_larger = false;
    // Animations: -1 = every frame when the output format keeps animations (GIF, WebP), else
    // frame 0; N >= 0 = frame N alone (0-based), as a still image. Here because it decides what
    // the output file holds (an animation or one still), as the format does; the palette is
    // fitted to what is kept.
    int frame = -1;
};

// How a run uses the machine: never changes the output's bytes.
struct RunningOptions {
    int threads = 0;  // worker threads at most; 0 = one per core
    // What an input may take to decode (quantize_file, train_shared_palette); over it, the file
    // is refused with Error(too_large) before its pixels are allocated.
    DecodeLimits limits;
    // Whether file runs (quantize_file, quantize_encoded) measure the report's quality (MSE,
    // ΔE00, SSIM): false leaves Report::quality at its defaults and saves that work, about a
    // tenth of a small image's run, for callers that do not read it (a batch without a
    // manifest, a --quiet run). Animations too: their Report::frames keep delays and reuse, with
    // MSE 0.
    bool measure = true;
    // Watches k-means (seed picks, Lloyd iterations) and may stop it; not owned, null = none.
    // Changes nothing in the output. See KMeansObserver.
    KMeansObserver* observer = nullptr;
};

// Every option of the pipeline, in the stages' groups.
struct Options {
    ClusteringOptions clustering;
    MappingOptions mapping;
    EncodingOptions encoding;
    RunningOptions running;
};

// The number of k-means runs options.restarts asks for, with 0 resolved.
int restarts_for(const Options& options);

// The pixels options.clustering.sample asks for (0 = every pixel), with kAutoSample resolved to
// 2048 per color, at least 32,768 and at most 262,144: 32,768 at K = 16, 131,072 at K = 64,
// 262,144 from K = 128. k-means needs pixels per cluster, not per image; by measurement on the
// 24 Kodak images (README, "How it works").
std::size_t sample_for(const Options& options);

// The k-means options `options` ask for (K = colors, restarts resolved), the fixed colors as
// points of options.clustering.space.
ClusterOptions cluster_options(const Options& options);

// Throws Error(invalid_argument) whose subject is the name of the first field out of range
// (the field names are also the command-line option names).
void validate(const Options& options);

// Progress: see quantize/progress.hpp.

// The stages that take no Options, on at most `threads` worker threads (0 = one per core), as
// every entry point taking Options runs on options.running.threads: the same results as the
// calls without `threads` (which use the caller's oneTBB arena), whatever the count. `progress`
// is called with the stage (remap, measure, decode) from inside the arena the work runs in,
// before the work starts; false cancels the call (Error(cancelled)).
IndexedImage remap(ImageView image, Palette palette, ColorSpace space, int threads,
                   const Progress& progress = {});
Quality measure_quality(ImageView original, const IndexedImage& quantized,
                        std::size_t delta_e_sample, int threads, const Progress& progress = {});
Image read_image(const std::filesystem::path& path, const DecodeLimits& limits, int threads,
                 const Progress& progress = {});
Image decode_image(std::span<const std::uint8_t> bytes, const std::string& name,
                   const DecodeLimits& limits, int threads, const Progress& progress = {});

struct Quantized {
    IndexedImage image;     // palette sorted by count, largest first
    Clustering clustering;  // centroids, inertia and iterations (empty when exact)
    std::size_t training_colors = 0;
    bool exact = false;  // <= K distinct colors: palette = those colors, no k-means
    StageTimes times;    // sample, cluster and remap filled in
};

// Reduces an image in memory to at most options.clustering.colors colors. The pixels are read where
// they are (an Image converts to an ImageView of itself): nothing is copied.
Quantized quantize(ImageView image, const Options& options, const Progress& progress = {});

// The report of an in-memory run: size, palette (largest first), quality against `original`,
// training, k-means and stage times, as quantize_file reports them, without files (no names,
// no bytes). Measures in options.running.threads threads at most; `progress` is called with
// Stage::measure from inside that arena before measuring (false: Error(cancelled)).
Report report_of(ImageView original, const Quantized& quantized, const Options& options,
                 const Progress& progress = {});

// The report of a run in memory, from what quantize() returned (pure: no file is touched, the
// same arguments give the same report): size, K asked, seed, training, k-means, dithering,
// stage times, the palette in sRGB and `quality`. No file: input and output empty, bytes 0,
// written false, no notes. quantize_file's report is this plus the file's names, bytes,
// encode times and notes.
Report report_for(const Image& image, const Quantized& quantized, const Options& options,
                  const Quality& quality);
// The same, with the quality measured against `image` (in sRGB when it has another profile),
// as report_of measures.
Report report_for(const Image& image, const Quantized& quantized, const Options& options,
                  const Progress& progress = {});

struct QuantizedAnimation {
    IndexedAnimation animation;
    std::size_t training_colors = 0;  // distinct colors k-means trained on (summed per frame)
    // What k-means did: the shared palette's run (empty when a palette was given), or with a
    // palette per frame the frames' runs together (iterations and inertia summed, converged
    // when all converged).
    Clustering clustering;
    bool exact = false;        // the colors fitted in K (every frame's, per frame): no k-means ran
    std::vector<bool> reused;  // per frame: equal to the frame before, its indices reused
    StageTimes times;          // sample, cluster and remap filled in
};

// Reduces every frame of an animation to at most options.clustering.colors colors. By default one
// palette for all frames, trained on a sample drawn from every frame (options.clustering.sample
// shared equally among them; 0 = every pixel), each frame then mapped to it; with
// options.clustering.palette_per_frame, each frame quantized on its own. A frame whose pixels equal
// the one before's takes that frame's indices without a new remap. Same input, options and seed:
// same result, whatever the thread count.
QuantizedAnimation quantize_animation(const Animation& animation, const Options& options,
                                      const Progress& progress = {});

// The dominant colors of images taken together, at most options.clustering.colors (fixed ones
// included), from a k-means of their samples alone: no full-image remap, so it is fast. Each image
// weighs as many pixels as it has; counts estimate pixels (sample counts scaled to the image
// size). Fully transparent pixels are left out unless keep_transparent. Largest first. The
// colors are sRGB, as palette files are: an image with another color profile is converted
// first.
Palette extract_palette(std::span<const Image> images, const Options& options,
                        bool keep_transparent = false);
// The same from callers' pixels, read where they are; their numbers are taken as sRGB.
Palette extract_palette(std::span<const ImageView> images, const Options& options,
                        bool keep_transparent = false);

// Colors with the number of pixels each stands for (estimated), equal colors merged: one or
// more images' samples, to train one palette on many images without holding them all decoded.
struct WeightedColors {
    std::vector<Color> colors;
    std::vector<double> counts;
};

// A seeded sample of `sample` pixels of the image (0 = every pixel), counts scaled so the image
// weighs as many pixels as it has; fully transparent pixels left out unless keep_transparent.
// `progress` is polled as sample_colors polls it.
WeightedColors weighted_sample(ImageView image, std::size_t sample, std::uint64_t seed,
                               bool keep_transparent = false, const Progress& progress = {});

// The palette that k-means (as options ask: colors, space, fixed, seed, ...) fits to several
// samples pooled, the same whatever order the samples come in; largest count first.
// extract_palette is weighted_sample of each image, then this.
Palette palette_of_samples(std::span<const WeightedColors> samples, const Options& options);

// An encoded output with its report.
struct EncodedImage {
    std::vector<std::uint8_t> bytes;
    Report report;
};

// The file pipeline in memory, for pipes and callers that hold files as bytes: decodes `input`
// (errors name `input_name`), quantizes, encodes in `format` and measures. Nothing is read or
// written: the report's `written` is false, `output` is `output_name`.
EncodedImage quantize_encoded(std::span<const std::uint8_t> input,
                              const std::filesystem::path& input_name, ImageFormat format,
                              const std::filesystem::path& output_name, const Options& options,
                              const Progress& progress = {});

// The palette's colors as sRGB (what palette files and reports hold) from the image's profile;
// unchanged when that is sRGB or none.
Palette palette_in_srgb(Palette palette, const ColorProfile& profile);

// "<dir>/<stem>-<K>.png" beside the input (K the one chosen, when the options choose it).
std::filesystem::path default_output_path(const std::filesystem::path& input, int colors);

// What decides an output's bytes, as one line: the version, the input's size and modification
// time (to the nanosecond; "in place" instead when `output` is `input`), and every option that
// changes the bytes (K, space, seed, sample, dithering, fixed colors, palette, encoder settings,
// profile, strip, ...), never threads. quantize_file records it on every output it writes
// (extended attribute user.quantize), and a batch redoes an output whose tag is not the one its
// input and options give now.
std::string output_tag(const std::filesystem::path& input, const std::filesystem::path& output,
                       const Options& options);

// File to file: checks the output path against `inputs` (every input of the run; see
// OutputGuard), decodes, quantizes, encodes and writes atomically, tagged with output_tag.
// No input is ever written to. Returns the full report.
Report quantize_file(const std::filesystem::path& input, const std::filesystem::path& output,
                     const Options& options, bool overwrite, const Progress& progress,
                     const OutputGuard& inputs);
// The same with `input` the only input of the run.
Report quantize_file(const std::filesystem::path& input, const std::filesystem::path& output,
                     const Options& options, bool overwrite, const Progress& progress = {});

}  // namespace quantize
