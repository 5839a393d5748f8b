#include "quantize/quantize.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <mutex>
#include <optional>
#include <string>

#include <tbb/parallel_invoke.h>
#include <tbb/task_arena.h>

#include "detail/parallel.hpp"
#include "detail/quality.hpp"
#include "quantize/profile.hpp"

namespace quantize {

namespace fs = std::filesystem;

namespace {

class Stopwatch {
  public:
    double lap_ms() {
        const auto now = std::chrono::steady_clock::now();
        const double ms = std::chrono::duration<double, std::milli>(now - start_).count();
        start_ = now;
        return ms;
    }

  private:
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

void enter(const Progress& progress, Stage stage) {
    if (progress && !progress(stage)) {
        throw Error(ErrorKind::cancelled, stage_name(stage), "cancelled");
    }
}

// A value as people write it in an option: 0.5, not std::to_string's 0.500000.
std::string shortest(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return text;
}

void check_range(bool ok, const char* field, const std::string& cause) {
    if (!ok)
        throw Error(ErrorKind::invalid_argument, field, cause);
}

// An arena of at most `threads` threads, 0 = one per core.
tbb::task_arena arena_of(int threads) {
    return tbb::task_arena(threads > 0 ? threads : tbb::task_arena::automatic);
}

tbb::task_arena arena_for(const Options& options) {
    return arena_of(options.running.threads);
}

// Throws as validate() does for a thread count out of range.
void check_threads(int threads) {
    check_range(threads >= 0 && threads <= 1024, "threads",
                "must be between 0 (all cores) and 1024 (got " + std::to_string(threads) + ")");
}

Palette palette_of(const std::vector<Color>& colors, const std::vector<Color>& fixed) {
    Palette palette;
    for (const Color& c : colors) {
        palette.push_back({c, 0, std::find(fixed.begin(), fixed.end(), c) != fixed.end()});
    }
    return palette;
}

// The image's few colors plus any fixed ones it lacks, if all fit in `limit`.
std::optional<std::vector<Color>> with_fixed(std::vector<Color> colors,
                                             const std::vector<Color>& fixed, std::size_t limit) {
    for (const Color& c : fixed) {
        if (std::find(colors.begin(), colors.end(), c) == colors.end())
            colors.push_back(c);
    }
    if (colors.size() > limit)
        return std::nullopt;
    return colors;
}

// Whether the image's few colors (null: more than K) are kept as they are after K was chosen:
// once the K picked holds them all, every color is kept exactly, as with a fixed K (that
// shortcut is taken before k-means; choosing K must search first, whatever the color count).
bool keeps_every_color(const std::optional<std::vector<Color>>& few, const Clustering& chosen) {
    return few && chosen.centroids.size() >= few->size();
}

// Passes every index through `table` (old index -> new index), in place.
void reindex(std::vector<std::uint8_t>& indices, const std::vector<std::uint8_t>& table) {
    assert(table.size() <= 256);
    std::array<std::uint8_t, 256> map{};
    std::copy(table.begin(), table.end(), map.begin());
    detail::for_each_chunk(indices.size(), std::size_t{1} << 16,
                           [&, map](std::size_t, std::size_t begin, std::size_t end) {
                               std::uint8_t* p = indices.data();
                               for (std::size_t i = begin; i < end; ++i)
                                   p[i] = map[p[i]];
                           });
}

// The run's own observer (null: none) with the progress callback as its cancel: Stage::cluster
// is asked before every k-means++ pick and Lloyd update (one call at a time: restarts run side
// by side), so a cancel stops k-means within one pick or iteration. Measures what the run's
// observer wants, no more.
class ProgressObserver : public KMeansObserver {
  public:
    ProgressObserver(KMeansObserver* inner, const Progress& progress)
        : inner_(inner), progress_(progress) {}
    KMeansWants wants() const override { return inner_ ? inner_->wants() : KMeansWants{}; }
    void seed_picked(const SeedPick& pick) override { inner_->seed_picked(pick); }
    void seeded(KMeansRun run, std::span<const Point> centroids, double inertia) override {
        inner_->seeded(run, centroids, inertia);
    }
    void iterated(const LloydStep& step) override { inner_->iterated(step); }
    void finished(KMeansRun run, double inertia, int iterations, bool kept) override {
        if (inner_)
            inner_->finished(run, inertia, iterations, kept);
    }
    bool cancelled() override {
        if (inner_ && inner_->cancelled())
            return true;
        const std::lock_guard lock(one_call_at_a_time_);
        return !progress_(Stage::cluster);
    }

  private:
    KMeansObserver* inner_;
    const Progress& progress_;
    std::mutex one_call_at_a_time_;
};

// k-means on weighted colors, with K as options.clustering.choose_k picks it; progress polled
// inside k-means through the observer (see ProgressObserver).
Clustering cluster_colors(std::span<const Color> colors, std::span<const float> weights,
                          const Options& options, const Progress& progress = {}) {
    ClusterOptions cluster = cluster_options(options);
    ProgressObserver polled(options.running.observer, progress);
    if (progress)
        cluster.observer = &polled;
    std::vector<Point> points;
    points.reserve(colors.size());
    for (const Color& c : colors)
        points.push_back(to_point(c, options.clustering.space));
    const TrainingSet training{points, weights, colors, options.clustering.space};
    return cluster_choosing_k(training, cluster, options.clustering.choose_k,
                              options.clustering.quality);
}

// The method pixels are mapped with: at level 0 every method is plain remap, so it takes that.
Dither mapping_of(const Options& options) {
    return dither_at(options.mapping.dither, options.mapping.dither_level);
}

// Fully transparent pixels all look alike, and sharing their palette entry with faint ones
// would make them show: an image that has any gets a clear entry of its own, held in place
// like a fixed color and counted in K (when K leaves room for it).
Options with_clear_entry(ImageView image, Options options) {
    constexpr Color kClear{0, 0, 0, 0};
    if (options.clustering.fixed.size() < std::size_t(options.clustering.colors) &&
        has_clear_pixels(image) &&
        std::find(options.clustering.fixed.begin(), options.clustering.fixed.end(), kClear) ==
            options.clustering.fixed.end()) {
        options.clustering.fixed.push_back(kClear);
    }
    return options;
}

// Every pixel to its palette index, with error diffusion when options ask for it; progress
// polled inside (see map_to_palette).
IndexedImage map_pixels(ImageView image, Palette palette, const Options& options,
                        const Progress& progress) {
    return map_to_palette(image, std::move(palette), options.clustering.space, mapping_of(options),
                          float(options.mapping.dither_level), progress);
}

Quantized quantize_here(ImageView image, const Options& asked, const Progress& progress) {
    if (image.pixel_count() == 0)
        throw Error(ErrorKind::input, "image", "has no pixels");
    Quantized q;
    Stopwatch clock;
    if (!asked.clustering.palette.empty()) {  // given: order and entries kept, no k-means
        enter(progress, Stage::remap);
        q.image = map_pixels(image, asked.clustering.palette, asked, progress);
        q.times.remap = clock.lap_ms();
        return q;
    }
    const Options options = with_clear_entry(image, asked);
    enter(progress, Stage::sample);
    Palette palette;
    auto few = distinct_colors(image, std::size_t(options.clustering.colors), progress);
    if (few)
        few = with_fixed(*few, options.clustering.fixed, std::size_t(options.clustering.colors));
    if (few && options.clustering.choose_k == KChoice::fixed) {
        q.exact = true;
        q.training_colors = few->size();
        palette = palette_of(*few, options.clustering.fixed);
        q.times.sample = clock.lap_ms();
    } else {
        const std::vector<ColorCount> sample =
            sample_colors(image, sample_for(options), options.clustering.seed, progress);
        std::vector<Color> colors;
        std::vector<float> weights;
        colors.reserve(sample.size());
        weights.reserve(sample.size());
        for (const ColorCount& s : sample) {
            colors.push_back(s.color);
            weights.push_back(float(s.count));
        }
        q.training_colors = sample.size();
        q.times.sample = clock.lap_ms();

        enter(progress, Stage::cluster);
        q.clustering = cluster_colors(colors, weights, options, progress);
        if (keeps_every_color(few, q.clustering)) {
            q.exact = true;
            q.clustering = {};
            palette = palette_of(*few, options.clustering.fixed);
        } else {
            palette = palette_from_centroids(q.clustering.centroids, options.clustering.space,
                                             options.clustering.fixed);
        }
        q.times.cluster = clock.lap_ms();
    }
    enter(progress, Stage::remap);
    q.image = map_pixels(image, std::move(palette), options, progress);
    reindex(q.image.indices, compact_and_sort_by_count(q.image.palette));
    q.times.remap = clock.lap_ms();
    return q;
}

// Equal colors merged, counts summed, in pack() order. The pairs are sorted first, so the sums
// (and the result) do not depend on the order the samples came in.
WeightedColors merge_colors(std::vector<std::pair<std::uint32_t, double>> pool) {
    std::sort(pool.begin(), pool.end());
    WeightedColors merged;
    for (std::size_t i = 0; i < pool.size();) {
        double count = 0;
        std::size_t j = i;
        for (; j < pool.size() && pool[j].first == pool[i].first; ++j)
            count += pool[j].second;
        merged.colors.push_back(unpack(pool[i].first));
        merged.counts.push_back(count);
        i = j;
    }
    return merged;
}

// Several samples as one: equal colors merged, whatever order the samples come in.
WeightedColors pooled(std::span<const WeightedColors> samples) {
    std::vector<std::pair<std::uint32_t, double>> pool;
    for (const WeightedColors& sample : samples) {
        for (std::size_t i = 0; i < sample.colors.size(); ++i)
            pool.emplace_back(pack(sample.colors[i]), sample.counts[i]);
    }
    return merge_colors(std::move(pool));
}

// k-means on weighted colors (or the colors themselves when they fit), largest count first.
// What ran goes to *ran when given: the clustering (centroids, iterations, inertia), or
// exact = true when the colors fit and no k-means ran.
struct Training {
    Clustering clustering;
    bool exact = false;
};
Palette train_palette(const WeightedColors& pool, const Options& options, Training* ran = nullptr) {
    Palette palette;
    const auto few =
        with_fixed(pool.colors, options.clustering.fixed, std::size_t(options.clustering.colors));
    Clustering clustering;
    if (!few || options.clustering.choose_k != KChoice::fixed) {
        const std::vector<float> weights(pool.counts.begin(), pool.counts.end());
        clustering = cluster_colors(pool.colors, weights, options);
    }
    const bool exact = few && (options.clustering.choose_k == KChoice::fixed ||
                               keeps_every_color(few, clustering));
    if (ran)
        ran->exact = exact;
    if (exact) {
        palette = palette_of(*few, options.clustering.fixed);
        for (std::size_t i = 0; i < pool.colors.size(); ++i)
            palette[i].count = std::uint64_t(std::llround(pool.counts[i]));
    } else {
        palette = palette_from_centroids(clustering.centroids, options.clustering.space,
                                         options.clustering.fixed, clustering.sizes);
        if (ran)
            ran->clustering = std::move(clustering);
    }
    compact_and_sort_by_count(palette);
    return palette;
}

// What was left out of a file of several frames or pages: only the first is read.
std::string frames_note(const SourceFormat& source) {
    const std::string count = std::to_string(source.frames);
    if (source.format == ImageFormat::png)
        return "an animated PNG: only the first frame was read (of " + count + ")";
    if (source.format == ImageFormat::tiff)
        return "a multi-page TIFF: only the first page was read (of " + count + ")";
    if (source.format == ImageFormat::heif || source.format == ImageFormat::avif) {
        return "an HEIF image sequence: only the primary (still) image was read, not the " + count +
               " frames (Debian's libheif 1.15 reads no sequences)";
    }
    return "only the first image was read (of " + count + ")";
}

std::vector<std::string> notes_for(const Image& image, ImageFormat format, const Report& r) {
    std::vector<std::string> notes;
    for (const std::string& warning : image.source.warnings)
        notes.push_back("decoded despite: " + warning);
    if (r.dither != Dither::none) {
        notes.push_back(std::string("dithered (") + dither_method(r.dither).description +
                        ", level " + shortest(r.dither_level) +
                        "): smoother gradients, more bytes than without");
    }
    if (image.source.bit_depth > 8) {
        notes.push_back(std::to_string(image.source.bit_depth) +
                        "-bit samples were scaled to 8 bits");
    }
    if (image.source.frames > 1)
        notes.push_back(frames_note(image.source));
    if (image.source.channels <= 2)
        notes.push_back("grayscale input was converted to RGB");
    if (image.has_alpha() && !format_info(format).keeps_alpha) {
        notes.push_back(std::string(format_info(format).name) +
                        " keeps no transparency: alpha was dropped, every pixel written in its "
                        "palette color (fully transparent ones black)");
    } else if (image.has_alpha() && format_info(format).binary_alpha) {
        notes.push_back(std::string(format_info(format).name) +
                        " keeps one transparent index: alpha below 128 became clear, the rest "
                        "opaque, before quantizing");
    } else if (image.has_alpha()) {
        notes.push_back(
            "alpha was quantized with the colors (premultiplied); fully transparent pixels share "
            "one palette entry");
    }
    if (!format_info(format).keeps_palette) {
        notes.push_back(std::string("only PNG and GIF outputs keep the palette; ") +
                        format_info(format).name + " stores every pixel's full color");
    }
    if (r.output_bytes > r.input_bytes && r.written) {
        notes.push_back("the output is larger than the input, by " +
                        std::to_string(r.output_bytes - r.input_bytes) + " bytes");
    }
    return notes;
}

// The quality numbers from the colors the pixels mean: in sRGB, with the original and the
// palette converted from the image's profile when it has another (k-means worked on its own
// numbers, but a ΔE00 is between colors, not numbers). progress: polled with Stage::measure
// inside the measures.
Quality measure_in_srgb(const Image& image, const IndexedImage& indexed, const Progress& progress,
                        std::size_t delta_e_sample = kDeltaESample,
                        detail::Ssim ssim = detail::Ssim::measured) {
    const detail::Poll poll(progress, Stage::measure);
    if (is_srgb(image.metadata.profile))
        return detail::measure_quality(image, indexed, delta_e_sample, ssim, poll);
    Image original = image;
    convert_to_srgb(original);
    IndexedImage mapped = indexed;
    mapped.palette = palette_in_srgb(std::move(mapped.palette), image.metadata.profile);
    return detail::measure_quality(original, mapped, delta_e_sample, ssim, poll);
}

// What is done with an image's profile: the action asked for, except that keep cannot embed a
// profile for other data than RGB: a gray one is converted to sRGB instead (it describes the
// replicated gray exactly), any other dropped (decoding set a file's aside already).
ProfileAction profile_action(const ColorProfile& profile, ProfileAction asked) {
    switch (asked) {
        case ProfileAction::keep:
            switch (profile_data(profile)) {
                case ProfileData::rgb:
                    return ProfileAction::keep;
                case ProfileData::gray:
                    return ProfileAction::srgb;
                case ProfileData::other:
                    return ProfileAction::drop;
            }
            break;
        case ProfileAction::srgb:
        case ProfileAction::drop:
            break;
    }
    return asked;
}

// What the notes say of a profile decoding set aside (SourceFormat::set_aside_profile).
std::string set_aside_note(const SetAsideProfile& profile) {
    const std::string name = "color profile '" + profile.name + "' (" + profile.data + ")";
    return profile.converted
               ? name + " converted to sRGB (Little CMS) when decoding: no RGB output embeds it"
               : name + " dropped: it is not for the decoded RGB, whose numbers will be read as " +
                     "sRGB";
}

// What the report and the notes say about the profile, the orientation and the metadata, as
// the file had them (`source`: as decoded).
std::vector<std::string> metadata_notes(const Metadata& m, const SourceFormat& source,
                                        const Options& options, ImageFormat format) {
    std::vector<std::string> notes;
    if (m.orientation != 1) {
        notes.push_back("turned upright by its EXIF orientation " + std::to_string(m.orientation) +
                        "; the output says 1");
    }
    if (source.set_aside_profile)
        notes.push_back(set_aside_note(*source.set_aside_profile));
    if (!m.profile.empty()) {
        const ProfileAction action = profile_action(m.profile, options.encoding.profile);
        // Keep asked, for a gray profile: said why it was not kept.
        const std::string why = action == options.encoding.profile
                                    ? ""
                                    : " (not for RGB data: no RGB output can embed it)";
        const std::string name = "color profile '" + describe_profile(m.profile) + "'" + why;
        const bool keeps = format_info(format).keeps_metadata;
        switch (action) {
            case ProfileAction::keep:
                if (!keeps) {
                    notes.push_back(name + " lost: " + format_info(format).name +
                                    " keeps no profile (its numbers will be read as sRGB)");
                } else if (is_srgb(m.profile)) {
                    notes.push_back(name + " kept");
                } else {
                    notes.push_back(name +
                                    " kept: quantized in its RGB and embedded in the output; "
                                    "the palette and quality are given in sRGB");
                }
                break;
            case ProfileAction::srgb:
                notes.push_back(is_srgb(m.profile)
                                    ? name + " is sRGB already: nothing to convert"
                                    : name + " converted to sRGB (Little CMS) before quantizing");
                break;
            case ProfileAction::drop:
                notes.push_back(name + " dropped: its numbers will be read as sRGB");
                break;
        }
    }
    if (options.encoding.strip)
        notes.push_back("metadata stripped (EXIF, XMP, text, resolution, time)");
    else if (!format_info(format).keeps_metadata &&
             (!m.exif.empty() || !m.xmp.empty() || !m.text.empty()))
        notes.push_back(std::string(format_info(format).name) + " keeps no metadata: dropped");
    return notes;
}

// What an output carries of its input's metadata, as the options ask.
Metadata output_metadata(const Image& image, const Options& options) {
    Metadata metadata = image.metadata;
    if (options.encoding.strip)
        metadata.strip();
    switch (options.encoding.profile) {
        case ProfileAction::keep:
        case ProfileAction::srgb:  // converted: the profile left is sRGB's
            break;
        case ProfileAction::drop:
            metadata.profile = {};
            break;
    }
    return metadata;
}

// For a format that keeps alpha only as clear or opaque (GIF): alpha below 128 becomes 0, the
// rest 255, so the palette holds one clear entry and no levels the file would drop.
void cut_alpha_for(ImageFormat format, Image& image) {
    if (!image.has_alpha() || !format_info(format).binary_alpha)
        return;
    detail::for_each_chunk(image.pixel_count(), std::size_t{1} << 16,
                           [&](std::size_t, std::size_t begin, std::size_t end) {
                               for (std::size_t i = begin; i < end; ++i) {
                                   std::uint8_t& a = image.samples[4 * i + 3];
                                   a = a < 128 ? 0 : 255;
                               }
                           });
}

// What every report says of a run: names, sizes, the image (frames: the first, whose size,
// source and alpha are every frame's), training and stage times, dithering.
void describe_run(Report& r, const fs::path& input, const fs::path& output, const Options& options,
                  ImageView image, const SourceFormat& source, std::size_t output_bytes,
                  std::size_t training_colors, const StageTimes& times) {
    r.input = input;
    r.output = output;
    r.colors_requested = options.clustering.colors;
    r.k_choice = options.clustering.choose_k;
    r.quality_asked = options.clustering.quality;
    r.seed = options.clustering.seed;
    r.input_bytes = source.file_bytes;
    r.width = image.width();
    r.height = image.height();
    r.source = source;
    r.alpha = image.has_alpha();
    r.output_bytes = output_bytes;
    r.training_colors = training_colors;
    r.times.sample = times.sample;
    r.times.cluster = times.cluster;
    r.times.remap = times.remap;
    r.dither = mapping_of(options);
    r.dither_level = r.dither == Dither::none ? 0.0 : options.mapping.dither_level;
}

// Quantizes, encodes (in `format`) and measures a decoded image, in the calling arena. The
// report has everything but the decode, write and total times; `written` is true.
EncodedImage encode_here(Image image, ImageFormat format, const fs::path& input,
                         const fs::path& output, const Options& options, const Progress& progress) {
    Stopwatch clock;
    const Metadata decoded = image.metadata;  // as the file had it, for the notes
    // --profile srgb: the numbers quantized are sRGB's (converted in place, in parallel bands).
    const ProfileAction action = profile_action(image.metadata.profile, options.encoding.profile);
    if (action == ProfileAction::srgb && !is_srgb(image.metadata.profile))
        convert_to_srgb(image);
    cut_alpha_for(format, image);
    Quantized q = quantize_here(image, options, progress);
    clock.lap_ms();
    enter(progress, Stage::encode);
    enter(progress, Stage::measure);
    EncodedImage result;
    Quality quality;
    double encode_ms = 0, measure_ms = 0;
    // Deflate runs on one core; the quality measures fill the others meanwhile.
    tbb::parallel_invoke(
        [&] {
            Stopwatch encode_clock;
            result.bytes = encode_image(q.image, format, output, options.encoding.encode,
                                        output_metadata(image, options));
            encode_ms = encode_clock.lap_ms();
        },
        [&] {
            if (!options.running.measure)
                return;
            Stopwatch measure_clock;
            quality = measure_in_srgb(image, q.image, progress);
            measure_ms = measure_clock.lap_ms();
        });
    Report& r = result.report;
    r = report_for(image, q, options, quality);
    r.input = input;
    r.output = output;
    r.output_bytes = result.bytes.size();
    r.written = true;
    r.times.encode = encode_ms;
    r.times.measure = measure_ms;
    r.notes = notes_for(image, format, r);
    const std::vector<std::string> more = metadata_notes(decoded, image.source, options, format);
    r.notes.insert(r.notes.end(), more.begin(), more.end());
    return result;
}

// Frames are compared whole: equal pixels, equal indices, so no remap is needed.
bool same_pixels(const Image& a, const Image& b) {
    return a.channels == b.channels && a.samples == b.samples;
}

// With a palette per frame, what the frames' k-means runs did together: their iterations and
// inertias summed, converged when every run converged, exact when every frame was.
void add_run(QuantizedAnimation& q, const Quantized& frame, bool first) {
    q.clustering.iterations += frame.clustering.iterations;
    q.clustering.inertia += frame.clustering.inertia;
    q.clustering.converged =
        (first || q.clustering.converged) && (frame.exact || frame.clustering.converged);
    q.exact = (first || q.exact) && frame.exact;
}

QuantizedAnimation quantize_animation_here(const Animation& animation, const Options& options,
                                           const Progress& progress) {
    const std::size_t n = animation.frames.size();
    if (n == 0)
        throw Error(ErrorKind::input, "animation", "has no frames");
    QuantizedAnimation q;
    IndexedAnimation& out = q.animation;
    out.width = animation.width;
    out.height = animation.height;
    out.loops = animation.loops;
    Stopwatch clock;
    std::optional<Palette> shared;
    if (!options.clustering.palette_per_frame && !options.clustering.palette.empty()) {
        shared = options.clustering.palette;
    } else if (!options.clustering.palette_per_frame) {
        enter(progress, Stage::sample);
        Options fitted = options;
        for (const AnimationFrame& frame : animation.frames)
            fitted = with_clear_entry(frame.image, std::move(fitted));  // once, if any is clear
        // Each frame's equal share of the sample, at least one pixel; 0 = every pixel.
        const std::size_t sample = sample_for(options);
        const std::size_t share = sample == 0 ? 0 : std::max<std::size_t>(1, sample / n);
        // Frames at once: a frame's share is too small to fill the cores alone (about 2,000
        // pixels of 262,144 over the bench's 120 frames: 10 ms one frame after another).
        std::vector<WeightedColors> samples(n);
        detail::for_each_chunk(n, 1, [&](std::size_t i, std::size_t, std::size_t) {
            samples[i] = weighted_sample(animation.frames[i].image, share,
                                         options.clustering.seed + i, false, progress);
        });
        for (const WeightedColors& sample : samples)
            q.training_colors += sample.colors.size();
        q.times.sample = clock.lap_ms();
        enter(progress, Stage::cluster);
        Training ran;
        shared = train_palette(pooled(samples), fitted, &ran);
        q.clustering = std::move(ran.clustering);
        q.exact = ran.exact;
        q.times.cluster = clock.lap_ms();
    }
    enter(progress, Stage::remap);
    std::vector<char> reused(n, 0);  // not vector<bool>: frames are compared at once
    detail::for_each_chunk(n, 1, [&](std::size_t i, std::size_t, std::size_t) {
        reused[i] = i > 0 && same_pixels(animation.frames[i].image, animation.frames[i - 1].image);
    });
    q.reused.assign(reused.begin(), reused.end());
    // Without dithering, the frames to map go to the palette together: its searches are made
    // once, and the frames run in parallel.
    std::vector<IndexedImage> mapped;
    if (shared && mapping_of(options) == Dither::none) {
        std::vector<const Image*> fresh;
        for (std::size_t i = 0; i < n; ++i) {
            if (!q.reused[i])
                fresh.push_back(&animation.frames[i].image);
        }
        mapped = remap_frames(fresh, *shared, options.clustering.space, progress);
    }
    for (std::size_t i = 0, next = 0; i < n; ++i) {
        const AnimationFrame& frame = animation.frames[i];
        if (q.reused[i]) {
            out.frames.push_back({out.frames.back().image, frame.delay_ms});
        } else if (shared && !mapped.empty()) {
            out.frames.push_back({std::move(mapped[next++]), frame.delay_ms});
        } else if (shared) {
            out.frames.push_back(
                {map_pixels(frame.image, *shared, options, progress), frame.delay_ms});
        } else {
            Quantized one = quantize_here(frame.image, options, {});
            q.training_colors += one.training_colors;
            add_run(q, one, i == 0);
            out.frames.push_back({std::move(one.image), frame.delay_ms});
        }
    }
    q.times.remap = clock.lap_ms();
    return q;
}

// Pixels of an animation whose SSIM is measured, about: SSIM takes a pass over every pixel
// (on the bench's 120 frames of 480x320, 10% of the run's CPU time measured on all of them), so
// it is measured on every n-th frame, n as small as keeps these pixels, the first frame always.
// MSE is measured on every pixel of every frame, ΔE00 on kDeltaESample spread over them.
constexpr std::size_t kAnimationSsimPixels = std::size_t{1} << 21;  // 2 MP: 14 of 120 bench frames

// Whether frame i of n frames of `pixels` each has its SSIM measured (kAnimationSsimPixels).
detail::Ssim ssim_of_frame(std::size_t i, std::size_t n, std::size_t pixels) {
    const std::size_t every =
        std::max<std::size_t>(1, (n * pixels + kAnimationSsimPixels - 1) /
                                     std::max<std::size_t>(1, kAnimationSsimPixels));
    return i % every == 0 ? detail::Ssim::measured : detail::Ssim::skipped;
}

// The quality of every frame, averaged (each frame weighs alike: all are the canvas size), the
// SSIM over the frames it was measured on (`ssim`, the first always); the 95th percentile of
// ΔE is the worst frame's.
Quality average_quality(const std::vector<Quality>& frames, const std::vector<detail::Ssim>& ssim) {
    Quality mean;
    mean.ssim = 0;
    std::size_t measured = 0;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const Quality& f = frames[i];
        mean.mse += f.mse / double(frames.size());
        mean.alpha_mse += f.alpha_mse / double(frames.size());
        mean.delta_e_mean += f.delta_e_mean / double(frames.size());
        mean.delta_e_p95 = std::max(mean.delta_e_p95, f.delta_e_p95);
        switch (ssim[i]) {
            case detail::Ssim::measured:
                mean.ssim += f.ssim;
                ++measured;
                break;
            case detail::Ssim::skipped:
                break;
        }
    }
    mean.ssim = measured ? mean.ssim / double(measured) : 1.0;
    mean.psnr = mean.mse > 0 ? 10.0 * std::log10(3.0 * 255.0 * 255.0 / mean.mse)
                             : std::numeric_limits<double>::infinity();
    return mean;
}

// An animation quantized, encoded as one (in `format`) and measured over every frame, in the
// calling arena; the report as encode_here's, with `frames` filled in.
EncodedImage encode_animation_here(Animation animation, ImageFormat format, const fs::path& input,
                                   const fs::path& output, const Options& options,
                                   const Progress& progress) {
    const Metadata decoded = animation.metadata;  // as the file had it, for the notes
    // --profile srgb: every frame's numbers converted to sRGB first.
    const bool to_srgb = profile_action(animation.metadata.profile, options.encoding.profile) ==
                             ProfileAction::srgb &&
                         !is_srgb(animation.metadata.profile);
    for (AnimationFrame& frame : animation.frames) {
        if (to_srgb)
            convert_to_srgb(frame.image);
        cut_alpha_for(format, frame.image);
    }
    if (to_srgb)
        animation.metadata.profile = animation.frames.front().image.metadata.profile;
    Image described;  // what the output carries: the file's metadata, as converted
    described.metadata = animation.metadata;
    QuantizedAnimation q = quantize_animation_here(animation, options, progress);
    enter(progress, Stage::encode);
    enter(progress, Stage::measure);
    EncodedImage result;
    Report& r = result.report;
    std::vector<Quality> quality(animation.frames.size());
    std::vector<detail::Ssim> ssim;
    for (std::size_t i = 0; i < quality.size(); ++i) {
        ssim.push_back(ssim_of_frame(i, quality.size(), animation.frames[i].image.pixel_count()));
    }
    tbb::parallel_invoke(
        [&] {
            Stopwatch encode_clock;
            result.bytes = encode_animation(q.animation, format, output, options.encoding.encode,
                                            output_metadata(described, options));
            r.times.encode = encode_clock.lap_ms();
        },
        [&] {
            if (!options.running.measure)
                return;
            Stopwatch measure_clock;
            // The ΔE sample shared among the frames: the measure costs what a still's does.
            const std::size_t delta_e_share =
                std::max<std::size_t>(1, kDeltaESample / quality.size());
            for (std::size_t i = 0; i < quality.size(); ++i) {
                // A reused frame measures as the one before, its SSIM measured or not alike.
                if (q.reused[i])
                    ssim[i] = ssim[i - 1];
                quality[i] = q.reused[i] ? quality[i - 1]
                                         : measure_in_srgb(animation.frames[i].image,
                                                           q.animation.frames[i].image, progress,
                                                           delta_e_share, ssim[i]);
            }
            r.times.measure = measure_clock.lap_ms();
        });
    const Image& first = animation.frames.front().image;
    describe_run(r, input, output, options, first, first.source, result.bytes.size(),
                 q.training_colors, q.times);
    if (options.running.measure)
        r.quality = average_quality(quality, ssim);
    r.exact = q.exact;
    r.iterations = q.clustering.iterations;
    r.inertia = q.clustering.inertia;
    r.converged = q.clustering.converged;
    r.loops = animation.loops;
    // The palette of the report: the shared one, its counts summed over the frames (with a
    // palette per frame, the first frame's).
    r.palette = q.animation.frames.front().image.palette;
    r.colors_chosen = int(r.palette.size());
    for (std::size_t i = 1; !options.clustering.palette_per_frame && i < q.animation.frames.size();
         ++i) {
        const Palette& frame = q.animation.frames[i].image.palette;
        for (std::size_t c = 0; c < r.palette.size(); ++c)
            r.palette[c].count += frame[c].count;
    }
    for (std::size_t i = 0; i < animation.frames.size(); ++i)
        r.frames.push_back({quality[i].mse, animation.frames[i].delay_ms, q.reused[i]});
    r.palette = palette_in_srgb(std::move(r.palette), animation.metadata.profile);
    r.notes = notes_for(first, format, r);
    if (options.clustering.palette_per_frame)
        r.notes.push_back("a palette per frame: the palette shown is the first frame's");
    const std::vector<std::string> more =
        metadata_notes(decoded, animation.source, options, format);
    r.notes.insert(r.notes.end(), more.begin(), more.end());
    return result;
}

// A decoded input to its output: an animation of several frames as one, when the output
// format keeps animations and no frame was picked; else the frame asked for (the first by
// default, said in a note) as a still image.
EncodedImage encode_decoded(Animation animation, ImageFormat format, const fs::path& input,
                            const fs::path& output, const Options& options,
                            const Progress& progress) {
    const std::size_t n = animation.frames.size();
    if (n > 1 && options.encoding.frame < 0 && format_info(format).keeps_animation)
        return encode_animation_here(std::move(animation), format, input, output, options,
                                     progress);
    const std::size_t pick = options.encoding.frame < 0 ? 0 : std::size_t(options.encoding.frame);
    if (pick >= n) {
        // Frames the file holds but none of its decoders reads: said why.
        const std::string unread =
            animation.source.frames > n ? "; " + frames_note(animation.source) : "";
        throw Error(ErrorKind::input, input.string(),
                    "has " + std::to_string(n) + (n == 1 ? " frame" : " frames") +
                        ": --frame takes 0 to " + std::to_string(n - 1) + " (got " +
                        std::to_string(pick) + ")" + unread);
    }
    Image image = std::move(animation.frames[pick].image);
    image.metadata = std::move(animation.metadata);  // the file's, whichever frame is written
    EncodedImage result = encode_here(std::move(image), format, input, output, options, progress);
    // A multi-page TIFF's frames are its pages.
    const bool pages = animation.source.format == ImageFormat::tiff;
    const std::string frame = pages ? "page" : "frame";
    if (n > 1 && options.encoding.frame < 0) {
        result.report.notes.push_back(
            (pages ? "multi-page TIFF of " : "animation of ") + std::to_string(n) + " " + frame +
            "s: " + format_info(format).name + " keeps one, so only the first " + frame +
            " was written (--frame N picks another; gif, webp or tif keep them all)");
    } else if (n > 1) {
        result.report.notes.push_back(frame + " " + std::to_string(pick) + " of " +
                                      std::to_string(n) + " written");
    }
    return result;
}

// Runs `work`; a quality the image cannot reach is then said of the file, as other errors are.
template <class Work>
auto named_after(const fs::path& input, Work work) {
    try {
        return work();
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::quality_too_low)
            throw;
        throw Error(e.kind(), input.string(), e.cause());
    }
}

}  // namespace

Palette palette_in_srgb(Palette palette, const ColorProfile& profile) {
    if (is_srgb(profile))
        return palette;
    std::vector<Color> colors;
    for (const PaletteEntry& e : palette)
        colors.push_back(e.color);
    const std::vector<Color> srgb = palette_to_srgb(colors, profile);
    for (std::size_t i = 0; i < palette.size(); ++i)
        palette[i].color = srgb[i];
    return palette;
}

namespace {

// The report of an in-memory run of `image` (from a file as `source` says, in `profile`).
Report in_memory_report(ImageView image, const SourceFormat& source, const ColorProfile& profile,
                        const Quantized& quantized, const Options& options,
                        const Quality& quality) {
    Report r;
    describe_run(r, {}, {}, options, image, source, 0, quantized.training_colors, quantized.times);
    r.written = false;
    r.quality = quality;
    r.exact = quantized.exact;
    r.iterations = quantized.clustering.iterations;
    r.inertia = quantized.clustering.inertia;
    r.converged = quantized.clustering.converged;
    r.palette = palette_in_srgb(quantized.image.palette, profile);
    r.colors_chosen = quantized.clustering.centroids.empty()
                          ? int(r.palette.size())
                          : int(quantized.clustering.centroids.size());
    return r;
}

}  // namespace

Report report_for(const Image& image, const Quantized& quantized, const Options& options,
                  const Quality& quality) {
    return in_memory_report(image, image.source, image.metadata.profile, quantized, options,
                            quality);
}

Report report_for(const Image& image, const Quantized& quantized, const Options& options,
                  const Progress& progress) {
    tbb::task_arena arena = arena_for(options);
    return arena.execute([&] {
        enter(progress, Stage::measure);
        return report_for(image, quantized, options,
                          measure_in_srgb(image, quantized.image, progress));
    });
}

ClusterOptions cluster_options(const Options& options) {
    ClusterOptions cluster;
    cluster.k = options.clustering.colors;
    cluster.max_iterations = options.clustering.max_iter;
    cluster.tolerance = options.clustering.tolerance;
    cluster.seed = options.clustering.seed;
    cluster.restarts = restarts_for(options);
    cluster.observer = options.running.observer;
    for (const Color& c : options.clustering.fixed)
        cluster.fixed.push_back(to_point(c, options.clustering.space));
    return cluster;
}

int restarts_for(const Options& options) {
    if (options.clustering.restarts > 0)
        return options.clustering.restarts;
    return options.clustering.colors <= 32 ? 5 : 1;
}

std::size_t sample_for(const Options& options) {
    constexpr std::size_t kPerColor = 2048, kLeast = 32768, kMost = 262144;
    if (options.clustering.sample != kAutoSample)
        return options.clustering.sample;
    return std::clamp(kPerColor * std::size_t(std::max(options.clustering.colors, 1)), kLeast,
                      kMost);
}

void validate(const Options& o) {
    check_range(o.clustering.colors >= 1 && o.clustering.colors <= 256, "colors",
                "must be between 1 and 256 (got " + std::to_string(o.clustering.colors) + ")");
    check_range(o.clustering.max_iter >= 1 && o.clustering.max_iter <= 10000, "max-iter",
                "must be between 1 and 10000 (got " + std::to_string(o.clustering.max_iter) + ")");
    check_range(o.clustering.tolerance >= 0 && o.clustering.tolerance <= 255, "tolerance",
                "must be between 0 and 255 (got " + shortest(o.clustering.tolerance) + ")");
    check_range(
        o.clustering.restarts >= 0 && o.clustering.restarts <= 100, "restarts",
        "must be between 0 (auto) and 100 (got " + std::to_string(o.clustering.restarts) + ")");
    check_range(o.encoding.encode.png_level == EncodeOptions::kAutoPngLevel ||
                    (o.encoding.encode.png_level >= 0 && o.encoding.encode.png_level <= 12),
                "png-level",
                "must be auto or between 0 and 12 (got " +
                    std::to_string(o.encoding.encode.png_level) + ")");
    check_range(
        o.encoding.encode.jpeg_quality >= 0 && o.encoding.encode.jpeg_quality <= 100,
        "jpeg-quality",
        "must be between 0 and 100 (got " + std::to_string(o.encoding.encode.jpeg_quality) + ")");
    check_range(o.encoding.encode.webp_quality >= 0 && o.encoding.encode.webp_quality <= 100,
                "webp-quality",
                "must be between 1 and 100, or 0 for lossless (got " +
                    std::to_string(o.encoding.encode.webp_quality) + ")");
    check_threads(o.running.threads);
    check_range(o.running.limits.max_pixels >= 1 && o.running.limits.max_width >= 1 &&
                    o.running.limits.max_height >= 1 && o.running.limits.max_bytes >= 1,
                "limit-pixels", "must be at least 1 (a limit of 0 would refuse every image)");
    check_range(
        o.encoding.frame >= -1, "frame",
        "must be 0 or more, 0 the first frame (got " + std::to_string(o.encoding.frame) + ")");
    check_range(o.clustering.palette.size() <= 256, "palette",
                "has " + std::to_string(o.clustering.palette.size()) + " colors, more than 256");
    check_range(o.mapping.dither_level >= 0 && o.mapping.dither_level <= 1, "dither-level",
                "must be between 0 and 1 (got " + shortest(o.mapping.dither_level) + ")");
    check_range(o.clustering.quality.min >= 0 &&
                    o.clustering.quality.min <= o.clustering.quality.max &&
                    o.clustering.quality.max <= 100,
                "quality",
                "must be MIN-MAX or MAX, whole numbers with 0 <= MIN <= MAX <= 100 (got " +
                    std::to_string(o.clustering.quality.min) + "-" +
                    std::to_string(o.clustering.quality.max) + ")");
    check_range(o.clustering.choose_k != KChoice::elbow || o.clustering.palette.empty(), "colors",
                "auto cannot pick K for a given --palette: the palette is the colors");
    check_range(o.clustering.choose_k != KChoice::quality || o.clustering.palette.empty(),
                "quality", "cannot be met by a given --palette: no colors are chosen");
    check_range(o.clustering.fixed.size() <= std::size_t(std::max(o.clustering.colors, 0)), "fixed",
                "has " + std::to_string(o.clustering.fixed.size()) +
                    " colors, more than --colors " + std::to_string(o.clustering.colors));
    const std::vector<Color>& fixed = o.clustering.fixed;
    for (auto c = fixed.begin(); c != fixed.end(); ++c) {
        check_range(std::find(fixed.begin(), c, *c) == c, "fixed",
                    "names " + to_hex(*c) + " twice (each fixed color is one palette entry)");
    }
}

IndexedImage remap(ImageView image, Palette palette, ColorSpace space, int threads,
                   const Progress& progress) {
    check_threads(threads);
    tbb::task_arena arena = arena_of(threads);
    return arena.execute([&] {
        enter(progress, Stage::remap);
        return map_to_palette(image, std::move(palette), space, Dither::none, 0, progress);
    });
}

Quality measure_quality(ImageView original, const IndexedImage& quantized,
                        std::size_t delta_e_sample, int threads, const Progress& progress) {
    check_threads(threads);
    tbb::task_arena arena = arena_of(threads);
    return arena.execute([&] {
        enter(progress, Stage::measure);
        return detail::measure_quality(original, quantized, delta_e_sample, detail::Ssim::measured,
                                       detail::Poll(progress, Stage::measure));
    });
}

Image read_image(const fs::path& path, const DecodeLimits& limits, int threads,
                 const Progress& progress) {
    check_threads(threads);
    tbb::task_arena arena = arena_of(threads);
    return arena.execute([&] {
        enter(progress, Stage::decode);
        return read_image(path, limits);
    });
}

Image decode_image(std::span<const std::uint8_t> bytes, const std::string& name,
                   const DecodeLimits& limits, int threads, const Progress& progress) {
    check_threads(threads);
    tbb::task_arena arena = arena_of(threads);
    return arena.execute([&] {
        enter(progress, Stage::decode);
        return decode_image(bytes, name, limits);
    });
}

Quantized quantize(ImageView image, const Options& options, const Progress& progress) {
    validate(options);
    tbb::task_arena arena = arena_for(options);
    return arena.execute([&] { return quantize_here(image, options, progress); });
}

Report report_of(ImageView original, const Quantized& quantized, const Options& options,
                 const Progress& progress) {
    tbb::task_arena arena = arena_for(options);
    Stopwatch clock;
    const Quality quality = arena.execute([&] {
        enter(progress, Stage::measure);
        return detail::measure_quality(original, quantized.image, kDeltaESample,
                                       detail::Ssim::measured,
                                       detail::Poll(progress, Stage::measure));
    });
    const double measure_ms = clock.lap_ms();
    SourceFormat source;  // a view comes from no file, and carries no profile: taken as sRGB
    source.channels = original.channels();
    Report r = in_memory_report(original, source, {}, quantized, options, quality);
    r.times.measure = measure_ms;
    return r;
}

WeightedColors weighted_sample(ImageView image, std::size_t sample, std::uint64_t seed,
                               bool keep_transparent, const Progress& progress) {
    const std::vector<ColorCount> colors = sample_colors(image, sample, seed, progress);
    double sampled = 0;
    for (const ColorCount& c : colors)
        sampled += c.count;
    const double scale = sampled > 0 ? double(image.pixel_count()) / sampled : 0.0;
    std::vector<std::pair<std::uint32_t, double>> pool;
    for (const ColorCount& c : colors) {
        if (keep_transparent || c.color.a != 0)
            pool.emplace_back(pack(c.color), c.count * scale);
    }
    return merge_colors(std::move(pool));
}

Palette palette_of_samples(std::span<const WeightedColors> samples, const Options& options) {
    validate(options);
    tbb::task_arena arena = arena_for(options);
    return arena.execute([&] { return train_palette(pooled(samples), options); });
}

QuantizedAnimation quantize_animation(const Animation& animation, const Options& options,
                                      const Progress& progress) {
    validate(options);
    tbb::task_arena arena = arena_for(options);
    return arena.execute([&] { return quantize_animation_here(animation, options, progress); });
}

namespace {

// The palette of `count` images' samples, sample_of(i) giving image i's, taken one image at a
// time in the options' arena (so at most one converted copy is held).
template <class SampleOf>
Palette palette_of_each(std::size_t count, const Options& options, SampleOf&& sample_of) {
    validate(options);
    std::vector<WeightedColors> samples;
    tbb::task_arena arena = arena_for(options);
    arena.execute([&] {
        for (std::size_t i = 0; i < count; ++i)
            samples.push_back(sample_of(i));
    });
    return palette_of_samples(samples, options);
}

}  // namespace

Palette extract_palette(std::span<const Image> images, const Options& options,
                        bool keep_transparent) {
    return palette_of_each(images.size(), options, [&](std::size_t i) {
        const Image& image = images[i];
        // Palette files are sRGB: an image with another profile is sampled in sRGB.
        if (is_srgb(image.metadata.profile))
            return weighted_sample(image, sample_for(options), options.clustering.seed,
                                   keep_transparent);
        Image srgb = image;
        convert_to_srgb(srgb);
        return weighted_sample(srgb, sample_for(options), options.clustering.seed,
                               keep_transparent);
    });
}

Palette extract_palette(std::span<const ImageView> images, const Options& options,
                        bool keep_transparent) {
    return palette_of_each(images.size(), options, [&](std::size_t i) {
        return weighted_sample(images[i], sample_for(options), options.clustering.seed,
                               keep_transparent);
    });
}

fs::path default_output_path(const fs::path& input, int colors) {
    return input.parent_path() / (input.stem().string() + "-" + std::to_string(colors) + ".png");
}

std::string output_tag(const fs::path& input, const fs::path& output, const Options& o) {
    std::string tag = std::string("quantize ") + version;
    struct stat st = {};
    // In place, the file that carries the tag is the input as rewritten: what it was before is
    // gone, so the tag says "in place" and the options alone decide.
    if (input.lexically_normal() == output.lexically_normal()) {
        tag += "; in place";
    } else if (::stat(input.c_str(), &st) == 0) {
        char stamp[64];
        std::snprintf(stamp, sizeof stamp, "; input %llu B modified %lld.%09ld",
                      static_cast<unsigned long long>(st.st_size),
                      static_cast<long long>(st.st_mtim.tv_sec), long(st.st_mtim.tv_nsec));
        tag += stamp;
    }
    // How K is chosen changes the bytes as K does: --quality's range with it.
    tag += "; k " + std::to_string(o.clustering.colors) + " " +
           k_choice_name(o.clustering.choose_k) + " " + std::to_string(o.clustering.quality.min) +
           "-" + std::to_string(o.clustering.quality.max) + " sample " +
           std::to_string(sample_for(o)) + " seed " + std::to_string(o.clustering.seed) +
           " max-iter " + std::to_string(o.clustering.max_iter) + " tolerance " +
           shortest(o.clustering.tolerance) + " restarts " + std::to_string(restarts_for(o)) +
           " space " + color_space_name(o.clustering.space) + " dither " +
           dither_name(o.mapping.dither) + " " + shortest(o.mapping.dither_level) + " png-level " +
           std::to_string(o.encoding.encode.png_level) + " jpeg-quality " +
           std::to_string(o.encoding.encode.jpeg_quality) + " webp-quality " +
           std::to_string(o.encoding.encode.webp_quality) + " profile " +
           profile_action_name(o.encoding.profile) + (o.encoding.strip ? " strip" : "") +
           " frame " + std::to_string(o.encoding.frame) +
           (o.clustering.palette_per_frame ? " palette-per-frame" : "");
    tag += " fixed";
    for (const Color& c : o.clustering.fixed)
        tag += " " + to_hex(c);
    tag += " palette";
    for (const PaletteEntry& e : o.clustering.palette)
        tag += " " + to_hex(e.color);
    return tag;
}

Report quantize_file(const fs::path& input, const fs::path& output, const Options& options,
                     bool overwrite, const Progress& progress) {
    return quantize_file(input, output, options, overwrite, progress,
                         OutputGuard(std::span(&input, 1)));
}

Report quantize_file(const fs::path& input, const fs::path& output, const Options& options,
                     bool overwrite, const Progress& progress, const OutputGuard& inputs) {
    validate(options);
    const std::string tag = output_tag(input, output, options);
    tbb::task_arena arena = arena_for(options);
    if (arena.max_concurrency() > 1)
        arena.enqueue([] {});  // starts the arena's worker threads while the input decodes
    return arena.execute([&] {
        Stopwatch clock, total_clock;
        enter(progress, Stage::decode);
        Animation animation = read_animation(input, options.running.limits);
        check_output_path(inputs, output, overwrite);
        const double decode_ms = clock.lap_ms();
        EncodedImage result = named_after(input, [&] {
            return encode_decoded(std::move(animation), *format_of(output), input, output, options,
                                  progress);
        });
        result.report.times.decode = decode_ms;
        clock.lap_ms();
        enter(progress, Stage::write);
        Report& r = result.report;
        r.written = !(options.encoding.skip_if_larger && r.output_bytes > r.input_bytes);
        if (r.written)
            inputs.write(output, result.bytes, overwrite, tag);
        r.times.write = clock.lap_ms();
        r.times.total = total_clock.lap_ms();
        return std::move(r);
    });
}

EncodedImage quantize_encoded(std::span<const std::uint8_t> input, const fs::path& input_name,
                              ImageFormat format, const fs::path& output_name,
                              const Options& options, const Progress& progress) {
    validate(options);
    tbb::task_arena arena = arena_for(options);
    return arena.execute([&] {
        Stopwatch clock, total_clock;
        enter(progress, Stage::decode);
        Animation animation = decode_animation(input, input_name.string(), options.running.limits);
        const double decode_ms = clock.lap_ms();
        EncodedImage result = named_after(input_name, [&] {
            return encode_decoded(std::move(animation), format, input_name, output_name, options,
                                  progress);
        });
        result.report.times.decode = decode_ms;
        result.report.written = false;
        result.report.times.total = total_clock.lap_ms();
        return result;
    });
}

}  // namespace quantize
