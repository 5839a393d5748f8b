// Batches: file discovery, globs, output mapping, shards, resume and the concurrent runner.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <functional>
#include <set>

#include <nlohmann/json.hpp>

#include "quantize/batch.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using namespace quantize;

namespace {

// A small PNG of random pixels at `path` (folders created).
void write_image(const fs::path& path, unsigned seed = 3) {
    fs::create_directories(path.parent_path());
    write_file_atomically(path, encode_png(test::noise_image(32, 24, false, seed), path), true);
}

// in/f0.png ... in/f<n-1>.png under `dir`; returns the sources that take that folder.
BatchSources numbered_images(const fs::path& dir, unsigned n) {
    for (unsigned i = 0; i < n; ++i)
        write_image(dir / "in" / ("f" + std::to_string(i) + ".png"), i);
    BatchSources sources;
    sources.inputs = {dir / "in"};
    return sources;
}

void write_text(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    test::write_bytes(path, std::vector<std::uint8_t>(text.begin(), text.end()));
}

// Inputs and outputs of a plan, relative to `root`, as generic strings.
std::vector<std::string> inputs_of(const std::vector<BatchItem>& items, const fs::path& root) {
    std::vector<std::string> names;
    for (const BatchItem& item : items)
        names.push_back(item.input.lexically_relative(root).generic_string());
    return names;
}

std::vector<std::string> outputs_of(const std::vector<BatchItem>& items, const fs::path& root) {
    std::vector<std::string> names;
    for (const BatchItem& item : items)
        names.push_back(item.output.lexically_relative(root).generic_string());
    return names;
}

// A tree: a.png, b.jpg (really PNG bytes), notes.txt, .hidden.png, sub/c.png, sub/deep/d.png,
// raw/e.png.
void make_tree(const fs::path& in) {
    write_image(in / "a.png", 1);
    write_image(in / "b.jpg", 2);
    write_text(in / "notes.txt", "not an image");
    write_image(in / ".hidden.png", 3);
    write_image(in / "sub" / "c.png", 4);
    write_image(in / "sub" / "deep" / "d.png", 5);
    write_image(in / "raw" / "e.png", 6);
}

Options small_options() {
    Options options;
    options.clustering.colors = 4;
    options.encoding.skip_if_larger = false;
    return options;
}

std::vector<BatchResult> run_all(std::span<const BatchItem> items, const Options& options,
                                 BatchSettings settings = {}) {
    std::vector<BatchResult> results;
    run_batch(items, options, settings, [&](const BatchResult& r) { results.push_back(r); });
    std::sort(results.begin(), results.end(),
              [](const BatchResult& a, const BatchResult& b) { return a.input < b.input; });
    return results;
}

}  // namespace

TEST_CASE("a folder gives its images, sorted, outputs mirroring the tree", "[batch]") {
    test::TempDir dir;
    make_tree(dir / "in");
    BatchSources sources;
    sources.inputs = {dir / "in"};
    const auto flat = plan_batch(sources, dir / "out", ".png");
    CHECK(inputs_of(flat, dir.path()) == std::vector<std::string>{"in/a.png", "in/b.jpg"});
    CHECK(outputs_of(flat, dir.path()) == std::vector<std::string>{"out/a.png", "out/b.png"});

    sources.recursive = true;
    const auto deep = plan_batch(sources, dir / "out", ".webp");
    CHECK(inputs_of(deep, dir.path()) == std::vector<std::string>{"in/a.png", "in/b.jpg",
                                                                  "in/raw/e.png", "in/sub/c.png",
                                                                  "in/sub/deep/d.png"});
    CHECK(outputs_of(deep, dir.path()) ==
          std::vector<std::string>{"out/a.webp", "out/b.webp", "out/raw/e.webp", "out/sub/c.webp",
                                   "out/sub/deep/d.webp"});
    for (const BatchItem& item : deep)
        CHECK(item.problem.empty());
}

TEST_CASE("include and exclude globs select files and prune folders", "[batch]") {
    CHECK(glob_selects("x/a.PNG", {}, {}));  // image extensions, any case
    CHECK_FALSE(glob_selects("x/a.txt", {}, {}));
    const std::vector<std::string> png{"*.png"}, raw{"raw"}, sub_glob{"sub/*.png"};
    CHECK(glob_selects("sub/deep/a.png", png, {}));
    CHECK_FALSE(glob_selects("a.jpg", png, {}));
    CHECK(glob_selects("sub/a.png", sub_glob, {}));
    CHECK_FALSE(glob_selects("sub/deep/a.png", sub_glob, {}));  // '*' stops at '/'
    CHECK_FALSE(glob_selects("a.png", {}, png));

    test::TempDir dir;
    make_tree(dir / "in");
    BatchSources sources;
    sources.inputs = {dir / "in"};
    sources.recursive = true;
    sources.include = {"*.png", "*.txt"};
    sources.exclude = {"raw", "sub/deep"};
    CHECK(inputs_of(plan_batch(sources, dir / "out", ".png"), dir.path()) ==
          std::vector<std::string>{"in/a.png", "in/notes.txt", "in/sub/c.png"});
}

TEST_CASE("the output folder inside the input tree is never walked", "[batch]") {
    test::TempDir dir;
    make_tree(dir / "in");
    write_image(dir / "in" / "out" / "a.png", 9);  // an earlier run's output
    BatchSources sources;
    sources.inputs = {dir / "in"};
    sources.recursive = true;
    sources.listed = {dir / "in" / "out" / "a.png"};
    const auto items = plan_batch(sources, dir / "in" / "out", ".png");
    CHECK(inputs_of(items, dir.path()) == std::vector<std::string>{"in/a.png", "in/b.jpg",
                                                                   "in/raw/e.png", "in/sub/c.png",
                                                                   "in/sub/deep/d.png"});

    BatchSources inside;
    inside.inputs = {dir / "in" / "sub"};
    try {
        plan_batch(inside, dir / "in", ".png");
        FAIL("an input folder inside the output folder was accepted");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::invalid_argument);
        CHECK(e.subject() == "output");
        CHECK_THAT(e.cause(), Catch::Contains("outputs would replace inputs"));
    }
}

TEST_CASE("named and listed files: outputs by name or by listed path, collisions fail", "[batch]") {
    test::TempDir dir;
    make_tree(dir / "in");
    BatchSources sources;
    sources.inputs = {dir / "in" / "sub" / "c.png"};
    sources.listed = {"in/sub/deep/d.png", "../elsewhere/f.png", dir / "in" / "a.png"};
    const auto items = plan_batch(sources, "out", ".png");
    std::set<std::string> outputs;
    for (const BatchItem& item : items)
        outputs.insert(item.output.generic_string());
    CHECK(outputs ==
          std::set<std::string>{"out/c.png", "out/in/sub/deep/d.png", "out/f.png", "out/a.png"});

    write_image(dir / "in" / "a.jpg");
    BatchSources both;
    both.inputs = {dir / "in"};
    const auto clash = plan_batch(both, dir / "out", ".png");
    REQUIRE(clash.size() == 3);  // a.jpg, a.png, b.jpg
    CHECK(clash[0].problem.empty());
    CHECK(clash[1].problem == "its output " + (dir / "out" / "a.png").string() +
                                  " is also the output of " + (dir / "in" / "a.jpg").string() +
                                  " (rename one)");
}

TEST_CASE("shards are disjoint, cover the list and parse as I/N", "[batch]") {
    std::vector<BatchItem> items;
    for (int i = 0; i < 10; ++i)
        items.push_back({"f" + std::to_string(i), "o" + std::to_string(i), {}});
    std::multiset<std::string> seen;
    for (int s = 0; s < 3; ++s) {
        for (const BatchItem& item : shard_of(items, s, 3))
            seen.insert(item.input.string());
    }
    CHECK(seen.size() == 10);
    CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == 10);
    CHECK(shard_of(items, 1, 3).front().input == "f1");
    CHECK(parse_shard("0/1") == std::pair{0, 1});
    CHECK(parse_shard("2/3") == std::pair{2, 3});
    for (const char* bad : {"3/3", "1", "/2", "1/", "-1/2", "a/b", "1/0", "1/2/3"})
        CHECK_FALSE(parse_shard(bad));
}

TEST_CASE("an output is up to date only when made from this input with these options", "[batch]") {
    test::TempDir dir;
    write_image(dir / "in.png");
    const Options options = small_options();
    CHECK_FALSE(up_to_date(dir / "in.png", dir / "out.png", options));
    quantize_file(dir / "in.png", dir / "out.png", options, false);
    CHECK(up_to_date(dir / "in.png", dir / "out.png", options));
    CHECK(read_tag(dir / "out.png").value == output_tag(dir / "in.png", dir / "out.png", options));

    // Any option that changes the bytes makes it stale; threads do not.
    Options other = options;
    other.running.threads = 1;
    CHECK(up_to_date(dir / "in.png", dir / "out.png", other));
    for (auto change : std::vector<std::function<void(Options&)>>{
             [](Options& o) { o.clustering.colors = 8; }, [](Options& o) { o.clustering.seed = 9; },
             [](Options& o) { o.clustering.space = ColorSpace::lab; },
             [](Options& o) { o.mapping.dither = Dither::fs; },
             [](Options& o) { o.clustering.sample = 100; },
             [](Options& o) {
                 o.clustering.fixed = {Color{1, 2, 3, 255}};
             },
             [](Options& o) {
                 o.clustering.palette = {{Color{1, 2, 3, 255}, 0, false}};
             },
             [](Options& o) { o.encoding.encode.png_level = 3; }}) {
        other = options;
        change(other);
        CHECK_FALSE(up_to_date(dir / "in.png", dir / "out.png", other));
    }

    // An output made some other way, however new, is redone; so is one whose input changed,
    // even to an older modification time.
    write_image(dir / "copy.png");
    CHECK_FALSE(up_to_date(dir / "in.png", dir / "copy.png", options));
    const auto t = fs::last_write_time(dir / "in.png");
    fs::last_write_time(dir / "in.png", t - std::chrono::seconds(100));
    CHECK_FALSE(up_to_date(dir / "in.png", dir / "out.png", options));
}

TEST_CASE("run_batch does every good file and reports each bad one", "[batch]") {
    test::TempDir dir;
    write_image(dir / "in" / "a.png", 1);
    write_image(dir / "in" / "sub" / "b.png", 2);
    write_text(dir / "in" / "bad.png", "not an image");
    std::vector<std::uint8_t> cut = test::read_bytes(dir / "in" / "a.png");
    cut.resize(cut.size() / 2);
    test::write_bytes(dir / "in" / "cut.png", cut);
    BatchSources sources;
    sources.inputs = {dir / "in"};
    sources.recursive = true;
    const auto items = plan_batch(sources, dir / "out", ".png");
    const auto results = run_all(items, small_options());
    REQUIRE(results.size() == 4);
    CHECK(results[0].status == BatchStatus::done);  // a.png
    CHECK(results[1].status == BatchStatus::failed);
    CHECK(results[1].message ==
          (dir / "in" / "bad.png").string() +
              ": not an image quantize reads (corrupt, or an unknown format)");
    CHECK(results[2].status == BatchStatus::failed);
    CHECK_THAT(results[2].message, Catch::StartsWith((dir / "in" / "cut.png").string() + ": "));
    CHECK(results[3].status == BatchStatus::done);  // sub/b.png
    CHECK(results[3].report->colors_requested == 4);
    CHECK(results[3].output_bytes == fs::file_size(dir / "out" / "sub" / "b.png"));
    CHECK(test::hidden_files(dir / "out").empty());

    // Resume: everything done is skipped, a changed input is redone, --force redoes all.
    const auto again = run_all(items, small_options());
    CHECK(again[0].status == BatchStatus::skipped);
    CHECK(again[0].message == "up to date (made from this input with these options)");
    CHECK(again[3].status == BatchStatus::skipped);
    fs::last_write_time(dir / "in" / "a.png",
                        fs::last_write_time(dir / "out" / "a.png") + std::chrono::seconds(5));
    const auto changed = run_all(items, small_options());
    CHECK(changed[0].status == BatchStatus::done);
    CHECK(changed[3].status == BatchStatus::skipped);
    BatchSettings force;
    force.force = true;
    CHECK(run_all(items, small_options(), force)[3].status == BatchStatus::done);
}

TEST_CASE("outputs do not depend on jobs or threads", "[batch]") {
    test::TempDir dir;
    const BatchSources sources = numbered_images(dir.path(), 5);
    Options one = small_options();
    one.running.threads = 1;
    BatchSettings serial;
    serial.jobs = 1;
    run_all(plan_batch(sources, dir / "a", ".png"), one, serial);
    Options two = small_options();
    two.running.threads = 2;
    BatchSettings wide;
    wide.jobs = 3;
    run_all(plan_batch(sources, dir / "b", ".png"), two, wide);
    for (unsigned i = 0; i < 5; ++i) {
        const std::string name = "f" + std::to_string(i) + ".png";
        CHECK(test::read_bytes(dir / "a" / name) == test::read_bytes(dir / "b" / name));
    }
    CHECK(batch_concurrency(wide, two).jobs == 3);
    CHECK(batch_concurrency(wide, two).threads_per_image == 2);
    CHECK(batch_concurrency(wide, Options{}).threads_per_image >= 1);
}

TEST_CASE("keep_going false stops the batch: nothing more started, nothing partial", "[batch]") {
    test::TempDir dir;
    const auto items = plan_batch(numbered_images(dir.path(), 6), dir / "out", ".png");
    BatchSettings stopped;
    stopped.keep_going = [] { return false; };
    CHECK(run_all(items, small_options(), stopped).empty());
    CHECK_FALSE(fs::exists(dir / "out"));

    // Stop once the first file has been decoded: it ends cancelled, the rest never start.
    std::atomic<int> calls{0};
    BatchSettings soon;
    soon.jobs = 1;
    soon.keep_going = [&] { return ++calls <= 2; };  // before the file, then its decode
    const auto results = run_all(items, small_options(), soon);
    REQUIRE(results.size() == 1);
    CHECK(results[0].status == BatchStatus::cancelled);
    CHECK(fs::is_empty(dir / "out"));
}

TEST_CASE("manifest lines carry the report fields, or the error", "[batch]") {
    test::TempDir dir;
    write_image(dir / "in" / "a.png");
    write_text(dir / "in" / "b.png", "text");
    BatchSources sources;
    sources.inputs = {dir / "in"};
    const auto results = run_all(plan_batch(sources, dir / "out", ".png"), small_options());
    REQUIRE(results.size() == 2);
    const std::string done_line = format_manifest_line(results[0]);
    CHECK(done_line.find('\n') == std::string::npos);
    const auto done = nlohmann::json::parse(done_line);
    const auto report = nlohmann::json::parse(format_json(*results[0].report));
    for (const auto& [key, value] : report.items())
        CHECK(done[key] == value);
    CHECK(done["status"] == "done");
    CHECK_FALSE(done.contains("error"));
    const auto failed = nlohmann::json::parse(format_manifest_line(results[1]));
    CHECK(failed == nlohmann::json{{"input", (dir / "in" / "b.png").string()},
                                   {"output", (dir / "out" / "b.png").string()},
                                   {"status", "failed"},
                                   {"error", results[1].message}});
}

TEST_CASE("a shared palette is the same whatever jobs, and every output keeps it whole",
          "[batch]") {
    test::TempDir dir;
    const BatchSources sources = numbered_images(dir.path(), 4);
    write_text(dir / "in" / "z.png", "not an image");  // left out of the training
    const auto items = plan_batch(sources, dir / "out", ".png");
    Options options = small_options();
    options.clustering.colors = 6;
    BatchSettings one, three;
    one.jobs = 1;
    three.jobs = 3;
    const Palette palette = train_shared_palette(items, options, one);
    CHECK(palette.size() == 6);
    const Palette again = train_shared_palette(items, options, three);
    REQUIRE(again.size() == palette.size());
    for (std::size_t i = 0; i < palette.size(); ++i)
        CHECK(again[i].color == palette[i].color);

    options.clustering.palette = palette;
    const Image image = read_image(dir / "in" / "f0.png");
    const Quantized q = quantize::quantize(image, options);
    REQUIRE(q.image.palette.size() == palette.size());  // order and entries kept
    for (std::size_t i = 0; i < palette.size(); ++i)
        CHECK(q.image.palette[i].color == palette[i].color);

    const std::vector<BatchItem> none{{dir / "in" / "z.png", dir / "out" / "z.png", {}}};
    CHECK_THROWS_AS(train_shared_palette(none, small_options(), one), Error);
}

TEST_CASE("palette files read back in every text format", "[batch][palette_io]") {
    Palette palette{{{255, 0, 0, 255}, 5, false},
                    {{0, 128, 255, 255}, 3, false},
                    {{16, 16, 16, 255}, 1, false}};
    for (PaletteFormat format : {PaletteFormat::hex, PaletteFormat::txt, PaletteFormat::css,
                                 PaletteFormat::gpl, PaletteFormat::pal, PaletteFormat::json}) {
        const auto bytes = format_palette(palette, format);
        const Palette back = parse_palette(std::string(bytes.begin(), bytes.end()), format, "p");
        REQUIRE(back.size() == palette.size());
        for (std::size_t i = 0; i < back.size(); ++i)
            CHECK(back[i].color == palette[i].color);
    }
    CHECK_THROWS_AS(parse_palette("nothing here", PaletteFormat::hex, "p"), Error);
    CHECK_THROWS_AS(parse_palette("", PaletteFormat::ase, "p"), Error);
}
