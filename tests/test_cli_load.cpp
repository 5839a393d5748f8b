// Load and faults: a batch of 1,000 small files, 5% of them bad in every way the hostile
// corpus knows, then the same batch killed with SIGKILL part way and run again.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "corpus.hpp"
#include "quantize/quantize.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

namespace {

constexpr int kFiles = 1000;
constexpr int kBad = 50;  // 5%

// in/a/NNNN.png and in/b/NNNN.png: good files, and every 20th one bad, cycling through the
// hostile corpus. Returns the list of them all, one a line, for --files-from (which takes every
// file as given, a directory or a .gif as well).
std::string make_load_tree(const fs::path& in) {
    std::string list;
    const std::vector<test::HostileFile> corpus = test::hostile_corpus();
    REQUIRE(!corpus.empty());
    int bad = 0;
    for (int i = 0; i < kFiles; ++i) {
        char name[16];
        std::snprintf(name, sizeof name, "%04d", i);
        fs::path dir = in / (i < kFiles / 2 ? "a" : "b");
        fs::create_directories(dir);
        if (i % (kFiles / kBad) == 7) {
            const test::HostileFile& hostile = corpus[std::size_t(bad++) % corpus.size()];
            const fs::path path = dir / (name + fs::path(hostile.name).extension().string());
            if (hostile.directory)
                fs::create_directory(path);
            else
                test::write_bytes(path, hostile.bytes);
            list += path.string() + "\n";
        } else {
            const fs::path path = dir / (std::string(name) + ".png");
            quantize::write_file_atomically(
                path, quantize::encode_png(test::noise_image(12, 8, false, unsigned(i)), path),
                true);
            list += path.string() + "\n";
        }
    }
    REQUIRE(bad == kBad);
    return list;
}

// Every file under `root`, with the hidden ones (leftover temporaries) apart.
struct Tree {
    std::vector<fs::path> files;
    std::vector<fs::path> hidden;
};
Tree walk(const fs::path& root) {
    Tree tree;
    if (!fs::exists(root))
        return tree;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
        if (!entry.is_regular_file())
            continue;
        const std::string name = entry.path().filename().string();
        (name[0] == '.' ? tree.hidden : tree.files).push_back(entry.path());
    }
    return tree;
}

std::string first_line(const std::string& text) {
    return text.substr(0, text.find('\n'));
}

}  // namespace

TEST_CASE("1,000 files with 5% bad: 950 done, 50 reported, then killed and rerun",
          "[cli][batch][load]") {
    test::TempDir dir;
    const fs::path list = dir / "list.txt";
    {
        const std::string text = make_load_tree(dir / "in");
        test::write_bytes(list, std::vector<std::uint8_t>(text.begin(), text.end()));
    }
    const std::string in = list.string();
    const fs::path out = dir / "out", manifest = dir / "run.jsonl";
    const auto r = test::run(QUANTIZE_CLI, {"batch", "--files-from", in, "-o", out.string(), "-k",
                                            "4", "--keep-larger", "--manifest", manifest.string()});
    CHECK(r.exit_code == 6);
    CHECK(first_line(r.out) == "Files     950 done, 0 skipped, 50 failed, of 1000");
    // Each bad file: one error line on stderr, and a line in the summary.
    std::size_t errors = 0;
    std::istringstream err(r.err);
    for (std::string line; std::getline(err, line);)
        errors += line.rfind("quantize: error: ", 0) == 0;
    CHECK(errors == 50);
    CHECK(r.out.find("Failed\n") != std::string::npos);
    std::size_t failed = 0, done = 0, lines = 0;
    std::istringstream text(test::read_text(manifest));
    for (std::string line; std::getline(text, line); ++lines) {
        const auto doc = nlohmann::json::parse(line);
        failed += doc["status"] == "failed";
        done += doc["status"] == "done";
    }
    CHECK(lines == 1000);
    CHECK(failed == 50);
    CHECK(done == 950);
    CHECK(walk(out).files.size() == 950);

    // Killed part way (SIGKILL, as soon as 200 files are done: an event, not a delay): every
    // output there is a whole image, nothing else is left, and a rerun finishes the rest.
    const fs::path killed = dir / "killed";
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    const pid_t pid = test::spawn(QUANTIZE_CLI,
                                  {"batch", "--files-from", in, "-o", killed.string(), "-k", "4",
                                   "--keep-larger", "--manifest", (dir / "k.jsonl").string()},
                                  (dir / "k.out").string(), "", pipe_fds[1], pipe_fds[0]);
    ::close(pipe_fds[1]);
    std::string progress;
    std::size_t seen = 0;
    bool sent = false;
    char buffer[4096];
    for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) {
        progress.append(buffer, std::size_t(n));
        seen = std::size_t(std::count(progress.begin(), progress.end(), '\n'));
        if (!sent && seen >= 200) {
            ::kill(pid, SIGKILL);
            sent = true;
        }
    }
    ::close(pipe_fds[0]);
    CHECK(test::wait_exit_code(pid) == 128 + SIGKILL);
    const Tree after_kill = walk(killed);
    CHECK(after_kill.hidden.empty());
    CHECK(after_kill.files.size() >= 150);
    CHECK(after_kill.files.size() < 950);
    for (const fs::path& file : after_kill.files)
        CHECK_NOTHROW(quantize::read_image(file));
    CHECK_FALSE(fs::exists(dir / "k.jsonl"));  // the manifest appears whole or not at all

    const auto rerun = test::run(QUANTIZE_CLI, {"batch", "--files-from", in, "-o", killed.string(),
                                                "-k", "4", "--keep-larger", "-q"});
    CHECK(rerun.exit_code == 6);
    const Tree finished = walk(killed);
    CHECK(finished.hidden.empty());
    CHECK(finished.files.size() == 950);
    // The same bytes as the run that was never killed.
    for (const fs::path& file : finished.files)
        CHECK(test::read_bytes(file) == test::read_bytes(out / fs::relative(file, killed)));
}
