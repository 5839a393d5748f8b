#include "batch_command.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cxxopts.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tbb/global_control.h>
#include <tbb/info.h>

#include "exit_codes.hpp"
#include "quantize/batch.hpp"
#include "quantize/quantize.hpp"
#include "quantize_options.hpp"
#include "stop_signal.hpp"
#include "subcommand.hpp"

namespace quantize::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Invocation {
    BatchSources sources;
    std::optional<std::string> files_from;
    fs::path output_dir;
    std::string extension = ".png";
    Options options;
    BatchSettings settings;
    std::optional<std::pair<int, int>> shard;
    std::optional<fs::path> manifest;
    bool shared_palette = false;
    std::optional<fs::path> palette_in;
    std::optional<fs::path> palette_out;
    bool quiet = false;
    bool in_place = false;  // each input replaced by its output; output_dir empty
};

cxxopts::Options make_parser() {
    cxxopts::Options parser(
        "quantize batch",
        "Every image of folders, files and lists reduced to K colors, several at once. The\n"
        "outputs mirror the input tree under the -o folder; an output made from the same input\n"
        "with the same options is skipped, so an interrupted run resumes. One bad file never\n"
        "stops the others.\n");
    parser.custom_help("[options] -o DIR").positional_help("INPUT...");
    add_quantize_options(parser);
    add_encode_options(parser);
    // clang-format off
    parser.add_options()
        ("o,output", "folder to write into, mirroring the inputs' tree (created if missing)", cxxopts::value<std::string>(), "DIR")
        ("in-place", "replace each input with its output, in its own format, once the output is whole (no -o)")
        ("r,recursive", "take the images of subfolders too")
        ("include", "take only folder files matching GLOB (fnmatch; a GLOB with '/' matches the path under the folder); repeatable (default: image extensions)", cxxopts::value<std::vector<std::string>>(), "GLOB")
        ("exclude", "leave out files and subfolders matching GLOB; repeatable", cxxopts::value<std::vector<std::string>>(), "GLOB")
        ("files-from", "also take the files listed in LIST, one a line ('-' = standard input)", cxxopts::value<std::string>(), "LIST")
        ("format", "output format: " + output_format_names() + " (png: palette PNG)", cxxopts::value<std::string>()->default_value("png"), "EXT")
        ("j,jobs", "images processed at once (each held decoded in memory); 0 = one per core", cxxopts::value<int>()->default_value("0"), "N")
        ("f,force", "redo files whose output is up to date (made from the same input with the same options; skipped by default); replace an existing --palette-out file")
        ("keep-larger", "write outputs even when larger than their input (by default nothing is written for those)")
        ("manifest", "write one JSON line per file: every report field, or the error; replaces an earlier manifest, any other existing FILE only with --force", cxxopts::value<std::string>(), "FILE.jsonl")
        ("shard", "take only part I of N of the sorted file list (0 <= I < N): N runs with I = 0..N-1 split the files", cxxopts::value<std::string>(), "I/N")
        ("shared-palette", "one palette, trained on a sample of all the images, for every output")
        ("palette", "map every image to the colors of this palette file (hex, txt, css, gpl, pal or json)", cxxopts::value<std::string>(), "FILE")
        ("palette-out", "save the shared palette to FILE (format from its extension: hex, gpl, ase, ...); an existing FILE only with --force", cxxopts::value<std::string>(), "FILE");
    // clang-format on
    add_common_options(parser, "print nothing but errors (no progress, no summary)");
    return parser;
}

std::string help_text(cxxopts::Options& parser) {
    return parser.help() +
           "\nExamples:\n"
           "  quantize batch photos/ -o small/ -k 32 -r          # small/ mirrors photos/\n"
           "  quantize batch shots/ -o out/ --include '*.png' --exclude 'raw' -r "
           "--manifest out.jsonl\n"
           "  find . -name '*.jpg' | quantize batch --files-from - -o out/ --format webp\n"
           "  quantize batch frames/ -o out/ -k 64 --shared-palette --palette-out frames.gpl\n"
           "  parallel quantize batch photos/ -o out/ -r --shard {}/3 ::: 0 1 2\n\n"
           "On a terminal, progress is a bar on standard error; otherwise one line per file.\n"
           "The summary goes to standard output. Ctrl-C stops cleanly (no partial file) and\n"
           "prints the summary; running the same command again resumes.\n\n" +
           kExitStatusHelp;
}

// The output format's extension, ".png", ".jpg", ...
std::string read_extension(const std::string& format) {
    if (const auto known = parse_output_format(format))
        return format_info(*known).extensions.front();
    throw Error(ErrorKind::invalid_argument, "format",
                "must be " + output_format_names() + " (got '" + format + "')");
}

std::vector<std::string> strings(const cxxopts::ParseResult& args, const char* name) {
    return args.count(name) ? args[name].as<std::vector<std::string>>()
                            : std::vector<std::string>{};
}

Invocation read_invocation(const cxxopts::ParseResult& args) {
    Invocation in;
    for (const std::string& s : strings(args, "input"))
        in.sources.inputs.emplace_back(s);
    in.sources.recursive = args.count("recursive") > 0;
    in.sources.include = strings(args, "include");
    in.sources.exclude = strings(args, "exclude");
    if (args.count("files-from"))
        in.files_from = args["files-from"].as<std::string>();
    in.in_place = args.count("in-place") > 0;
    if (in.in_place && (args.count("output") || args.count("format"))) {
        throw Error(ErrorKind::invalid_argument, "in-place",
                    "replaces each input in its own format: it takes no --output or --format");
    }
    if (!args.count("output") && !in.in_place) {
        throw Error(ErrorKind::invalid_argument, "output",
                    "is required: the folder to write into (or --in-place)");
    }
    if (args.count("output"))
        in.output_dir = args["output"].as<std::string>();
    in.extension = read_extension(args["format"].as<std::string>());
    in.options = read_quantize_options(args);
    in.options.encoding.skip_if_larger = args.count("keep-larger") == 0;
    in.settings.jobs = args["jobs"].as<int>();
    if (in.settings.jobs < 0 || in.settings.jobs > 1024) {
        throw Error(ErrorKind::invalid_argument, "jobs",
                    "must be between 0 (one per core) and 1024 (got " +
                        std::to_string(in.settings.jobs) + ")");
    }
    in.settings.force = args.count("force") > 0;
    if (args.count("shard")) {
        const std::string text = args["shard"].as<std::string>();
        in.shard = parse_shard(text);
        if (!in.shard) {
            throw Error(ErrorKind::invalid_argument, "shard",
                        "must be I/N with 0 <= I < N, e.g. 0/4 (got '" + text + "')");
        }
    }
    if (args.count("manifest"))
        in.manifest = args["manifest"].as<std::string>();
    in.options.running.measure = in.manifest.has_value();  // nothing else shows the quality
    in.shared_palette = args.count("shared-palette") > 0;
    if (args.count("palette"))
        in.palette_in = args["palette"].as<std::string>();
    if (args.count("palette-out"))
        in.palette_out = args["palette-out"].as<std::string>();
    if (in.shared_palette && in.palette_in) {
        throw Error(ErrorKind::invalid_argument, "palette",
                    "and --shared-palette exclude each other (one gives the palette, the other "
                    "trains it)");
    }
    if (in.palette_in && in.options.clustering.choose_k == KChoice::elbow) {
        throw Error(ErrorKind::invalid_argument, "colors",
                    "auto cannot pick K for a given --palette: the palette is the colors");
    }
    if (in.palette_in && in.options.clustering.choose_k == KChoice::quality) {
        throw Error(ErrorKind::invalid_argument, "quality",
                    "cannot be met by a given --palette: no colors are chosen");
    }
    if (in.palette_out && !in.shared_palette) {
        throw Error(ErrorKind::invalid_argument, "palette-out",
                    "saves the palette --shared-palette trains: give --shared-palette too");
    }
    if (in.shared_palette && in.options.clustering.choose_k != KChoice::fixed) {
        throw Error(ErrorKind::invalid_argument, "shared-palette",
                    "trains one palette of -k colors: it takes a number for -k, not auto or "
                    "--quality");
    }
    in.quiet = args.count("quiet") > 0;
    return in;
}

// The paths listed in `name` ('-' = standard input), as parse_file_list reads them.
std::vector<fs::path> read_list(const std::string& name) {
    std::ifstream file;
    if (name != "-") {
        file.open(name, std::ios::binary);
        if (!file || fs::is_directory(name))
            throw Error(ErrorKind::input, name, "cannot open the file list");
    }
    std::istream& in = name == "-" ? std::cin : file;
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad())
        throw Error(ErrorKind::input, name, "read error in the file list");
    return parse_file_list(text);
}

// Creates the output folder when missing and checks that files can be made in it; returns
// why not, empty when they can. A read-only folder fails the run at once (exit 4) rather than
// every file one by one.
std::string prepare_output_folder(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir))
        return "cannot create the output folder" + (ec ? ": " + ec.message() : std::string());
    try {
        // The one reliable test (root ignores permission bits): make a file there. Uncommitted,
        // it leaves nothing behind.
        AtomicFile probe(dir / ".quantize-write-test", true);
    } catch (const Error& e) {
        return "cannot write in the output folder: " + e.cause();
    }
    return {};
}

std::string seconds(double s) {
    char text[32];
    const long whole = long(s);
    if (s < 60)
        std::snprintf(text, sizeof text, "%.1f s", s);
    else if (s < 3600)
        std::snprintf(text, sizeof text, "%ld:%02ld", whole / 60, whole % 60);
    else
        std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", whole / 3600, whole / 60 % 60,
                      whole % 60);
    return text;
}

std::string megabytes(std::uint64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", double(bytes) / 1e6);
    return text;
}

// What the run has done so far, for progress and the summary.
struct Tally {
    std::size_t total = 0;
    std::uint64_t total_bytes = 0;  // of all the inputs
    std::size_t done = 0, skipped = 0, failed = 0, cancelled = 0, too_low = 0;
    std::uint64_t bytes_seen = 0;               // inputs finished, whatever their status
    std::uint64_t bytes_in = 0, bytes_out = 0;  // of the files done
    std::vector<std::string> failures;          // "<file>: <cause>"
    std::vector<std::string> too_low_files;     // --quality: "<file>: <quality reached>"
    Clock::time_point start = Clock::now();

    std::size_t finished() const { return done + skipped + failed + cancelled + too_low; }
    double elapsed() const { return std::chrono::duration<double>(Clock::now() - start).count(); }

    void add(const BatchResult& r) {
        bytes_seen += r.input_bytes;
        switch (r.status) {
            case BatchStatus::done:
                ++done;
                bytes_in += r.input_bytes;
                bytes_out += r.output_bytes;
                break;
            case BatchStatus::skipped:
                ++skipped;
                break;
            case BatchStatus::failed:
                ++failed;
                failures.push_back(r.message);
                break;
            case BatchStatus::cancelled:
                ++cancelled;
                break;
            case BatchStatus::too_low:
                ++too_low;
                too_low_files.push_back(r.message);
                break;
        }
    }
};

// Progress on standard error: on a terminal, one bar redrawn in place; otherwise one plain
// line per file. Errors always get their line.
class ProgressDisplay {
  public:
    ProgressDisplay(const Tally& tally, bool quiet)
        : tally_(tally), quiet_(quiet), terminal_(::isatty(STDERR_FILENO) == 1) {}

    void started() {
        if (!quiet_ && terminal_)
            draw_bar();
    }

    void finished(const BatchResult& r) {
        if (terminal_ && !quiet_)
            std::cerr << "\r\x1b[K";
        if (r.status == BatchStatus::failed)
            fail(kSomeFailed, r.message);
        if (r.status == BatchStatus::too_low)
            fail(kQualityTooLow, r.message);
        if (!quiet_) {
            if (terminal_)
                draw_bar();
            else if (r.status != BatchStatus::failed && r.status != BatchStatus::too_low)
                std::cerr << printable(plain_line(r)) << "\n";
        }
        std::cerr.flush();
    }

    void clear() {
        if (terminal_ && !quiet_)
            std::cerr << "\r\x1b[K" << std::flush;
    }

  private:
    // "[=====>      ] 12/24 files  7.3/14.5 MB  3.1 files/s  ETA 4.0 s"
    void draw_bar() {
        constexpr int kWidth = 24;
        const Tally& t = tally_;
        const double fraction =
            t.total_bytes ? double(t.bytes_seen) / double(t.total_bytes)
                          : double(t.finished()) / double(std::max<std::size_t>(t.total, 1));
        const int filled = int(fraction * kWidth);
        std::string bar(std::size_t(filled), '=');
        if (filled < kWidth)
            bar += '>' + std::string(std::size_t(kWidth - filled - 1), ' ');
        const double elapsed = t.elapsed();
        std::cerr << "[" << bar << "] " << t.finished() << "/" << t.total << " files  "
                  << megabytes(t.bytes_seen) << "/" << megabytes(t.total_bytes) << " MB";
        if (t.finished() > 0 && elapsed > 0) {
            char rate[32];
            std::snprintf(rate, sizeof rate, "%.1f", double(t.finished()) / elapsed);
            std::cerr << "  " << rate << " files/s";
            if (fraction > 0.01 && fraction < 1)  // below 1%, a guess too wild to show
                std::cerr << "  ETA " << seconds(elapsed * (1 - fraction) / fraction);
        }
        if (t.failed > 0)
            std::cerr << "  " << t.failed << " failed";
        std::cerr.flush();
    }

    // "[3/24] done photos/a.png -> out/a.png (548,799 -> 38,078 B)", and ", K 42 by quality"
    // when the options chose K (the output is named after the input alone).
    std::string plain_line(const BatchResult& r) const {
        std::string line = "[" + std::to_string(tally_.finished()) + "/" +
                           std::to_string(tally_.total) + "] " + batch_status_name(r.status) + " " +
                           r.input.string();
        if (r.status == BatchStatus::done) {
            line += " -> " + r.output.string() + " (" + grouped(r.input_bytes) + " -> " +
                    grouped(r.output_bytes) + " B";
            if (r.report && r.report->k_choice != KChoice::fixed)
                line += ", K " + std::to_string(r.report->colors_chosen) + " by " +
                        k_choice_name(r.report->k_choice);
            line += ")";
        } else if (!r.message.empty()) {
            line += ": " + r.message;
        }
        return line;
    }

    const Tally& tally_;
    bool quiet_;
    bool terminal_;
};

void print_summary(const Tally& t, const BatchConcurrency& c, bool interrupted,
                   const std::string& left_out) {
    std::cout << "Files     " << t.done << " done, " << t.skipped << " skipped, " << t.failed
              << " failed, of " << t.total;
    if (t.too_low > 0)
        std::cout << "; " << t.too_low << " below the --quality minimum, not written";
    if (!left_out.empty())
        std::cout << "; " << left_out;
    std::cout << "\n";
    std::cout << "Bytes     " << grouped(t.bytes_in) << " B -> " << grouped(t.bytes_out) << " B";
    if (t.bytes_out > 0) {
        char ratio[32];
        std::snprintf(ratio, sizeof ratio, "%.2f", double(t.bytes_in) / double(t.bytes_out));
        std::cout << "  (ratio " << ratio << ")";
    }
    const double elapsed = t.elapsed();
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.2f", elapsed > 0 ? double(t.finished()) / elapsed : 0.0);
    std::cout << "\nTime      " << seconds(elapsed) << ", " << rate << " files/s, " << c.jobs
              << " job" << (c.jobs == 1 ? "" : "s") << " x " << c.threads_per_image << " thread"
              << (c.threads_per_image == 1 ? "" : "s") << "\n";
    struct rusage usage = {};
    if (::getrusage(RUSAGE_SELF, &usage) == 0)  // ru_maxrss is in KiB on Linux
        std::cout << "Memory    peak " << usage.ru_maxrss / 1024 << " MiB resident\n";
    if (interrupted) {
        std::cout << "Stopped   interrupted; "
                  << t.total - t.done - t.skipped - t.failed - t.too_low
                  << " files not done (run the same command again to resume)\n";
    }
    if (!t.failures.empty()) {
        std::vector<std::string> failures = t.failures;  // in list order, not completion order
        std::sort(failures.begin(), failures.end());
        std::cout << "Failed\n";
        for (const std::string& f : failures)
            std::cout << "  " << printable(f) << "\n";
    }
    if (!t.too_low_files.empty()) {
        std::vector<std::string> files = t.too_low_files;
        std::sort(files.begin(), files.end());
        std::cout << "Quality   below the --quality minimum (nothing written)\n";
        for (const std::string& f : files)
            std::cout << "  " << printable(f) << "\n";
    }
}

// The palette every image is mapped to, if one is asked for; nullopt otherwise.
std::optional<Palette> palette_for(const Invocation& in, const std::vector<BatchItem>& all,
                                   const OutputGuard& inputs) {
    if (in.palette_in)
        return read_palette_file(*in.palette_in);
    if (!in.shared_palette)
        return std::nullopt;
    // Trained on every file, not only this shard's, so that all shards share it.
    if (!in.quiet)
        std::cerr << "quantize: training one palette on " << all.size() << " files\n";
    Palette palette = train_shared_palette(all, in.options, in.settings);
    if (in.palette_out) {
        const PaletteFormat format = *palette_format_of(*in.palette_out);  // known: run checked it
        inputs.write(*in.palette_out, format_palette(palette, format), in.settings.force);
    }
    return palette;
}

// Adds the run's inputs that are not images: the file list and the palette file.
OutputGuard with_other_inputs(const Invocation& in, OutputGuard inputs) {
    if (in.files_from && *in.files_from != "-")
        inputs.protect(*in.files_from);
    if (in.palette_in)
        inputs.protect(*in.palette_in);
    return inputs;
}

// Bytes of an existing --manifest file read to tell what it is: its first lines.
constexpr std::size_t kManifestProbeBytes = 64 * 1024;

// Whether an existing --manifest may be replaced without --force: it is empty or a manifest
// (every whole line of its first 64 KiB a JSON object with a "status", as a run before this
// one wrote it), so a rerun's manifest takes the place of the last run's while a mistyped name
// never costs another file. A path that is not there is replaceable too.
bool replaceable_manifest(const fs::path& path) {
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(path, ec)))
        return true;
    std::ifstream file(path, std::ios::binary);
    std::string head(kManifestProbeBytes, '\0');
    file.read(head.data(), std::streamsize(head.size()));
    head.resize(std::size_t(file.gcount()));
    if (!file.eof()) {  // a longer file: its last, cut line left out
        const std::size_t end = head.rfind('\n');
        if (end == std::string::npos)
            return false;  // no line in 64 KiB: no manifest
        head.resize(end);
    }
    std::size_t at = 0;
    while (at < head.size()) {
        std::size_t end = head.find('\n', at);
        if (end == std::string::npos)
            end = head.size();
        const std::string_view line(head.data() + at, end - at);
        if (!line.empty() && (line.front() != '{' || line.find("\"status\":") == line.npos))
            return false;
        at = end + 1;
    }
    return true;
}

int run(Invocation& in) {
    if (in.files_from)
        in.sources.listed = read_list(*in.files_from);
    if (in.sources.inputs.empty() && in.sources.listed.empty())
        return fail(kUsage, "no input (folders, files or --files-from; see quantize batch --help)");
    install_stop_handlers();
    in.settings.keep_going = [] { return !stop_requested(); };

    LeftOut left_out;
    const std::vector<BatchItem> all =
        plan_batch(in.sources, in.output_dir, in.extension, &left_out);
    const std::string left_out_text = describe_left_out(left_out);
    // In place, each output is its own input, which the guard would refuse: only the run's
    // other files (list, palette) are protected then.
    const OutputGuard inputs =
        with_other_inputs(in, in.in_place ? OutputGuard() : batch_inputs(in.sources, all));
    // Every refusal before anything is made: a refused run leaves no empty output folder.
    if (in.manifest) {
        inputs.check(*in.manifest);
        if (!in.settings.force && !replaceable_manifest(*in.manifest)) {
            throw Error(ErrorKind::output, in.manifest->string(),
                        "exists and is not a manifest: it is replaced only with --force");
        }
    }
    if (in.palette_out) {
        inputs.check(*in.palette_out);  // before the training, not after
        if (!palette_format_of(*in.palette_out)) {
            throw Error(ErrorKind::invalid_argument, "palette-out",
                        "cannot tell the format from '" + in.palette_out->string() +
                            "': use a .hex, .txt, .json, .css, .gpl, .ase, .aco or .pal name");
        }
        // Never lost: an existing file is replaced only with --force, as every other output.
        check_not_taken(*in.palette_out, in.settings.force);
    }
    if (!in.in_place) {
        if (const std::string problem = prepare_output_folder(in.output_dir); !problem.empty())
            return fail(kOutputError, in.output_dir.string() + ": " + problem);
    }
    // Written whole at the end (also when interrupted): a killed run leaves no partial manifest.
    std::optional<AtomicFile> manifest;
    if (in.manifest)
        manifest.emplace(inputs.open(*in.manifest, true));
    const std::vector<BatchItem> items =
        in.shard ? shard_of(all, in.shard->first, in.shard->second) : all;
    if (items.empty() && !in.quiet) {
        std::cerr << "quantize: no image to do ("
                  << (left_out_text.empty() ? "" : left_out_text + "; ")
                  << "folders take image extensions, or --include; subfolders need "
                     "--recursive)\n";
    } else if (!left_out_text.empty() && !in.quiet) {
        std::cerr << "quantize: " << left_out_text << "\n";
    }
    Tally tally;
    tally.total = items.size();
    for (const BatchItem& item : items) {
        std::error_code ec;
        const auto size = fs::file_size(item.input, ec);
        tally.total_bytes += ec ? 0 : size;
    }
    ProgressDisplay display(tally, in.quiet);
    const BatchConcurrency concurrency = batch_concurrency(in.settings, in.options);
    bool interrupted = false;
    try {
        if (const auto palette = palette_for(in, all, inputs)) {
            in.options.clustering.palette = *palette;
            in.options.clustering.colors = int(palette->size());
        }
        // More jobs than cores (files on a slow network share) need more threads than oneTBB
        // starts by default; the limit is process-wide, so the command sets it, not the library.
        std::optional<tbb::global_control> thread_limit;
        if (concurrency.jobs > tbb::info::default_concurrency())
            thread_limit.emplace(tbb::global_control::max_allowed_parallelism,
                                 std::size_t(concurrency.jobs));
        display.started();
        quantize::run_batch(
            items, in.options, in.settings,
            [&](const BatchResult& r) {
                tally.add(r);
                display.finished(r);
                if (manifest)
                    manifest->write(format_manifest_line(r) + "\n");
            },
            inputs);
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::cancelled)
            throw;
    }
    interrupted = stop_requested();
    if (manifest)
        manifest->commit();
    display.clear();
    if (!in.quiet)
        print_summary(tally, concurrency, interrupted, left_out_text);
    if (interrupted)
        return kCancelled;
    if (tally.failed > 0)
        return kSomeFailed;
    return tally.too_low > 0 ? kQualityTooLow : kOk;
}

}  // namespace

int run_batch(int argc, char** argv) {
    return run_subcommand(argc, argv, "batch", make_parser(), help_text, read_invocation, run);
}

}  // namespace quantize::cli
