// The stages of a run and the callback that follows them (and can cancel them).
#pragma once

#include <functional>

namespace quantize {

// The steps of one file's run, in order; timed in the report and named to progress callbacks.
enum class Stage { decode, sample, cluster, remap, encode, measure, write };
const char* stage_name(Stage stage);

// Called before each stage starts, and with Stage::cluster again before every k-means++ pick
// (but each run's first) and every Lloyd update, so a long run stops within one of them; inside
// the pixel loops of sample, remap (every dither method) and measure, again with that stage
// about once per 64 Ki pixels (the README's "How it works" gives each loop's interval); return
// false to stop (Error(cancelled) is thrown, and no output file is written). Calls never
// overlap, though those inside the loops may come from several threads.
using Progress = std::function<bool(Stage)>;

}  // namespace quantize
