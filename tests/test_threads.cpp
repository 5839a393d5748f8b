// Every public entry point that takes a thread limit runs its work in an arena of that many
// threads. Whether a worker thread happens to join a call is a matter of timing, so these tests
// look instead at the arena itself: its concurrency, as the call's own callbacks (Progress,
// KMeansObserver, BatchSettings::keep_going) see it from inside the work. A call that dropped its
// limit would run in an arena of one thread per core, and the limits asked here (1, and one more
// than the cores) both differ from that on any machine.
#include <catch2/catch.hpp>

#include <algorithm>
#include <mutex>
#include <vector>

#include <tbb/info.h>
#include <tbb/task_arena.h>

#include "quantize/analyze.hpp"
#include "quantize/batch.hpp"
#include "quantize/quantize.hpp"
#include "support.hpp"

using namespace quantize;
namespace fs = std::filesystem;

namespace {

// The concurrency of the arenas a call's callbacks ran in: the largest seen, 0 before any call.
class ArenaSeen : public KMeansObserver {
  public:
    Progress progress() {
        return [this](Stage) {
            see();
            return true;
        };
    }
    std::function<bool()> keep_going() {
        return [this] {
            see();
            return true;
        };
    }
    KMeansWants wants() const override { return {}; }
    bool cancelled() override {
        see();
        return false;
    }
    int most() const { return most_; }

  private:
    void see() {
        const std::lock_guard lock(mutex_);  // k-means asks from several threads
        most_ = std::max(most_, tbb::this_task_arena::max_concurrency());
    }
    std::mutex mutex_;
    int most_ = 0;
};

// Limits that an unlimited arena (one thread per core) never shows: 1 (on a machine of 2 or more
// cores) and one more than the cores (on any machine).
std::vector<int> limits_to_ask() {
    return {1, tbb::info::default_concurrency() + 1};
}

Options limited(int threads, ArenaSeen* seen = nullptr) {
    Options o;
    o.clustering.colors = 16;
    o.clustering.restarts = 1;
    o.running.threads = threads;
    o.running.observer = seen;
    return o;
}

const fs::path& photo() {
    static const fs::path path = test::sample_path("kodim23.png");
    return path;
}

}  // namespace

TEST_CASE("the limits asked tell a limited arena from an unlimited one", "[threads]") {
    const int unlimited = tbb::task_arena(tbb::task_arena::automatic).max_concurrency();
    for (int threads : limits_to_ask()) {
        CHECK(tbb::task_arena(threads).max_concurrency() == threads);
        if (unlimited > 1 || threads > 1)
            CHECK(threads != unlimited);
    }
}

TEST_CASE("read_image and decode_image decode in an arena of the threads given", "[threads]") {
    const std::vector<std::uint8_t> bytes = test::read_bytes(photo());
    for (int threads : limits_to_ask()) {
        ArenaSeen read, decoded;
        read_image(photo(), {}, threads, read.progress());
        decode_image(bytes, "kodim23.png", {}, threads, decoded.progress());
        CHECK(read.most() == threads);
        CHECK(decoded.most() == threads);
    }
}

TEST_CASE("remap and measure_quality run in an arena of the threads given", "[threads]") {
    const Image image = read_image(photo());
    const Quantized q = quantize::quantize(image, limited(0));
    for (int threads : limits_to_ask()) {
        ArenaSeen remapped, measured;
        remap(image, q.image.palette, ColorSpace::wrgb, threads, remapped.progress());
        measure_quality(image, q.image, 1000, threads, measured.progress());
        CHECK(remapped.most() == threads);
        CHECK(measured.most() == threads);
    }
}

TEST_CASE("quantize, its reports and the file pipeline run in options.running.threads",
          "[threads]") {
    const Image image = read_image(photo());
    const std::vector<std::uint8_t> bytes = test::read_bytes(photo());
    const test::TempDir dir;
    for (int threads : limits_to_ask()) {
        ArenaSeen staged, polled;  // Progress before each stage; the observer inside k-means
        const Options options = limited(threads, &polled);
        const Quantized q = quantize::quantize(image, options, staged.progress());
        CHECK(staged.most() == threads);
        CHECK(polled.most() == threads);

        ArenaSeen of, for_image;
        report_of(image, q, options, of.progress());
        report_for(image, q, options, for_image.progress());
        CHECK(of.most() == threads);
        CHECK(for_image.most() == threads);

        ArenaSeen file, encoded;
        quantize_file(photo(), dir / "out.png", limited(threads), true, file.progress());
        quantize_encoded(bytes, "kodim23.png", ImageFormat::png, "out.png", limited(threads),
                         encoded.progress());
        CHECK(file.most() == threads);
        CHECK(encoded.most() == threads);
    }
}

TEST_CASE("animations, palettes and analyze run k-means in options.running.threads", "[threads]") {
    const Image image = read_image(photo());
    Animation animation;
    animation.width = int(image.width);
    animation.height = int(image.height);
    animation.frames = {{image, 100}, {image, 100}};
    for (int threads : limits_to_ask()) {
        ArenaSeen staged, polled;
        quantize_animation(animation, limited(threads, &polled), staged.progress());
        CHECK(staged.most() == threads);
        CHECK(polled.most() == threads);

        ArenaSeen extracted, pooled, analyzed;
        extract_palette(std::span(&image, 1), limited(threads, &extracted));
        const WeightedColors sample = weighted_sample(image, 20000, 1);
        palette_of_samples(std::span(&sample, 1), limited(threads, &pooled));
        analyze(image, limited(threads, &analyzed), 8, SweepMethod::merging);
        CHECK(extracted.most() == threads);
        CHECK(pooled.most() == threads);
        CHECK(analyzed.most() == threads);
    }
}

TEST_CASE("a batch quantizes each image in an arena of options.running.threads", "[threads]") {
    const test::TempDir dir;
    const std::vector<BatchItem> items = {{photo(), dir / "a.png", {}}};
    for (int threads : limits_to_ask()) {
        // One job: the batch's own arena has one thread, each image's has `threads`.
        ArenaSeen seen;
        BatchSettings settings;
        settings.jobs = 1;
        settings.force = true;
        settings.keep_going = seen.keep_going();
        std::vector<BatchStatus> statuses;
        run_batch(items, limited(threads), settings,
                  [&](const BatchResult& r) { statuses.push_back(r.status); });
        CHECK(statuses == std::vector<BatchStatus>{BatchStatus::done});
        CHECK(seen.most() == threads);
    }
}
