// End-to-end tests of the rule that no input is ever written, whatever the output kind and
// however its path is spelled; of write errors; and of messages that stay one line.
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <functional>

#include <nlohmann/json.hpp>

#include "quantize/quantize.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

namespace {

test::RunResult quantize_cli(const std::vector<std::string>& args) {
    return test::run(QUANTIZE_CLI, args);
}

void write_image(const fs::path& path, unsigned seed = 1) {
    fs::create_directories(path.parent_path());
    quantize::write_file_atomically(
        path, quantize::encode_png(test::noise_image(24, 16, false, seed), path), true);
}

// The ways one file can be named: the path itself, with "./" inside, relative to the working
// folder, through a symbolic link to it, through a hard link to it, and through a symbolic
// link to its folder. Each made in `dir`, which holds `input`.
std::vector<std::pair<std::string, fs::path>> spellings(const test::TempDir& dir,
                                                        const fs::path& input) {
    fs::create_symlink(input, dir / "link.png");
    fs::create_hard_link(input, dir / "hard.png");
    fs::create_directory_symlink(input.parent_path(), dir / "folder-link");
    return {
        {"the same path", input},
        {"with ./", input.parent_path() / "." / input.filename()},
        {"relative", fs::relative(input)},
        {"a symbolic link", dir / "link.png"},
        {"a hard link", dir / "hard.png"},
        {"a linked folder", dir / "folder-link" / input.filename()},
    };
}

// Exit 4, one line on stderr naming the output, and the input's bytes unchanged.
void check_refused(const test::RunResult& r, const fs::path& input,
                   const std::vector<std::uint8_t>& before) {
    CHECK(r.exit_code == 4);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK_THAT(r.err, Catch::StartsWith("quantize: error: "));
    CHECK_THAT(r.err, Catch::Contains("input"));
    CHECK(test::read_bytes(input) == before);
}

}  // namespace

TEST_CASE("no output kind writes over an input, however the input is spelled", "[cli][safety]") {
    // Each output kind as a command whose output is `out` (the input is `in`).
    using Command = std::function<std::vector<std::string>(const fs::path& in, const fs::path& out,
                                                           const fs::path& work)>;
    const std::vector<std::pair<std::string, Command>> kinds = {
        {"image",
         [](auto& in, auto& out, auto&) {
             return std::vector<std::string>{in, "-k", "4", "-o", out, "--force"};
         }},
        {"palette file",
         [](auto& in, auto& out, auto&) {
             return std::vector<std::string>{"palette", in,        "-k",       "4",  "-o",
                                             out,       "--force", "--format", "hex"};
         }},
        {"swatch",
         [](auto& in, auto& out, auto&) {
             return std::vector<std::string>{"palette", in,         "-k", "4",      "--format",
                                             "hex",     "--swatch", out,  "--force"};
         }},
        {"manifest",
         [](auto& in, auto& out, auto& work) {
             return std::vector<std::string>{"batch", in,  "-o",         (work / "out").string(),
                                             "-k",    "8", "--manifest", out};
         }},
        {"palette-out",
         [](auto& in, auto& out, auto& work) {
             return std::vector<std::string>{
                 "batch",         in, "-o", (work / "out").string(), "-k", "8", "--shared-palette",
                 "--palette-out", out};
         }},
        {"cluster plot",
         [](auto& in, auto& out, auto& work) {
             return std::vector<std::string>{
                 in, "-k", "4", "-o", (work / "o.png").string(), "--plot-clusters", out};
         }},
        {"convergence plot",
         [](auto& in, auto& out, auto& work) {
             return std::vector<std::string>{
                 in, "-k", "4", "-o", (work / "o.png").string(), "--plot-convergence", out};
         }},
        {"analyze table",
         [](auto& in, auto& out, auto&) {
             return std::vector<std::string>{"analyze", in,   "-k", "4",
                                             "--csv",   "-o", out,  "--force"};
         }},
        {"analyze chart",
         [](auto& in, auto& out, auto&) {
             return std::vector<std::string>{"analyze", in, "-k", "4", "--plot", out, "--force"};
         }},
    };
    for (const auto& [kind, command] : kinds) {
        test::TempDir dir;
        const fs::path input = dir / "in" / "in.png";
        write_image(input);
        const std::vector<std::uint8_t> before = test::read_bytes(input);
        for (const auto& [spelling, output] : spellings(dir, input)) {
            INFO(kind << " written to the input spelled as " << spelling << ": " << output);
            check_refused(quantize_cli(command(input, output, dir.path())), input, before);
        }
    }
}

TEST_CASE("an existing output is refused before any work, whatever the command", "[cli][safety]") {
    // The input cannot be decoded: a command that reads it before looking at its outputs
    // exits 3 (the input), one that looks first exits 4 (the output), the file untouched.
    test::TempDir dir;
    const fs::path bad = dir / "bad.png", taken = dir / "taken";
    test::write_bytes(bad, {1, 2, 3});
    const std::vector<std::uint8_t> kept{'m', 'i', 'n', 'e'};
    const std::vector<std::pair<std::string, std::vector<std::string>>> commands{
        {"palette -o", {"palette", bad.string(), "-o", (taken / "p.hex").string()}},
        {"palette --swatch", {"palette", bad.string(), "--swatch", (taken / "s.png").string()}},
        {"analyze -o", {"analyze", bad.string(), "-o", (taken / "t.csv").string()}},
        {"--plot-convergence",
         {bad.string(), "-o", (dir / "o.png").string(), "--plot-convergence",
          (taken / "c.png").string()}},
    };
    for (const auto& [name, args] : commands) {
        INFO(name);
        fs::remove_all(taken);
        fs::create_directories(taken);
        const fs::path file = args.back();
        test::write_bytes(file, kept);
        const auto r = quantize_cli(args);
        CHECK(r.exit_code == 4);
        CHECK_THAT(r.err, Catch::Contains("already exists (use --force to overwrite)"));
        CHECK(test::read_bytes(file) == kept);
    }
}

TEST_CASE("a batch output folder holding a link into the input tree writes nothing there",
          "[cli][safety]") {
    test::TempDir dir;
    write_image(dir / "in" / "a.png", 1);
    write_image(dir / "in" / "sub" / "a.png", 2);  // its output out/sub/a.png is in/a.png
    write_image(dir / "in" / "sub" / "b.png", 3);  // its output out/sub/b.png would be in/b.png
    fs::create_directories(dir / "out");
    fs::create_directory_symlink(dir / "in", dir / "out" / "sub");
    const std::vector<std::uint8_t> a = test::read_bytes(dir / "in" / "a.png");
    const auto r = quantize_cli({"batch", (dir / "in").string(), "-r", "-o", (dir / "out").string(),
                                 "-k", "4", "--keep-larger", "-q"});
    CHECK(r.exit_code == 6);
    CHECK(test::read_bytes(dir / "in" / "a.png") == a);
    CHECK_FALSE(fs::exists(dir / "in" / "b.png"));
    CHECK_THAT(r.err, Catch::Contains("is the input file"));
    CHECK_THAT(r.err, Catch::Contains("symbolic link into the input folder"));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 2);
}

TEST_CASE("an output folder inside the input folder, spelled so, is fine", "[cli][safety]") {
    test::TempDir dir;
    write_image(dir / "photos" / "a.png");
    const auto r =
        quantize_cli({"batch", (dir / "photos").string(), "-o", (dir / "photos" / "small").string(),
                      "-k", "4", "--keep-larger", "-q"});
    CHECK(r.exit_code == 0);
    CHECK(fs::exists(dir / "photos" / "small" / "a.png"));
}

TEST_CASE("write errors on standard output and on files exit 4 with one line", "[cli][safety]") {
    test::TempDir dir;
    const fs::path input = dir / "in.png";
    write_image(input);
    // Standard output on /dev/full: the palette, the report, the JSON report.
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"palette", input, "-k", "4"},
          std::vector<std::string>{input, "-k", "4", "-o", dir / "a.png", "--force"},
          std::vector<std::string>{input, "-k", "4", "-o", dir / "b.png", "--json"}}) {
        INFO(args[0] << " " << args[1]);
        const pid_t pid = test::spawn(QUANTIZE_CLI, args, "/dev/full", (dir / "err").string());
        CHECK(test::wait_exit_code(pid) == 4);
        CHECK(test::read_text(dir / "err") ==
              "quantize: error: standard output: write failed: No space left on device\n");
    }
    // A file that cannot be written whole (a file size limit in the child): EFBIG, reported,
    // and nothing half-written left behind.
    struct rlimit before = {};
    ::getrlimit(RLIMIT_FSIZE, &before);
    struct rlimit small = before;
    small.rlim_cur = 200;  // bytes; the limit the child inherits
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    const pid_t pid = test::spawn(QUANTIZE_CLI, {input, "-k", "16", "-o", dir / "big.png"},
                                  (dir / "out").string(), (dir / "err2").string());
    ::setrlimit(RLIMIT_FSIZE, &before);
    CHECK(test::wait_exit_code(pid) == 4);
    CHECK_THAT(test::read_text(dir / "err2"), Catch::Contains("big.png: write failed:"));
    CHECK_FALSE(fs::exists(dir / "big.png"));
    CHECK(test::hidden_files(dir.path()).empty());
}

TEST_CASE("file names with control characters stay on one line, and JSON takes any bytes",
          "[cli][safety]") {
    test::TempDir dir;
    const fs::path odd = dir / "two\nlines\x1b[31m.png";
    test::write_bytes(odd, {'n', 'o', 't'});
    const auto r = quantize_cli({odd.string(), "-k", "4"});
    CHECK(r.exit_code == 3);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK_THAT(r.err, Catch::Contains("two\\nlines\\x1b[31m.png"));

    const fs::path latin1 = dir / "caf\xe9.png";  // not UTF-8
    write_image(latin1);
    const auto json = quantize_cli({latin1.string(), "-k", "4", "--json"});
    REQUIRE(json.exit_code == 0);
    const auto doc = nlohmann::json::parse(json.out);
    CHECK(doc["input"].get<std::string>() == (dir / "caf\xef\xbf\xbd.png").string());
    const auto palette = quantize_cli({"palette", latin1.string(), "-k", "2", "--format", "json"});
    REQUIRE(palette.exit_code == 0);
    CHECK(nlohmann::json::parse(palette.out)["name"] == "caf\xef\xbf\xbd");
}

TEST_CASE("a batch rerun with other options redoes the outputs, and with the same skips them",
          "[cli][safety]") {
    test::TempDir dir;
    write_image(dir / "in" / "a.png", 1);
    write_image(dir / "in" / "b.png", 2);
    const fs::path palette = dir / "p.hex";
    test::write_bytes(palette, {'#', 'f', '0', '0', '\n', '#', '0', '0', 'f', '\n'});
    auto run = [&](std::vector<std::string> extra) {
        std::vector<std::string> args{"batch", (dir / "in").string(), "-o", (dir / "out").string(),
                                      "--keep-larger"};
        args.insert(args.end(), extra.begin(), extra.end());
        return quantize_cli(args);
    };
    auto summary_line = [](const test::RunResult& r) { return r.out.substr(0, r.out.find('\n')); };
    CHECK(summary_line(run({"-k", "8"})) == "Files     2 done, 0 skipped, 0 failed, of 2");
    CHECK(summary_line(run({"-k", "8"})) == "Files     0 done, 2 skipped, 0 failed, of 2");
    CHECK(summary_line(run({"-k", "64"})) == "Files     2 done, 0 skipped, 0 failed, of 2");
    CHECK(summary_line(run({"-k", "64", "--palette", palette.string()})) ==
          "Files     2 done, 0 skipped, 0 failed, of 2");
    CHECK(summary_line(run({"-k", "64", "--palette", palette.string()})) ==
          "Files     0 done, 2 skipped, 0 failed, of 2");
    test::write_bytes(palette, {'#', 'f', '0', '0', '\n', '#', '0', 'f', '0', '\n'});
    CHECK(summary_line(run({"-k", "64", "--palette", palette.string()})) ==
          "Files     2 done, 0 skipped, 0 failed, of 2");
}
