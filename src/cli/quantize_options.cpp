#include "quantize_options.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace quantize::cli {

namespace {

// Each --fixed value is a comma-separated list (cxxopts may have split it already).
std::vector<Color> read_fixed_colors(const std::vector<std::string>& items) {
    std::vector<Color> colors;
    for (const std::string& item : items) {
        const std::vector<Color> some = parse_color_list(item);
        colors.insert(colors.end(), some.begin(), some.end());
    }
    return colors;
}

// -k K or -k auto, and --quality RANGE (which makes -k a maximum, 256 unless given).
void read_k_choice(const cxxopts::ParseResult& args, ClusteringOptions& clustering) {
    const std::string k = args["colors"].as<std::string>();
    if (k == "auto") {
        clustering.choose_k = KChoice::elbow;
        clustering.colors = 256;
    } else {
        int colors = 0;
        const auto [end, ec] = std::from_chars(k.data(), k.data() + k.size(), colors);
        if (ec != std::errc{} || end != k.data() + k.size()) {
            throw Error(ErrorKind::invalid_argument, "colors",
                        "must be a whole number 1..256 or auto (got '" + k + "')");
        }
        clustering.colors = colors;
    }
    if (!args.count("quality"))
        return;
    const std::string text = args["quality"].as<std::string>();
    const auto range = parse_quality_range(text);
    if (!range) {
        throw Error(ErrorKind::invalid_argument, "quality",
                    "must be MIN-MAX or MAX, whole numbers with 0 <= MIN <= MAX <= 100 (got '" +
                        text + "')");
    }
    if (clustering.choose_k == KChoice::elbow)
        throw Error(ErrorKind::invalid_argument, "quality", "and -k auto exclude each other");
    clustering.choose_k = KChoice::quality;
    clustering.quality = *range;
    if (!args.count("colors"))
        clustering.colors = 256;
}

// "auto" (kAutoSample) or a pixel count, 0 = every pixel.
std::size_t read_sample(const std::string& text) {
    if (text == "auto")
        return kAutoSample;
    std::size_t pixels = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pixels);
    if (ec != std::errc{} || end != text.data() + text.size() || pixels == kAutoSample) {
        throw Error(ErrorKind::invalid_argument, "sample",
                    "must be auto or a pixel count, 0 = every pixel (got '" + text + "')");
    }
    return pixels;
}

// "auto" or a whole number (range checked by validate()).
int read_png_level(const std::string& text) {
    if (text == "auto")
        return EncodeOptions::kAutoPngLevel;
    int level = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), level);
    if (ec != std::errc{} || end != text.data() + text.size() || level < 0) {
        throw Error(ErrorKind::invalid_argument, "png-level",
                    "must be auto or between 0 and 12 (got '" + text + "')");
    }
    return level;
}

// A pixel count, >= 1: digits, optionally followed by k, M or G (decimal, as megapixels are:
// 512M = 512,000,000); nullopt for anything else, 0 or a count past 2^64.
std::optional<std::uint64_t> parse_pixel_count(const std::string& text) {
    std::uint64_t count = 0;
    const char* end = text.data() + text.size();
    const auto [rest, ec] = std::from_chars(text.data(), end, count);
    if (ec != std::errc{} || rest == text.data() || count == 0 || end - rest > 1)
        return std::nullopt;
    std::uint64_t scale = 1;
    if (rest != end) {
        switch (*rest) {
            case 'k':
            case 'K':
                scale = 1'000;
                break;
            case 'm':
            case 'M':
                scale = 1'000'000;
                break;
            case 'g':
            case 'G':
                scale = 1'000'000'000;
                break;
            default:
                return std::nullopt;
        }
    }
    if (count > std::numeric_limits<std::uint64_t>::max() / scale)
        return std::nullopt;
    return count * scale;
}

// --limit-pixels when given, else $QUANTIZE_LIMIT_PIXELS when set (the library reads no
// environment: this is the command's policy), else the library's default.
std::uint64_t read_limit_pixels(const cxxopts::ParseResult& args) {
    std::string text;
    std::string from;
    if (args.count("limit-pixels")) {
        text = args["limit-pixels"].as<std::string>();
    } else if (const char* env = std::getenv("QUANTIZE_LIMIT_PIXELS")) {
        text = env;
        from = " from QUANTIZE_LIMIT_PIXELS";
    } else {
        return DecodeLimits{}.max_pixels;
    }
    if (const auto count = parse_pixel_count(text))
        return *count;
    throw Error(ErrorKind::invalid_argument, "limit-pixels",
                "must be a pixel count of at least 1, like 50000000 or 512M (got '" + text + "'" +
                    from + ")");
}

// Shortest form: 0.1, not to_string's 0.020000.
std::string shortest(double value) {
    std::ostringstream text;
    text << value;
    return text.str();
}

}  // namespace

void add_quantize_options(cxxopts::Options& parser, ColorsMeaning colors) {
    const Options defaults;
    // clang-format off
    switch (colors) {
        case ColorsMeaning::colors:
            parser.add_options()
                ("k,colors", "number of colors, 1..256; auto = the elbow of the inertia curve (Kneedle, K 2..256); with --quality, the most colors", cxxopts::value<std::string>()->default_value(std::to_string(defaults.clustering.colors)), "K")
                ("quality", "MIN-MAX or MAX on 0..100 (pngquant's meaning): the fewest colors whose quality reaches MAX; below MIN even at -k colors (default 256), nothing is written (exit 99). See README for the scale", cxxopts::value<std::string>(), "RANGE");
            break;
        case ColorsMeaning::largest_k:
            parser.add_options()
                ("k,colors", "the largest K analyzed, 2..256", cxxopts::value<std::string>()->default_value("256"), "KMAX");
            break;
    }
    parser.add_options()
        ("sample", "pixels drawn to train k-means on; 0 = every pixel; auto = 2048 per color, 32768..262144", cxxopts::value<std::string>()->default_value("auto"), "N")
        ("seed", "random seed; the same input, options and seed give the same output file", cxxopts::value<std::uint64_t>()->default_value(std::to_string(defaults.clustering.seed)), "S")
        ("max-iter", "Lloyd iterations at most, scouting among restarts and refinement together, 1..10000", cxxopts::value<int>()->default_value(std::to_string(defaults.clustering.max_iter)), "N")
        ("tolerance", "stop once no centroid moves more than T (0..255 scale)", cxxopts::value<double>()->default_value(shortest(defaults.clustering.tolerance)), "T")
        ("restarts", "k-means runs from seeds S, S+1, ..., the best kept; 0 = 5 when K <= 32, else 1", cxxopts::value<int>()->default_value(std::to_string(defaults.clustering.restarts)), "N")
        ("threads", "worker threads at most; 0 = one per core", cxxopts::value<int>()->default_value(std::to_string(defaults.running.threads)), "N")
        ("space", "color space k-means measures distances in: wrgb (sRGB weighted toward CIEDE2000), rgb, lab (CIELAB) or oklab", cxxopts::value<std::string>()->default_value(color_space_name(defaults.clustering.space)), "NAME")
        ("fixed", "colors always in the palette, exactly, e.g. '#ffffff,#000000'; they count in K", cxxopts::value<std::vector<std::string>>(), "COLORS")
        ("limit-pixels", "refuse inputs of more pixels than N (suffix k, M or G: 512M), read from the header before decoding (exit 3); default 256M, or $QUANTIZE_LIMIT_PIXELS", cxxopts::value<std::string>(), "N");
    // clang-format on
}

void add_encode_options(cxxopts::Options& parser) {
    const EncodeOptions defaults;
    const Options remap_defaults;
    // clang-format off
    parser.add_options()
        ("dither", "how pixels map to the palette: none (nearest color), fs (Floyd-Steinberg error diffusion everywhere), adaptive (error diffusion in flat areas and gradients, little at edges and in texture), ordered (blue-noise mask) or bayer (8x8 Bayer matrix)", cxxopts::value<std::string>()->default_value(dither_name(remap_defaults.mapping.dither)), "NAME")
        ("dither-level", "how strongly --dither dithers, 0..1: the share of the error diffused (fs, adaptive) or of the ordered threshold's spread; implies --dither fs unless --dither is given", cxxopts::value<double>()->default_value(shortest(remap_defaults.mapping.dither_level)), "L")
        ("png-level", "deflate level of PNG output, 0..12: higher is smaller and slower; auto = 7 (6 dithered), or 9 for images that are mostly flat runs; over 2 MiB of image data deflates in bands on every core", cxxopts::value<std::string>()->default_value("auto"), "N")
        ("jpeg-quality", "quality of .jpg output, 0..100", cxxopts::value<int>()->default_value(std::to_string(defaults.jpeg_quality)), "Q")
        ("webp-quality", "quality of .webp output, 1..100 (lossy); 0 = lossless", cxxopts::value<int>()->default_value(std::to_string(defaults.webp_quality)), "Q")
        ("profile", "the input's color profile: keep (quantize its numbers, embed the same profile; a gray one is converted to sRGB), srgb (convert to sRGB first, for viewers that ignore profiles) or drop", cxxopts::value<std::string>()->default_value("keep"), "ACTION")
        ("strip", "drop the metadata (EXIF, XMP, text, resolution, time); the color profile stays unless --profile says otherwise");
    // clang-format on
}

void add_common_options(cxxopts::Options& parser, const std::string& quiet) {
    // clang-format off
    parser.add_options()
        ("q,quiet", quiet)
        ("h,help", "print this help and exit")
        ("input", "", cxxopts::value<std::vector<std::string>>());
    // clang-format on
    parser.parse_positional({"input"});
}

Options read_quantize_options(const cxxopts::ParseResult& args) {
    Options options;
    read_k_choice(args, options.clustering);
    options.clustering.sample = read_sample(args["sample"].as<std::string>());
    options.clustering.seed = args["seed"].as<std::uint64_t>();
    options.clustering.max_iter = args["max-iter"].as<int>();
    options.clustering.tolerance = args["tolerance"].as<double>();
    options.running.threads = args["threads"].as<int>();
    options.clustering.restarts = args["restarts"].as<int>();
    options.running.limits.max_pixels = read_limit_pixels(args);
    // The one knob of the command: the decoded-bytes bound follows the pixels asked for, at
    // the widest decoded pixel (16-bit RGBA, 8 bytes), so raising --limit-pixels is enough.
    options.running.limits.max_bytes =
        std::max(DecodeLimits{}.max_bytes,
                 options.running.limits.max_pixels > std::numeric_limits<std::uint64_t>::max() / 8
                     ? std::numeric_limits<std::uint64_t>::max()
                     : options.running.limits.max_pixels * 8);
    if (args.count("png-level") || args.count("jpeg-quality") || args.count("webp-quality")) {
        options.encoding.encode.png_level = read_png_level(args["png-level"].as<std::string>());
        options.encoding.encode.jpeg_quality = args["jpeg-quality"].as<int>();
        options.encoding.encode.webp_quality = args["webp-quality"].as<int>();
    }
    options.clustering.space = color_space_named(args["space"].as<std::string>());
    // Read only when given, so commands without these options keep the defaults.
    if (args.count("dither-level")) {
        options.mapping.dither = Dither::fs;
        options.mapping.dither_level = args["dither-level"].as<double>();
    }
    if (args.count("dither"))
        options.mapping.dither = dither_named(args["dither"].as<std::string>());
    if (args.count("profile")) {
        const std::string name = args["profile"].as<std::string>();
        const auto action = parse_profile_action(name);
        if (!action) {
            throw Error(ErrorKind::invalid_argument, "profile",
                        "must be keep, srgb or drop (got '" + name + "')");
        }
        options.encoding.profile = *action;
    }
    options.encoding.strip = args.count("strip") > 0;
    if (args.count("fixed"))
        options.clustering.fixed = read_fixed_colors(args["fixed"].as<std::vector<std::string>>());
    validate(options);
    return options;
}

}  // namespace quantize::cli
