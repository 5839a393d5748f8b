#include "quantize/palette.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "quantize/error.hpp"

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

std::optional<Color> parse_hex_color(std::string_view text) {
    if (text.starts_with('#'))
        text.remove_prefix(1);
    if (text.size() != 3 && text.size() != 6 && text.size() != 8)
        return std::nullopt;
    std::uint8_t digits[8] = {};
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char ch = text[i];
        if (ch >= '0' && ch <= '9')
            digits[i] = static_cast<std::uint8_t>(ch - '0');
        else if (ch >= 'a' && ch <= 'f')
            digits[i] = static_cast<std::uint8_t>(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F')
            digits[i] = static_cast<std::uint8_t>(ch - 'A' + 10);
        else
            return std::nullopt;
    }
    if (text.size() == 3)  // #rgb is #rrggbb with each digit doubled
        return Color{std::uint8_t(digits[0] * 17), std::uint8_t(digits[1] * 17),
                     std::uint8_t(digits[2] * 17), 255};
    auto byte = [&](int i) { return std::uint8_t(digits[2 * i] * 16 + digits[2 * i + 1]); };
    return Color{byte(0), byte(1), byte(2), text.size() == 8 ? byte(3) : std::uint8_t{255}};
}

std::vector<Color> parse_color_list(std::string_view text) {
    std::vector<Color> colors;
    for (std::size_t begin = 0; begin <= text.size();) {
        const std::size_t comma = std::min(text.find(',', begin), text.size());
        std::string_view item = text.substr(begin, comma - begin);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
            item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
            item.remove_suffix(1);
        const auto color = parse_hex_color(item);
        if (!color) {
            throw Error(ErrorKind::invalid_argument, "fixed",
                        "'" + std::string(item) + "' is not a color (#rgb, #rrggbb or #rrggbbaa)");
        }
        colors.push_back(*color);
        begin = comma + 1;
    }
    return colors;
}

Palette palette_from_centroids(std::span<const Point> centroids, ColorSpace space,
                               std::span<const Color> fixed, std::span<const double> sizes) {
    Palette palette;
    for (std::size_t i = 0; i < centroids.size(); ++i) {
        const bool is_fixed = i < fixed.size();
        const Color c = is_fixed ? fixed[i] : to_color(centroids[i], space);
        const std::uint64_t count = i < sizes.size() ? std::uint64_t(std::llround(sizes[i])) : 0;
        auto same = std::find_if(palette.begin(), palette.end(),
                                 [&](const PaletteEntry& e) { return e.color == c; });
        if (same == palette.end()) {
            palette.push_back({c, count, is_fixed});
        } else {
            same->fixed = same->fixed || is_fixed;
            same->count += count;
        }
    }
    return palette;
}

std::vector<std::uint8_t> compact_and_sort_by_count(Palette& palette) {
    auto kept = [&](std::size_t i) { return palette[i].count > 0 || palette[i].fixed; };
    std::vector<std::size_t> order(palette.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        if (kept(a) != kept(b))
            return kept(a);
        if (palette[a].count != palette[b].count)
            return palette[a].count > palette[b].count;
        return pack(palette[a].color) < pack(palette[b].color);
    });
    std::vector<std::uint8_t> new_index(palette.size(), 0);
    Palette sorted;
    for (std::size_t old : order) {
        if (!kept(old))
            break;  // dropped entries sort last
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

namespace {

// Chroma below which a color counts as grey for the hue order (CIELAB units).
constexpr double kGreyChroma = 5.0;

struct OrderKey {
    int group = 0;  // hue order: greys (0) before colors (1)
    double value = 0;
};

OrderKey order_key(const PaletteEntry& e, PaletteOrder order) {
    const Coordinates lab = srgb_to_lab(e.color);
    switch (order) {
        case PaletteOrder::share:
            return {0, -double(e.count)};
        case PaletteOrder::luminance:
            return {0, lab.c0};
        case PaletteOrder::hue: {
            if (std::hypot(lab.c1, lab.c2) < kGreyChroma)
                return {0, lab.c0};
            double angle = std::atan2(lab.c2, lab.c1) * 180.0 / 3.14159265358979323846;
            return {1, angle < 0 ? angle + 360.0 : angle};
        }
    }
    return {};
}

}  // namespace

std::optional<PaletteOrder> parse_palette_order(std::string_view name) {
    if (name == "share")
        return PaletteOrder::share;
    if (name == "luminance")
        return PaletteOrder::luminance;
    if (name == "hue")
        return PaletteOrder::hue;
    return std::nullopt;
}

void sort_palette(Palette& palette, PaletteOrder order) {
    std::stable_sort(palette.begin(), palette.end(),
                     [&](const PaletteEntry& a, const PaletteEntry& b) {
                         const OrderKey ka = order_key(a, order), kb = order_key(b, order);
                         if (ka.group != kb.group)
                             return ka.group < kb.group;
                         if (ka.value != kb.value)
                             return ka.value < kb.value;
                         if (a.count != b.count)
                             return a.count > b.count;
                         return pack(a.color) < pack(b.color);
                     });
}

}  // namespace quantize
