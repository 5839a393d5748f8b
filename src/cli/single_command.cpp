#include "single_command.hpp"

#include <cxxopts.hpp>
#include <iostream>
#include <new>
#include <optional>
#include <string>

#include "exit_codes.hpp"
#include "quantize/quantize.hpp"
#include "quantize_options.hpp"

namespace quantize::cli {

namespace {

struct Invocation {
    std::string input;
    std::optional<std::string> output;
    Options options;
    bool force = false;
    bool json = false;
    bool quiet = false;
};

cxxopts::Options make_parser() {
    cxxopts::Options parser("quantize",
                            "Reduce an image to K colors with k-means (k-means++ seeding on a "
                            "random sample,\nthen every pixel replaced by its nearest centroid). "
                            "Prints the palette and a\ncompression report.\n");
    parser.custom_help("[options]").positional_help("INPUT");
    add_quantize_options(parser);
    add_encode_options(parser);
    // clang-format off
    parser.add_options()
        ("o,output", "output file; its extension picks the format: .png (palette PNG), .jpg, .webp, .tif, .bmp (default: STEM-K.png beside the input)", cxxopts::value<std::string>(), "PATH")
        ("f,force", "overwrite an existing output file")
        ("skip-if-larger", "write nothing when the output would be larger than the input (exit 5)")
        ("json", "print the report as one JSON document")
        ("V,version", "print the version and exit");
    // clang-format on
    add_common_options(parser, "print nothing but errors");
    return parser;
}

std::string help_text(cxxopts::Options& parser) {
    return parser.help() +
           "\nExamples:\n"
           "  quantize photo.jpg -k 16              # writes photo-16.png beside photo.jpg\n"
           "  quantize photo.jpg -k 64 -o small.png --json > report.json\n"
           "  quantize scan.tif -k 8 -o scan.webp --seed 7 --threads 2\n\n"
           "Other commands:\n"
           "  quantize palette INPUT... -k K   the dominant colors as a palette file "
           "(see quantize palette --help)\n"
           "  quantize batch INPUT... -o DIR   every image of folders and lists, in parallel "
           "(see quantize batch --help)\n\n" +
           kExitStatusHelp;
}

}  // namespace

int run_single(int argc, char** argv) {
    cxxopts::Options parser = make_parser();
    Invocation in;
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
        const auto inputs = args.count("input") ? args["input"].as<std::vector<std::string>>()
                                                : std::vector<std::string>{};
        if (inputs.size() != 1) {
            return fail(kUsage, inputs.empty() ? "no input image (see quantize --help)"
                                               : "one input image at a time (see quantize --help)");
        }
        in.input = inputs.front();
        if (args.count("output"))
            in.output = args["output"].as<std::string>();
        in.options = read_quantize_options(args);
        in.force = args.count("force") > 0;
        in.options.skip_if_larger = args.count("skip-if-larger") > 0;
        in.json = args.count("json") > 0;
        in.quiet = args.count("quiet") > 0;
    } catch (const cxxopts::exceptions::exception& e) {
        return fail(kUsage, std::string(e.what()) + " (see quantize --help)");
    } catch (const Error& e) {
        return fail(kUsage, in.input + ": --" + e.subject() + " " + e.cause());
    }
    try {
        const std::filesystem::path output = in.output
                                                 ? std::filesystem::path(*in.output)
                                                 : default_output_path(in.input, in.options.colors);
        const Report report = quantize_file(in.input, output, in.options, in.force);
        if (!in.quiet)
            std::cout << (in.json ? format_json(report) + "\n" : format_text(report));
        return report.written ? kOk : kSkipped;
    } catch (const Error& e) {
        return fail(exit_code_for(e.kind()), e.what());
    } catch (const std::bad_alloc&) {  // past decoding (which words its own): a file too big
        return fail(kInputError, in.input + ": out of memory");
    } catch (const std::exception& e) {
        return fail(kFailure, in.input + ": " + e.what());
    }
}

}  // namespace quantize::cli
