#include "quantize/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "detail/parallel.hpp"
#include "detail/quality.hpp"
#include "detail/report_json.hpp"
#include "quantize/color.hpp"

namespace quantize {

std::string grouped(std::uint64_t v) {
    std::string digits = std::to_string(v), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            out += ',';
        out += digits[i];
    }
    return out;
}

const char* stage_name(Stage stage) {
    switch (stage) {
        case Stage::decode:
            return "decode";
        case Stage::sample:
            return "sample";
        case Stage::cluster:
            return "cluster";
        case Stage::remap:
            return "remap";
        case Stage::encode:
            return "encode";
        case Stage::write:
            return "write";
        case Stage::measure:
            return "measure";
    }
    return "?";
}

namespace {

struct ErrorSums {
    double color = 0;  // squared error summed over R, G, B
    double alpha = 0;
};

// Squared color error of an opaque image, exact in integers: one palette lookup per pixel.
ErrorSums opaque_error(ImageView original, const IndexedImage& quantized, std::size_t begin,
                       std::size_t end) {
    std::uint64_t sum = 0;
    original.for_each_run(begin, end,
                          [&](const std::uint8_t* s, std::size_t first, std::size_t count) {
                              for (std::size_t i = first; i < first + count; ++i, s += 3) {
                                  const Color& b = quantized.palette[quantized.indices[i]].color;
                                  const int dr = s[0] - b.r, dg = s[1] - b.g, db = s[2] - b.b;
                                  sum += std::uint64_t(dr * dr + dg * dg + db * db);
                              }
                          });
    return {double(sum), 0.0};
}

// Colors as seen over black (premultiplied by alpha), and alpha apart.
ErrorSums alpha_error(ImageView original, const IndexedImage& quantized, std::size_t begin,
                      std::size_t end) {
    ErrorSums s;
    for (std::size_t i = begin; i < end; ++i) {
        const Color a = original.pixel(i), b = color_at(quantized, i);
        const double dr = (a.r * a.a - b.r * b.a) / 255.0;
        const double dg = (a.g * a.a - b.g * b.a) / 255.0;
        const double db = (a.b * a.a - b.b * b.a) / 255.0;
        const double da = double(a.a) - b.a;
        s.color += dr * dr + dg * dg + db * db;
        s.alpha += da * da;
    }
    return s;
}

// A color as it looks over white (alpha composited), for the perceptual measures.
Color over_white(Color c) {
    if (c.a == 255)
        return c;
    auto mix = [&](int v) { return std::uint8_t((v * c.a + 255 * (255 - c.a) + 127) / 255); };
    return {mix(c.r), mix(c.g), mix(c.b), 255};
}

// Mean and 95th percentile of CIEDE2000 over an evenly strided sample of pixels.
// Polls once per chunk of 4,096 samples (about a millisecond of ΔE00).
void measure_delta_e(ImageView original, const IndexedImage& quantized, std::size_t sample,
                     Quality& q, const detail::Poll& poll) {
    const std::size_t n = original.pixel_count();
    const std::size_t count = std::min(n, std::max<std::size_t>(sample, 1));
    if (count == 0)
        return;
    std::vector<Coordinates> palette_lab;
    for (const PaletteEntry& e : quantized.palette)
        palette_lab.push_back(srgb_to_lab(over_white(e.color)));
    std::vector<double> de(count);
    detail::for_each_chunk(count, 4096, [&](std::size_t, std::size_t begin, std::size_t end) {
        poll();
        for (std::size_t s = begin; s < end; ++s) {
            const std::size_t i = s * n / count;
            de[s] = delta_e_2000(srgb_to_lab(over_white(original.pixel(i))),
                                 palette_lab[quantized.indices[i]]);
        }
    });
    double sum = 0;
    for (double d : de)
        sum += d;
    q.delta_e_mean = sum / double(count);
    const std::size_t rank = std::min(count - 1, std::size_t(0.95 * double(count)));
    std::nth_element(de.begin(), de.begin() + std::ptrdiff_t(rank), de.end());
    q.delta_e_p95 = de[rank];
}

// BT.601 luma of opaque R, G, B (0..255) in thousandths, 0..255,000: exact in integers.
std::int64_t luma_milli(int r, int g, int b) {
    return 299 * r + 587 * g + 114 * b;
}

// The same of a color over white.
std::int64_t luma_milli(Color c) {
    const Color w = over_white(c);
    return luma_milli(w.r, w.g, w.b);
}

// Sums over a set of pixels of the original's luma a, the quantized luma b and their products,
// in thousandths (exact: a 4x4 block's sum of squares stays under 2^41): what the SSIM of that
// set needs.
struct LumaSums {
    std::int64_t a = 0, b = 0, aa = 0, bb = 0, ab = 0, count = 0;

    void add(std::int64_t va, std::int64_t vb) {
        a += va;
        b += vb;
        aa += va * va;
        bb += vb * vb;
        ab += va * vb;
        count += 1;
    }
    LumaSums& operator+=(const LumaSums& o) {
        a += o.a, b += o.b, aa += o.aa, bb += o.bb, ab += o.ab, count += o.count;
        return *this;
    }
    // Wang et al. 2004, with C1 = (0.01 * 255)^2 and C2 = (0.03 * 255)^2.
    double ssim() const {
        constexpr double c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255);
        const double n = double(count), unit = 1e-3;
        const double ma = double(a) / n * unit, mb = double(b) / n * unit;
        const double va = double(aa) / n * unit * unit - ma * ma;
        const double vb = double(bb) / n * unit * unit - mb * mb;
        const double cov = double(ab) / n * unit * unit - ma * mb;
        return ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
    }
};

// Mean SSIM of luma over 8x8 windows stepped by 4. Every window is 2x2 blocks of 4x4 pixels, so
// the block sums are taken once and each window adds four of them; the work runs in bands of
// window rows, each with its own block rows, so memory stays a few rows wide. An image narrower
// or lower than 8 pixels is one window. Pixels right of or below the last full block are left
// out, as a window grid leaves them.
// Polls once per band of 16 window rows (64 pixel rows).
double measure_ssim(ImageView original, const IndexedImage& quantized, const detail::Poll& poll) {
    constexpr int kBlock = 4;
    constexpr std::size_t kBandWindows = 16;
    std::vector<std::int64_t> palette_luma;
    for (const PaletteEntry& e : quantized.palette)
        palette_luma.push_back(luma_milli(e.color));
    const std::size_t w = std::size_t(original.width()), h = std::size_t(original.height());
    if (w < 2 * kBlock || h < 2 * kBlock) {
        LumaSums all;
        for (std::size_t i = 0; i < w * h; ++i)
            all.add(luma_milli(original.pixel(i)), palette_luma[quantized.indices[i]]);
        return all.ssim();
    }
    const std::size_t across = w / kBlock, down = h / kBlock;  // blocks
    const bool opaque = original.channels() == 3;
    const std::vector<double> bands =
        detail::map_chunks<double>(down - 1, kBandWindows, [&](std::size_t begin, std::size_t end) {
            poll();
            // Block rows begin..end: window row r spans block rows r and r + 1.
            std::vector<LumaSums> blocks((end + 1 - begin) * across);
            for (std::size_t y = begin * kBlock; y < (end + 1) * kBlock; ++y) {
                LumaSums* row = blocks.data() + (y / kBlock - begin) * across;
                const std::uint8_t* sample = original.row(y);
                const std::uint8_t* index = quantized.indices.data() + y * w;
                for (std::size_t c = 0; c < across; ++c) {
                    LumaSums part;  // in registers, added to the block once
                    for (std::size_t x = c * kBlock; x < (c + 1) * kBlock; ++x) {
                        // Opaque pixels (most images) need no compositing over white.
                        const std::int64_t a =
                            opaque ? luma_milli(sample[3 * x], sample[3 * x + 1], sample[3 * x + 2])
                                   : luma_milli(original.pixel(y * w + x));
                        part.add(a, palette_luma[index[x]]);
                    }
                    row[c] += part;
                }
            }
            double sum = 0;
            for (std::size_t r = 0; r < end - begin; ++r) {
                const LumaSums* top = blocks.data() + r * across;
                const LumaSums* bottom = top + across;
                for (std::size_t c = 0; c + 1 < across; ++c) {
                    LumaSums window = top[c];
                    window += top[c + 1];
                    window += bottom[c];
                    window += bottom[c + 1];
                    sum += window.ssim();
                }
            }
            return sum;
        });
    double total = 0;
    for (double band : bands)
        total += band;
    return total / (double(across - 1) * double(down - 1));
}

}  // namespace

Quality measure_quality(ImageView original, const IndexedImage& quantized,
                        std::size_t delta_e_sample) {
    return detail::measure_quality(original, quantized, delta_e_sample, detail::Ssim::measured);
}

Quality detail::measure_quality(ImageView original, const IndexedImage& quantized,
                                std::size_t delta_e_sample, Ssim ssim, const Poll& poll) {
    const std::size_t n = original.pixel_count();
    const bool alpha = original.has_alpha();
    ErrorSums total;
    for (const ErrorSums& part :
         detail::map_chunks<ErrorSums>(n, kPollPixels, [&](std::size_t begin, std::size_t end) {
             poll();
             return alpha ? alpha_error(original, quantized, begin, end)
                          : opaque_error(original, quantized, begin, end);
         })) {
        total.color += part.color;
        total.alpha += part.alpha;
    }
    Quality q;
    measure_delta_e(original, quantized, delta_e_sample, q, poll);
    switch (ssim) {
        case Ssim::measured:
            q.ssim = n ? measure_ssim(original, quantized, poll) : 1.0;
            break;
        case Ssim::skipped:
            break;
    }
    q.mse = n ? total.color / double(n) : 0.0;
    q.alpha_mse = n ? total.alpha / double(n) : 0.0;
    q.psnr = q.mse > 0 ? 10.0 * std::log10(3.0 * 255.0 * 255.0 / q.mse)
                       : std::numeric_limits<double>::infinity();
    return q;
}

double Report::input_bits_per_pixel() const {
    return pixel_count() ? 8.0 * double(input_bytes) / double(pixel_count()) : 0.0;
}
double Report::output_bits_per_pixel() const {
    return pixel_count() ? 8.0 * double(output_bytes) / double(pixel_count()) : 0.0;
}
std::uint64_t Report::baseline_bytes() const {
    return pixel_count() * (alpha ? 4u : 3u);
}

int Report::index_bits() const {
    int bits = 0;
    while ((std::size_t{1} << bits) < palette.size())
        ++bits;
    return bits;
}

double Report::compression_ratio() const {
    return output_bytes ? double(input_bytes) / double(output_bytes) : 0.0;
}

namespace {

double share_percent(const PaletteEntry& e, std::uint64_t total) {
    return total ? 100.0 * double(e.count) / double(total) : 0.0;
}

// printf into a std::string.
template <class... Args>
std::string format(const char* pattern, Args... args) {
    const int size = std::snprintf(nullptr, 0, pattern, args...);
    std::string text(std::size_t(size) + 1, '\0');
    std::snprintf(text.data(), text.size(), pattern, args...);
    text.pop_back();
    return text;
}

std::string source_description(const Report& r) {
    std::string text = r.source.channels <= 2 ? "gray" : "RGB";
    if (r.source.channels == 2 || r.source.channels == 4)
        text += "A";
    return text + format(" %d-bit", r.source.bit_depth);
}

// How --quality's K came out: MAX reached with the fewest colors, or not reached with the most
// allowed (MIN was: else nothing is written), or not reached by the image although the
// sample's estimate, which picked K, reached it. Quality shown rounded down, as MIN is judged.
std::string quality_choice_text(const Report& r) {
    const double score = r.quality.score();
    const int shown = int(std::floor(score));
    const QualityRange asked = r.quality_asked;
    if (score >= asked.max) {
        return format("; K %d: the fewest colors reaching quality %d (%d reached)", r.colors_chosen,
                      asked.max, shown);
    }
    if (r.colors_chosen >= r.colors_requested) {
        return format("; K %d, the most allowed: quality %d reaches MIN %d, not MAX %d",
                      r.colors_chosen, shown, asked.min, asked.max);
    }
    return format(
        "; K %d: the fewest colors whose sample reaches quality %d; the image measures %d",
        r.colors_chosen, asked.max, shown);
}

// How K was picked, after the palette's heading: nothing when it was given.
std::string chosen_k_text(const Report& r) {
    switch (r.k_choice) {
        case KChoice::fixed:
            return "";
        case KChoice::elbow:
            if (r.colors_chosen < 2)  // no curve to find an elbow on
                return "; K 1: the image holds one color";
            return format("; K %d chosen by the elbow (Kneedle on inertia, K 2..%d)",
                          r.colors_chosen, r.colors_requested);
        case KChoice::quality:
            return quality_choice_text(r);
    }
    return "";
}

}  // namespace

std::string format_text(const Report& r) {
    std::ostringstream out;
    const std::uint64_t total = total_count(r.palette);
    out << r.input.string() << " -> " << r.output.string() << "  (" << r.width << "x" << r.height
        << ", " << source_description(r) << ")\n\n";
    out << "Palette: " << r.palette.size() << " of " << r.colors_requested
        << " colors, largest first" << chosen_k_text(r) << "\n";
    out << format("  %3s  %-9s %12s  %6s\n", "#", "color", "pixels", "share");  // as the rows
    for (std::size_t i = 0; i < r.palette.size(); ++i) {
        const PaletteEntry& e = r.palette[i];
        out << format("  %3zu  %-9s %12s  %5.1f%%\n", i + 1, to_hex(e.color).c_str(),
                      grouped(e.count).c_str(), share_percent(e, total));
    }
    out << "\n";
    out << format("Size      %s B -> %s B  (ratio %.2f; uncompressed %d-bit: %s B, %.1fx)\n",
                  grouped(r.input_bytes).c_str(), grouped(r.output_bytes).c_str(),
                  r.compression_ratio(), r.alpha ? 32 : 24, grouped(r.baseline_bytes()).c_str(),
                  r.output_bytes ? double(r.baseline_bytes()) / double(r.output_bytes) : 0.0);
    if (!r.written) {
        out << "Skipped   not written: the output would be larger than the input "
               "(--skip-if-larger)\n";
    }
    if (!r.frames.empty()) {
        std::size_t reused = 0;
        for (const FrameReport& f : r.frames)
            reused += f.reused ? 1 : 0;
        out << format(
            "Frames    %zu (%zu equal to the one before, not remapped), %s; MSE over "
            "all frames\n",
            r.frames.size(), reused,
            r.loops == 0 ? "looped forever"
                         : ("played " + std::to_string(r.loops) + " times").c_str());
    }
    out << format("Bits/px   %.2f -> %.2f  (palette index: %d bits)\n", r.input_bits_per_pixel(),
                  r.output_bits_per_pixel(), r.index_bits());
    out << format("Quality   MSE %.2f  PSNR %.2f dB  ΔE00 mean %.2f, 95%% %.2f  SSIM %.4f",
                  r.quality.mse, r.quality.psnr, r.quality.delta_e_mean, r.quality.delta_e_p95,
                  r.quality.ssim);
    if (r.alpha)
        out << format("  alpha MSE %.2f", r.quality.alpha_mse);
    out << "\n";
    if (r.exact) {
        out << format("k-means   skipped: the image has only %zu color%s, kept exactly\n",
                      r.palette.size(), r.palette.size() == 1 ? "" : "s");
    } else {
        out << format(
            "k-means   %d iterations (%s), inertia %.6g on %s sampled colors, seed %llu\n",
            r.iterations, r.converged ? "converged" : "stopped at max-iter", r.inertia,
            grouped(r.training_colors).c_str(), (unsigned long long)r.seed);
    }
    const StageTimes& t = r.times;
    out << format(
        "Time      decode %.0f ms, sample %.0f ms, cluster %.0f ms, remap %.0f ms, encode %.0f "
        "ms, write %.0f ms, measure %.0f ms; total %.0f ms\n",
        t.decode, t.sample, t.cluster, t.remap, t.encode, t.write, t.measure, t.total);
    for (const std::string& note : r.notes)
        out << "Note      " << note << "\n";
    return out.str();
}

nlohmann::json detail::report_json(const Report& r) {
    using nlohmann::json;
    const std::uint64_t total = total_count(r.palette);
    json palette = json::array();
    for (const PaletteEntry& e : r.palette) {
        palette.push_back({{"hex", to_hex(e.color)},
                           {"rgb", {e.color.r, e.color.g, e.color.b}},
                           {"alpha", e.color.a},
                           {"count", e.count},
                           {"share_percent", share_percent(e, total)}});
    }
    const StageTimes& t = r.times;
    json doc = {
        {"input", r.input.string()},
        {"output", r.output.string()},
        {"width", r.width},
        {"height", r.height},
        {"source", {{"channels", r.source.channels}, {"bit_depth", r.source.bit_depth}}},
        {"alpha", r.alpha},
        {"colors_requested", r.colors_requested},
        {"colors", r.palette.size()},
        {"k_choice", k_choice_name(r.k_choice)},
        {"colors_chosen", r.colors_chosen},
        {"palette", palette},
        {"bytes",
         {{"input", r.input_bytes},
          {"output", r.output_bytes},
          {"uncompressed", r.baseline_bytes()},
          {"written", r.written}}},
        {"bits_per_pixel",
         {{"input", r.input_bits_per_pixel()},
          {"output", r.output_bits_per_pixel()},
          {"index", r.index_bits()}}},
        {"compression_ratio", r.compression_ratio()},
        // PSNR is null when the images are identical (infinite PSNR).
        {"quality",
         {{"mse", r.quality.mse},
          {"score", r.quality.score()},
          {"psnr", std::isfinite(r.quality.psnr) ? json(r.quality.psnr) : json(nullptr)},
          {"alpha_mse", r.quality.alpha_mse},
          {"delta_e00_mean", r.quality.delta_e_mean},
          {"delta_e00_p95", r.quality.delta_e_p95},
          {"ssim_luma", r.quality.ssim}}},
        {"kmeans",
         {{"exact", r.exact},
          {"training_colors", r.training_colors},
          {"iterations", r.iterations},
          {"converged", r.converged},
          {"inertia", r.inertia},
          {"seed", r.seed}}},
        {"dither", {{"method", dither_name(r.dither)}, {"level", r.dither_level}}},
        {"times_ms",
         {{"decode", t.decode},
          {"sample", t.sample},
          {"cluster", t.cluster},
          {"remap", t.remap},
          {"encode", t.encode},
          {"write", t.write},
          {"measure", t.measure},
          {"total", t.total}}},
        {"notes", r.notes},
    };
    if (!r.frames.empty()) {
        json frames = json::array();
        for (const FrameReport& f : r.frames)
            frames.push_back({{"mse", f.mse}, {"delay_ms", f.delay_ms}, {"reused", f.reused}});
        doc["frames"] = frames;
        doc["loops"] = r.loops;
    }
    return doc;
}

std::string format_json(const Report& r, int indent) {
    // File names need not be UTF-8: invalid bytes become U+FFFD rather than an exception.
    return detail::report_json(r).dump(indent, ' ', false,
                                       nlohmann::json::error_handler_t::replace);
}

}  // namespace quantize
