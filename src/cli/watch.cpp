#include "watch.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>

#include "plot.hpp"

namespace quantize::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

enum class TraceFormat { json, csv };

std::optional<TraceFormat> trace_format_of(const fs::path& file) {
    std::string ext = file.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    if (ext == ".json")
        return TraceFormat::json;
    if (ext == ".csv")
        return TraceFormat::csv;
    return std::nullopt;
}

bool is_png(const fs::path& file) {
    return format_of(file) == ImageFormat::png;
}

bool is_animation(const fs::path& file) {
    const auto format = format_of(file);
    return format == ImageFormat::gif || format == ImageFormat::webp;
}

[[noreturn]] void usage(const char* option, const std::string& cause) {
    throw Error(ErrorKind::invalid_argument, option, cause);
}

std::optional<fs::path> path_option(const cxxopts::ParseResult& args, const char* name,
                                    bool (*fits)(const fs::path&), const char* what) {
    if (!args.count(name))
        return std::nullopt;
    const fs::path file = args[name].as<std::string>();
    if (!fits(file))
        usage(name, std::string("must name a ") + what + " file (got '" + file.string() + "')");
    return file;
}

// Numbers in traces: shortest text that reads back to the same double.
std::string number(double value) {
    return json(value).dump();
}

std::string run_name(KMeansRun run) {
    return run.refinement ? "refinement" : "restart";
}

std::string hex_of(const Point& p, ColorSpace space) {
    return to_hex(to_color(p, space));
}

json trace_json(const std::vector<RunRecord>& runs, const Options& options) {
    json doc;
    doc["space"] = color_space_name(options.clustering.space);
    doc["colors"] = options.clustering.colors;
    doc["seed"] = options.clustering.seed;
    json list = json::array();
    for (const RunRecord& r : runs) {
        json run{{"restart", r.run.restart},
                 {"refinement", r.run.refinement},
                 {"kept", r.kept},
                 {"inertia", r.inertia},
                 {"iterations", r.iterations}};
        json picks = json::array();
        for (std::size_t i = 0; i < r.picks.size(); ++i) {
            const SeedPick& p = r.picks[i];
            json drawn = json::array();
            for (const Point& d : r.drawn[i])
                drawn.push_back(hex_of(d, options.clustering.space));
            picks.push_back({{"seed", p.seed},
                             {"color", hex_of(p.point, options.clustering.space)},
                             {"point", {p.point.v[0], p.point.v[1], p.point.v[2], p.point.v[3]}},
                             {"share", p.share},
                             {"candidates", p.candidates},
                             {"drawn", std::move(drawn)}});
        }
        run["seeds"] = std::move(picks);
        if (!r.run.refinement)
            run["seeded_inertia"] = r.start_inertia;
        json steps = json::array();
        for (const LloydStep& s : r.steps)
            steps.push_back({{"iteration", s.iteration},
                             {"inertia", s.inertia},
                             {"clusters_moved", s.clusters_moved},
                             {"largest_shift", s.largest_shift},
                             {"mean_shift", s.mean_shift},
                             {"reassigned", s.reassigned},
                             {"skipped", s.skipped},
                             {"seconds", s.seconds}});
        run["steps"] = std::move(steps);
        list.push_back(std::move(run));
    }
    doc["runs"] = std::move(list);
    return doc;
}

// One row per seed pick and per Lloyd step; the columns a row does not use are empty.
std::string trace_csv(const std::vector<RunRecord>& runs, const Options& options) {
    std::string out =
        "event,run,restart,kept,step,inertia,clusters_moved,largest_shift,mean_shift,"
        "reassigned,skipped,seconds,color,share,candidates\n";
    for (const RunRecord& r : runs) {
        const std::string head =
            run_name(r.run) + "," + std::to_string(r.run.restart) + "," + (r.kept ? "1" : "0");
        for (const SeedPick& p : r.picks)
            out += "seed," + head + "," + std::to_string(p.seed) + ",,,,,,,," +
                   hex_of(p.point, options.clustering.space) + "," + number(p.share) + "," +
                   std::to_string(p.candidates) + "\n";
        for (const LloydStep& s : r.steps)
            out += "iteration," + head + "," + std::to_string(s.iteration) + "," +
                   number(s.inertia) + "," + std::to_string(s.clusters_moved) + "," +
                   number(s.largest_shift) + "," + number(s.mean_shift) + "," +
                   std::to_string(s.reassigned) + "," + number(s.skipped) + "," +
                   number(s.seconds) + ",,,\n";
    }
    return out;
}

// A point of k-means' space as the sRGB color it stands for.
plot::Rgb rgb_of(Color c) {
    return {c.r, c.g, c.b};
}

// The convergence plot: inertia against iteration, one line per restart (from its seeding,
// iteration 0) and one for the refinement.
plot::Figure convergence_figure(const std::vector<RunRecord>& runs) {
    plot::LineChart chart;
    chart.title = "k-means convergence";
    chart.x_label = "Lloyd iteration";
    chart.y_label = "inertia";
    // Restarts on many points compete on every second one; the refinement then runs on all,
    // its inertia about twice theirs: it gets the right axis.
    chart.y2_label = "refinement inertia (every point)";
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const RunRecord& r = runs[i];
        plot::Series s;
        s.name = r.run.refinement ? "refinement of restart " + std::to_string(r.run.restart + 1)
                                  : "restart " + std::to_string(r.run.restart + 1);
        if (r.kept)
            s.name += r.run.refinement ? " (result)" : " (kept)";
        s.color = plot::series_color(i);
        s.dots = true;
        s.axis = r.run.refinement ? plot::YAxis::right : plot::YAxis::left;
        if (!r.run.refinement) {
            s.x.push_back(0);
            s.y.push_back(r.start_inertia);
        }
        for (const LloydStep& step : r.steps) {
            s.x.push_back(step.iteration);
            s.y.push_back(step.inertia);
        }
        if (s.x.size() >= 1)
            chart.series.push_back(std::move(s));
    }
    plot::Figure figure;
    figure.panels = {chart};
    return figure;
}

}  // namespace

plot::Figure clusters_figure(std::span<const Image> images, const std::vector<Point>& centroids,
                             const Options& options) {
    std::vector<std::pair<Color, double>> colors;
    for (std::size_t i = 0; i < images.size(); ++i) {
        const WeightedColors sample =
            weighted_sample(images[i], kClusterDots / images.size(), options.clustering.seed + i);
        for (std::size_t j = 0; j < sample.colors.size(); ++j)
            colors.emplace_back(sample.colors[j], sample.counts[j]);
    }
    double most = 1;
    for (const auto& [color, count] : colors)
        most = std::max(most, count);
    std::sort(colors.begin(), colors.end(),
              [](const auto& x, const auto& y) { return x.second > y.second; });  // big first
    plot::ScatterChart ab{"a*-b* (CIELAB)", "a*", "b*", {}, {}, {}, {}, true};
    plot::ScatterChart lb{"L*-b* (CIELAB)", "L*", "b*", {}, {}, plot::Range{0, 100}, {}, false};
    for (const auto& [color, count] : colors) {
        const Color cluster =
            to_color(centroids[nearest_index(to_point(color, options.clustering.space), centroids)],
                     options.clustering.space);
        const Coordinates lab = srgb_to_lab(color);
        const double radius = 1.5 + 6.0 * std::sqrt(count / most);
        ab.dots.push_back({lab.c1, lab.c2, rgb_of(cluster), radius});
        lb.dots.push_back({lab.c0, lab.c2, rgb_of(cluster), radius});
    }
    for (const Point& c : centroids) {
        const Color color = to_color(c, options.clustering.space);
        const Coordinates lab = srgb_to_lab(color);
        ab.crosses.push_back({lab.c1, lab.c2, rgb_of(color)});
        lb.crosses.push_back({lab.c0, lab.c2, rgb_of(color)});
    }
    plot::Figure figure;
    figure.width = 1200;
    figure.height = 560;
    figure.columns = 2;
    figure.panels = {ab, lb};
    return figure;
}

namespace {

// A state of the kept path: centroids and what the caption says of them.
struct Moment {
    const std::vector<Point>* centroids;
    int iteration;  // 0 = after seeding
    double inertia;
    bool warm_start;  // iteration 0 is given centroids (the K search's), not k-means++ seeds
};

// `fixed`: the fixed colors, which k-means++ does not pick (a run of no picks that started with
// more centroids was warm-started).
std::vector<Moment> kept_path(const std::vector<RunRecord>& runs, std::size_t fixed) {
    std::vector<Moment> path;
    for (const RunRecord& r : runs) {
        if (!r.kept)
            continue;
        const bool warm_start = r.picks.empty() && r.start.size() > fixed;
        if (!r.run.refinement && !r.start.empty())
            path.push_back({&r.start, 0, r.start_inertia, warm_start});
        for (std::size_t i = 0; i < r.steps.size(); ++i)
            path.push_back({&r.centroids[i], r.steps[i].iteration, r.steps[i].inertia, warm_start});
    }
    return path;
}

// `most` of `count` moments evenly spread (every n-th, n not always whole), the first and the
// last among them; all when there are no more than `most` (>= 2).
std::vector<std::size_t> frames_to_show(std::size_t count, std::size_t most) {
    std::vector<std::size_t> chosen;
    const std::size_t shown = std::min(count, most);
    for (std::size_t j = 0; j < shown; ++j)
        chosen.push_back(shown == 1 ? 0 : (j * (count - 1) + (shown - 1) / 2) / (shown - 1));
    return chosen;
}

// The frame's image with a caption strip below it: the strip's pixels go to the palette's
// darkest and lightest entries, or to black and white entries added when the palette has room.
// Rows of the caption strip under a frame `height` rows high.
int caption_band(int height) {
    return std::clamp(height / 14, 16, 36);
}

IndexedImage with_caption(IndexedImage frame, const std::string& text) {
    const int band = caption_band(frame.height);
    Image strip = make_image(std::max(frame.width, 64), band + 1, Color{20, 20, 20});
    plot::caption(strip, text, band);
    Palette& palette = frame.palette;
    auto luma = [](Color c) { return 299 * c.r + 587 * c.g + 114 * c.b; };
    std::uint8_t dark = 0, light = 0;
    if (palette.size() + 2 <= 256) {
        palette.push_back({Color{20, 20, 20, 255}, 0});
        palette.push_back({Color{255, 255, 255, 255}, 0});
        dark = std::uint8_t(palette.size() - 2);
        light = std::uint8_t(palette.size() - 1);
    } else {
        for (std::size_t i = 0; i < palette.size(); ++i) {
            if (luma(palette[i].color) < luma(palette[dark].color))
                dark = std::uint8_t(i);
            if (luma(palette[i].color) > luma(palette[light].color))
                light = std::uint8_t(i);
        }
    }
    for (int y = 1; y <= band; ++y)
        for (int x = 0; x < frame.width; ++x) {
            const Color c = strip.pixel(std::size_t(y) * std::size_t(strip.width) + std::size_t(x));
            frame.indices.push_back(c.r > 128 ? light : dark);
        }
    frame.height += band;
    return frame;
}

std::string caption_text(const Moment& m) {
    char inertia[32];
    std::snprintf(inertia, sizeof inertia, "%.4g", m.inertia);
    const std::string start = m.warm_start ? "start (from the K search)" : "seeded (k-means++)";
    return (m.iteration == 0 ? start : "iteration " + std::to_string(m.iteration)) + "   inertia " +
           inertia;
}

// Frame delays: long enough to read the caption; the last one held so the result shows.
constexpr int kFrameDelayMs = 300;
constexpr int kLastFrameDelayMs = 2500;

// The palette the frame of moment m maps to.
Palette palette_of(const Moment& m, const Options& options) {
    return palette_from_centroids(*m.centroids, options.clustering.space, options.clustering.fixed);
}

// The animation, each frame rendered (mapped and captioned) only when the encoder asks for it:
// two frames held at once, not all (60 frames of the 12 MP photo held 720 MB). `runs` and
// `image` must outlive the source; `held` keeps the two frames.
AnimationSource animation_of(const std::vector<RunRecord>& runs, const Image& image,
                             const Options& options, int max_frames,
                             std::array<IndexedFrame, 2>& held) {
    auto path =
        std::make_shared<std::vector<Moment>>(kept_path(runs, options.clustering.fixed.size()));
    auto shown = std::make_shared<std::vector<std::size_t>>(
        frames_to_show(path->size(), std::size_t(max_frames)));
    AnimationSource source;
    source.width = image.width;
    source.height = image.height + caption_band(image.height);
    source.count = shown->size();
    for (const std::size_t i : *shown) {
        for (const PaletteEntry& e : palette_of((*path)[i], options))
            source.any_clear = source.any_clear || e.color.a < 128;
    }
    source.frame = [path, shown, &image, &options, &held](std::size_t f) -> const IndexedFrame& {
        const Moment& m = (*path)[(*shown)[f]];
        Options mapping = options;
        mapping.running.observer = nullptr;
        mapping.clustering.palette = palette_of(m, options);
        mapping.clustering.choose_k = KChoice::fixed;  // the palette given is the colors
        IndexedFrame& frame = held[f % 2];
        frame.image = {};  // the old frame freed before the new one is made
        frame.image = with_caption(quantize(image, mapping).image, caption_text(m));
        frame.delay_ms = f + 1 == shown->size() ? kLastFrameDelayMs : kFrameDelayMs;
        return frame;
    };
    return source;
}

const std::vector<Point>* final_centroids(const std::vector<RunRecord>& runs, std::size_t fixed) {
    const std::vector<Moment> path = kept_path(runs, fixed);
    return path.empty() ? nullptr : path.back().centroids;
}

void note(const std::string& text) {
    std::cerr << "quantize: note: " << text << "\n";
}

}  // namespace

std::vector<std::pair<std::string, fs::path>> WatchRequest::outputs() const {
    std::vector<std::pair<std::string, fs::path>> files;
    const std::pair<const char*, const std::optional<fs::path>*> options[] = {
        {"--trace", &trace},
        {"--animate", &animate},
        {"--plot-clusters", &plot_clusters},
        {"--plot-convergence", &plot_convergence}};
    for (const auto& [option, file] : options) {
        if (*file)
            files.emplace_back(option, **file);
    }
    return files;
}

void add_watch_options(cxxopts::Options& parser, bool animate) {
    // clang-format off
    parser.add_options()
        ("trace", "write every k-means++ pick and Lloyd iteration (inertia, moves, reassigned points, bound skips, time) to FILE.json or FILE.csv", cxxopts::value<std::string>(), "FILE")
        ("plot-clusters", "draw the training colors in CIELAB (a*-b* and L*-b*), each in its cluster's color, sized by pixel count, centroids crossed, as a PNG", cxxopts::value<std::string>(), "FILE.png")
        ("plot-convergence", "draw inertia against Lloyd iteration, one line per restart, as a PNG", cxxopts::value<std::string>(), "FILE.png");
    if (animate)
        parser.add_options()
            ("animate", "write the image mapped to the centroids after seeding and after each Lloyd iteration, captioned, as an animated GIF or WebP", cxxopts::value<std::string>(), "FILE")
            ("max-frames", "--animate shows at most N frames (every n-th iteration), 2..1000", cxxopts::value<int>()->default_value("60"), "N");
    // clang-format on
}

WatchRequest read_watch_options(const cxxopts::ParseResult& args, bool animate) {
    WatchRequest request;
    request.trace = path_option(
        args, "trace", [](const fs::path& f) { return trace_format_of(f).has_value(); },
        ".json or .csv");
    request.plot_clusters = path_option(args, "plot-clusters", is_png, ".png");
    request.plot_convergence = path_option(args, "plot-convergence", is_png, ".png");
    if (animate) {
        request.animate = path_option(args, "animate", is_animation, ".gif or .webp");
        request.max_frames = args["max-frames"].as<int>();
        if (request.max_frames < 2 || request.max_frames > 1000)
            usage("max-frames", "must be 2..1000 (got " + std::to_string(request.max_frames) + ")");
    }
    return request;
}

RunRecord& KMeansRecorder::record(KMeansRun run) {
    for (RunRecord& r : runs_)
        if (r.run.restart == run.restart && r.run.refinement == run.refinement)
            return r;
    runs_.push_back({});
    runs_.back().run = run;
    return runs_.back();
}

void KMeansRecorder::seed_picked(const SeedPick& pick) {
    const std::lock_guard lock(mutex_);
    RunRecord& r = record(pick.run);
    r.picks.push_back(pick);
    r.picks.back().drawn = {};
    r.drawn.emplace_back(pick.drawn.begin(), pick.drawn.end());
}

void KMeansRecorder::seeded(KMeansRun run, std::span<const Point> centroids, double inertia) {
    const std::lock_guard lock(mutex_);
    RunRecord& r = record(run);
    r.start.assign(centroids.begin(), centroids.end());
    r.start_inertia = inertia;
}

void KMeansRecorder::iterated(const LloydStep& step) {
    const std::lock_guard lock(mutex_);
    RunRecord& r = record(step.run);
    r.steps.push_back(step);
    r.steps.back().centroids = {};
    r.centroids.emplace_back(step.centroids.begin(), step.centroids.end());
}

void KMeansRecorder::finished(KMeansRun run, double inertia, int iterations, bool kept) {
    const std::lock_guard lock(mutex_);
    RunRecord& r = record(run);
    r.inertia = inertia;
    r.iterations = iterations;
    r.kept = kept;
}

std::vector<RunRecord> KMeansRecorder::runs() const {
    const std::lock_guard lock(mutex_);
    std::vector<RunRecord> sorted = runs_;
    std::sort(sorted.begin(), sorted.end(), [](const RunRecord& a, const RunRecord& b) {
        return std::tuple(a.run.refinement, a.run.restart) <
               std::tuple(b.run.refinement, b.run.restart);
    });
    return sorted;
}

std::string format_trace(const std::vector<RunRecord>& runs, const fs::path& file,
                         const Options& options) {
    switch (*trace_format_of(file)) {
        case TraceFormat::json:
            return trace_json(runs, options).dump(2) + "\n";
        case TraceFormat::csv:
            return trace_csv(runs, options);
    }
    return {};
}

void write_watch_outputs(const WatchRequest& request, const KMeansRecorder& recorder,
                         const Options& options, std::span<const Image> images,
                         const OutputGuard& guard, bool overwrite) {
    const std::vector<RunRecord> runs = recorder.runs();
    if (request.trace) {
        const std::string text = format_trace(runs, *request.trace, options);
        guard.write(*request.trace,
                    {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, overwrite);
    }
    const std::vector<Point>* centroids = final_centroids(runs, options.clustering.fixed.size());
    if (!centroids && (request.plot_clusters || request.plot_convergence || request.animate)) {
        note(
            "k-means did not run (the image has no more colors than asked for): no plot or "
            "animation written");
        return;
    }
    if (request.plot_convergence)
        plot::write_png(convergence_figure(runs), *request.plot_convergence, guard, overwrite);
    if (request.plot_clusters)
        plot::write_png(clusters_figure(images, *centroids, options), *request.plot_clusters, guard,
                        overwrite);
    if (request.animate && !images.empty()) {
        std::array<IndexedFrame, 2> held;
        const AnimationSource animation =
            animation_of(runs, images.front(), options, request.max_frames, held);
        guard.write(*request.animate,
                    encode_animation(animation, *format_of(*request.animate), *request.animate,
                                     options.encoding.encode),
                    overwrite);
    }
}

}  // namespace quantize::cli
