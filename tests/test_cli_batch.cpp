// End-to-end tests of `quantize batch`: files taken, outputs, messages, exit codes, manifest,
// resume, shards (also through GNU parallel) and the shared palette.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "quantize/quantize.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

namespace {

test::RunResult batch(std::vector<std::string> args) {
    args.insert(args.begin(), "batch");
    return test::run(QUANTIZE_CLI, args);
}

void write_image(const fs::path& path, unsigned seed) {
    fs::create_directories(path.parent_path());
    quantize::write_file_atomically(
        path, quantize::encode_png(test::noise_image(40, 30, false, seed), path), true);
}

void write_text(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    test::write_bytes(path, std::vector<std::uint8_t>(text.begin(), text.end()));
}

// in/a.png, in/b.png, in/sub/c.png, in/sub/deep/d.png, in/notes.txt
void make_tree(const fs::path& in) {
    write_image(in / "a.png", 1);
    write_image(in / "b.png", 2);
    write_image(in / "sub" / "c.png", 3);
    write_image(in / "sub" / "deep" / "d.png", 4);
    write_text(in / "notes.txt", "not taken: not an image extension");
}

// Every regular file under `root`, relative, generic form, with its bytes.
std::map<std::string, std::vector<std::uint8_t>> files_under(const fs::path& root) {
    std::map<std::string, std::vector<std::uint8_t>> files;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
        if (entry.is_regular_file())
            files[entry.path().lexically_relative(root).generic_string()] =
                test::read_bytes(entry.path());
    }
    return files;
}

std::set<std::string> names_under(const fs::path& root) {
    std::set<std::string> names;
    for (const auto& [name, bytes] : files_under(root))
        names.insert(name);
    return names;
}

std::vector<nlohmann::json> manifest_lines(const fs::path& path) {
    std::vector<nlohmann::json> lines;
    std::istringstream text(test::read_text(path));
    for (std::string line; std::getline(text, line);)
        lines.push_back(nlohmann::json::parse(line));
    return lines;
}

// The PLTE chunk (type and data) of a PNG file.
std::string plte_of(const fs::path& png) {
    const std::string bytes = test::read_text(png);
    const std::size_t at = bytes.find("PLTE");
    REQUIRE(at != std::string::npos);
    const auto length = std::uint32_t(std::uint8_t(bytes[at - 4])) << 24 |
                        std::uint32_t(std::uint8_t(bytes[at - 3])) << 16 |
                        std::uint32_t(std::uint8_t(bytes[at - 2])) << 8 |
                        std::uint32_t(std::uint8_t(bytes[at - 1]));
    return bytes.substr(at, 4 + length);
}

// `program` found on PATH, or empty.
std::string on_path(const std::string& program) {
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path ? path : "");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        const fs::path candidate = fs::path(dir) / program;
        if (::access(candidate.c_str(), X_OK) == 0)
            return candidate.string();
    }
    return {};
}

// Runs quantize batch with standard error on a pipe and sends it `signal` as soon as the first
// per-file line arrives (the run is then under way: an event, not a delay), then waits.
test::RunResult batch_interrupted(std::vector<std::string> args, int signal) {
    test::TempDir capture;
    const std::string out_path = (capture / "stdout").string();
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    args.insert(args.begin(), "batch");
    const pid_t pid = test::spawn(QUANTIZE_CLI, args, out_path, "", pipe_fds[1], pipe_fds[0]);
    ::close(pipe_fds[1]);
    test::RunResult result;
    bool sent = false;
    char buffer[4096];
    for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) {
        result.err.append(buffer, std::size_t(n));
        if (!sent && result.err.find('\n') != std::string::npos) {
            ::kill(pid, signal);
            sent = true;
        }
    }
    ::close(pipe_fds[0]);
    result.exit_code = test::wait_exit_code(pid);
    result.out = test::read_text(out_path);
    return result;
}

}  // namespace

TEST_CASE("batch help documents the options and the exit codes", "[cli][batch]") {
    const auto r = batch({"--help"});
    CHECK(r.exit_code == 0);
    for (const char* text : {"quantize batch",   "--output",    "--recursive",
                             "--include",        "--exclude",   "--files-from",
                             "--format",         "--jobs",      "--force",
                             "--keep-larger",    "--manifest",  "--shard",
                             "--shared-palette", "--palette",   "--palette-out",
                             "--quiet",          "--colors",    "--space",
                             "--threads",        "--png-level", "6  batch: some files failed",
                             "130  interrupted"}) {
        CHECK_THAT(r.out, Catch::Contains(text));
    }
    CHECK_THAT(batch({}).err, Catch::Contains("--output is required"));
}

TEST_CASE("batch usage errors exit 2 with one line", "[cli][batch]") {
    test::TempDir dir;
    const std::string out = (dir / "out").string();
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"-o", out}, "no input (folders, files or --files-from; see quantize batch --help)"},
        {{"x", "-o", out, "--shard", "3/3"},
         "--shard must be I/N with 0 <= I < N, e.g. 0/4 (got '3/3')"},
        {{"x", "-o", out, "--jobs=-1"},
         "--jobs must be between 0 (one per core) and 1024 (got -1)"},
        {{"x", "-o", out, "--format", "jp2"},
         "--format must be png, gif, jpg, webp, tif or bmp (got 'jp2')"},
        {{"x", "-o", out, "--palette-out", "p.hex"},
         "--palette-out saves the palette --shared-palette trains: give --shared-palette too"},
        {{"x", "-o", out, "-k", "0"}, "--colors must be between 1 and 256 (got 0)"},
    };
    for (const auto& [args, message] : cases) {
        const auto r = batch(args);
        CHECK(r.exit_code == 2);
        CHECK(r.err == "quantize: error: " + message + "\n");
        CHECK(r.out.empty());
    }
}

TEST_CASE("batch mirrors nested folders and reports bad files without stopping", "[cli][batch]") {
    test::TempDir dir;
    make_tree(dir / "in");
    write_text(dir / "in" / "bad.png", "not an image at all");  // a non-image
    auto cut = test::read_bytes(dir / "in" / "a.png");
    cut.resize(cut.size() / 2);
    test::write_bytes(dir / "in" / "sub" / "cut.png", cut);  // a corrupt (truncated) image
    // Unreadable: a link to nothing (chmod 000 does not stop root from reading).
    fs::create_symlink(dir / "in" / "nowhere.png", dir / "in" / "gone.png");
    if (::geteuid() != 0) {
        write_image(dir / "in" / "locked.png", 5);
        fs::permissions(dir / "in" / "locked.png", fs::perms::none);
    }
    const fs::path out = dir / "out";
    const auto r = batch({(dir / "in").string(), "-o", out.string(), "-r", "-k", "4", "--manifest",
                          (dir / "m.jsonl").string()});
    CHECK(r.exit_code == 6);
    CHECK(names_under(out) ==
          std::set<std::string>{"a.png", "b.png", "sub/c.png", "sub/deep/d.png"});
    const std::string in = (dir / "in").string();
    CHECK_THAT(r.err, Catch::Contains("quantize: error: " + in +
                                      "/bad.png: not an image quantize reads (corrupt, or an "
                                      "unknown format)\n"));
    CHECK_THAT(r.err, Catch::Contains("quantize: error: " + in + "/gone.png: no such file\n"));
    CHECK_THAT(r.err, Catch::Contains("quantize: error: " + in + "/sub/cut.png: "));
    const std::size_t failed = ::geteuid() != 0 ? 4 : 3;
    if (::geteuid() != 0) {
        CHECK_THAT(r.err, Catch::Contains("quantize: error: " + in + "/locked.png: cannot open"));
    }
    // Not a terminal: one plain line per file, then the summary on standard output.
    CHECK_THAT(r.err, Catch::Contains("] done " + in + "/a.png -> " + (out / "a.png").string()));
    CHECK_THAT(r.out, Catch::StartsWith("Files     4 done, 0 skipped, " + std::to_string(failed) +
                                        " failed, of " + std::to_string(4 + failed) + "\n"));
    CHECK_THAT(r.out, Catch::Contains("\nFailed\n  " + in + "/bad.png: not an image"));
    CHECK_THAT(r.out, Catch::Contains("Bytes     "));
    CHECK_THAT(r.out, Catch::Contains("(ratio "));
    CHECK(test::hidden_files(out).empty());

    // The manifest: one line per file, report fields for the done ones, the cause otherwise.
    const auto lines = manifest_lines(dir / "m.jsonl");
    REQUIRE(lines.size() == 4 + failed);
    std::map<std::string, nlohmann::json> by_input;
    for (const auto& line : lines)
        by_input[fs::path(line["input"].get<std::string>()).filename().string()] = line;
    const auto& a = by_input["a.png"];
    CHECK(a["status"] == "done");
    CHECK(a["output"] == (out / "a.png").string());
    CHECK(a["colors_requested"] == 4);
    CHECK(a["bytes"]["output"] == fs::file_size(out / "a.png"));
    CHECK(a["bytes"]["input"] == fs::file_size(dir / "in" / "a.png"));
    for (const char* field : {"palette", "quality", "kmeans", "times_ms", "width", "height"})
        CHECK(a.contains(field));
    CHECK(by_input["gone.png"] == nlohmann::json{{"input", in + "/gone.png"},
                                                 {"output", (out / "gone.png").string()},
                                                 {"status", "failed"},
                                                 {"error", in + "/gone.png: no such file"}});
    CHECK(by_input["bad.png"]["status"] == "failed");
    CHECK(by_input["cut.png"]["status"] == "failed");
}

TEST_CASE("batch resumes: up-to-date outputs skipped, changed inputs redone, --force redoes",
          "[cli][batch]") {
    test::TempDir dir;
    make_tree(dir / "in");
    const std::string in = (dir / "in").string(), out = (dir / "out").string();
    REQUIRE(batch({in, "-o", out, "-r", "-k", "4", "-q"}).exit_code == 0);
    const auto first = files_under(dir / "out");

    const auto again = batch({in, "-o", out, "-r", "-k", "4"});
    CHECK(again.exit_code == 0);
    CHECK_THAT(again.out, Catch::StartsWith("Files     0 done, 4 skipped, 0 failed, of 4\n"));
    CHECK_THAT(again.err, Catch::Contains("skipped " + in + "/a.png: up to date"));

    // An input changed after its output: redone. An output from an interrupted run is just
    // missing: done.
    fs::last_write_time(dir / "in" / "b.png",
                        fs::last_write_time(dir / "out" / "b.png") + std::chrono::seconds(5));
    fs::remove(dir / "out" / "sub" / "c.png");
    const auto resumed = batch({in, "-o", out, "-r", "-k", "4"});
    CHECK(resumed.exit_code == 0);
    CHECK_THAT(resumed.out, Catch::StartsWith("Files     2 done, 2 skipped, 0 failed, of 4\n"));
    CHECK(files_under(dir / "out") == first);

    const auto forced = batch({in, "-o", out, "-r", "-k", "4", "--force"});
    CHECK_THAT(forced.out, Catch::StartsWith("Files     4 done, 0 skipped, 0 failed, of 4\n"));

    // --quality changes the bytes as -k does: outputs made without it are redone with it, and
    // again when its range changes.
    const auto quality = batch({in, "-o", out, "-r", "-k", "4", "--quality", "0-10"});
    CHECK_THAT(quality.out, Catch::StartsWith("Files     4 done, 0 skipped, 0 failed, of 4\n"));
    const auto other = batch({in, "-o", out, "-r", "-k", "4", "--quality", "0-20"});
    CHECK_THAT(other.out, Catch::StartsWith("Files     4 done, 0 skipped, 0 failed, of 4\n"));
}

TEST_CASE(
    "batch refuses a palette file of unknown format and a shared palette without a number "
    "of colors",
    "[cli][batch]") {
    test::TempDir dir;
    make_tree(dir / "in");
    const std::string in = (dir / "in").string(), out = (dir / "out").string();
    const auto unknown = batch(
        {in, "-o", out, "-k", "4", "--shared-palette", "--palette-out", (dir / "p.xyz").string()});
    CHECK(unknown.exit_code == 2);
    CHECK_THAT(unknown.err, Catch::StartsWith("quantize: error: --palette-out cannot tell the "
                                              "format from '"));
    CHECK_FALSE(fs::exists(dir / "p.xyz"));
    const auto automatic = batch({in, "-o", out, "-k", "auto", "--shared-palette"});
    CHECK(automatic.exit_code == 2);
    CHECK(automatic.err ==
          "quantize: error: --shared-palette trains one palette of -k colors: it "
          "takes a number for -k, not auto or --quality\n");
}

TEST_CASE("batch globs, --files-from and a quiet run", "[cli][batch]") {
    test::TempDir dir;
    make_tree(dir / "in");
    const std::string in = (dir / "in").string();
    const auto r = batch({in, "-o", (dir / "o1").string(), "-r", "--include", "*.png", "--exclude",
                          "deep", "--exclude", "b.*", "-q"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.empty());
    CHECK(r.err.empty());
    CHECK(names_under(dir / "o1") == std::set<std::string>{"a.png", "sub/c.png"});

    write_text(dir / "list.txt", in + "/b.png\n\n" + in + "/sub/deep/d.png\r\n");
    const auto listed = batch({"--files-from", (dir / "list.txt").string(), "-o",
                               (dir / "o2").string(), "-q", "--format", "bmp"});
    CHECK(listed.exit_code == 0);
    CHECK(names_under(dir / "o2") == std::set<std::string>{"b.bmp", "d.bmp"});  // absolute: names

    // '-' reads the list from standard input.
    const auto piped = test::run(
        "/bin/sh", {"-c", std::string(QUANTIZE_CLI) + " batch --files-from - -q -o '" +
                              (dir / "o5").string() + "' < '" + (dir / "list.txt").string() + "'"});
    CHECK(piped.exit_code == 0);
    CHECK(names_under(dir / "o5") == std::set<std::string>{"b.png", "d.png"});

    fs::create_directories(dir / "empty");
    const auto none = batch({(dir / "empty").string(), "-o", (dir / "o4").string()});
    CHECK(none.exit_code == 0);
    CHECK(none.err ==
          "quantize: no image to do (folders take image extensions, or --include; "
          "subfolders need --recursive)\n");
    CHECK_THAT(none.out, Catch::StartsWith("Files     0 done, 0 skipped, 0 failed, of 0\n"));

    const auto missing =
        batch({"--files-from", (dir / "nope.txt").string(), "-o", (dir / "o3").string()});
    CHECK(missing.exit_code == 3);
    CHECK(missing.err ==
          "quantize: error: " + (dir / "nope.txt").string() + ": cannot open the file list\n");
}

TEST_CASE(
    "batch: a file named inside OUT_DIR fails with its reason, one file named twice is done "
    "once, lines of spaces are blank, a refused run makes no folder",
    "[cli][batch]") {
    test::TempDir dir;
    make_tree(dir / "in");
    write_image(dir / "out" / "x.png", 9);
    const std::string a = (dir / "in" / "a.png").string();
    const auto inside =
        batch({a, (dir / "out" / "x.png").string(), "-o", (dir / "out").string(), "-k", "4"});
    CHECK(inside.exit_code == 0);
    CHECK_THAT(inside.err, Catch::Contains("quantize: left out 1 file named inside the output "
                                           "folder (never inputs: outputs go there)\n"));
    CHECK(names_under(dir / "out") == std::set<std::string>{"a.png", "x.png"});
    const auto only = batch({(dir / "out" / "x.png").string(), "-o", (dir / "out").string()});
    CHECK(only.exit_code == 0);
    CHECK_THAT(only.err, Catch::StartsWith("quantize: no image to do (left out 1 file named "
                                           "inside the output folder"));

    const std::string spelled_again = (dir / "in" / "." / "a.png").string();
    const auto twice = batch({a, spelled_again, "-o", (dir / "o2").string(), "-k", "4"});
    CHECK(twice.exit_code == 0);
    CHECK_THAT(twice.err, !Catch::Contains("error"));
    CHECK_THAT(twice.out, Catch::StartsWith("Files     1 done, 0 skipped, 0 failed, of 1\n"));

    write_text(dir / "list.txt", a + "\n   \n\t\n");
    const auto listed =
        batch({"--files-from", (dir / "list.txt").string(), "-o", (dir / "o3").string(), "-q"});
    CHECK(listed.exit_code == 0);
    CHECK(listed.err.empty());

    const auto refused =
        batch({(dir / "in").string(), "-o", (dir / "o4").string(), "--manifest", a, "-q"});
    CHECK(refused.exit_code == 4);
    CHECK_FALSE(fs::exists(dir / "o4"));
}

TEST_CASE("batch --manifest replaces an earlier manifest but no other file without --force",
          "[cli][batch]") {
    test::TempDir dir;
    fs::create_directories(dir / "in");
    fs::copy_file(test::sample_path("kodim23.png"), dir / "in" / "a.png");
    const fs::path manifest = dir / "run.jsonl", notes = dir / "notes.txt";
    REQUIRE(batch({(dir / "in").string(), "-o", (dir / "o1").string(), "-k", "4", "--manifest",
                   manifest.string(), "-q"})
                .exit_code == 0);
    REQUIRE(manifest_lines(manifest).size() == 1);
    // A rerun's manifest takes the earlier one's place.
    const auto rerun = batch({(dir / "in").string(), "-o", (dir / "o1").string(), "-k", "4",
                              "--manifest", manifest.string(), "-q"});
    CHECK(rerun.exit_code == 0);
    CHECK(manifest_lines(manifest).front()["status"] == "skipped");
    // Any other file is never lost: refused before any work, untouched.
    write_text(notes, "my notes\n");
    const auto refused = batch({(dir / "in").string(), "-o", (dir / "o2").string(), "-k", "4",
                                "--manifest", notes.string(), "-q"});
    CHECK(refused.exit_code == 4);
    CHECK_THAT(refused.err, Catch::Contains("is not a manifest"));
    CHECK(test::read_text(notes) == "my notes\n");
    CHECK_FALSE(fs::exists(dir / "o2"));
    // With --force it is replaced.
    CHECK(batch({(dir / "in").string(), "-o", (dir / "o2").string(), "-k", "4", "--manifest",
                 notes.string(), "-q", "--force"})
              .exit_code == 0);
    CHECK(manifest_lines(notes).size() == 1);
}

TEST_CASE("batch never takes its own outputs as inputs, even inside the input tree",
          "[cli][batch]") {
    test::TempDir dir;
    make_tree(dir / "in");
    const std::string in = (dir / "in").string(), out = (dir / "in" / "small").string();
    const auto first = batch({in, "-o", out, "-r", "-k", "4"});
    CHECK(first.exit_code == 0);
    CHECK_THAT(first.out, Catch::StartsWith("Files     4 done, 0 skipped, 0 failed, of 4\n"));
    const auto second = batch({in, "-o", out, "-r", "-k", "4", "--force"});
    CHECK_THAT(second.out, Catch::StartsWith("Files     4 done, 0 skipped, 0 failed, of 4\n"));
    CHECK(names_under(dir / "in" / "small") ==
          std::set<std::string>{"a.png", "b.png", "sub/c.png", "sub/deep/d.png"});

    const auto over = batch({(dir / "in" / "sub").string(), "-o", in});
    CHECK(over.exit_code == 2);
    CHECK_THAT(over.err, Catch::Contains("outputs would replace inputs"));
}

TEST_CASE("batch skips outputs larger than their input by default, --keep-larger writes",
          "[cli][batch]") {
    test::TempDir dir;
    // A flat image compresses to almost nothing at level 9; at level 0 its output cannot.
    const quantize::Image flat = quantize::make_image(64, 48, {10, 20, 30, 255});
    fs::create_directories(dir / "in");
    quantize::write_file_atomically(dir / "in" / "flat.png",
                                    quantize::encode_png(flat, dir / "in" / "flat.png"), true);
    const std::string in = (dir / "in").string();
    const auto skipped = batch({in, "-o", (dir / "o1").string(), "--png-level", "0"});
    CHECK(skipped.exit_code == 0);
    CHECK_THAT(skipped.out, Catch::StartsWith("Files     0 done, 1 skipped, 0 failed, of 1\n"));
    CHECK_THAT(skipped.err, Catch::Contains("the output would be larger than the input"));
    CHECK(names_under(dir / "o1").empty());
    const auto kept = batch({in, "-o", (dir / "o2").string(), "--png-level", "0", "--keep-larger"});
    CHECK_THAT(kept.out, Catch::StartsWith("Files     1 done, 0 skipped, 0 failed, of 1\n"));
    CHECK(names_under(dir / "o2") == std::set<std::string>{"flat.png"});
}

TEST_CASE("batch outputs are byte-identical whatever --jobs and --threads, and to single runs",
          "[cli][batch]") {
    test::TempDir dir;
    make_tree(dir / "in");
    const std::string in = (dir / "in").string();
    batch({in, "-o", (dir / "a").string(), "-r", "-q", "--jobs", "1", "--threads", "1"});
    batch({in, "-o", (dir / "b").string(), "-r", "-q", "--jobs", "3", "--threads", "2"});
    CHECK(files_under(dir / "a").size() == 4);
    CHECK(files_under(dir / "a") == files_under(dir / "b"));
    // The same bytes as the one-image command with the same options.
    const fs::path single = dir / "single.png";
    REQUIRE(test::run(QUANTIZE_CLI, {in + "/sub/c.png", "-o", single.string(), "-q"}).exit_code ==
            0);
    CHECK(test::read_bytes(single) == test::read_bytes(dir / "a" / "sub" / "c.png"));
}

TEST_CASE("shards split the files with no overlap, together they equal one run", "[cli][batch]") {
    test::TempDir dir;
    make_tree(dir / "in");
    for (unsigned i = 0; i < 4; ++i)
        write_image(dir / "in" / "more" / ("m" + std::to_string(i) + ".png"), 10 + i);
    const std::string in = (dir / "in").string();
    REQUIRE(batch({in, "-o", (dir / "whole").string(), "-r", "-q"}).exit_code == 0);
    const auto whole = files_under(dir / "whole");
    REQUIRE(whole.size() == 8);

    std::map<std::string, std::vector<std::uint8_t>> together;
    for (int s = 0; s < 3; ++s) {
        const fs::path out = dir / ("shard" + std::to_string(s));
        REQUIRE(batch({in, "-o", out.string(), "-r", "-q", "--shard", std::to_string(s) + "/3"})
                    .exit_code == 0);
        for (auto& [name, bytes] : files_under(out))
            CHECK(together.emplace(name, bytes).second);  // disjoint
    }
    CHECK(together == whole);

    // The same with GNU parallel running the three shards at once into one folder.
    const std::string parallel = on_path("parallel");
    INFO("GNU parallel is needed on PATH (Debian package parallel; .ci/deps installs it)");
    REQUIRE_FALSE(parallel.empty());
    const auto r = test::run(
        parallel, {"--will-cite", "--halt", "now,fail=1", QUANTIZE_CLI, "batch", in, "-o",
                   (dir / "gnu").string(), "-r", "-q", "--shard", "{}/3", ":::", "0", "1", "2"});
    CHECK(r.exit_code == 0);
    CHECK(files_under(dir / "gnu") == whole);
}

TEST_CASE("a shared palette is one PLTE in every output, --palette applies a saved one",
          "[cli][batch]") {
    test::TempDir dir;
    make_tree(dir / "in");
    const std::string in = (dir / "in").string();
    const fs::path saved = dir / "shared.gpl";
    const auto r = batch({in, "-o", (dir / "a").string(), "-r", "-k", "8", "-q", "--shared-palette",
                          "--palette-out", saved.string()});
    REQUIRE(r.exit_code == 0);
    const auto outputs = files_under(dir / "a");
    REQUIRE(outputs.size() == 4);
    std::set<std::string> palettes;
    for (const auto& [name, bytes] : outputs)
        palettes.insert(plte_of(dir / "a" / name));
    CHECK(palettes.size() == 1);
    CHECK(plte_of(dir / "a" / "a.png").size() == 4 + 8 * 3);
    CHECK(quantize::read_palette_file(saved).size() == 8);

    const auto applied =
        batch({in, "-o", (dir / "b").string(), "-r", "-q", "--palette", saved.string()});
    CHECK(applied.exit_code == 0);
    CHECK(files_under(dir / "b") == outputs);
}

TEST_CASE("batch --palette-out refuses an existing file before any work, unless --force",
          "[cli][batch]") {
    test::TempDir dir;
    make_tree(dir / "in");
    const std::string in = (dir / "in").string(), out = (dir / "out").string();
    const fs::path saved = dir / "mine.gpl";
    test::write_bytes(saved, {'k', 'e', 'e', 'p'});
    const auto refused = batch(
        {in, "-o", out, "-r", "-k", "8", "--shared-palette", "--palette-out", saved.string()});
    CHECK(refused.exit_code == 4);
    CHECK(refused.err ==
          "quantize: error: " + saved.string() + ": already exists (use --force to overwrite)\n");
    CHECK(refused.out.empty());
    CHECK(test::read_text(saved) == "keep");
    CHECK_FALSE(fs::exists(out));  // refused before the output folder was made

    const auto forced = batch({in, "-o", out, "-r", "-k", "8", "-q", "--shared-palette",
                               "--palette-out", saved.string(), "--force"});
    CHECK(forced.exit_code == 0);
    CHECK(quantize::read_palette_file(saved).size() == 8);
}

TEST_CASE("SIGINT and SIGTERM stop a batch cleanly, the summary prints, a rerun resumes",
          "[cli][batch]") {
    test::TempDir dir;
    for (unsigned i = 0; i < 40; ++i)
        write_image(dir / "in" / ("f" + std::to_string(100 + i) + ".png"), i);
    const std::string in = (dir / "in").string();
    for (const int signal : {SIGINT, SIGTERM}) {
        const fs::path out = dir / ("out" + std::to_string(signal));
        const auto r =
            batch_interrupted({in, "-o", out.string(), "-k", "4", "--jobs", "1"}, signal);
        CHECK(r.exit_code == 130);
        REQUIRE_THAT(r.out, Catch::StartsWith("Files     "));
        CHECK_THAT(r.out, Catch::Contains("\nStopped   interrupted; "));
        CHECK_THAT(r.out, Catch::Contains("(run the same command again to resume)\n"));
        const std::size_t done = std::stoul(r.out.substr(10));
        CHECK(done >= 1);
        CHECK(done < 40);
        CHECK(test::hidden_files(out).empty());  // no temporary left behind
        CHECK(names_under(out).size() == done);
        for (const auto& name : names_under(out))
            CHECK_NOTHROW(quantize::read_image(out / name));  // every output whole

        const auto resumed = batch({in, "-o", out.string(), "-k", "4"});
        CHECK(resumed.exit_code == 0);
        CHECK_THAT(resumed.out,
                   Catch::StartsWith("Files     " + std::to_string(40 - done) + " done, " +
                                     std::to_string(done) + " skipped, 0 failed, of 40\n"));
    }
}

TEST_CASE("batch in place replaces each input once, and a rerun with the same options skips",
          "[cli][batch][in-place]") {
    test::TempDir dir;
    write_image(dir / "in" / "a.png", 1);
    write_image(dir / "in" / "sub" / "b.png", 2);
    write_text(dir / "in" / "c.ppm", "P3\n1 1\n255\n1 2 3\n");  // read, never written
    const std::string in = (dir / "in").string();
    const auto a = test::read_bytes(dir / "in" / "a.png");
    const auto r = batch({in, "-r", "--in-place", "-k", "4", "--keep-larger"});
    CHECK(r.exit_code == 6);
    CHECK_THAT(r.err, Catch::Contains("c.ppm: in place keeps the file's format"));
    CHECK_THAT(r.out, Catch::StartsWith("Files     2 done, 0 skipped, 1 failed, of 3\n"));
    const auto replaced = test::read_bytes(dir / "in" / "a.png");
    CHECK(replaced != a);
    CHECK(quantize::read_image(dir / "in" / "a.png").pixel_count() == 40 * 30);
    CHECK(test::hidden_files(dir / "in").empty());
    const auto again = batch({in, "-r", "--in-place", "-k", "4", "--keep-larger"});
    CHECK_THAT(again.out, Catch::StartsWith("Files     0 done, 2 skipped, 1 failed, of 3\n"));
    CHECK(test::read_bytes(dir / "in" / "a.png") == replaced);
    const auto other = batch({in, "-r", "--in-place", "-k", "2", "--keep-larger"});
    CHECK_THAT(other.out, Catch::StartsWith("Files     2 done, 0 skipped, 1 failed, of 3\n"));
    CHECK(batch({in, "--in-place", "-o", (dir / "out").string()}).exit_code == 2);
}
