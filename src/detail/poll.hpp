// The cancel polled inside a stage's long pixel loops (sample, remap, measure), so a Progress
// that says stop takes effect within a bounded amount of work, not at the end of the stage.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>

#include "quantize/progress.hpp"

namespace quantize::detail {

// Pixels of work between two polls: 64 Ki, 0.1-1 ms of any loop here, so a poll (a lock and a
// call) costs well under 0.1 % and a cancel lands within about a millisecond per thread. Loops
// cut into parallel chunks poll once per chunk of at most this many pixels; sequential loops
// (error diffusion) once the rows done since the last poll reach it.
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
