#include "quantize/sample.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <numeric>
#include <span>
#include <unordered_set>
#include <utility>

#include <tbb/parallel_for.h>

#include "detail/parallel.hpp"
#include "detail/poll.hpp"

namespace quantize {

namespace {

// Spreads the 8 bits of x to every fourth bit (bit i to bit 4i).
constexpr std::uint32_t spread(std::uint32_t x) {
    x &= 0xff;
    x = (x | x << 12) & 0x000f000f;
    x = (x | x << 6) & 0x03030303;
    return (x | x << 3) & 0x11111111;
}

// The inverse of spread.
constexpr std::uint32_t gather(std::uint32_t x) {
    x &= 0x11111111;
    x = (x | x >> 3) & 0x03030303;
    x = (x | x >> 6) & 0x000f000f;
    return (x | x >> 12) & 0xff;
}

// A color's position on the Morton (Z-order) curve through RGBA space: the bits of r, g, b and a
// interleaved. One to one, so sorting by it also groups equal colors.
constexpr std::uint32_t morton_key(Color c) {
    return spread(c.r) << 3 | spread(c.g) << 2 | spread(c.b) << 1 | spread(c.a);
}

constexpr Color from_morton_key(std::uint32_t key) {
    return {std::uint8_t(gather(key >> 3)), std::uint8_t(gather(key >> 2)),
            std::uint8_t(gather(key >> 1)), std::uint8_t(gather(key))};
}

static_assert(from_morton_key(morton_key({12, 200, 7, 255})) == Color{12, 200, 7, 255});

// Sorts keys ascending on their bits [0, bits): least significant digit radix sort, 8 bits a
// pass, through `scratch` (as long as keys); a pass whose digit is the same in every key moves
// nothing and is skipped. Linear: a 262,144-key sample sorts in ~2 ms on one core where a
// comparison sort takes ~15 ms on two.
void radix_sort(std::span<std::uint32_t> keys, std::span<std::uint32_t> scratch, int bits) {
    std::span<std::uint32_t> from = keys, to = scratch;
    for (int shift = 0; shift < bits; shift += 8) {
        std::array<std::size_t, 256> start{};
        for (std::uint32_t k : from)
            ++start[k >> shift & 0xff];
        if (std::find(start.begin(), start.end(), from.size()) != start.end())
            continue;
        std::size_t offset = 0;
        for (std::size_t& s : start)
            offset += std::exchange(s, offset);
        for (std::uint32_t k : from)
            to[start[k >> shift & 0xff]++] = k;
        std::swap(from, to);
    }
    if (from.data() != keys.data())
        std::copy(from.begin(), from.end(), keys.begin());
}

// The number of distinct keys in a sorted list.
std::size_t count_distinct(std::span<const std::uint32_t> sorted) {
    std::size_t distinct = sorted.empty() ? 0 : 1;
    for (std::size_t i = 1; i < sorted.size(); ++i)
        distinct += sorted[i] != sorted[i - 1];
    return distinct;
}

// Writes the (color, count) runs of sorted Morton keys from `out` on; returns their number.
std::size_t count_runs(std::span<const std::uint32_t> sorted, ColorCount* out) {
    ColorCount* next = out;
    for (std::size_t i = 0; i < sorted.size();) {
        std::size_t j = i + 1;
        while (j < sorted.size() && sorted[j] == sorted[i]) {
            ++j;
        }
        *next++ = {from_morton_key(sorted[i]), static_cast<std::uint32_t>(j - i)};
        i = j;
    }
    return std::size_t(next - out);
}

// n keys' room, left unset: each page is first touched by the parallel loop that fills it,
// where zeroing the buffer first made one thread take every page fault (~0.5 ms a MB here).
std::unique_ptr<std::uint32_t[]> uninitialized(std::size_t n) {
    return std::unique_ptr<std::uint32_t[]>(new std::uint32_t[n]);
}

// The (color, count) runs of `keys`, ascending. One stable pass spreads the keys into 256
// buckets by their top byte, from per-chunk histograms, so in parallel; then every bucket is
// sorted on its other 24 bits and counted on its own, buckets in parallel. The result is the
// sorted multiset, so it cannot depend on how the work was split.
// Polls once per chunk of kChunk keys and once per bucket.
std::vector<ColorCount> sorted_runs(std::span<std::uint32_t> keys, const detail::Poll& poll) {
    constexpr std::size_t kChunk = detail::kPollPixels;
    using Histogram = std::array<std::size_t, 256>;
    const std::size_t n = keys.size();
    std::vector<Histogram> offsets =
        detail::map_chunks<Histogram>(n, kChunk, [&](std::size_t begin, std::size_t end) {
            poll();
            Histogram h{};
            for (std::size_t i = begin; i < end; ++i)
                ++h[keys[i] >> 24];
            return h;
        });
    std::array<std::size_t, 257> bucket{};  // where each bucket starts, then n
    std::size_t offset = 0;
    for (std::size_t d = 0; d < 256; ++d) {
        bucket[d] = offset;
        for (Histogram& h : offsets)
            offset += std::exchange(h[d], offset);
    }
    bucket[256] = n;
    const auto bucketed = uninitialized(n);
    detail::for_each_chunk(n, kChunk, [&](std::size_t c, std::size_t begin, std::size_t end) {
        poll();
        Histogram& next = offsets[c];
        for (std::size_t i = begin; i < end; ++i)
            bucketed[next[keys[i] >> 24]++] = keys[i];
    });
    // Sorted, then counted to size the result, then copied out.
    std::array<std::size_t, 257> run_start{};
    tbb::parallel_for(std::size_t{0}, std::size_t{256}, [&](std::size_t d) {
        poll();
        const std::size_t first = bucket[d], count = bucket[d + 1] - first;
        const std::span<std::uint32_t> sorted(bucketed.get() + first, count);
        radix_sort(sorted, std::span(keys.data() + first, count), 24);
        run_start[d + 1] = count_distinct(sorted);
    });
    std::partial_sum(run_start.begin(), run_start.end(), run_start.begin());
    std::vector<ColorCount> out(run_start[256]);
    tbb::parallel_for(std::size_t{0}, std::size_t{256}, [&](std::size_t d) {
        count_runs(std::span(bucketed.get() + bucket[d], bucket[d + 1] - bucket[d]),
                   out.data() + run_start[d]);
    });
    return out;
}

// SplitMix64 (Steele, Lea and Flood, 2014): output s (0, 1, ...) of the stream seeded with
// `seed`. Each output is a function of its position alone, so draws run in parallel.
constexpr std::uint64_t splitmix64(std::uint64_t seed, std::uint64_t s) {
    std::uint64_t z = seed + (s + 1) * 0x9E3779B97F4A7C15u;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

// A number in [0, width) from a 64-bit draw: multiply and shift (Lemire, 2019), where a
// division would take ten times as long; off from uniform by at most width / 2^32.
constexpr std::uint64_t below(std::uint64_t draw, std::uint64_t width) {
    return width <= 0xffffffffu ? ((draw >> 32) * width) >> 32 : draw % width;
}

}  // namespace

std::vector<ColorCount> sample_colors(ImageView image, std::size_t size, std::uint64_t seed,
                                      const Progress& progress) {
    const detail::Poll poll(progress, Stage::sample);
    const std::size_t n = image.pixel_count();
    constexpr std::size_t kChunk = 4096;
    static_assert(detail::kPollPixels % kChunk == 0);
    // Polls at every kPollPixels-th pixel or sample: in the chunks starting there.
    auto poll_at = [&](std::size_t first) {
        if (first % detail::kPollPixels == 0)
            poll();
    };
    const std::size_t count = size == 0 || size >= n ? n : size;
    const auto keys = uninitialized(count);
    if (count == n) {
        detail::for_each_chunk(n, kChunk, [&](std::size_t, std::size_t first, std::size_t last) {
            poll_at(first);
            for (std::size_t i = first; i < last; ++i)
                keys[i] = morton_key(canonical(image.pixel(i)));
        });
    } else {
        // Sample s is pixel s * n / size + (draw s of the seeded stream, reduced to its
        // stratum's width). Reading a pixel is a cache miss (they lie ~n / size apart), so
        // each is asked for kAhead samples ahead of its use.
        constexpr std::size_t kAhead = 16;
        detail::for_each_chunk(size, kChunk, [&](std::size_t, std::size_t first, std::size_t last) {
            poll_at(first);
            std::array<std::size_t, kChunk> positions;
            // Stratum s is [s * n / size, (s + 1) * n / size), stepped along without dividing.
            const std::size_t step = n / size, extra = n % size;  // step >= 1 because size < n
            std::size_t begin = first * n / size, remainder = first * n % size;
            for (std::size_t s = first; s < last; ++s) {
                std::size_t end = begin + step;
                remainder += extra;
                if (remainder >= size) {
                    ++end;
                    remainder -= size;
                }
                positions[s - first] = begin + below(splitmix64(seed, s), end - begin);
                begin = end;
            }
            for (std::size_t s = first; s < last; ++s) {
                if (s + kAhead < last)
                    __builtin_prefetch(image.at(positions[s + kAhead - first]));
                keys[s] = morton_key(canonical(image.pixel(positions[s - first])));
            }
        });
    }
    return sorted_runs(std::span(keys.get(), count), poll);
}

std::optional<std::vector<Color>> distinct_colors(ImageView image, std::size_t limit,
                                                  const Progress& progress) {
    const detail::Poll poll(progress, Stage::sample);
    std::unordered_set<std::uint32_t> seen;
    seen.reserve(limit + 1);
    const std::size_t n = image.pixel_count();
    std::uint32_t previous = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (i % detail::kPollPixels == 0 && i > 0)
            poll();
        const std::uint32_t key = pack(canonical(image.pixel(i)));
        if (i > 0 && key == previous) {
            continue;
        }
        previous = key;
        if (seen.insert(key).second && seen.size() > limit) {
            return std::nullopt;
        }
    }
    std::vector<std::uint32_t> sorted(seen.begin(), seen.end());
    std::sort(sorted.begin(), sorted.end());
    std::vector<Color> colors;
    colors.reserve(sorted.size());
    for (std::uint32_t key : sorted) {
        colors.push_back(unpack(key));
    }
    return colors;
}

}  // namespace quantize
