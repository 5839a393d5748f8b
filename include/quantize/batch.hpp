// Many files at once: which files a batch takes (folders walked, globs, lists), where each
// output goes (the input tree mirrored under one folder), how the list splits into shards for
// several machines, and the runner that quantizes them concurrently with a bounded number of
// images decoded at a time, one bad file never stopping the others.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "quantize/error.hpp"
#include "quantize/quantize.hpp"

namespace quantize {

// Where a batch's files come from.
struct BatchSources {
    // Folders (their files taken, filtered by the globs) and files (taken as they are, their
    // output named after the file alone).
    std::vector<std::filesystem::path> inputs;
    // Files listed one a line (--files-from); each keeps its relative path under the output
    // folder (an absolute path, or one climbing out with "..", keeps only its name).
    std::vector<std::filesystem::path> listed;
    bool recursive = false;  // walk subfolders too
    // fnmatch(3) globs on folder contents: a glob with a '/' is matched against the path
    // relative to the folder walked, any other against the file name. A file is taken when it
    // matches an include glob (none given: when its extension is an image format's) and no
    // exclude glob; a subfolder matching an exclude glob is not walked. Hidden files and
    // folders (name starting with '.') are left out of walks.
    std::vector<std::string> include;
    std::vector<std::string> exclude;
};

// The paths of a file list (--files-from): one a line, a CR before the LF dropped, blank lines
// (and lines of spaces and tabs alone) skipped. A line holding a NUL byte cannot name a file:
// Error(input) with subject "file list".
std::vector<std::filesystem::path> parse_file_list(std::string_view text);

// One file of a batch.
struct BatchItem {
    std::filesystem::path input;
    std::filesystem::path output;
    // Non-empty when the file cannot be done whatever happens (its output would collide with
    // another's, or be an input): the cause, reported as the file's failure.
    std::string problem;
};

// The sorted list of a batch's files (by input path, name by name, duplicates removed) with their
// outputs: output_dir / (path under its folder, extension replaced by `extension`, e.g.
// ".png"). Anything inside output_dir is never an input, so earlier outputs are not fed back.
// A folder that cannot be read is an item whose problem says so. An empty output_dir plans the
// batch in place: each file is its own output, in its own format. Throws
// Error(invalid_argument) when output_dir is an input folder or holds one.
// Files a folder walk left out because their extension names an image format quantize does not
// read (unread_format_of: .gif, .psd, .heic before it was read, ...), counted by extension in
// lower case. Only walks without include globs count (with them, the globs chose).
struct LeftOut {
    std::map<std::string, std::size_t> by_extension;
    // Files named or listed that lie inside the output folder: outputs of this or an earlier
    // run (a shell glob or `find` that reaches OUT_DIR), never taken as inputs.
    std::size_t in_output_folder = 0;
    std::size_t total() const;  // of by_extension
};
// "left out 3 files of formats quantize does not read (.gif 2, .psd 1)", then "; left out 2
// files named inside the output folder (never inputs: outputs go there)" when there are; ""
// when none.
std::string describe_left_out(const LeftOut& left_out);

std::vector<BatchItem> plan_batch(const BatchSources& sources,
                                  const std::filesystem::path& output_dir,
                                  const std::string& extension, LeftOut* left_out = nullptr);

// True when `relative` (a path under a walked folder) passes the include and exclude globs.
bool glob_selects(const std::filesystem::path& relative, std::span<const std::string> include,
                  std::span<const std::string> exclude);

// The index-th (0-based) of `count` disjoint shards of a plan: items index, index + count,
// index + 2 count, ... of the sorted list. Every machine given the same inputs computes the
// same list, so shards 0..count-1 together take every file exactly once.
std::vector<BatchItem> shard_of(std::span<const BatchItem> items, int index, int count);

// "I/N" (0 <= I < N) -> {I, N}; std::nullopt for anything else.
std::optional<std::pair<int, int>> parse_shard(const std::string& text);

// True when `output` is done already: its tag (see output_tag) is the one `input` and
// `options` give now. On a file system that keeps no extended attributes (no tag can be
// there), when it exists and was modified after `input`.
bool up_to_date(const std::filesystem::path& input, const std::filesystem::path& output,
                const Options& options);

// Every input of a batch, for the check of its outputs (see OutputGuard): the folders given,
// whose files are all protected, and each file of the plan.
OutputGuard batch_inputs(const BatchSources& sources, std::span<const BatchItem> items);

enum class BatchStatus {
    done,       // output written
    skipped,    // up to date, or larger than the input (Options::encoding.skip_if_larger)
    failed,     // the error says why
    too_low,    // --quality MIN not reached even at the most colors: nothing written
    cancelled,  // stopped part way by BatchSettings::keep_going
};
const char* batch_status_name(BatchStatus status);

struct BatchResult {
    std::filesystem::path input, output;
    BatchStatus status = BatchStatus::failed;
    std::optional<Report> report;    // when quantized (done, or skipped as larger)
    std::string message;             // failed, too_low: "<file>: <cause>"; skipped: why
    std::uint64_t input_bytes = 0;   // size of the input (0 when it cannot be read)
    std::uint64_t output_bytes = 0;  // size written (0 unless done)
};

// One JSON object on one line: every field of the report (as format_json gives them) when
// there is one, else input and output; plus "status" and "error" (failed) or "reason"
// (skipped).
std::string format_manifest_line(const BatchResult& result);

struct BatchSettings {
    // Images decoded and quantized at once, 1..1024; 0 = one per core (by measurement: on 2
    // cores, 24 Kodak images at K = 16 take 1.60 s with 2 jobs of 1 thread, 1.94 s with 1 job
    // of 2 threads, no less with 3 or 4 jobs). Bounds memory: at most
    // `jobs` images are held decoded. When Options::running.threads is 0, each image gets
    // max(1, cores / jobs) threads, so the cores are busy and not oversubscribed.
    int jobs = 0;
    bool force = false;  // redo files whose output is up to date
    // Polled before each file and each stage; false stops the batch: files not started are not
    // reported, those in flight end as cancelled (their outputs never half-written).
    std::function<bool()> keep_going;
};

// Called once per file as it ends, one call at a time (never concurrently), in completion
// order.
using BatchCallback = std::function<void(const BatchResult&)>;

// The jobs and per-image threads run_batch uses for these settings and options.
struct BatchConcurrency {
    int jobs = 1;
    int threads_per_image = 1;
};
BatchConcurrency batch_concurrency(const BatchSettings& settings, const Options& options);

// Quantizes every item to its output (creating folders as needed), `jobs` at a time (more
// jobs than cores only once the program raises oneTBB's limit with tbb::global_control's
// max_allowed_parallelism; the library sets no process-wide state). An output
// that is up to date is skipped unless settings.force; an older one is replaced. Errors of one
// file (Error, or a file system error) are its result, never thrown. Each output depends only
// on its input and options, never on jobs or threads.
// Outputs are checked against `inputs` (batch_inputs) before they are written.
void run_batch(std::span<const BatchItem> items, const Options& options,
               const BatchSettings& settings, const BatchCallback& on_result,
               const OutputGuard& inputs);
// The same with the items' inputs as the run's inputs.
void run_batch(std::span<const BatchItem> items, const Options& options,
               const BatchSettings& settings, const BatchCallback& on_result);

// One palette for all the items (--shared-palette): k-means on a sample drawn from every image
// that decodes (options.clustering.sample pixels in all, at least kSharedSampleFloor per image),
// the images decoded `jobs` at a time; files that do not decode are left out (run_batch reports
// them). The same files and options give the same palette whatever jobs and threads.
// Throws Error(input) when no image decodes, Error(cancelled) when keep_going says stop.
// The floor keeps every image represented in large collections while the pooled sample stays
// small: 256 pixels an image is 4 MB of samples for 1,000 images, 41 MB for 10,000.
inline constexpr std::size_t kSharedSampleFloor = 256;
Palette train_shared_palette(std::span<const BatchItem> items, const Options& options,
                             const BatchSettings& settings);

}  // namespace quantize
