// Stage "sample": the weighted set of colors k-means trains on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "quantize/pixels.hpp"
#include "quantize/progress.hpp"

namespace quantize {

struct ColorCount {
    Color color;
    std::uint32_t count = 0;
};

// Every fully transparent pixel is the same color, whatever RGB it carries: (0, 0, 0, 0).
constexpr Color canonical(Color c) {
    return c.a == 0 ? Color{0, 0, 0, 0} : c;
}

// The distinct (canonical) colors of a seeded random subsample of `size` pixels, with how many
// sampled pixels had each; in Morton (Z-curve) order of (r, g, b, a), so neighbours in the list
// are near in color, which k-means' pruning relies on for speed. The subsample is stratified: the
// image is cut into `size` runs of consecutive pixels and one pixel is drawn from each, so it
// covers the whole picture and never draws a pixel twice. size = 0 or size >= pixel count samples
// every pixel. The same image, size and seed always give the same result. `progress` is polled
// with Stage::sample once per 64 Ki samples and once per each of the 256 buckets of their sort;
// false throws Error(cancelled).
std::vector<ColorCount> sample_colors(ImageView image, std::size_t size, std::uint64_t seed,
                                      const Progress& progress = {});

// The distinct (canonical) colors of the whole image, sorted by pack(color), if there are at
// most `limit` of them; std::nullopt otherwise. Stops reading at the first color over the limit,
// so it is cheap on photographs. `progress` is polled with Stage::sample once per 64 Ki pixels.
std::optional<std::vector<Color>> distinct_colors(ImageView image, std::size_t limit,
                                                  const Progress& progress = {});

}  // namespace quantize
