#include "quantize/analyze.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include <tbb/parallel_invoke.h>
#include <tbb/task_arena.h>
#include <nlohmann/json.hpp>

namespace quantize {

namespace {

// A preview of at most kAnalyzePreviewPixels: the image itself when no larger, else a mosaic of
// kTiles x kTiles full-resolution tiles taken on an even grid. Full-resolution tiles keep the
// detail a PNG encoder sees (an image reduced by area averaging is far busier per pixel: its
// PNG scaled up overestimated the 12 MP photo's by 200%), so the bytes scale with the pixels.
Image preview_of(const Image& image) {
    if (image.pixel_count() <= kAnalyzePreviewPixels)
        return image;
    constexpr int kTiles = 4;
    const int side = int(std::sqrt(double(kAnalyzePreviewPixels))) / kTiles;  // 128
    const int tile_w = std::min(side, image.width / kTiles);
    const int tile_h = std::min(side, image.height / kTiles);
    Image preview = make_image(tile_w * kTiles, tile_h * kTiles, {0, 0, 0, 255}, image.channels);
    preview.metadata = image.metadata;
    const std::size_t px = std::size_t(image.channels);
    for (int ty = 0; ty < kTiles; ++ty) {
        for (int tx = 0; tx < kTiles; ++tx) {
            // Tile centers at (2t + 1) / (2 kTiles) of each side.
            const int x0 = (2 * tx + 1) * image.width / (2 * kTiles) - tile_w / 2;
            const int y0 = (2 * ty + 1) * image.height / (2 * kTiles) - tile_h / 2;
            for (int y = 0; y < tile_h; ++y) {
                const std::uint8_t* from =
                    image.samples.data() +
                    (std::size_t(y0 + y) * std::size_t(image.width) + std::size_t(x0)) * px;
                std::uint8_t* to = preview.samples.data() +
                                   (std::size_t(ty * tile_h + y) * std::size_t(preview.width) +
                                    std::size_t(tx * tile_w)) *
                                       px;
                std::copy(from, from + std::size_t(tile_w) * px, to);
            }
        }
    }
    return preview;
}

// Every n-th training point, n chosen so about kSilhouetteSample are kept: the sample is in
// color order, so this spreads over the colors.
void every_nth(std::span<const Point> points, std::span<const float> weights,
               std::vector<Point>& some_points, std::vector<float>& some_weights) {
    const std::size_t stride = std::max<std::size_t>(1, points.size() / kSilhouetteSample);
    for (std::size_t i = 0; i < points.size(); i += stride) {
        some_points.push_back(points[i]);
        some_weights.push_back(weights[i]);
    }
}

std::string fixed2(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f", value);
    return text;
}

}  // namespace

std::vector<KPick> pick_ks(const std::vector<KRow>& rows) {
    std::vector<KPick> picks;
    if (rows.empty())
        return picks;
    std::vector<int> ks;
    std::vector<double> inertia;
    for (const KRow& r : rows) {
        ks.push_back(r.k);
        inertia.push_back(r.inertia);
    }
    const KRow& elbow = rows[kneedle_elbow(ks, inertia)];
    picks.push_back({"elbow", elbow.k,
                     "Kneedle on inertia against K " + std::to_string(ks.front()) + ".." +
                         std::to_string(ks.back()) +
                         ": the K farthest below the straight line between the ends; past it "
                         "more colors buy little (quality " +
                         fixed2(elbow.score) + ")"});
    const auto best = std::max_element(rows.begin(), rows.end(), [](const KRow& a, const KRow& b) {
        return a.silhouette < b.silhouette;
    });
    picks.push_back({"silhouette", best->k,
                     "the highest mean silhouette (" + fixed2(best->silhouette) +
                         "): the colors fall into these clusters most cleanly"});
    for (const int level : kAnalyzeLevels) {
        const auto first =
            std::find_if(rows.begin(), rows.end(), [&](const KRow& r) { return r.score >= level; });
        KPick pick{"quality " + std::to_string(level), 0, ""};
        if (first == rows.end()) {
            pick.reason = "not reached at K " + std::to_string(rows.back().k) + " (quality " +
                          fixed2(rows.back().score) + ")";
        } else {
            pick.k = first->k;
            pick.reason = "the fewest colors whose quality reaches " + std::to_string(level) +
                          " (" + fixed2(first->score) + ", PSNR " + fixed2(first->psnr) +
                          " dB); --quality " + std::to_string(level) +
                          " refines it K by K in the gap below";
        }
        picks.push_back(pick);
    }
    return picks;
}

Analysis analyze(const Image& image, const Options& options, int k_max, SweepMethod method) {
    validate(options);
    if (k_max < 2 || k_max > 256) {
        throw Error(ErrorKind::invalid_argument, "colors",
                    "must be between 2 and 256 for analyze (got " + std::to_string(k_max) + ")");
    }
    tbb::task_arena arena(options.running.threads > 0 ? options.running.threads
                                                      : tbb::task_arena::automatic);
    return arena.execute([&] {
        const ClusteringOptions& c = options.clustering;
        Options largest = options;  // the sample the largest K swept needs
        largest.clustering.colors = k_max;
        const std::vector<ColorCount> sample = sample_colors(image, sample_for(largest), c.seed);
        if (sample.size() < 2)
            throw Error(ErrorKind::input, "image", "has fewer than 2 colors: nothing to choose");
        std::vector<Color> colors;
        std::vector<float> weights;
        std::vector<Point> points;
        for (const ColorCount& s : sample) {
            colors.push_back(s.color);
            weights.push_back(float(s.count));
            points.push_back(to_point(s.color, c.space));
        }
        Analysis a;
        a.width = image.width;
        a.height = image.height;
        a.k_max = k_max;
        a.training_colors = sample.size();
        a.method = method;
        // Restarts as a run at k_max takes them (restarts_for), as -k auto's sweep does: with
        // the default -k's 5 the largest K's run differed, and so did the elbow (photo: 24
        // against -k auto's 22).
        const ClusterOptions cluster = cluster_options(largest);
        // options.running.observer may cancel the sweep (within one Lloyd update), untraced.
        CancelOnly cancel(options.running.observer);
        SweepOptions sweep = sweep_options_for(cluster, a.method, sweep_ks(k_max));
        sweep.observer = &cancel;
        const std::vector<SweepStep> steps = sweep_kmeans(points, weights, sweep);

        const Image preview = preview_of(image);
        a.preview_pixels = preview.pixel_count();
        const double byte_scale = double(image.pixel_count()) / double(preview.pixel_count());
        std::vector<Point> some_points;
        std::vector<float> some_weights;
        every_nth(points, weights, some_points, some_weights);
        const SilhouetteSample silhouette_sample(some_points, some_weights);
        const TrainingSet training{points, weights, colors, c.space};
        for (const SweepStep& step : steps) {
            const std::vector<Point>& centroids = step.clustering.centroids;
            KRow row;
            row.k = step.k;
            row.inertia = step.clustering.inertia;
            const SampleFit fit = sample_fit(training, centroids);
            row.mse = fit.mse;
            row.davies_bouldin = fit.davies_bouldin;
            row.psnr = row.mse > 0 ? 10.0 * std::log10(3.0 * 255.0 * 255.0 / row.mse)
                                   : std::numeric_limits<double>::infinity();
            row.score = quality_of_mse(row.mse);
            const IndexedImage mapped =
                remap(preview, palette_from_centroids(centroids, c.space, c.fixed), c.space);
            // Deflate runs on one core: the measures fill the other meanwhile (each part
            // writes its own fields, so the row is the same whatever runs first).
            std::size_t png_bytes = 0;
            Quality quality;
            tbb::parallel_invoke(
                [&] { png_bytes = encode_image(mapped, ImageFormat::png, "analysis.png").size(); },
                [&] { quality = measure_quality(preview, mapped, kAnalyzeDeltaESample); },
                [&] { row.silhouette = silhouette_sample.score(centroids); });
            row.delta_e00_mean = quality.delta_e_mean;
            row.ssim = quality.ssim;
            row.png_bytes = std::uint64_t(std::llround(double(png_bytes) * byte_scale));
            a.rows.push_back(row);
        }
        a.picks = pick_ks(a.rows);
        return a;
    });
}

namespace {

// The columns of every format, in order: name and the row's value as text.
struct Column {
    const char* name;
    const char* format;  // printf format of the value in text and CSV
    double (*value)(const KRow&);
};

constexpr Column kColumns[] = {
    {"k", "%.0f", [](const KRow& r) { return double(r.k); }},
    {"inertia", "%.6g", [](const KRow& r) { return r.inertia; }},
    {"mse", "%.3f", [](const KRow& r) { return r.mse; }},
    {"psnr", "%.2f", [](const KRow& r) { return r.psnr; }},
    {"quality", "%.1f", [](const KRow& r) { return r.score; }},
    {"delta_e00_mean", "%.3f", [](const KRow& r) { return r.delta_e00_mean; }},
    {"ssim", "%.4f", [](const KRow& r) { return r.ssim; }},
    {"png_bytes", "%.0f", [](const KRow& r) { return double(r.png_bytes); }},
    {"silhouette", "%.4f", [](const KRow& r) { return r.silhouette; }},
    {"davies_bouldin", "%.4f", [](const KRow& r) { return r.davies_bouldin; }},
};

std::string cell(const Column& column, const KRow& row) {
    char text[48];
    std::snprintf(text, sizeof text, column.format, column.value(row));
    return text;
}

}  // namespace

std::string format_analysis_text(const Analysis& a) {
    std::string out = "K 2.." + std::to_string(a.k_max) + " (" + std::to_string(a.rows.size()) +
                      " values) from one " + sweep_method_name(a.method) + " sweep of " +
                      grouped(a.training_colors) + " sample colors; delta E, SSIM and bytes on a " +
                      grouped(a.preview_pixels) + "-pixel preview\n\n";
    for (const Column& column : kColumns) {
        char head[32];
        std::snprintf(head, sizeof head, "%15s", column.name);
        out += head;
    }
    out += "\n";
    for (const KRow& row : a.rows) {
        for (const Column& column : kColumns) {
            char text[32];
            std::snprintf(text, sizeof text, "%15s", cell(column, row).c_str());
            out += text;
        }
        out += "\n";
    }
    out += "\nPicks\n";
    for (const KPick& p : a.picks) {
        char head[48];
        std::snprintf(head, sizeof head, "  %-11s K %-4s ", p.name.c_str(),
                      p.k > 0 ? std::to_string(p.k).c_str() : "-");
        out += head + p.reason + "\n";
    }
    return out;
}

std::string format_analysis_csv(const Analysis& a) {
    std::string out;
    for (const Column& column : kColumns)
        out += std::string(&column == kColumns ? "" : ",") + column.name;
    out += "\n";
    for (const KRow& row : a.rows) {
        for (const Column& column : kColumns)
            out += std::string(&column == kColumns ? "" : ",") + cell(column, row);
        out += "\n";
    }
    return out;
}

std::string format_analysis_json(const Analysis& a, int indent) {
    using nlohmann::json;
    json rows = json::array();
    for (const KRow& row : a.rows) {
        json r = json::object();
        for (const Column& column : kColumns) {
            const double v = column.value(row);
            r[column.name] = std::isfinite(v) ? json(v) : json(nullptr);
        }
        r["k"] = row.k;
        r["png_bytes"] = row.png_bytes;
        rows.push_back(r);
    }
    json picks = json::array();
    for (const KPick& p : a.picks)
        picks.push_back(
            {{"name", p.name}, {"k", p.k > 0 ? json(p.k) : json(nullptr)}, {"reason", p.reason}});
    const json doc = {{"width", a.width},
                      {"height", a.height},
                      {"k_max", a.k_max},
                      {"method", sweep_method_name(a.method)},
                      {"training_colors", a.training_colors},
                      {"preview_pixels", a.preview_pixels},
                      {"rows", rows},
                      {"picks", picks}};
    return doc.dump(indent);
}

}  // namespace quantize
