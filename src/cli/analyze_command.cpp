#include "analyze_command.hpp"

#include <cxxopts.hpp>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "analyze_chart.hpp"
#include "exit_codes.hpp"
#include "quantize/analyze.hpp"
#include "quantize_options.hpp"
#include "run_outputs.hpp"
#include "subcommand.hpp"

namespace quantize::cli {

namespace {

namespace fs = std::filesystem;

// How the table is printed. One row each in format_for's switch.
enum class TableFormat { text, json, csv };

struct Invocation {
    fs::path input;
    Options options;
    int k_max = 256;
    TableFormat format = TableFormat::text;
    std::optional<fs::path> output;  // the table, else standard output
    std::optional<fs::path> plot;
    SweepMethod method = kChoiceSweep;
    bool force = false;
    bool quiet = false;  // no table on standard output (files are still written)
};

cxxopts::Options make_parser() {
    cxxopts::Options parser(
        "quantize analyze",
        "How many colors an image needs: k-means at every K from 2 to KMAX (every K to 16, then\n"
        "steps of at most 1/8 of K) from one shared sweep, with inertia, MSE, PSNR, quality,\n"
        "mean CIEDE2000, SSIM, PNG bytes, silhouette and Davies-Bouldin per K, then the K to\n"
        "pick: the elbow, the best silhouette and the fewest colors per quality level.\n");
    parser.custom_help("[options]").positional_help("INPUT");
    add_quantize_options(parser, ColorsMeaning::largest_k);
    // clang-format off
    parser.add_options()
        ("plot", "also draw the curves as a PNG chart", cxxopts::value<std::string>(), "FILE.png")
        ("sweep", "how the sweep goes from K to K: merging (down from KMAX; the default) or bisecting (up from 2, splitting)", cxxopts::value<std::string>()->default_value(sweep_method_name(kChoiceSweep)), "METHOD")
        ("json", "print one JSON document (rows and picks)")
        ("csv", "print CSV, one line per K (the picks are in text and JSON)")
        ("o,output", "write the table to FILE instead of standard output (- = standard output)", cxxopts::value<std::string>(), "FILE")
        ("f,force", "overwrite existing output files");
    // clang-format on
    add_common_options(parser, "print no table (files given with -o and --plot are written)");
    return parser;
}

std::string help_text(cxxopts::Options& parser) {
    return parser.help() +
           "\nWhere each column is measured: inertia, MSE, PSNR, quality and Davies-Bouldin on\n"
           "the training sample; silhouette on 1,000 of its colors; SSIM, mean CIEDE2000 and PNG\n"
           "bytes on a preview of at most 262,144 pixels (16 full-resolution tiles of a larger\n"
           "image), CIEDE2000 on 16,384 of them. Images over 0.26 MP get estimates: on the\n"
           "12 MP test photo, PNG bytes +1..+21% and mean CIEDE2000 -6..+9% of a -k K run's\n"
           "(see README, Choosing K).\n"
           "\nExamples:\n"
           "  quantize analyze photo.jpg\n"
           "  quantize analyze photo.jpg -k 64 --plot photo-k.png\n"
           "  quantize analyze photo.jpg --csv -o photo-k.csv\n\n" +
           kExitStatusHelp;
}

Invocation read_invocation(const cxxopts::ParseResult& args) {
    Invocation in;
    if (args.count("input")) {
        const auto inputs = args["input"].as<std::vector<std::string>>();
        if (inputs.size() > 1) {
            throw Error(ErrorKind::invalid_argument, "input",
                        "takes one image (got " + std::to_string(inputs.size()) + ")");
        }
        in.input = inputs.front();
    }
    in.options = read_quantize_options(args);
    if (in.options.clustering.choose_k != KChoice::fixed)
        throw Error(ErrorKind::invalid_argument, "colors", "must be a number for analyze");
    in.k_max = args.count("colors") ? in.options.clustering.colors : 256;
    if (in.k_max < 2) {
        throw Error(ErrorKind::invalid_argument, "colors",
                    "must be between 2 and 256 for analyze (got " + std::to_string(in.k_max) + ")");
    }
    if (args.count("json") && args.count("csv"))
        throw Error(ErrorKind::invalid_argument, "csv", "and --json exclude each other");
    if (args.count("json"))
        in.format = TableFormat::json;
    if (args.count("csv"))
        in.format = TableFormat::csv;
    if (args.count("output") && args["output"].as<std::string>() != "-")
        in.output = args["output"].as<std::string>();
    if (args.count("plot")) {
        in.plot = args["plot"].as<std::string>();
        if (in.plot->extension() != ".png")
            throw Error(ErrorKind::invalid_argument, "plot", "must name a .png file");
    }
    const std::string sweep = args["sweep"].as<std::string>();
    const auto method = parse_sweep_method(sweep);
    if (!method) {
        throw Error(ErrorKind::invalid_argument, "sweep",
                    "must be bisecting or merging (got '" + sweep + "')");
    }
    in.method = *method;
    in.force = args.count("force") > 0;
    in.quiet = args.count("quiet") > 0;
    return in;
}

std::string table_of(const Analysis& analysis, TableFormat format) {
    switch (format) {
        case TableFormat::text:
            return format_analysis_text(analysis);
        case TableFormat::json:
            return format_analysis_json(analysis) + "\n";
        case TableFormat::csv:
            return format_analysis_csv(analysis);
    }
    return {};
}

int run(const Invocation& in) {
    if (in.input.empty())
        return fail(kUsage, "no input image (see quantize analyze --help)");
    RunOutputs outputs{OutputGuard(std::span(&in.input, 1))};
    const OutputGuard& inputs = outputs.guard();
    // Every output is checked before the work, so a bad name costs nothing.
    if (in.output)
        outputs.check_and_claim(*in.output, "the table", in.force);
    if (in.plot) {
        check_output_path(inputs, *in.plot, in.force);
        outputs.claim(*in.plot, "the --plot chart");
    }
    const Image image = read_image(in.input, in.options.running.limits);
    const Analysis analysis = said_of_file(
        in.input.string(), [&] { return analyze(image, in.options, in.k_max, in.method); });
    const std::string table = table_of(analysis, in.format);
    if (in.plot)
        plot::write_png(plot::analysis_figure(analysis), *in.plot, inputs, in.force);
    if (in.output) {
        inputs.write(*in.output,
                     std::span(reinterpret_cast<const std::uint8_t*>(table.data()), table.size()),
                     in.force);
    } else if (!in.quiet) {
        std::cout << table;
    }
    return kOk;
}

}  // namespace

int run_analyze(int argc, char** argv) {
    return run_subcommand(argc, argv, "analyze", make_parser(), help_text, read_invocation, run);
}

}  // namespace quantize::cli
