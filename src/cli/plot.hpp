// Charts for the command line (--plot-convergence, --plot-clusters, analyze --plot): line charts
// and scatter plots drawn with PLplot into an 8-bit RGB image held in memory, then written as
// PNG by the project's encoder through an OutputGuard, never by PLplot.
//
// Why PLplot (compared with MathGL 8.0, both Debian packages): PLplot's cairo driver draws
// antialiased lines and Pango text (Unicode, the system's sans font) that look right with the
// defaults; its in-memory device ("memcairo") renders into a buffer we own; the C API is small
// and stable; at run time it loads libplplot and, on plinit, its cairo driver as a plug-in.
// MathGL's library links OpenGL, HDF4/5, GSL and libcurl (59 libraries at start against
// PLplot's 15), its -dev package drags Qt5, wxWidgets and FLTK, its defaults need much more
// tuning (a second y axis is drawn over the first, text is oversized), and it started 2.7x
// slower on the same chart. PLplot keeps global state (a table of streams and the current
// stream) and is not reentrant: every render holds one mutex, and this module stays out of the
// quantize library, which holds no process-wide state.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "quantize/files.hpp"
#include "quantize/pixels.hpp"

namespace quantize::plot {

struct Rgb {
    std::uint8_t r = 0, g = 0, b = 0;
    friend bool operator==(const Rgb&, const Rgb&) = default;
};

// A few distinct colors for series (the Tableau 10 set, readable on white).
Rgb series_color(std::size_t index);

enum class YAxis { left, right };

enum class Corner { top_right, top_left, bottom_right, bottom_left };

// One line of a line chart.
struct Series {
    std::string name;          // legend entry; empty: left out of the legend
    std::vector<double> x, y;  // same length; a non-finite value breaks the line there
    Rgb color;
    YAxis axis = YAxis::left;
    double width = 2;   // line width, pixels
    bool dots = false;  // a dot on every point as well as the line
};

// A point called out on a line chart (an elbow, a pick): a ringed dot, a dashed line down to
// the x axis and a label beside it.
struct Marker {
    double x = 0, y = 0;
    YAxis axis = YAxis::left;
    Rgb color{214, 39, 40};
    std::string label;  // may be empty
};

struct Range {
    double min = 0, max = 1;  // min < max
};

struct LineChart {
    std::string title, x_label, y_label;
    std::string y2_label;  // the right axis, drawn when any series or marker uses it
    std::vector<Series> series;
    std::vector<Marker> markers;
    bool log_x = false;  // logarithmic x axis (every x > 0)
    // Axis ranges; unset: the data's, with 5% room above and below on y.
    std::optional<Range> x_range, y_range, y2_range;
    Corner legend = Corner::top_right;
};

// A filled dot of a scatter plot.
struct Dot {
    double x = 0, y = 0;
    Rgb color;
    double radius = 3;  // pixels, > 0
};

// A marked position (a centroid): a cross in its color over a dark outline.
struct Cross {
    double x = 0, y = 0;
    Rgb color;
    double half_size = 7;  // pixels, > 0
};

struct ScatterChart {
    std::string title, x_label, y_label;
    std::vector<Dot> dots;                  // drawn in order: later dots over earlier ones
    std::vector<Cross> crosses;             // drawn over the dots
    std::optional<Range> x_range, y_range;  // unset: the data's, with 5% room
    bool equal_aspect = false;              // one unit is as long on x as on y (color planes)
};

using Chart = std::variant<LineChart, ScatterChart>;

// Panels in a grid of `columns` (rows follow), each with its own axes.
struct Figure {
    int width = 900, height = 600;  // pixels, 64..8192 each
    int columns = 1;                // >= 1
    std::vector<Chart> panels;      // >= 1
    Rgb background{255, 255, 255};
};

// Where a panel's data went, to find a value's pixel (tests, callers placing captions).
struct PanelFrame {
    int left = 0, right = 0, top = 0, bottom = 0;  // the plot area in pixels, right/bottom included
    Range x, y, y2;                                // world ranges (x as given, not log10)
    bool log_x = false;
    // The pixel (column, row) of a data point; row 0 is the image's top.
    std::pair<double, double> pixel(double px, double py, YAxis axis = YAxis::left) const;
};

struct Picture {
    Image image;                     // RGB, 8-bit, figure.width x figure.height
    std::vector<PanelFrame> frames;  // one per panel, in order
};

// Draws the figure. Throws Error(invalid_argument) on a malformed figure (sizes, empty data,
// mismatched lengths, non-positive x on a log axis), Error(output) when PLplot's cairo driver
// is not installed, std::runtime_error when PLplot refuses a call. Safe from any thread.
Picture render(const Figure& figure);

// Draws `text` in a band across the bottom of `image` (RGB, 8-bit), its height `band` pixels:
// white text on a dark band, for captions on animation frames. Safe from any thread.
void caption(Image& image, const std::string& text, int band = 24);

// render(), then the PNG written through the guard (checked against the inputs, atomic).
void write_png(const Figure& figure, const std::filesystem::path& output, const OutputGuard& guard,
               bool overwrite);

}  // namespace quantize::plot
