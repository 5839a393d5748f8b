// The chart module of the command line (src/cli/plot.hpp): sizes, and ink where the data lie.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <thread>
#include <vector>

#include "cli/analyze_chart.hpp"
#include "cli/plot.hpp"
#include "cli/watch.hpp"
#include "quantize/color.hpp"
#include "quantize/error.hpp"
#include "quantize/io.hpp"
#include "support.hpp"

using namespace quantize;
using namespace quantize::plot;

namespace {

Color at(const Image& image, double column, double row) {
    const int x = int(std::lround(column)), y = int(std::lround(row));
    return image.pixel(std::size_t(y) * std::size_t(image.width) + std::size_t(x));
}

// Whether a pixel within `reach` of (column, row) is within `tolerance` of `color` per channel.
bool near(const Image& image, std::pair<double, double> where, Rgb color, int reach = 2,
          int tolerance = 40) {
    for (int dy = -reach; dy <= reach; ++dy)
        for (int dx = -reach; dx <= reach; ++dx) {
            const Color c = at(image, where.first + dx, where.second + dy);
            if (std::abs(c.r - color.r) <= tolerance && std::abs(c.g - color.g) <= tolerance &&
                std::abs(c.b - color.b) <= tolerance)
                return true;
        }
    return false;
}

bool is_white(Color c) {
    return c.r == 255 && c.g == 255 && c.b == 255;
}

LineChart two_axis_chart() {
    LineChart chart;
    chart.title = "Inertia and bytes against K";
    chart.x_label = "K";
    chart.y_label = "inertia";
    chart.y2_label = "bytes";
    Series falling{"inertia", {}, {}, Rgb{200, 0, 0}};
    Series rising{"bytes", {}, {}, Rgb{0, 0, 200}, YAxis::right};
    for (int k = 2; k <= 64; ++k) {
        falling.x.push_back(k);
        falling.y.push_back(1000.0 / k);
        rising.x.push_back(k);
        rising.y.push_back(20000.0 + 100.0 * k);
    }
    chart.series = {falling, rising};
    chart.markers = {Marker{8, 125, YAxis::left, Rgb{0, 160, 0}, "elbow"}};
    return chart;
}

}  // namespace

TEST_CASE("a line chart is the figure's size, with each series' color where its data lie",
          "[plot]") {
    Figure figure;
    figure.width = 640;
    figure.height = 400;
    figure.panels = {two_axis_chart()};
    const Picture picture = render(figure);
    REQUIRE(picture.image.width == 640);
    REQUIRE(picture.image.height == 400);
    REQUIRE(picture.image.channels == 3);
    REQUIRE(picture.frames.size() == 1);
    const PanelFrame& frame = picture.frames[0];
    // Points of each line, on its own axis, away from the legend (top right) and the marker.
    for (const int k : {3, 20, 40}) {
        CHECK(near(picture.image, frame.pixel(k, 1000.0 / k), Rgb{200, 0, 0}));
        CHECK(
            near(picture.image, frame.pixel(k, 20000.0 + 100.0 * k, YAxis::right), Rgb{0, 0, 200}));
    }
    CHECK(near(picture.image, frame.pixel(8, 125), Rgb{0, 160, 0}));
    // Background away from the data; ink (axes, labels) outside the plot area.
    CHECK(is_white(at(picture.image, frame.pixel(47, 333).first, frame.pixel(47, 333).second)));
    CHECK(is_white(at(picture.image, 2, 2)));
    int ink = 0;
    for (int y = 0; y < 400; ++y)
        for (int x = 0; x < frame.left - 2; ++x)
            ink += !is_white(picture.image.pixel(std::size_t(y) * 640 + std::size_t(x)));
    CHECK(ink > 200);  // tick labels and the axis label
}

TEST_CASE("a log x axis puts decades evenly", "[plot]") {
    LineChart chart;
    chart.log_x = true;
    chart.series = {Series{"", {1, 10, 100}, {0, 1, 2}, Rgb{200, 0, 0}}};
    Figure figure;
    figure.panels = {chart};
    const PanelFrame frame = render(figure).frames[0];
    const double a = frame.pixel(1, 0).first, b = frame.pixel(10, 0).first,
                 c = frame.pixel(100, 0).first;
    CHECK(b - a == Approx(c - b).margin(1));
    chart.series[0].x[0] = 0;
    figure.panels = {chart};
    CHECK_THROWS_AS(render(figure), Error);
}

TEST_CASE("scatter panels side by side: dots in their colors, crosses on top", "[plot]") {
    ScatterChart left{"a*-b*", "a*", "b*", {}, {}, Range{-100, 100}, Range{-100, 100}, true};
    left.dots = {Dot{-50, 50, Rgb{220, 0, 0}, 6}, Dot{60, -40, Rgb{0, 0, 220}, 4}};
    left.crosses = {Cross{0, 0, Rgb{0, 200, 0}}};
    ScatterChart right{"L*-b*", "L*", "b*", {}, {}, Range{0, 100}, Range{-100, 100}, false};
    right.dots = {Dot{30, 70, Rgb{0, 150, 0}, 5}};
    Figure figure;
    figure.width = 900;
    figure.height = 420;
    figure.columns = 2;
    figure.panels = {left, right};
    const Picture picture = render(figure);
    REQUIRE(picture.frames.size() == 2);
    const PanelFrame& a = picture.frames[0];
    const PanelFrame& b = picture.frames[1];
    CHECK(a.right < b.left);  // side by side
    // Equal aspect: one unit is as many pixels on x as on y.
    CHECK((a.right - a.left) == Approx(a.bottom - a.top).margin(2));
    CHECK(near(picture.image, a.pixel(-50, 50), Rgb{220, 0, 0}, 0, 10));
    CHECK(near(picture.image, a.pixel(60, -40), Rgb{0, 0, 220}, 0, 10));
    CHECK(near(picture.image, a.pixel(0, 0), Rgb{0, 200, 0}, 1));
    CHECK(near(picture.image, b.pixel(30, 70), Rgb{0, 150, 0}, 0, 10));
    CHECK(is_white(at(picture.image, a.pixel(85, 85).first, a.pixel(85, 85).second)));
}

TEST_CASE("renders from several threads at once agree", "[plot]") {
    Figure figure;
    figure.width = 320;
    figure.height = 240;
    figure.panels = {two_axis_chart()};
    const Image alone = render(figure).image;
    std::vector<Image> images(4);
    std::vector<std::thread> threads;
    for (auto& image : images)
        threads.emplace_back([&image, &figure] { image = render(figure).image; });
    for (auto& t : threads)
        t.join();
    for (const auto& image : images)
        CHECK(image.samples == alone.samples);
}

TEST_CASE("malformed figures are refused", "[plot]") {
    Figure figure;
    CHECK_THROWS_AS(render(figure), Error);  // no panels
    LineChart chart;
    chart.series = {Series{"x", {1, 2}, {1}, Rgb{}}};
    figure.panels = {chart};
    CHECK_THROWS_AS(render(figure), Error);  // lengths differ
    figure.panels = {LineChart{}};
    figure.width = 10;
    CHECK_THROWS_AS(render(figure), Error);
}

TEST_CASE("a caption draws a dark band with text over the bottom of an image", "[plot]") {
    Image image = make_image(200, 100, Color{250, 250, 250});
    caption(image, "iteration 3  inertia 1234", 20);
    CHECK(at(image, 100, 10).r == 250);  // above the band: untouched
    int light = 0, dark = 0;
    for (int y = 81; y < 100; ++y)
        for (int x = 0; x < 200; ++x) {
            const Color c = at(image, x, y);
            (c.r < 60 ? dark : light) += 1;
        }
    CHECK(dark > 1500);  // the band
    CHECK(light > 30);   // the text
}

TEST_CASE("write_png writes the picture through the output guard", "[plot]") {
    test::TempDir dir;
    Figure figure;
    figure.width = 300;
    figure.height = 200;
    figure.panels = {two_axis_chart()};
    const OutputGuard guard;
    write_png(figure, dir / "chart.png", guard, false);
    const Image back = read_image(dir / "chart.png");
    CHECK(back.width == 300);
    CHECK(back.height == 200);
    CHECK_THROWS_AS(write_png(figure, dir / "chart.png", guard, false), Error);  // exists
}

TEST_CASE("analyze's chart draws each curve where its data lie, elbow and best K marked",
          "[plot][analyze]") {
    Analysis a;
    a.k_max = 32;
    for (int k : sweep_ks(32)) {
        KRow r;
        r.k = k;
        r.inertia = r.mse = 4000.0 / k;
        r.png_bytes = std::uint64_t(5000 + 900 * k);
        r.silhouette = 0.2 + 0.3 / k;
        r.davies_bouldin = 0.6 + 0.01 * k;
        a.rows.push_back(r);
    }
    a.picks = pick_ks(a.rows);
    const Picture picture = render(analysis_figure(a));
    REQUIRE(picture.image.width == 1000);
    REQUIRE(picture.image.height == 900);
    REQUIRE(picture.frames.size() == 2);
    const PanelFrame& top = picture.frames[0];
    const PanelFrame& bottom = picture.frames[1];
    for (const KRow& r : a.rows) {
        if (r.k != 5 && r.k != 12 && r.k != 24)
            continue;
        INFO("K " << r.k);
        CHECK(near(picture.image, top.pixel(r.k, r.mse), kMseColor, 3));
        CHECK(
            near(picture.image, top.pixel(r.k, double(r.png_bytes), YAxis::right), kBytesColor, 3));
        CHECK(near(picture.image, bottom.pixel(r.k, r.silhouette), kSilhouetteColor, 3));
        CHECK(near(picture.image, bottom.pixel(r.k, r.davies_bouldin, YAxis::right),
                   kDaviesBouldinColor, 3));
    }
    // The axes and labels are drawn: the panel frames hold ink off the data too.
    CHECK(top.left > 0);
    CHECK(bottom.top > top.bottom);
}

TEST_CASE("text stays inside the picture at every figure size, and small captions are legible",
          "[plot]") {
    // The figure's outermost 3 pixels on each side hold no ink: an axis label cut by the edge
    // (as analyze's 1000 x 900 chart had them when text grew with the page) would put some there.
    for (const auto& [width, height] :
         {std::pair{300, 200}, std::pair{900, 600}, std::pair{1000, 900}, std::pair{1600, 1200}}) {
        INFO(width << " x " << height);
        Figure figure;
        figure.width = width;
        figure.height = height;
        figure.panels = {two_axis_chart()};
        const Image image = render(figure).image;
        int ink = 0;
        for (int y = 0; y < height; ++y)
            for (int x = 0; x < width; ++x)
                if ((x < 3 || x >= width - 3 || y < 3 || y >= height - 3) &&
                    !is_white(at(image, x, y)))
                    ++ink;
        CHECK(ink == 0);
    }
    // A caption on a 64-pixel-wide frame's strip: letters, not a line of dots.
    Image strip = make_image(64, 17, Color{20, 20, 20});
    caption(strip, "iteration 3", 16);
    int light = 0;
    for (std::size_t i = 0; i < strip.pixel_count(); ++i)
        light += strip.pixel(i).r > 128;
    CHECK(light > 40);
}

TEST_CASE("the clusters plot puts each sampled color's dot at its a*, b* in its cluster's color",
          "[plot]") {
    const std::vector<Color> colors{
        {220, 30, 30, 255}, {30, 160, 40, 255}, {40, 60, 210, 255}, {240, 220, 40, 255}};
    const Image image = test::image_of_colors(64, 64, colors);
    Options options;
    std::vector<Point> centroids;
    for (const Color& c : colors)
        centroids.push_back(to_point(c, options.clustering.space));
    const std::vector<Image> images{image};
    const Picture picture = render(cli::clusters_figure(images, centroids, options));
    REQUIRE(picture.frames.size() == 2);
    for (const Color& c : colors) {
        const Coordinates lab = srgb_to_lab(c);
        // The dot's edge, away from the cross drawn over its center.
        const auto [x, y] = picture.frames[0].pixel(lab.c1, lab.c2);
        CHECK(near(picture.image, {x + 6, y}, Rgb{c.r, c.g, c.b}, 1, 12));
        const auto [lx, ly] = picture.frames[1].pixel(lab.c0, lab.c2);
        CHECK(near(picture.image, {lx + 6, ly}, Rgb{c.r, c.g, c.b}, 1, 12));
    }
}
