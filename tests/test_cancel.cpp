// The cancel polled inside the long pixel loops (sample, remap with every dither method, the
// quality measures): a Progress that says stop at its Nth call for a stage, N past the one call
// made before the stage starts, must end the call with Error(cancelled) and write no file; and
// counting the calls shows each loop polled more than once on an image of known size. Both fail
// if the loop's own poll is removed (the stage is then asked about once at most).
#include <catch2/catch.hpp>

#include <map>
#include <mutex>

#include "detail/poll.hpp"
#include "quantize/quantize.hpp"
#include "support.hpp"

using namespace quantize;
namespace fs = std::filesystem;

namespace {

// Counts the calls per stage; says stop at call `stop_at` (1-based) for `stage`, 0 = never.
class StopAt {
  public:
    StopAt(Stage stage, int stop_at) : stage_(stage), stop_at_(stop_at) {}
    Progress progress() {
        return [this](Stage s) {
            const std::lock_guard lock(mutex_);  // asked from several threads, one at a time
            ++calls_[s];
            return !(s == stage_ && calls_[s] == stop_at_);
        };
    }
    int calls(Stage s) const { return calls_.count(s) ? calls_.at(s) : 0; }

  private:
    Stage stage_;
    int stop_at_;
    std::mutex mutex_;
    std::map<Stage, int> calls_;
};

// Whether `call` ends with Error(cancelled).
template <class Call>
bool cancelled(Call&& call) {
    try {
        call();
    } catch (const Error& e) {
        return e.kind() == ErrorKind::cancelled;
    }
    return false;
}

const Image& photo() {  // 768 x 512 = 393,216 pixels: 6 chunks of kPollPixels
    static const Image image = read_image(test::sample_path("kodim23.png"));
    return image;
}

Options sixteen(Dither dither = Dither::none) {
    Options o;
    o.clustering.colors = 16;
    o.clustering.restarts = 1;
    o.mapping.dither = dither;
    return o;
}

const Palette& palette() {
    static const Palette p = quantize::quantize(photo(), sixteen()).image.palette;
    return p;
}

}  // namespace

TEST_CASE("the photo is large enough for several polls", "[cancel]") {
    CHECK(photo().pixel_count() >= 6 * detail::kPollPixels);
}

TEST_CASE("every dither method polls inside its loops and stops at a cancel", "[cancel]") {
    for (const DitherMethod& method : dither_methods()) {
        INFO(method.name);
        StopAt counted(Stage::remap, 0);
        map_to_palette(photo(), palette(), ColorSpace::wrgb, method.dither, 1, counted.progress());
        CHECK(counted.calls(Stage::remap) >= 2);
        StopAt stop(Stage::remap, 2);
        CHECK(cancelled([&] {
            map_to_palette(photo(), palette(), ColorSpace::wrgb, method.dither, 1, stop.progress());
        }));
    }
}

TEST_CASE("a poll changes no index", "[cancel]") {
    for (const DitherMethod& method : dither_methods()) {
        INFO(method.name);
        StopAt counted(Stage::remap, 0);
        CHECK(map_to_palette(photo(), palette(), ColorSpace::wrgb, method.dither, 1,
                             counted.progress())
                  .indices ==
              map_to_palette(photo(), palette(), ColorSpace::wrgb, method.dither, 1).indices);
    }
}

TEST_CASE("remap and measure_quality poll inside, past the call before the stage", "[cancel]") {
    const IndexedImage mapped = remap(photo(), palette(), ColorSpace::wrgb);
    for (int threads : {1, 2}) {
        StopAt remapped(Stage::remap, 0), measured(Stage::measure, 0);
        remap(photo(), palette(), ColorSpace::wrgb, threads, remapped.progress());
        measure_quality(photo(), mapped, kDeltaESample, threads, measured.progress());
        CHECK(remapped.calls(Stage::remap) > 2);
        CHECK(measured.calls(Stage::measure) > 2);

        StopAt stop_remap(Stage::remap, 2), stop_measure(Stage::measure, 2);
        CHECK(cancelled(
            [&] { remap(photo(), palette(), ColorSpace::wrgb, threads, stop_remap.progress()); }));
        CHECK(cancelled([&] {
            measure_quality(photo(), mapped, kDeltaESample, threads, stop_measure.progress());
        }));
    }
}

TEST_CASE("sampling polls inside and stops at a cancel", "[cancel]") {
    StopAt counted(Stage::sample, 0);
    sample_colors(photo(), 0, 1, counted.progress());
    distinct_colors(photo(), photo().pixel_count(), counted.progress());
    CHECK(counted.calls(Stage::sample) > 4);
    StopAt stop_sample(Stage::sample, 2), stop_distinct(Stage::sample, 2);
    CHECK(cancelled([&] { sample_colors(photo(), 0, 1, stop_sample.progress()); }));
    CHECK(cancelled(
        [&] { distinct_colors(photo(), photo().pixel_count(), stop_distinct.progress()); }));
}

TEST_CASE("quantize stops inside sampling and dithering", "[cancel]") {
    Options every_pixel = sixteen(Dither::fs);
    every_pixel.clustering.sample = 0;
    // Stage::sample: asked once before the stage, then inside distinct_colors and sampling.
    StopAt stop_sample(Stage::sample, 2);
    CHECK(cancelled([&] { quantize::quantize(photo(), every_pixel, stop_sample.progress()); }));
    StopAt stop_remap(Stage::remap, 2);
    CHECK(cancelled([&] { quantize::quantize(photo(), every_pixel, stop_remap.progress()); }));
}

TEST_CASE("quantize_file cancelled inside remap or measure writes no file", "[cancel]") {
    const test::TempDir dir;
    const fs::path input = test::sample_path("kodim23.png");
    for (Dither dither : {Dither::fs, Dither::adaptive, Dither::ordered}) {
        for (Stage stage : {Stage::remap, Stage::measure}) {
            INFO(dither_name(dither) << " " << stage_name(stage));
            // One name per case, so a file left by another case cannot hide or fake this one.
            const fs::path output =
                dir / (std::string(dither_name(dither)) + "-" + stage_name(stage) + ".png");
            StopAt stop(stage, 2);
            CHECK(cancelled(
                [&] { quantize_file(input, output, sixteen(dither), true, stop.progress()); }));
            CHECK_FALSE(fs::exists(output));
        }
    }
    CHECK(fs::is_empty(dir.path()));  // no temporary file left behind either
}

TEST_CASE("an animation's frames are polled as they are sampled and mapped together", "[cancel]") {
    Animation animation;
    animation.width = int(photo().width);
    animation.height = int(photo().height);
    Image other = photo();
    other.samples[0] ^= 1;  // not equal to the first, so mapped, not reused
    animation.frames = {{photo(), 100}, {other, 100}};
    StopAt counted(Stage::remap, 0);
    quantize_animation(animation, sixteen(), counted.progress());
    CHECK(counted.calls(Stage::sample) > 2);
    CHECK(counted.calls(Stage::remap) > 2);
    for (Stage stage : {Stage::sample, Stage::remap}) {
        INFO(stage_name(stage));
        StopAt stop(stage, 2);
        CHECK(cancelled([&] { quantize_animation(animation, sixteen(), stop.progress()); }));
    }
}
