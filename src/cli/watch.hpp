// Watching k-means from the command line: --trace, --animate, --plot-clusters and
// --plot-convergence, fed by the library's KMeansObserver. One recorder per run of k-means; the
// outputs are written after it, each through the run's OutputGuard.
#pragma once

#include <cxxopts.hpp>
#include <filesystem>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "plot.hpp"
#include "quantize/quantize.hpp"

namespace quantize::cli {

// What the user asked to see.
struct WatchRequest {
    std::optional<std::filesystem::path> trace;             // .json or .csv
    std::optional<std::filesystem::path> animate;           // .gif or .webp
    std::optional<std::filesystem::path> plot_clusters;     // .png
    std::optional<std::filesystem::path> plot_convergence;  // .png
    int max_frames = 60;                                    // 2..1000

    bool any() const { return trace || animate || plot_clusters || plot_convergence; }
    // Every file asked for with its option ("--trace"), for the checks before any work.
    std::vector<std::pair<std::string, std::filesystem::path>> outputs() const;
};

// Adds --trace, --plot-clusters and --plot-convergence; with `animate`, --animate and
// --max-frames too (forms that write an image).
void add_watch_options(cxxopts::Options& parser, bool animate);
// Throws Error(invalid_argument) naming the option on a bad extension or --max-frames.
// `animate` as given to add_watch_options.
WatchRequest read_watch_options(const cxxopts::ParseResult& args, bool animate);

// One run of k-means as observed: its seeds, its steps (with the centroids after each) and
// how it ended.
struct RunRecord {
    KMeansRun run;
    std::vector<SeedPick> picks;            // pick.drawn not valid: see drawn
    std::vector<std::vector<Point>> drawn;  // each pick's draws
    std::vector<Point> start;               // centroids after seeding (fixed first)
    double start_inertia = 0;
    std::vector<LloydStep> steps;               // step.centroids not valid: see centroids
    std::vector<std::vector<Point>> centroids;  // after each step
    double inertia = 0;
    int iterations = 0;
    bool kept = false;
};

// Records what k-means tells it; safe for restarts running side by side.
class KMeansRecorder : public KMeansObserver {
  public:
    void seed_picked(const SeedPick& pick) override;
    void seeded(KMeansRun run, std::span<const Point> centroids, double inertia) override;
    void iterated(const LloydStep& step) override;
    void finished(KMeansRun run, double inertia, int iterations, bool kept) override;

    // Restarts in order, then the refinement.
    std::vector<RunRecord> runs() const;

  private:
    RunRecord& record(KMeansRun run);  // under mutex_

    mutable std::mutex mutex_;
    std::vector<RunRecord> runs_;
};

// The trace: every run's seed picks and Lloyd steps, the kept runs marked. JSON (one document)
// or CSV (one row per seed pick and per Lloyd step), by the file's extension.
std::string format_trace(const std::vector<RunRecord>& runs, const std::filesystem::path& file,
                         const Options& options);

// The --plot-clusters figure: a weighted_sample of each image (kClusterDots colors shared
// among them, seeds options.seed, + 1, ...), each color a dot in its nearest centroid's color,
// its radius growing with the square root of its count, in two panels of CIELAB (a*-b* with
// equal units, L*-b*); the centroids crossed in their colors.
inline constexpr std::size_t kClusterDots = 4096;  // shows the clouds, draws in ~0.1 s
plot::Figure clusters_figure(std::span<const Image> images, const std::vector<Point>& centroids,
                             const Options& options);

// Everything asked for in `request` that one image's run gives: the trace, the plots and the
// animation (`image` mapped to the centroids after seeding and after each Lloyd step of the
// kept runs, every n-th to fit max_frames, the last frame the written output's colors). Each
// file goes through `guard`. `images` (the run's inputs, decoded) may be empty when only the
// trace is asked for; the animation shows the first.
void write_watch_outputs(const WatchRequest& request, const KMeansRecorder& recorder,
                         const Options& options, std::span<const Image> images,
                         const OutputGuard& guard, bool overwrite);

}  // namespace quantize::cli
