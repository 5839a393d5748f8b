#include "quantize/swatch.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

#include <opencv2/imgproc.hpp>

#include "quantize/color.hpp"

namespace quantize {

namespace {

constexpr int kWidth = 640;
constexpr int kRowHeight = 40;  // bars
constexpr int kPerRow = 8;      // squares
constexpr int kSquare = kWidth / kPerRow;
constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
constexpr double kFontScale = 0.45;

// The color as it looks over white, in OpenCV's BGR order.
cv::Scalar on_white(Color c) {
    auto mix = [&](int v) { return (v * c.a + 255 * (255 - c.a)) / 255.0; };
    return {mix(c.b), mix(c.g), mix(c.r)};
}

// Black on light colors, white on dark ones: CIELAB L* above 55 counts as light.
cv::Scalar label_color(Color c) {
    const Color seen{std::uint8_t((c.r * c.a + 255 * (255 - c.a)) / 255),
                     std::uint8_t((c.g * c.a + 255 * (255 - c.a)) / 255),
                     std::uint8_t((c.b * c.a + 255 * (255 - c.a)) / 255), 255};
    return srgb_to_lab(seen).c0 > 55 ? cv::Scalar(0, 0, 0) : cv::Scalar(255, 255, 255);
}

void put_label(cv::Mat& canvas, const std::string& text, cv::Point origin, cv::Scalar color) {
    cv::putText(canvas, text, origin, kFont, kFontScale, color, 1, cv::LINE_AA);
}

int text_width(const std::string& text) {
    int baseline = 0;
    return cv::getTextSize(text, kFont, kFontScale, 1, &baseline).width;
}

cv::Mat draw_bars(const Palette& palette) {
    const int rows = std::max<int>(1, int(palette.size()));
    cv::Mat canvas(rows * kRowHeight, kWidth, CV_8UC3, cv::Scalar(255, 255, 255));
    const std::uint64_t total = std::max<std::uint64_t>(1, total_count(palette));
    std::uint64_t largest = 1;
    for (const PaletteEntry& e : palette)
        largest = std::max(largest, e.count);
    for (std::size_t i = 0; i < palette.size(); ++i) {
        const PaletteEntry& e = palette[i];
        const int top = int(i) * kRowHeight;
        const int length = std::max(4, int(double(kWidth) * double(e.count) / double(largest)));
        cv::rectangle(canvas, cv::Rect(0, top, length, kRowHeight - 2), on_white(e.color),
                      cv::FILLED);
        char share[32];
        std::snprintf(share, sizeof share, "%.1f%%", 100.0 * double(e.count) / double(total));
        const std::string label = to_hex(e.color) + "  " + share;
        const int baseline_y = top + kRowHeight / 2 + 5;
        if (text_width(label) + 16 <= length) {
            put_label(canvas, label, {8, baseline_y}, label_color(e.color));
        } else {  // too short to hold its label: write it after the bar
            put_label(canvas, label, {length + 8, baseline_y}, cv::Scalar(60, 60, 60));
        }
    }
    return canvas;
}

cv::Mat draw_squares(const Palette& palette) {
    const int count = std::max<int>(1, int(palette.size()));
    const int rows = (count + kPerRow - 1) / kPerRow;
    cv::Mat canvas(rows * kSquare, kWidth, CV_8UC3, cv::Scalar(255, 255, 255));
    for (std::size_t i = 0; i < palette.size(); ++i) {
        const int x = int(i % kPerRow) * kSquare, y = int(i / kPerRow) * kSquare;
        const Color c = palette[i].color;
        cv::rectangle(canvas, cv::Rect(x, y, kSquare, kSquare), on_white(c), cv::FILLED);
        const std::string label = to_hex(c);
        put_label(canvas, label, {x + (kSquare - text_width(label)) / 2, y + kSquare - 10},
                  label_color(c));
    }
    return canvas;
}

}  // namespace

std::optional<SwatchStyle> parse_swatch_style(std::string_view name) {
    if (name == "bars")
        return SwatchStyle::bars;
    if (name == "squares")
        return SwatchStyle::squares;
    return std::nullopt;
}

Image render_swatch(const Palette& palette, SwatchStyle style) {
    const cv::Mat bgr = style == SwatchStyle::bars ? draw_bars(palette) : draw_squares(palette);
    Image image = make_image(bgr.cols, bgr.rows, {255, 255, 255, 255}, 3);
    cv::Mat rgb(bgr.rows, bgr.cols, CV_8UC3, image.samples.data());
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    return image;
}

}  // namespace quantize
