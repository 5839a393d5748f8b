#include "palette_command.hpp"

#include <cxxopts.hpp>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "exit_codes.hpp"
#include "quantize/quantize.hpp"
#include "quantize_options.hpp"
#include "run_outputs.hpp"
#include "subcommand.hpp"
#include "watch.hpp"

namespace quantize::cli {

namespace {

namespace fs = std::filesystem;

struct Invocation {
    std::vector<fs::path> inputs;
    Options options;
    WatchRequest watch;  // --trace, --plot-clusters, --plot-convergence
    std::optional<PaletteFormat> format;
    std::optional<fs::path> output;
    std::optional<fs::path> swatch;
    SwatchStyle swatch_style = SwatchStyle::bars;
    PaletteOrder order = PaletteOrder::share;
    double min_share = 0;  // percent
    bool each = false;
    bool keep_transparent = false;
    bool force = false;
    bool quiet = false;
};

cxxopts::Options make_parser() {
    cxxopts::Options parser(
        "quantize palette",
        "The K dominant colors of one or more images, as a palette file: k-means on a sample of\n"
        "the pixels only, no image is written. Several inputs give one palette weighted by\n"
        "their pixel counts (or one each with --each).\n");
    parser.custom_help("[options]").positional_help("INPUT...");
    add_quantize_options(parser);
    add_watch_options(parser, false);
    // clang-format off
    parser.add_options()
        ("format", "hex, txt, json, css, gpl (GIMP), ase (Adobe Swatch Exchange), aco (Photoshop), pal (JASC-PAL) (default: from -o's extension, else txt)", cxxopts::value<std::string>(), "F")
        ("o,output", "palette file to write (default: standard output, text formats only); with --each, a directory", cxxopts::value<std::string>(), "FILE")
        ("swatch", "also draw the palette as a PNG picture; with --each, a directory", cxxopts::value<std::string>(), "FILE.png")
        ("swatch-style", "bars (length by share) or squares", cxxopts::value<std::string>()->default_value("bars"), "STYLE")
        ("sort", "share (largest first), luminance (darkest first) or hue", cxxopts::value<std::string>()->default_value("share"), "ORDER")
        ("min-share", "drop colors below P percent of the pixels", cxxopts::value<double>()->default_value("0"), "P")
        ("each", "one palette per input instead of one for all")
        ("keep-transparent", "count fully transparent pixels too (left out by default)")
        ("f,force", "overwrite existing output files");
    // clang-format on
    add_common_options(parser, "print nothing but errors");
    return parser;
}

std::string help_text(cxxopts::Options& parser) {
    return parser.help() +
           "\nExamples:\n"
           "  quantize palette photo.jpg -k 8                    # hex, RGB and share per color\n"
           "  quantize palette photo.jpg -k 8 -o brand.ase --swatch brand.png\n"
           "  quantize palette shots/*.png -k 12 --format css --sort hue\n"
           "  quantize palette a.png b.png -k 6 --each -o palettes/ --format gpl\n"
           "  quantize palette ui.png -k 16 --fixed '#ffffff,#000000' -o ui.gpl\n\n" +
           kExitStatusHelp;
}

// Throws Error(invalid_argument) with the option's name as subject.
template <class T>
T read_choice(const cxxopts::ParseResult& args, const char* name,
              std::optional<T> (*parse)(std::string_view), const char* choices) {
    const std::string value = args[name].as<std::string>();
    if (const auto parsed = parse(value))
        return *parsed;
    throw Error(ErrorKind::invalid_argument, name,
                std::string("must be one of ") + choices + " (got '" + value + "')");
}

Invocation read_invocation(const cxxopts::ParseResult& args) {
    Invocation in;
    if (args.count("input")) {
        for (const std::string& s : args["input"].as<std::vector<std::string>>())
            in.inputs.emplace_back(s);
    }
    in.options = read_quantize_options(args);
    if (args.count("format")) {
        in.format = read_choice<PaletteFormat>(args, "format", parse_palette_format,
                                               "hex, txt, json, css, gpl, ase, aco, pal");
    }
    if (args.count("output"))
        in.output = args["output"].as<std::string>();
    if (args.count("swatch"))
        in.swatch = args["swatch"].as<std::string>();
    in.swatch_style =
        read_choice<SwatchStyle>(args, "swatch-style", parse_swatch_style, "bars, squares");
    in.order =
        read_choice<PaletteOrder>(args, "sort", parse_palette_order, "share, luminance, hue");
    in.min_share = args["min-share"].as<double>();
    if (!(in.min_share >= 0 && in.min_share < 100)) {
        throw Error(ErrorKind::invalid_argument, "min-share",
                    "must be at least 0 and below 100 (got " + std::to_string(in.min_share) + ")");
    }
    in.each = args.count("each") > 0;
    in.keep_transparent = args.count("keep-transparent") > 0;
    in.force = args.count("force") > 0;
    in.quiet = args.count("quiet") > 0;
    in.watch = read_watch_options(args, false);
    if (in.watch.any() && in.each)
        throw Error(ErrorKind::invalid_argument, "trace",
                    "and the plots follow one k-means: they take no --each");
    return in;
}

// The format asked for, else the one -o's extension names, else txt.
PaletteFormat format_for(const Invocation& in, const std::optional<fs::path>& file) {
    if (in.format)
        return *in.format;
    if (file && *file != "-") {
        if (const auto by_extension = palette_format_of(*file))
            return *by_extension;
        throw Error(ErrorKind::invalid_argument, "format",
                    "cannot tell from '" + file->string() +
                        "': use a .hex, .txt, .json, .css, .gpl, .ase, .aco or .pal name, or "
                        "--format");
    }
    return PaletteFormat::txt;
}

// Drops colors below min_share percent (never fixed ones); returns how many went.
std::size_t drop_small(Palette& palette, double min_share) {
    const double total = double(total_count(palette));
    const std::size_t before = palette.size();
    std::erase_if(palette, [&](const PaletteEntry& e) {
        return !e.fixed && 100.0 * double(e.count) < min_share * total;
    });
    return before - palette.size();
}

// The palette of `images`, read from `subject` (a file, or "the images"), which the notes name.
Palette palette_for(const Invocation& in, const std::string& subject,
                    const std::vector<Image>& images, KMeansObserver* observer = nullptr) {
    Options options = in.options;
    options.running.observer = observer;
    Palette palette = extract_palette(images, options, in.keep_transparent);
    // No pixel counted: all were fully transparent and left out; only --fixed colors remain.
    if (total_count(palette) == 0 && !in.quiet) {
        std::cerr << "quantize: " << printable(subject)
                  << ": every pixel is fully transparent, so no color was taken "
                     "(--keep-transparent counts them)\n";
    }
    const std::size_t dropped = drop_small(palette, in.min_share);
    if (dropped > 0 && !in.quiet) {
        std::cerr << "quantize: dropped " << dropped << " color" << (dropped == 1 ? "" : "s")
                  << " below " << in.min_share << "% of the pixels\n";
    }
    sort_palette(palette, in.order);
    return palette;
}

// Writes the palette (and its swatch) to files, or the palette to standard output; files are
// checked against every input first.
void emit(const Invocation& in, const OutputGuard& inputs, const Palette& palette,
          const std::string& name, const std::optional<fs::path>& file,
          const std::optional<fs::path>& swatch) {
    // "-o -" is standard output, for any format (a binary one too: the user asked for it).
    const std::optional<fs::path> to_file = file && *file != "-" ? file : std::nullopt;
    const PaletteFormat format = format_for(in, to_file);
    const std::vector<std::uint8_t> bytes = format_palette(palette, format, name);
    if (to_file)
        inputs.check(*to_file);
    if (swatch)
        inputs.check(*swatch);
    if (to_file) {
        inputs.write(*to_file, bytes, in.force);
    } else {
        std::cout.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    }
    if (swatch) {
        inputs.write(*swatch, encode_png(render_swatch(palette, in.swatch_style), *swatch),
                     in.force);
    }
}

// Every frame of an input (one for a still image), as the main command trains on them all.
std::vector<Image> frames_of(const fs::path& input, const DecodeLimits& limits) {
    Animation animation = read_animation(input, limits);
    std::vector<Image> frames;
    for (AnimationFrame& frame : animation.frames)
        frames.push_back(std::move(frame.image));
    return frames;
}

// The file for one input inside the --each directory `dir`, named after the input.
std::optional<fs::path> inside(const std::optional<fs::path>& dir, const fs::path& input,
                               const std::string& extension) {
    if (!dir)
        return std::nullopt;
    if (!fs::is_directory(*dir))
        throw Error(ErrorKind::output, dir->string(),
                    "not a directory (--each writes one file per input into it)");
    return *dir / (input.stem().string() + extension);
}

int run(const Invocation& in) {
    if (in.inputs.empty())
        return fail(kUsage, "no input image (see quantize palette --help)");
    RunOutputs outputs{OutputGuard(in.inputs)};
    const OutputGuard& inputs = outputs.guard();
    if (!in.each) {
        // Every file named, before any work: none an input, none named twice.
        if (in.output && *in.output != "-")
            outputs.check_and_claim(*in.output, "the palette file", in.force);
        if (in.swatch)
            outputs.check_and_claim(*in.swatch, "the --swatch file", in.force);
        for (const auto& [option, file] : in.watch.outputs())
            outputs.check_and_claim(file, "the " + option + " file", in.force);
        std::vector<Image> images;
        for (const fs::path& input : in.inputs) {
            for (Image& frame : frames_of(input, in.options.running.limits))
                images.push_back(std::move(frame));
        }
        const PaletteFormat format = format_for(in, in.output);
        if (!in.output && !is_text_format(format)) {
            throw Error(ErrorKind::invalid_argument, "format",
                        std::string(palette_format_name(format)) +
                            " is binary: give the file to write with -o (- for standard output)");
        }
        const std::string name =
            in.inputs.size() == 1 ? in.inputs.front().stem().string() : std::string("quantize");
        KMeansRecorder recorder;
        const std::string subject =
            in.inputs.size() == 1 ? in.inputs.front().string() : std::string("the images");
        const Palette palette = said_of_file(subject, [&] {
            return palette_for(in, subject, images, in.watch.any() ? &recorder : nullptr);
        });
        emit(in, inputs, palette, name, in.output, in.swatch);
        if (in.watch.any())
            write_watch_outputs(in.watch, recorder, in.options, images, inputs, in.force);
        return kOk;
    }
    const PaletteFormat format = format_for(in, std::nullopt);
    if (!in.output && !is_text_format(format)) {
        throw Error(ErrorKind::invalid_argument, "format",
                    std::string(palette_format_name(format)) +
                        " is binary: give a directory to write into with -o");
    }
    // The folders themselves before any work (their files are each input's).
    static_cast<void>(inside(in.output, in.inputs.front(), ""));
    static_cast<void>(inside(in.swatch, in.inputs.front(), ""));
    int status = kOk;
    for (const fs::path& input : in.inputs) {
        try {
            const auto file =
                inside(in.output, input, std::string(".") + palette_format_name(format));
            const auto swatch = inside(in.swatch, input, ".png");
            // Two inputs named alike (a.png, a.jpg) would write one file: the second fails.
            if (file)
                outputs.claim(*file, "the palette of " + input.string());
            if (swatch)
                outputs.claim(*swatch, "the swatch of " + input.string());
            const Palette palette = said_of_file(input.string(), [&] {
                return palette_for(in, input.string(), frames_of(input, in.options.running.limits));
            });
            if (!in.output && !in.quiet)
                std::cout << "# " << input.string() << "\n";
            emit(in, inputs, palette, input.stem().string(), file, swatch);
        } catch (const Error& e) {
            if (e.kind() == ErrorKind::invalid_argument || e.kind() == ErrorKind::cancelled)
                throw;
            // One bad, too large or unreachable input, or one whose file is taken, never stops
            // the others.
            status = fail(e);
        }
    }
    return status;
}

}  // namespace

int run_palette(int argc, char** argv) {
    return run_subcommand(argc, argv, "palette", make_parser(), help_text, read_invocation, run);
}

}  // namespace quantize::cli
