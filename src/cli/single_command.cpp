#include "single_command.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <cxxopts.hpp>
#include <fstream>
#include <iostream>
#include <iterator>
#include <new>
#include <optional>
#include <string>

#include "exit_codes.hpp"
#include "quantize/quantize.hpp"
#include "quantize_options.hpp"
#include "run_outputs.hpp"
#include "stop_signal.hpp"
#include "subcommand.hpp"
#include "watch.hpp"

namespace quantize::cli {

namespace {

namespace fs = std::filesystem;

// "-" as INPUT or as -o's value: standard input or output.
constexpr std::string_view kStandardStream = "-";

struct Invocation {
    std::vector<std::string> inputs;
    std::optional<std::string> output;
    std::optional<ImageFormat> format;  // --format: output format apart from a file name
    std::optional<std::string> ext;     // --ext: suffix of outputs beside their inputs
    bool in_place = false;
    Options options;
    WatchRequest watch;  // --trace, --animate, --plot-clusters, --plot-convergence
    bool force = false;
    bool json = false;
    bool quiet = false;
};

cxxopts::Options make_parser() {
    cxxopts::Options parser("quantize",
                            "Reduce images to K colors with k-means (k-means++ seeding on a "
                            "random sample,\nthen every pixel replaced by its nearest centroid). "
                            "Prints the palette and a\ncompression report.\n");
    parser.custom_help("[options]").positional_help("INPUT...");
    add_quantize_options(parser);
    add_encode_options(parser);
    add_watch_options(parser, true);
    // clang-format off
    parser.add_options()
        ("o,output", "output file; its extension picks the format: .png (palette PNG), .gif, .jpg, .webp, .tif, .bmp; - = standard output, with --format (default: STEM-K.png beside each input)", cxxopts::value<std::string>(), "PATH")
        ("format", "output format: png, gif, jpg, webp, tif or bmp; required with -o -, else names the default outputs STEM-K.FORMAT", cxxopts::value<std::string>(), "F")
        ("ext", "name each output STEM + SUFFIX beside its input (e.g. -small.png); the suffix's extension picks the format", cxxopts::value<std::string>(), "SUFFIX")
        ("in-place", "replace each input with its output, atomically, once the output is fully written (the input's format)")
        ("f,force", "overwrite an existing output file (never an input, except with --in-place)")
        ("frame", "of an animation, write frame N alone (0-based), as a still image (default: every frame when the output is gif or webp, else the first)", cxxopts::value<int>(), "N")
        ("palette-per-frame", "of an animation, fit a palette to each frame instead of one shared by all")
        ("skip-if-larger", "write nothing when the output would be larger than the input (exit 5)")
        ("json", "print the report as one JSON document (several inputs: one line each)")
        ("V,version", "print the version and exit");
    // clang-format on
    add_common_options(parser,
                       "print nothing but errors (and measure no quality: nothing would show it)");
    return parser;
}

std::string help_text(cxxopts::Options& parser) {
    return parser.help() +
           "\nExamples:\n"
           "  quantize photo.jpg -k 16              # writes photo-16.png beside photo.jpg\n"
           "  quantize photo.jpg -k 64 -o small.png --json > report.json\n"
           "  quantize scan.tif -k 8 -o scan.webp --seed 7 --threads 2\n"
           "  quantize a.png b.jpg c.webp -k 64     # a-64.png, b-64.png, c-64.png\n"
           "  quantize icons/*.png -k 32 --in-place # each input replaced by its output\n"
           "  cat a.jpg | quantize - -k 32 -o - --format png > b.png\n\n"
           "Other commands:\n"
           "  quantize palette INPUT... -k K   the dominant colors as a palette file "
           "(see quantize palette --help)\n"
           "  quantize batch INPUT... -o DIR   every image of folders and lists, in parallel "
           "(see quantize batch --help)\n\n" +
           kExitStatusHelp;
}

[[noreturn]] void usage(const char* option, const std::string& cause) {
    throw Error(ErrorKind::invalid_argument, option, cause);
}

// Checks the ways of naming outputs against each other and the inputs.
void check_output_naming(const Invocation& in) {
    const bool from_stdin =
        std::find(in.inputs.begin(), in.inputs.end(), kStandardStream) != in.inputs.end();
    if (from_stdin && in.inputs.size() > 1)
        usage("input", "- (standard input) must be the only input");
    if (in.output && in.inputs.size() > 1) {
        usage("output",
              "names one file: with several inputs each output goes beside its "
              "input (--ext names them)");
    }
    if (in.in_place && (in.output || in.ext))
        usage("in-place", "replaces each input: it takes no --output or --ext");
    if (in.in_place && from_stdin)
        usage("in-place", "needs files, not standard input");
    if (in.output && in.ext)
        usage("ext", "names outputs beside their inputs: it takes no --output");
    if (in.watch.any() && in.inputs.size() > 1)
        usage("trace", "and the other k-means views (--animate, --plot-*) take one input");
    if (in.watch.any() && in.options.clustering.palette_per_frame)
        usage("palette-per-frame",
              "runs k-means once per frame; --trace, --animate and --plot-* watch one run");
    if (from_stdin && (in.watch.animate || in.watch.plot_clusters))
        usage(in.watch.animate ? "animate" : "plot-clusters",
              "needs an input file, not standard input");
    if (from_stdin && !in.output)
        usage("output", "is required with standard input: a file, or - with --format");
    if (in.output == kStandardStream && !in.format)
        usage("format", "is required with -o - (" + output_format_names() + ")");
    if (in.format && in.output && *in.output != kStandardStream && format_of(*in.output) &&
        *format_of(*in.output) != *in.format) {
        usage("format", std::string(format_info(*in.format).name) + " disagrees with " +
                            *in.output + "'s extension");
    }
}

Invocation read_invocation(const cxxopts::ParseResult& args) {
    Invocation in;
    if (args.count("input"))
        in.inputs = args["input"].as<std::vector<std::string>>();
    if (args.count("output"))
        in.output = args["output"].as<std::string>();
    if (args.count("format")) {
        const std::string name = args["format"].as<std::string>();
        in.format = parse_output_format(name);
        if (!in.format)
            usage("format", "must be " + output_format_names() + " (got '" + name + "')");
    }
    if (args.count("ext")) {
        in.ext = args["ext"].as<std::string>();
        if (in.ext->empty() || in.ext->find('/') != std::string::npos || !format_of("x" + *in.ext))
            usage("ext", "must end in an image extension, e.g. -small.png (got '" + *in.ext + "')");
    }
    in.in_place = args.count("in-place") > 0;
    in.options = read_quantize_options(args);
    in.force = args.count("force") > 0;
    in.options.encoding.skip_if_larger = args.count("skip-if-larger") > 0;
    if (args.count("frame")) {
        in.options.encoding.frame = args["frame"].as<int>();
        if (in.options.encoding.frame < 0)
            usage("frame", "must be 0 or more, 0 the first frame (got " +
                               std::to_string(in.options.encoding.frame) + ")");
    }
    in.options.clustering.palette_per_frame = args.count("palette-per-frame") > 0;
    in.json = args.count("json") > 0;
    in.quiet = args.count("quiet") > 0;
    in.options.running.measure = !in.quiet;  // nothing else shows the quality
    in.watch = read_watch_options(args, true);
    check_output_naming(in);
    return in;
}

// Whether the output is named after a K not known before the run: the default name when the
// options choose K (-k auto, --quality).
bool named_after_chosen_k(const Invocation& in) {
    return !in.in_place && !in.output && !in.ext &&
           in.options.clustering.choose_k != KChoice::fixed;
}

// Where the output of `input` goes, as the invocation names it.
fs::path output_for(const Invocation& in, const fs::path& input) {
    if (in.in_place)
        return input;
    if (in.output)
        return *in.output;
    if (in.ext)
        return input.parent_path() / (input.stem().string() + *in.ext);
    fs::path output = default_output_path(input, in.options.clustering.colors);
    if (in.format)
        output.replace_extension(format_info(*in.format).extensions.front());
    return output;
}

std::vector<std::uint8_t> read_standard_input() {
    std::vector<std::uint8_t> bytes;
    std::uint8_t block[1 << 16];
    for (std::size_t n; (n = std::fread(block, 1, sizeof block, stdin)) > 0;)
        bytes.insert(bytes.end(), block, block + n);
    if (std::ferror(stdin)) {
        throw Error(ErrorKind::input, "standard input",
                    std::string("read error: ") + std::strerror(errno));
    }
    return bytes;
}

std::vector<std::uint8_t> read_input_bytes(const std::string& input) {
    if (input == kStandardStream)
        return read_standard_input();
    std::ifstream file(input, std::ios::binary);
    if (!file || fs::is_directory(input))
        throw Error(ErrorKind::input, input, "cannot open: " + std::string(std::strerror(errno)));
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

// The run's inputs, every output is checked against them: all files named, except in place
// (each output is its own input, and only that one).
OutputGuard guard_of(const Invocation& in) {
    OutputGuard guard;
    if (in.in_place)
        return guard;
    for (const std::string& input : in.inputs) {
        if (input != kStandardStream)
            guard.protect(input);
    }
    return guard;
}

// Claims a run's image output for `input`: no two inputs write one file (a.png and a.jpg both
// naming a-8.png, or one input named twice).
void claim_image(RunOutputs& outputs, const fs::path& output, const std::string& input) {
    outputs.claim(output, "the output of " + input, "name the outputs apart with --ext");
}

// A file whose default output name holds the K the run chose: quantized in memory, then named,
// checked against the input and written with its tag.
Report quantize_naming_chosen_k(const Invocation& in, const std::string& input,
                                const Options& options, RunOutputs& outputs,
                                const Progress& progress) {
    const fs::path provisional = output_for(in, input);
    const ImageFormat format = *format_of(provisional);
    EncodedImage result =
        quantize_encoded(read_input_bytes(input), input, format, provisional, options, progress);
    Report& r = result.report;
    fs::path output = default_output_path(input, r.colors_chosen);
    output.replace_extension(provisional.extension());
    const OutputGuard& guard = outputs.guard();
    check_output_path(guard, output, in.force);
    claim_image(outputs, output, input);
    r.output = output;
    r.written = !(options.encoding.skip_if_larger && r.output_bytes > r.input_bytes);
    if (r.written)
        guard.write(output, result.bytes, in.force, output_tag(input, output, options));
    return std::move(r);
}

// One input to its output. Standard input and output go through memory; files through
// quantize_file, checked against the input (or, with --in-place, written over it).
Report quantize_image(const Invocation& in, const std::string& input, const Options& options,
                      RunOutputs& outputs, const Progress& progress) {
    if (input != kStandardStream && named_after_chosen_k(in))
        return quantize_naming_chosen_k(in, input, options, outputs, progress);
    const fs::path output = output_for(in, input);
    const bool to_stdout = output == kStandardStream;
    if (!to_stdout)
        claim_image(outputs, output, input);
    if (input != kStandardStream && !to_stdout) {
        if (in.in_place) {
            const auto format = format_of(input);
            if (!format || !format_info(*format).writes) {
                throw Error(ErrorKind::output, input,
                            "--in-place keeps the input's format, which quantize does not write "
                            "(it writes " +
                                output_format_names() + ")");
            }
            return quantize_file(input, output, options, true, progress, OutputGuard());
        }
        return quantize_file(input, output, options, in.force, progress, outputs.guard());
    }
    const OutputGuard& no_inputs = outputs.guard();  // standard input is no file to protect
    if (!to_stdout)
        check_output_path(no_inputs, output, in.force);
    const std::vector<std::uint8_t> bytes = read_input_bytes(input);
    const fs::path input_name =
        input == kStandardStream ? fs::path("standard input") : fs::path(input);
    const ImageFormat format = to_stdout ? *in.format : *format_of(output);
    EncodedImage result =
        quantize_encoded(bytes, input_name, format,
                         to_stdout ? fs::path("standard output") : output, options, progress);
    Report& r = result.report;
    r.written = !(options.encoding.skip_if_larger && r.output_bytes > r.input_bytes);
    if (r.written && to_stdout)
        std::fwrite(result.bytes.data(), 1, result.bytes.size(), stdout);
    else if (r.written)
        no_inputs.write(output, result.bytes, in.force);
    return std::move(r);
}

// The picture --animate and --plot-clusters show: the image, or of an animation the frame
// --frame names, else its first frame, with a note that the palette was fitted to them all.
Image watched_frame(const std::string& input, const Options& options) {
    Animation animation = read_animation(input, options.running.limits);
    const std::size_t frames = animation.frames.size();
    const int asked = options.encoding.frame;
    if (asked >= 0 && std::size_t(asked) < frames)
        return std::move(animation.frames[std::size_t(asked)].image);
    if (frames > 1) {
        std::cerr << "quantize: note: " << input << " has " << frames
                  << " frames: --animate and --plot-clusters show frame 0, mapped to the "
                     "palette fitted to all of them (--frame N watches frame N alone)\n";
    }
    return std::move(animation.frames.front().image);
}

// quantize_image, watched when the invocation asks for a trace, plots or an animation: their
// files are checked against the input before any work and written after the image.
Report quantize_one(const Invocation& in, const std::string& input, RunOutputs& outputs,
                    const Progress& progress) {
    if (!in.watch.any())
        return quantize_image(in, input, in.options, outputs, progress);
    const OutputGuard& guard = outputs.guard();
    // The image's own name first, when known now, so a view named like it is the one refused.
    if (const fs::path output = output_for(in, input);
        output != kStandardStream && !named_after_chosen_k(in))
        claim_image(outputs, output, input);
    for (const auto& [option, file] : in.watch.outputs())
        outputs.check_and_claim(file, "the " + option + " file", in.force);
    KMeansRecorder recorder;
    Options watched = in.options;
    watched.running.observer = &recorder;
    Report report = quantize_image(in, input, watched, outputs, progress);
    if (!report.written)
        return report;  // --skip-if-larger: nothing at all is written
    std::vector<Image> images;
    if (in.watch.animate || in.watch.plot_clusters)
        images.push_back(watched_frame(input, in.options));
    write_watch_outputs(in.watch, recorder, in.options, images, guard, in.force);
    return report;
}

int run(const Invocation& in) {
    if (in.inputs.empty())
        return fail(kUsage, "no input image (see quantize --help)");
    const bool several = in.inputs.size() > 1;
    // The report goes where the image does not.
    std::FILE* report_stream = in.output == kStandardStream ? stderr : stdout;
    int failed = 0, skipped = 0, too_low = 0;
    RunOutputs outputs(guard_of(in));
    // Ctrl-C or SIGTERM stops the file in flight at its next poll: no output is left half
    // written, and the run ends with exit 130.
    install_stop_handlers();
    const Progress progress = [](Stage) { return !stop_requested(); };
    for (const std::string& input : in.inputs) {
        if (stop_requested())
            return fail(kCancelled, "interrupted before " + input);
        try {
            const Report report = quantize_one(in, input, outputs, progress);
            skipped += report.written ? 0 : 1;
            if (in.quiet)
                continue;
            std::string text;
            if (in.json) {
                text = format_json(report, several ? -1 : 2) + "\n";
            } else {
                if (several)
                    text = "==> " + input + " -> " + report.output.string() + " <==\n";
                text += format_text(report);
            }
            std::fwrite(text.data(), 1, text.size(), report_stream);
        } catch (const Error& e) {
            if (e.kind() == ErrorKind::cancelled)
                return fail(kCancelled, input + ": interrupted; its output was not written");
            if (!several)
                throw;
            // One bad file never stops the others; those below --quality are counted apart.
            (e.kind() == ErrorKind::quality_too_low ? too_low : failed) += 1;
            fail(e);
        } catch (const std::bad_alloc&) {
            if (!several)
                throw;
            ++failed;
            fail(kInputError, input + ": out of memory");
        }
    }
    if (failed > 0)
        return kSomeFailed;
    if (too_low > 0)
        return kQualityTooLow;
    return skipped > 0 ? kSkipped : kOk;
}

}  // namespace

int run_single(int argc, char** argv) {
    cxxopts::Options parser = make_parser();
    Invocation in;
    std::vector<std::string> inputs;
    try {
        const cxxopts::ParseResult args = parser.parse(argc, argv);
        if (args.count("help")) {
            std::cout << help_text(parser);
            return kOk;
        }
        if (args.count("version")) {
            std::cout << "quantize " << version << "\n";
            return kOk;
        }
        if (args.count("input"))
            inputs = args["input"].as<std::vector<std::string>>();
        in = read_invocation(args);
    } catch (const cxxopts::exceptions::exception& e) {
        return fail(kUsage, refused_command_line(e, argc, argv) + " (see quantize --help)");
    } catch (const Error& e) {
        // Named after the input, as every other error line is, when there is one.
        const std::string subject = inputs.size() == 1 ? inputs.front() + ": " : "";
        return fail(kUsage, subject + "--" + e.subject() + " " + e.cause());
    }
    try {
        return run(in);
    } catch (const Error& e) {
        return fail(e);
    } catch (const std::bad_alloc&) {
        return fail(kInputError, in.inputs.front() + ": out of memory");
    } catch (const std::exception& e) {
        return fail(kFailure, in.inputs.front() + ": " + e.what());
    }
}

}  // namespace quantize::cli
