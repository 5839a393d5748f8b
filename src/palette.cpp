#include "quantize/palette.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace quantize {

std::string to_hex(Color c) {
    char text[10];
    if (c.a == 255) {
        std::snprintf(text, sizeof text, "#%02x%02x%02x", c.r, c.g, c.b);
    } else {
        std::snprintf(text, sizeof text, "#%02x%02x%02x%02x", c.r, c.g, c.b, c.a);
    }
    return text;
}

Palette palette_from_centroids(std::span<const Point> centroids) {
    Palette palette;
    for (const Point& p : centroids) {
        const Color c = to_color(p);
        const bool seen = std::any_of(palette.begin(), palette.end(),
                                      [&](const PaletteEntry& e) { return e.color == c; });
        if (!seen)
            palette.push_back({c, 0});
    }
    return palette;
}

std::vector<std::uint8_t> compact_and_sort_by_count(Palette& palette) {
    std::vector<std::size_t> order(palette.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        if (palette[a].count != palette[b].count)
            return palette[a].count > palette[b].count;
        return pack(palette[a].color) < pack(palette[b].color);
    });
    std::vector<std::uint8_t> new_index(palette.size(), 0);
    Palette sorted;
    for (std::size_t old : order) {
        if (palette[old].count == 0)
            break;  // zero counts sort last
        new_index[old] = static_cast<std::uint8_t>(sorted.size());
        sorted.push_back(palette[old]);
    }
    palette = std::move(sorted);
    return new_index;
}

std::uint64_t total_count(const Palette& palette) {
    std::uint64_t total = 0;
    for (const PaletteEntry& e : palette)
        total += e.count;
    return total;
}

}  // namespace quantize
