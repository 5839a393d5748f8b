// The cancel polled inside a stage's long pixel loops (sample, remap, measure), so a Progress
// that says stop takes effect within a bounded amount of work, not at the end of the stage.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>

#include "quantize/progress.hpp"

namespace quantize::detail {

// Pixels of work between two polls: 64 Ki, 0.1-2 ms of the loops here (Floyd-Steinberg, the
// slowest, about 26 ns a pixel), so a poll (a test, then a lock and a call) costs nothing
// measurable (bench/run cancel) and a cancel lands within a few milliseconds. Loops in parallel
// chunks of 64 Ki pixels poll once per chunk; those in bands of 16 rows (ordered dithering, the
// adaptive dither map) once per band; ΔE00 once per 4,096 samples, SSIM once per 64 rows;
// sequential loops (error diffusion) once the rows done since the last poll reach it.
constexpr std::size_t kPollPixels = std::size_t{1} << 16;

// progress(stage), called from any thread, one call at a time (Progress promises callers that);
// once it has said stop, every later poll throws without asking again. Default: never stops.
class Poll {
  public:
    Poll() = default;
    Poll(const Progress& progress, Stage stage)
        : progress_(progress ? &progress : nullptr), stage_(stage) {}
    Poll(const Poll&) = delete;
    Poll& operator=(const Poll&) = delete;

    // Throws Error(cancelled), subject the stage's name, when the callback says stop. Only the
    // test is inline: the call, its lock and its throw stay out of the loops it sits in.
    void operator()() const {
        if (progress_)
            ask();
    }

    // For sequential loops: adds `pixels` just done to `done` and polls once it reaches
    // kPollPixels (then starting `done` again from 0).
    void after(std::size_t& done, std::size_t pixels) const {
        done += pixels;
        if (done >= kPollPixels) {
            done = 0;
            (*this)();
        }
    }

  private:
    [[gnu::cold, gnu::noinline]] void ask() const;

    const Progress* progress_ = nullptr;
    Stage stage_ = Stage::decode;
    mutable std::mutex one_call_at_a_time_;
    mutable std::atomic<bool> stopped_ = false;
};

}  // namespace quantize::detail
