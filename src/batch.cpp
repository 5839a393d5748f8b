#include "quantize/batch.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <map>
#include <mutex>
#include <optional>
#include <system_error>

#include <tbb/info.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include "detail/report_json.hpp"
#include "quantize/formats.hpp"

namespace quantize {

namespace fs = std::filesystem;

namespace {

// Extensions of the formats read_image decodes, lower case: a folder's files with another
// extension are not images unless an include glob says so.
bool has_image_extension(const fs::path& path) {
    return format_of(path).has_value();
}

// A glob with a '/' against the whole relative path ('*' stops at '/'), else against the name.
bool glob_matches(const std::string& glob, const fs::path& relative) {
    if (glob.find('/') != std::string::npos)
        return ::fnmatch(glob.c_str(), relative.generic_string().c_str(), FNM_PATHNAME) == 0;
    return ::fnmatch(glob.c_str(), relative.filename().string().c_str(), 0) == 0;
}

bool any_matches(std::span<const std::string> globs, const fs::path& relative) {
    return std::any_of(globs.begin(), globs.end(),
                       [&](const std::string& glob) { return glob_matches(glob, relative); });
}

std::string lower_extension(const fs::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext;
}

bool is_hidden(const fs::path& path) {
    const std::string name = path.filename().string();
    return !name.empty() && name[0] == '.';
}

// One spelling per file system object, for comparing paths given differently; the path need
// not exist.
fs::path canonical_form(const fs::path& path) {
    std::error_code ec;
    fs::path canonical = fs::weakly_canonical(path, ec);
    return ec ? fs::absolute(path).lexically_normal() : canonical;
}

// Both in canonical form; true when `path` is `dir` or anything under it.
bool is_within(const fs::path& path, const fs::path& dir) {
    const fs::path relative = path.lexically_relative(dir);
    return !relative.empty() && *relative.begin() != "..";
}

// A file found, with its path under the folder it was found in (what the output mirrors).
struct Found {
    fs::path input;
    fs::path relative;
    std::string problem;
};

class Walker {
  public:
    Walker(const BatchSources& sources, fs::path output_dir, LeftOut* left_out)
        : sources_(sources), output_dir_(std::move(output_dir)), left_out_(left_out) {}

    // Files of `dir` (and its subfolders when recursive) that the globs select.
    void walk(const fs::path& dir, const fs::path& relative_dir, std::vector<Found>& found) {
        std::error_code ec;
        fs::directory_iterator it(dir, ec);
        for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
            const fs::directory_entry& entry = *it;
            const fs::path relative = relative_dir / entry.path().filename();
            std::error_code status_ec;
            if (is_hidden(relative)) {
                continue;
            } else if (entry.is_directory(status_ec)) {
                // Links to folders are not followed: they could loop.
                if (sources_.recursive && !entry.is_symlink(status_ec) &&
                    !any_matches(sources_.exclude, relative) && !is_output(entry.path())) {
                    walk(entry.path(), relative, found);
                }
            } else if (glob_selects(relative, sources_.include, sources_.exclude)) {
                found.push_back({entry.path(), relative, {}});
            } else if (left_out_ && sources_.include.empty() && unread_format_of(relative) &&
                       !any_matches(sources_.exclude, relative)) {
                ++left_out_->by_extension[lower_extension(relative)];
            }
        }
        if (ec)  // the folder, or the rest of it, cannot be read: one failure, the rest goes on
            found.push_back({dir, relative_dir, "cannot read folder: " + ec.message()});
    }

    bool is_output(const fs::path& path) const {
        return !output_dir_.empty() && is_within(canonical_form(path), output_dir_);
    }

  private:
    const BatchSources& sources_;
    fs::path output_dir_;  // canonical form; empty in place
    LeftOut* left_out_;    // counts what the walk leaves out, when given
};

// The path a listed file keeps under the output folder.
fs::path listed_relative(const fs::path& listed) {
    const fs::path normal = listed.lexically_normal();
    if (normal.is_absolute() || normal.empty() || *normal.begin() == "..")
        return normal.filename();
    return normal;
}

std::vector<Found> find_files(const BatchSources& sources, const fs::path& output_dir,
                              LeftOut* left_out) {
    const fs::path out = output_dir.empty() ? fs::path() : canonical_form(output_dir);
    Walker walker(sources, out, left_out);
    std::vector<Found> found;
    // A file named on the command line or listed inside the output folder is left out, as a
    // walk leaves such files out (a glob or `find` reaching OUT_DIR names the outputs of earlier
    // runs), and counted, so a run that takes none of its files says why.
    auto named = [&](const fs::path& input, fs::path relative) {
        if (!walker.is_output(input))
            found.push_back({input, std::move(relative), {}});
        else if (left_out)
            ++left_out->in_output_folder;
    };
    for (const fs::path& input : sources.inputs) {
        std::error_code ec;
        if (!fs::is_directory(input, ec)) {
            named(input, input.filename());
            continue;
        }
        if (walker.is_output(input)) {
            throw Error(ErrorKind::invalid_argument, "output",
                        output_dir.string() + " holds the input folder " + input.string() +
                            ": outputs would replace inputs (write them elsewhere)");
        }
        walker.walk(input, {}, found);
    }
    for (const fs::path& listed : sources.listed)
        named(listed, listed_relative(listed));
    return found;
}

// Calls body(i) for every i in [0, n), at most `jobs` at once, in about index order (so
// progress and an interrupted run follow the sorted list); takes no new index once
// keep_going() is false.
template <class Body>
void for_each_bounded(std::size_t n, int jobs, const std::function<bool()>& keep_going,
                      Body&& body) {
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
        for (;;) {
            if (keep_going && !keep_going())
                return;
            const std::size_t i = next.fetch_add(1);
            if (i >= n)
                return;
            body(i);
        }
    };
    // More jobs than cores (files on a slow network share) run only when the program has
    // raised oneTBB's thread limit (tbb::global_control, as the command does): process-wide
    // state is the program's to set, never the library's.
    const int workers = int(std::min<std::size_t>(std::size_t(jobs), n));
    tbb::task_arena arena(std::max(workers, 1));
    arena.execute([&] {
        // Each image's own parallel loops run in the arena quantize_file makes, so a thread
        // waiting for them never starts another file here: at most `jobs` images are decoded.
        tbb::task_group group;
        for (int j = 0; j < workers; ++j)
            group.run(worker);
        group.wait();
    });
}

// How a file that threw ends: cancelled, below the --quality minimum, or failed.
BatchStatus status_of(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::cancelled:
            return BatchStatus::cancelled;
        case ErrorKind::quality_too_low:
            return BatchStatus::too_low;
        case ErrorKind::invalid_argument:
        case ErrorKind::input:
        case ErrorKind::too_large:
        case ErrorKind::output:
            return BatchStatus::failed;
    }
    return BatchStatus::failed;
}

BatchResult process(const BatchItem& item, const Options& options, const BatchSettings& settings,
                    const OutputGuard& inputs) {
    BatchResult r;
    r.input = item.input;
    r.output = item.output;
    std::error_code ec;
    const std::uintmax_t size = fs::file_size(item.input, ec);
    if (!ec)
        r.input_bytes = size;
    if (!item.problem.empty()) {
        r.message = item.input.string() + ": " + item.problem;
        return r;
    }
    const Progress progress = [&](Stage) { return !settings.keep_going || settings.keep_going(); };
    try {
        if (!settings.force && up_to_date(item.input, item.output, options)) {
            r.status = BatchStatus::skipped;
            r.message = "up to date (made from this input with these options)";
            return r;
        }
        fs::create_directories(item.output.parent_path());
        // Overwriting is safe: the guard refuses any output that is an input, and the output
        // is either missing, made otherwise or asked for again.
        Report report = quantize_file(item.input, item.output, options, true, progress, inputs);
        if (report.written) {
            r.status = BatchStatus::done;
            r.output_bytes = report.output_bytes;
        } else {
            r.status = BatchStatus::skipped;
            r.message = "the output would be larger than the input (" +
                        std::to_string(report.output_bytes) + " > " +
                        std::to_string(report.input_bytes) + " bytes); nothing written";
        }
        r.report = std::move(report);
    } catch (const Error& e) {
        r.status = status_of(e.kind());
        r.message = e.kind() == ErrorKind::cancelled ? "cancelled" : e.what();
    } catch (const fs::filesystem_error& e) {
        r.message =
            (e.path1().empty() ? item.output : e.path1()).string() + ": " + e.code().message();
    } catch (const std::bad_alloc&) {
        r.message = item.input.string() + ": out of memory";  // a failure like any other
    } catch (const std::exception& e) {
        r.message = item.input.string() + ": " + e.what();
    }
    return r;
}

}  // namespace

std::vector<fs::path> parse_file_list(std::string_view text) {
    std::vector<fs::path> paths;
    std::size_t number = 0;
    for (std::size_t begin = 0; begin < text.size();) {
        const std::size_t end = std::min(text.find('\n', begin), text.size());
        std::string_view line = text.substr(begin, end - begin);
        begin = end + 1;
        ++number;
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (line.find_first_not_of(" \t") == std::string_view::npos)
            continue;  // blank, or spaces alone: no file is named so
        if (line.find('\0') != std::string_view::npos) {
            throw Error(ErrorKind::input, "file list",
                        "line " + std::to_string(number) + " holds a NUL byte");
        }
        paths.emplace_back(line);
    }
    return paths;
}

bool glob_selects(const fs::path& relative, std::span<const std::string> include,
                  std::span<const std::string> exclude) {
    const bool included =
        include.empty() ? has_image_extension(relative) : any_matches(include, relative);
    return included && !any_matches(exclude, relative);
}

std::size_t LeftOut::total() const {
    std::size_t n = 0;
    for (const auto& [ext, count] : by_extension)
        n += count;
    return n;
}

std::string describe_left_out(const LeftOut& left_out) {
    auto files = [](std::size_t n) { return std::to_string(n) + (n == 1 ? " file" : " files"); };
    std::string text;
    if (const std::size_t total = left_out.total(); total > 0) {
        text = "left out " + files(total) + " of formats quantize does not read (";
        bool first = true;
        for (const auto& [ext, count] : left_out.by_extension) {
            text += (first ? "" : ", ") + ext + " " + std::to_string(count);
            first = false;
        }
        text += ")";
    }
    if (left_out.in_output_folder > 0) {
        text += (text.empty() ? "" : "; ") + std::string("left out ") +
                files(left_out.in_output_folder) +
                " named inside the output folder (never inputs: outputs go there)";
    }
    return text;
}

std::vector<BatchItem> plan_batch(const BatchSources& sources, const fs::path& output_dir,
                                  const std::string& extension, LeftOut* left_out) {
    std::vector<Found> found = find_files(sources, output_dir, left_out);
    std::stable_sort(found.begin(), found.end(),
                     [](const Found& a, const Found& b) { return a.input < b.input; });
    found.erase(std::unique(found.begin(), found.end(),
                            [](const Found& a, const Found& b) { return a.input == b.input; }),
                found.end());
    std::vector<BatchItem> items;
    std::map<fs::path, fs::path> owner;  // output -> the first input that maps to it
    for (Found& f : found) {
        if (output_dir.empty()) {  // in place: each file is its own output, in its own format
            const auto format = format_of(f.input);
            if (f.problem.empty() && !(format && format_info(*format).writes)) {
                f.problem =
                    "in place keeps the file's format, which quantize does not write (it "
                    "writes " +
                    output_format_names() + ")";
            }
            items.push_back({f.input, f.input, f.problem});
            continue;
        }
        BatchItem item{f.input, output_dir / fs::path(f.relative).replace_extension(extension),
                       f.problem};
        const auto [it, first] = owner.emplace(item.output, item.input);
        std::error_code ec;
        if (!first && fs::equivalent(item.input, it->second, ec))
            continue;  // one file named twice (a.png, ./a.png): done once
        if (!first && item.problem.empty()) {
            item.problem = "its output " + item.output.string() + " is also the output of " +
                           it->second.string() + " (rename one)";
        }
        items.push_back(std::move(item));
    }
    return items;
}

std::vector<BatchItem> shard_of(std::span<const BatchItem> items, int index, int count) {
    std::vector<BatchItem> part;
    for (std::size_t i = std::size_t(index); count > 0 && i < items.size(); i += std::size_t(count))
        part.push_back(items[i]);
    return part;
}

std::optional<std::pair<int, int>> parse_shard(const std::string& text) {
    const std::size_t slash = text.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == text.size())
        return std::nullopt;
    auto number = [](const std::string& s) -> std::optional<int> {
        if (s.size() > 6 || !std::all_of(s.begin(), s.end(),
                                         [](unsigned char c) { return std::isdigit(c) != 0; })) {
            return std::nullopt;
        }
        return std::stoi(s);
    };
    const auto index = number(text.substr(0, slash));
    const auto count = number(text.substr(slash + 1));
    if (!index || !count || *count < 1 || *index >= *count)
        return std::nullopt;
    return std::pair{*index, *count};
}

bool up_to_date(const fs::path& input, const fs::path& output, const Options& options) {
    std::error_code in_ec, out_ec;
    if (!fs::is_regular_file(output, out_ec))
        return false;
    const FileTag tag = read_tag(output);
    if (tag.supported)
        return tag.value == output_tag(input, output, options);
    const auto in_time = fs::last_write_time(input, in_ec);
    const auto out_time = fs::last_write_time(output, out_ec);
    return !in_ec && !out_ec && out_time > in_time;
}

const char* batch_status_name(BatchStatus status) {
    switch (status) {
        case BatchStatus::done:
            return "done";
        case BatchStatus::skipped:
            return "skipped";
        case BatchStatus::failed:
            return "failed";
        case BatchStatus::cancelled:
            return "cancelled";
        case BatchStatus::too_low:
            return "quality too low";
    }
    return "?";
}

std::string format_manifest_line(const BatchResult& result) {
    nlohmann::json line = result.report ? detail::report_json(*result.report)
                                        : nlohmann::json{{"input", result.input.string()},
                                                         {"output", result.output.string()}};
    line["status"] = batch_status_name(result.status);
    if (result.status == BatchStatus::failed || result.status == BatchStatus::too_low)
        line["error"] = result.message;
    else if (result.status == BatchStatus::skipped)
        line["reason"] = result.message;
    // File names need not be UTF-8: invalid bytes become U+FFFD rather than an exception.
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

BatchConcurrency batch_concurrency(const BatchSettings& settings, const Options& options) {
    const int cores = std::max(1, tbb::info::default_concurrency());
    BatchConcurrency c;
    c.jobs = settings.jobs > 0 ? settings.jobs : cores;
    c.threads_per_image =
        options.running.threads > 0 ? options.running.threads : std::max(1, cores / c.jobs);
    return c;
}

OutputGuard batch_inputs(const BatchSources& sources, std::span<const BatchItem> items) {
    OutputGuard guard;
    for (const fs::path& input : sources.inputs)
        guard.protect(input);
    for (const BatchItem& item : items)
        guard.protect(item.input);
    return guard;
}

void run_batch(std::span<const BatchItem> items, const Options& options,
               const BatchSettings& settings, const BatchCallback& on_result,
               const OutputGuard& inputs) {
    if (settings.jobs < 0 || settings.jobs > 1024) {
        throw Error(ErrorKind::invalid_argument, "jobs",
                    "must be between 0 (one per core) and 1024 (got " +
                        std::to_string(settings.jobs) + ")");
    }
    validate(options);
    const BatchConcurrency c = batch_concurrency(settings, options);
    Options per_image = options;
    per_image.running.threads = c.threads_per_image;
    std::mutex report_mutex;
    for_each_bounded(items.size(), c.jobs, settings.keep_going, [&](std::size_t i) {
        const BatchResult result = process(items[i], per_image, settings, inputs);
        const std::lock_guard lock(report_mutex);
        if (on_result)
            on_result(result);
    });
}

void run_batch(std::span<const BatchItem> items, const Options& options,
               const BatchSettings& settings, const BatchCallback& on_result) {
    run_batch(items, options, settings, on_result, batch_inputs({}, items));
}

Palette train_shared_palette(std::span<const BatchItem> items, const Options& options,
                             const BatchSettings& settings) {
    validate(options);
    const BatchConcurrency c = batch_concurrency(settings, options);
    const std::size_t sample = sample_for(options);
    const std::size_t per_image =
        sample == 0 ? 0
                    : std::max(sample / std::max<std::size_t>(items.size(), 1), kSharedSampleFloor);
    // One slot per item, filled in any order: the palette does not depend on scheduling.
    std::vector<WeightedColors> samples(items.size());
    for_each_bounded(items.size(), c.jobs, settings.keep_going, [&](std::size_t i) {
        if (!items[i].problem.empty())
            return;
        tbb::task_arena arena(c.threads_per_image);
        try {
            arena.execute([&] {
                samples[i] = weighted_sample(read_image(items[i].input, options.running.limits),
                                             per_image, options.clustering.seed);
            });
        } catch (const std::exception&) {
            // Left out here; run_batch reports the file when it fails again.
        }
    });
    if (settings.keep_going && !settings.keep_going())
        throw Error(ErrorKind::cancelled, "shared palette", "cancelled");
    if (std::all_of(samples.begin(), samples.end(),
                    [](const WeightedColors& s) { return s.colors.empty(); })) {
        throw Error(ErrorKind::input, "shared palette", "no input image could be decoded");
    }
    return palette_of_samples(samples, options);
}

}  // namespace quantize
