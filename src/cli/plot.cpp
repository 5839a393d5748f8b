// Line charts and scatter plots drawn with PLplot's "memcairo" device into memory (see
// plot.hpp for why PLplot). Every PLplot call happens under one mutex, inside one stream made
// for the render and ended before the mutex is released.
#include "plot.hpp"

#include <plplot/plplot.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

#include "quantize/error.hpp"
#include "quantize/io.hpp"

namespace quantize::plot {

namespace {

constexpr const char* kDevice = "memcairo";  // plplot-driver-cairo; RGB memory, antialiased

// cmap0 indices: 0 is PLplot's background; the others are ours.
constexpr PLINT kInk = 1;      // axes, text
constexpr PLINT kGrid = 2;     // grid lines
constexpr PLINT kScratch = 3;  // dots, crosses, markers: set before each use
constexpr PLINT kFirstSeries = 4;
constexpr Rgb kInkColor{34, 34, 34};
constexpr Rgb kGridColor{222, 222, 222};

// Margins around a panel's plot area, pixels: room for tick labels, axis labels and the title.
constexpr double kMarginLeft = 116, kMarginRight = 28, kMarginRightAxis = 124;
constexpr double kMarginTop = 40, kMarginBottom = 66;

std::mutex& plplot_mutex() {
    static std::mutex mutex;
    return mutex;
}

// PLplot reports a refused call through plabort, which prints unless a handler is set; the
// handler keeps the first message so the render can fail with it. Set and read under the mutex.
std::string& abort_message() {
    static std::string message;
    return message;
}
void keep_abort_message(PLCHAR_VECTOR message) {
    if (abort_message().empty())
        abort_message() = message ? message : "unknown error";
}

// Without its driver, plinit would ask on standard input for another device: look first.
bool device_available() {
    constexpr int kMaxDevices = 128;
    std::array<PLCHAR_VECTOR, kMaxDevices> menu{}, names{};
    PLCHAR_VECTOR* menu_list = menu.data();  // PLplot fills the caller's arrays
    PLCHAR_VECTOR* name_list = names.data();
    int count = kMaxDevices;
    plgDevs(&menu_list, &name_list, &count);
    for (int i = 0; i < count; ++i)
        if (names[std::size_t(i)] && std::string(names[std::size_t(i)]) == kDevice)
            return true;
    return false;
}

void set_color(PLINT index, Rgb c) {
    plscol0(index, c.r, c.g, c.b);
}
void use_color(Rgb c) {
    set_color(kScratch, c);
    plcol0(kScratch);
}

// PLplot's default character height grows with the page (15 pixels on 900 x 600, 19 on
// 1000 x 900, 5 on 300 x 200, 1 on a 64-pixel caption strip), while the margins are pixels: the
// axis labels of analyze's 1000 x 900 chart fell outside the picture, and small animations'
// captions were a line of dots. Text is this many pixels high whatever the size (plschr scales it).
constexpr double kTextPixels = 15;

void set_text_height(int width_pixels) {
    PLFLT left = 0, right = 0, bottom = 0, top = 0;
    plgspa(&left, &right, &bottom, &top);  // the page, mm
    plschr(kTextPixels * (right - left) / width_pixels, 1.0);
}

// One PLplot stream drawing into `image`'s samples; ended (and the buffer filled) on
// destruction, also when drawing throws.
class Stream {
  public:
    Stream(Image& image, Rgb background, std::size_t series_count) {
        abort_message().clear();
        plsabort(keep_abort_message);
        plmkstrm(&stream_);
        if (stream_ < 0)
            throw std::runtime_error("plot: PLplot has no free stream");
        plsdev(kDevice);
        plsmem(image.width, image.height, image.samples.data());
        plscmap0n(int(kFirstSeries + std::max<std::size_t>(series_count, 1)));
        plscolbg(background.r, background.g, background.b);
        set_color(kInk, kInkColor);
        set_color(kGrid, kGridColor);
        plinit();
        pladv(0);
        set_text_height(image.width);
    }
    ~Stream() { plend1(); }
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;

  private:
    PLINT stream_ = -1;
};

void check_size(int width, int height) {
    if (width < 64 || width > 8192 || height < 64 || height > 8192)
        throw Error(ErrorKind::invalid_argument, "plot",
                    "size " + std::to_string(width) + "x" + std::to_string(height) +
                        " is outside 64..8192 pixels");
}

// The data's range widened by `room` of its span on each side; a single value gets +-1 (or
// +-5% of itself).
Range range_of(const std::vector<double>& values, double room) {
    double lo = INFINITY, hi = -INFINITY;
    for (const double v : values)
        if (std::isfinite(v)) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    if (!std::isfinite(lo))
        return {0, 1};
    if (hi - lo <= 1e-12 * std::max(std::abs(lo), std::abs(hi))) {
        const double half = lo == 0 ? 1.0 : std::abs(lo) * 0.05;
        return {lo - half, hi + half};
    }
    const double pad = (hi - lo) * room;
    return {lo - pad, hi + pad};
}

Range checked(const std::optional<Range>& given, const Range& fallback, const char* axis) {
    const Range r = given.value_or(fallback);
    if (!(std::isfinite(r.min) && std::isfinite(r.max) && r.min < r.max))
        throw Error(ErrorKind::invalid_argument, "plot", std::string(axis) + " range is empty");
    return r;
}

double world_x(double x, bool log_x) {
    return log_x ? std::log10(x) : x;
}

// The panel's cell of the grid, in pixels.
struct Cell {
    double left, top, width, height;
};
Cell cell_of(const Figure& figure, std::size_t index) {
    const int rows =
        int((figure.panels.size() + std::size_t(figure.columns) - 1) / std::size_t(figure.columns));
    const double w = double(figure.width) / figure.columns, h = double(figure.height) / rows;
    return {w * double(index % std::size_t(figure.columns)),
            h * double(index / std::size_t(figure.columns)), w, h};
}

// Sets the viewport to the pixel rectangle of `frame` and the world window to (x, y).
void set_window(const Figure& figure, const PanelFrame& frame, const Range& y) {
    const double W = figure.width, H = figure.height;
    plvpor(frame.left / W, (frame.right + 1) / W, 1 - (frame.bottom + 1) / H, 1 - frame.top / H);
    plwind(world_x(frame.x.min, frame.log_x), world_x(frame.x.max, frame.log_x), y.min, y.max);
}

PanelFrame frame_in(const Cell& cell, double right_margin) {
    PanelFrame f;
    f.left = int(std::lround(cell.left + kMarginLeft));
    f.right = int(std::lround(cell.left + cell.width - right_margin)) - 1;
    f.top = int(std::lround(cell.top + kMarginTop));
    f.bottom = int(std::lround(cell.top + cell.height - kMarginBottom)) - 1;
    if (f.right - f.left < 16 || f.bottom - f.top < 16)
        throw Error(ErrorKind::invalid_argument, "plot", "panels too small for their axes");
    return f;
}

// World units per pixel of the current frame, on x and y.
std::pair<double, double> world_per_pixel(const PanelFrame& frame, const Range& y) {
    return {(world_x(frame.x.max, frame.log_x) - world_x(frame.x.min, frame.log_x)) /
                (frame.right - frame.left + 1),
            (y.max - y.min) / (frame.bottom - frame.top + 1)};
}

// A filled disc of `radius` pixels at world (x, y) (x already in world units), current color.
void fill_disc(double x, double y, double radius, std::pair<double, double> unit) {
    constexpr int kSides = 20;
    std::array<PLFLT, kSides> xs{}, ys{};
    for (int i = 0; i < kSides; ++i) {
        const double a = 2 * std::numbers::pi * i / kSides;
        xs[std::size_t(i)] = x + radius * unit.first * std::cos(a);
        ys[std::size_t(i)] = y + radius * unit.second * std::sin(a);
    }
    plfill(kSides, xs.data(), ys.data());
}

// Tick labels of y axes: at most 6 significant digits (ticks of 111.15M and 111.2M differ) with an
// SI suffix (k, M, G), so inertia in the millions fits the margin and needs no "x10^6" note off the
// axis.
void short_number(PLINT, PLFLT value, PLCHAR_NC_VECTOR label, PLINT length, PLPointer) {
    static constexpr std::array<std::pair<double, const char*>, 4> kSteps{
        {{1e9, "G"}, {1e6, "M"}, {1e3, "k"}, {1, ""}}};
    for (const auto& [step, suffix] : kSteps)
        if (std::abs(value) >= step || step == 1) {
            std::snprintf(label, std::size_t(length), "%.6g%s", value / step, suffix);
            return;
        }
}

// The axes with their ticks and labels; grid lines first, under everything, when `grid`.
void draw_axes_box(const char* x_options, const char* y_options, bool grid) {
    plwidth(1);
    if (grid) {
        plcol0(kGrid);
        plbox("g", 0, 0, "g", 0, 0);
    }
    plcol0(kInk);
    plslabelfunc(short_number, nullptr);
    plbox(x_options, 0, 0, (std::string(y_options) + "o").c_str(), 0, 0);
}

// Labels of a logarithmic x axis at 1, 2 and 5 times each power of ten, on its ticks: PLplot
// labels the powers of ten alone, and a K axis from 2 to 64 showed "10^1" and nothing else.
// The viewport is the frame's.
void label_log_x(const PanelFrame& frame) {
    const double w0 = std::log10(frame.x.min), w1 = std::log10(frame.x.max);
    plcol0(kInk);
    for (int e = int(std::floor(w0)); e <= int(std::ceil(w1)); ++e)
        for (const double m : {1.0, 2.0, 5.0}) {
            const double value = m * std::pow(10.0, e);
            const double at = (std::log10(value) - w0) / (w1 - w0);  // 0..1 along the axis
            if (at < -1e-9 || at > 1 + 1e-9)
                continue;
            char text[32];
            std::snprintf(text, sizeof text, "%g", value);
            plmtex("b", 1.6, at, 0.5, text);
        }
}

// Title above the plot area, labels beside it (closer than pllab puts them, within the margins).
void draw_labels(const std::string& title, const std::string& x_label, const std::string& y_label) {
    plcol0(kInk);
    plmtex("t", 1.2, 0.5, 0.5, title.c_str());
    plmtex("b", 3.0, 0.5, 0.5, x_label.c_str());
    plmtex("l", 6.4, 0.5, 0.5, y_label.c_str());  // clear of "111.15M"
}

// Series lines of one axis, broken at non-finite values.
void draw_lines(const Series& s, PLINT color_index, bool log_x) {
    plcol0(color_index);
    plwidth(s.width);
    std::vector<PLFLT> xs, ys;
    auto flush = [&] {
        if (xs.size() >= 2)
            plline(PLINT(xs.size()), xs.data(), ys.data());
        xs.clear();
        ys.clear();
    };
    for (std::size_t i = 0; i < s.x.size(); ++i) {
        if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) {
            xs.push_back(world_x(s.x[i], log_x));
            ys.push_back(s.y[i]);
        } else {
            flush();
        }
    }
    flush();
}

void draw_dots(const Series& s, bool log_x, std::pair<double, double> unit) {
    use_color(s.color);
    for (std::size_t i = 0; i < s.x.size(); ++i)
        if (std::isfinite(s.x[i]) && std::isfinite(s.y[i]))
            fill_disc(world_x(s.x[i], log_x), s.y[i], s.width + 1.5, unit);
}

void draw_marker(const Marker& m, const PanelFrame& frame, const Range& y,
                 std::pair<double, double> unit) {
    const double x = world_x(m.x, frame.log_x);
    use_color(m.color);
    plwidth(1.5);
    pllsty(2);  // dashed
    pljoin(x, y.min, x, m.y);
    pllsty(1);
    plcol0(kInk);
    fill_disc(x, m.y, 7, unit);
    use_color(m.color);
    fill_disc(x, m.y, 5.5, unit);
    if (!m.label.empty()) {
        plcol0(kInk);
        plschr(0, 0.9);
        // Up and to the right of the dot; below it near the top (clear of the title), to its
        // left in the right third (clear of the edge).
        const bool near_top = m.y + 40 * unit.second > y.max;
        const bool near_right =
            x > world_x(frame.x.min, frame.log_x) +
                    (world_x(frame.x.max, frame.log_x) - world_x(frame.x.min, frame.log_x)) * 0.67;
        plptex(x + (near_right ? -12 : 12) * unit.first, m.y + (near_top ? -24 : 14) * unit.second,
               1, 0, near_right ? 1.0 : 0.0, m.label.c_str());
        plschr(0, 1.0);
    }
}

void draw_legend(const LineChart& chart) {
    std::vector<PLINT> options, text_colors, line_colors, line_styles;
    std::vector<PLFLT> line_widths;
    std::vector<PLCHAR_VECTOR> texts;
    for (std::size_t i = 0; i < chart.series.size(); ++i) {
        const Series& s = chart.series[i];
        if (s.name.empty())
            continue;
        options.push_back(PL_LEGEND_LINE);
        text_colors.push_back(kInk);
        line_colors.push_back(kFirstSeries + PLINT(i));
        line_styles.push_back(1);
        line_widths.push_back(std::max(2.0, s.width));
        texts.push_back(s.name.c_str());
    }
    if (texts.empty())
        return;
    PLINT position = PL_POSITION_INSIDE;
    switch (chart.legend) {
        case Corner::top_right:
            position |= PL_POSITION_TOP | PL_POSITION_RIGHT;
            break;
        case Corner::top_left:
            position |= PL_POSITION_TOP | PL_POSITION_LEFT;
            break;
        case Corner::bottom_right:
            position |= PL_POSITION_BOTTOM | PL_POSITION_RIGHT;
            break;
        case Corner::bottom_left:
            position |= PL_POSITION_BOTTOM | PL_POSITION_LEFT;
            break;
    }
    PLFLT legend_width = 0, legend_height = 0;
    plwidth(1);
    pllegend(&legend_width, &legend_height, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX, position,
             0.02, 0.03, 0.08, 0, kInk, 1, 0, 0, PLINT(texts.size()), options.data(), 1.0, 0.9, 1.8,
             0.0, text_colors.data(), texts.data(), nullptr, nullptr, nullptr, nullptr,
             line_colors.data(), line_styles.data(), line_widths.data(), nullptr, nullptr, nullptr,
             nullptr);
}

void check_series(const LineChart& chart) {
    for (const Series& s : chart.series) {
        if (s.x.size() != s.y.size() || s.x.empty())
            throw Error(ErrorKind::invalid_argument, "plot",
                        "series '" + s.name + "' has no points or x and y of different lengths");
        if (chart.log_x && std::any_of(s.x.begin(), s.x.end(), [](double v) { return v <= 0; }))
            throw Error(ErrorKind::invalid_argument, "plot",
                        "series '" + s.name + "' has x <= 0 on a logarithmic axis");
    }
}

// The values of every series on `axis` (and its markers), for the automatic range.
std::vector<double> values_on(const LineChart& chart, YAxis axis, bool x) {
    std::vector<double> values;
    for (const Series& s : chart.series)
        if (x || s.axis == axis)
            values.insert(values.end(), (x ? s.x : s.y).begin(), (x ? s.x : s.y).end());
    for (const Marker& m : chart.markers)
        if (x || m.axis == axis)
            values.push_back(x ? m.x : m.y);
    return values;
}

bool uses_right_axis(const LineChart& chart) {
    return std::any_of(chart.series.begin(), chart.series.end(),
                       [](const Series& s) { return s.axis == YAxis::right; }) ||
           std::any_of(chart.markers.begin(), chart.markers.end(),
                       [](const Marker& m) { return m.axis == YAxis::right; });
}

PanelFrame draw_chart(const Figure& figure, const Cell& cell, const LineChart& chart) {
    check_series(chart);
    const bool right = uses_right_axis(chart);
    PanelFrame frame = frame_in(cell, right ? kMarginRightAxis : kMarginRight);
    frame.log_x = chart.log_x;
    frame.x = checked(chart.x_range, range_of(values_on(chart, YAxis::left, true), 0), "x");
    frame.y = checked(chart.y_range, range_of(values_on(chart, YAxis::left, false), 0.05), "y");
    frame.y2 = checked(chart.y2_range, range_of(values_on(chart, YAxis::right, false), 0.05), "y2");
    if (chart.log_x && frame.x.min <= 0)
        throw Error(ErrorKind::invalid_argument, "plot", "x range <= 0 on a logarithmic axis");

    // A log axis labelled by label_log_x, not by PLplot (powers of ten alone).
    const std::string x_options = chart.log_x ? "bstl" : "bnst";
    for (std::size_t i = 0; i < chart.series.size(); ++i)
        set_color(kFirstSeries + PLINT(i), chart.series[i].color);
    for (const YAxis axis : {YAxis::left, YAxis::right}) {
        if (axis == YAxis::right && !right)
            continue;
        const Range& y = axis == YAxis::left ? frame.y : frame.y2;
        set_window(figure, frame, y);
        if (axis == YAxis::left) {
            draw_axes_box((x_options + "c").c_str(), right ? "bnstv" : "bcnstv", true);
            if (chart.log_x)
                label_log_x(frame);
        } else
            draw_axes_box("", "cmstv", false);  // the left axis's grid only
        const auto unit = world_per_pixel(frame, y);
        for (std::size_t i = 0; i < chart.series.size(); ++i)
            if (chart.series[i].axis == axis) {
                draw_lines(chart.series[i], kFirstSeries + PLINT(i), chart.log_x);
                if (chart.series[i].dots)
                    draw_dots(chart.series[i], chart.log_x, unit);
            }
        for (const Marker& m : chart.markers)
            if (m.axis == axis)
                draw_marker(m, frame, y, unit);
    }
    plwidth(1);
    draw_labels(chart.title, chart.x_label, chart.y_label);
    if (right)
        plmtex("r", 6.6, 0.5, 0.5, chart.y2_label.c_str());
    draw_legend(chart);
    return frame;
}

// Shrinks the frame so one world unit is as many pixels on x as on y, centered in place.
void equalize(PanelFrame& frame) {
    const double w = frame.right - frame.left + 1, h = frame.bottom - frame.top + 1;
    const double scale = std::min(w / (frame.x.max - frame.x.min), h / (frame.y.max - frame.y.min));
    const int new_w = int(std::lround(scale * (frame.x.max - frame.x.min)));
    const int new_h = int(std::lround(scale * (frame.y.max - frame.y.min)));
    frame.left += (int(w) - new_w) / 2;
    frame.right = frame.left + new_w - 1;
    frame.top += (int(h) - new_h) / 2;
    frame.bottom = frame.top + new_h - 1;
}

PanelFrame draw_scatter(const Figure& figure, const Cell& cell, const ScatterChart& chart) {
    PanelFrame frame = frame_in(cell, kMarginRight);
    std::vector<double> xs, ys;
    for (const Dot& d : chart.dots) {
        xs.push_back(d.x);
        ys.push_back(d.y);
    }
    for (const Cross& c : chart.crosses) {
        xs.push_back(c.x);
        ys.push_back(c.y);
    }
    frame.x = checked(chart.x_range, range_of(xs, 0.05), "x");
    frame.y = checked(chart.y_range, range_of(ys, 0.05), "y");
    frame.y2 = frame.y;
    if (chart.equal_aspect)
        equalize(frame);
    set_window(figure, frame, frame.y);
    draw_axes_box("bcnst", "bcnstv", true);
    const auto unit = world_per_pixel(frame, frame.y);
    for (const Dot& d : chart.dots) {
        if (!(std::isfinite(d.x) && std::isfinite(d.y) && d.radius > 0))
            continue;
        use_color(d.color);
        fill_disc(d.x, d.y, d.radius, unit);
    }
    for (const Cross& c : chart.crosses) {
        const double dx = c.half_size * unit.first, dy = c.half_size * unit.second;
        for (const auto& [color, width] : {std::pair{Rgb{0, 0, 0}, 4.5}, std::pair{c.color, 2.0}}) {
            use_color(color);
            plwidth(width);
            pljoin(c.x - dx, c.y - dy, c.x + dx, c.y + dy);
            pljoin(c.x - dx, c.y + dy, c.x + dx, c.y - dy);
        }
    }
    plwidth(1);
    draw_labels(chart.title, chart.x_label, chart.y_label);
    return frame;
}

std::size_t most_series(const Figure& figure) {
    std::size_t most = 0;
    for (const Chart& chart : figure.panels)
        if (const auto* line = std::get_if<LineChart>(&chart))
            most = std::max(most, line->series.size());
    return most;
}

Image blank(int width, int height, Rgb background) {
    return make_image(width, height, Color{background.r, background.g, background.b});
}

}  // namespace

Rgb series_color(std::size_t index) {
    static constexpr std::array<Rgb, 10> kColors{{{31, 119, 180},
                                                  {255, 127, 14},
                                                  {44, 160, 44},
                                                  {214, 39, 40},
                                                  {148, 103, 189},
                                                  {140, 86, 75},
                                                  {227, 119, 194},
                                                  {127, 127, 127},
                                                  {188, 189, 34},
                                                  {23, 190, 207}}};
    return kColors[index % kColors.size()];
}

std::pair<double, double> PanelFrame::pixel(double px, double py, YAxis axis) const {
    const Range& ry = axis == YAxis::left ? y : y2;
    const double wx0 = world_x(x.min, log_x), wx1 = world_x(x.max, log_x);
    const double column = left + (world_x(px, log_x) - wx0) / (wx1 - wx0) * (right - left + 1);
    const double row = bottom + 1 - (py - ry.min) / (ry.max - ry.min) * (bottom - top + 1);
    return {column, row};
}

Picture render(const Figure& figure) {
    check_size(figure.width, figure.height);
    if (figure.columns < 1 || figure.panels.empty())
        throw Error(ErrorKind::invalid_argument, "plot", "a figure needs panels and columns >= 1");
    Picture picture{blank(figure.width, figure.height, figure.background), {}};
    std::string refused;
    {
        const std::lock_guard lock(plplot_mutex());
        if (!device_available())
            throw Error(ErrorKind::output, "plot",
                        "PLplot's cairo driver is not installed (Debian: plplot-driver-cairo)");
        {
            Stream stream(picture.image, figure.background, most_series(figure));
            for (std::size_t i = 0; i < figure.panels.size(); ++i) {
                const Cell cell = cell_of(figure, i);
                picture.frames.push_back(std::visit(
                    [&](const auto& chart) {
                        if constexpr (std::is_same_v<std::decay_t<decltype(chart)>, LineChart>)
                            return draw_chart(figure, cell, chart);
                        else
                            return draw_scatter(figure, cell, chart);
                    },
                    figure.panels[i]));
            }
        }
        refused = abort_message();
    }
    if (!refused.empty())
        throw std::runtime_error("plot: PLplot: " + refused);
    return picture;
}

void caption(Image& image, const std::string& text, int band) {
    check_size(image.width, std::max(image.height, 64));
    if (image.channels != 3 || band < 8 || band > image.height)
        throw Error(ErrorKind::invalid_argument, "plot",
                    "caption needs an RGB image taller than its band");
    const std::lock_guard lock(plplot_mutex());
    if (!device_available())
        throw Error(ErrorKind::output, "plot",
                    "PLplot's cairo driver is not installed (Debian: plplot-driver-cairo)");
    Stream stream(image, Rgb{0, 0, 0}, 1);
    const double band_top = double(band) / image.height;
    plvpor(0, 1, 0, band_top);
    plwind(0, 1, 0, 1);
    use_color(Rgb{20, 20, 20});
    const std::array<PLFLT, 4> xs{0, 1, 1, 0}, ys{0, 0, 1, 1};
    plfill(4, xs.data(), ys.data());
    use_color(Rgb{255, 255, 255});
    plschr(0, std::clamp(band / 24.0, 0.4, 2.0));
    plptex(0.01, 0.5, 1, 0, 0, text.c_str());
}

void write_png(const Figure& figure, const std::filesystem::path& output, const OutputGuard& guard,
               bool overwrite) {
    guard.write(output, encode_png(render(figure).image, output), overwrite);
}

}  // namespace quantize::plot
