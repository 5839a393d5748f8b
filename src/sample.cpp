#include "quantize/sample.hpp"

#include <algorithm>
#include <random>
#include <unordered_set>

#include <tbb/parallel_sort.h>

namespace quantize {

namespace {

// Collapses sorted packed colors into (color, count) runs.
std::vector<ColorCount> count_runs(const std::vector<std::uint32_t>& sorted) {
    std::vector<ColorCount> out;
    for (std::size_t i = 0; i < sorted.size();) {
        std::size_t j = i + 1;
        while (j < sorted.size() && sorted[j] == sorted[i]) {
            ++j;
        }
        out.push_back({unpack(sorted[i]), static_cast<std::uint32_t>(j - i)});
        i = j;
    }
    return out;
}

}  // namespace

std::vector<ColorCount> sample_colors(const Image& image, std::size_t size, std::uint64_t seed) {
    const std::size_t n = image.pixel_count();
    std::vector<std::uint32_t> keys;
    if (size == 0 || size >= n) {
        keys.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
            keys[i] = pack(canonical(image.pixel(i)));
        }
    } else {
        keys.resize(size);
        std::mt19937_64 rng(seed);
        for (std::size_t s = 0; s < size; ++s) {
            const std::size_t begin = s * n / size;
            const std::size_t end = (s + 1) * n / size;  // > begin because size < n
            keys[s] = pack(canonical(image.pixel(begin + rng() % (end - begin))));
        }
    }
    tbb::parallel_sort(keys.begin(), keys.end());
    return count_runs(keys);
}

std::optional<std::vector<Color>> distinct_colors(const Image& image, std::size_t limit) {
    std::unordered_set<std::uint32_t> seen;
    seen.reserve(limit + 1);
    const std::size_t n = image.pixel_count();
    std::uint32_t previous = 0;
    for (std::size_t i = 0; i < n; ++i) {
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
