#include "analyze_chart.hpp"

#include <string>

namespace quantize::plot {

namespace {

int picked(const Analysis& a, const std::string& name) {
    for (const KPick& p : a.picks) {
        if (p.name == name)
            return p.k;
    }
    return 0;
}

const KRow* row_at(const Analysis& a, int k) {
    for (const KRow& r : a.rows) {
        if (r.k == k)
            return &r;
    }
    return nullptr;
}

LineChart error_and_bytes(const Analysis& a) {
    LineChart chart;
    chart.title = "MSE (training sample) and PNG bytes (estimated) against K";
    chart.x_label = "K (colors)";
    chart.y_label = "MSE";
    chart.y2_label = "PNG bytes";
    chart.log_x = true;
    Series mse{"MSE", {}, {}, kMseColor, YAxis::left, 2, true};
    Series bytes{"PNG bytes", {}, {}, kBytesColor, YAxis::right, 2, true};
    for (const KRow& r : a.rows) {
        mse.x.push_back(r.k);
        mse.y.push_back(r.mse);
        bytes.x.push_back(r.k);
        bytes.y.push_back(double(r.png_bytes));
    }
    chart.series = {mse, bytes};
    if (const KRow* elbow = row_at(a, picked(a, "elbow")))
        chart.markers.push_back({double(elbow->k), elbow->mse, YAxis::left, Rgb{214, 39, 40},
                                 "elbow K " + std::to_string(elbow->k)});
    return chart;
}

LineChart separation(const Analysis& a) {
    LineChart chart;
    chart.title = "Separation: silhouette (higher better), Davies-Bouldin (lower better)";
    chart.x_label = "K (colors)";
    chart.y_label = "silhouette";
    chart.y2_label = "Davies-Bouldin";
    chart.log_x = true;
    Series silhouette{"silhouette", {}, {}, kSilhouetteColor, YAxis::left, 2, true};
    Series db{"Davies-Bouldin", {}, {}, kDaviesBouldinColor, YAxis::right, 2, true};
    for (const KRow& r : a.rows) {
        silhouette.x.push_back(r.k);
        silhouette.y.push_back(r.silhouette);
        db.x.push_back(r.k);
        db.y.push_back(r.davies_bouldin);
    }
    chart.series = {silhouette, db};
    if (const KRow* best = row_at(a, picked(a, "silhouette")))
        chart.markers.push_back({double(best->k), best->silhouette, YAxis::left, Rgb{214, 39, 40},
                                 "best K " + std::to_string(best->k)});
    return chart;
}

}  // namespace

Figure analysis_figure(const Analysis& analysis) {
    Figure figure;
    figure.width = 1000;
    figure.height = 900;
    figure.columns = 1;
    figure.panels = {error_and_bytes(analysis), separation(analysis)};
    return figure;
}

}  // namespace quantize::plot
