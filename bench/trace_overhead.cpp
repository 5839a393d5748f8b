// What watching k-means costs: kmeans() on an image's training sample without an observer,
// with one that wants nothing measured (progress and cancel: one poll per Lloyd update), with
// one that wants everything and does nothing with it (the library's own cost: counts,
// per-iteration inertia, timing) and with the command line's recorder (what --trace adds: the
// records kept), run in turn
// `repeats` times; prints the medians (ms) and the ratios to the run without.
//
//   cmake --build build --target quantize_bench_trace
//   build/quantize_bench_trace IMAGE K [repeats]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli/watch.hpp"
#include "quantize/quantize.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

struct Idle : quantize::KMeansObserver {};
struct Poll : quantize::KMeansObserver {
    quantize::KMeansWants wants() const override { return {}; }
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s IMAGE K [repeats]\n", argv[0]);
        return 2;
    }
    const quantize::Image image = quantize::read_image(argv[1]);
    quantize::Options options;
    options.clustering.colors = std::atoi(argv[2]);
    const int repeats = argc > 3 ? std::atoi(argv[3]) : 9;
    // The training sample as quantize() draws it.
    const auto sample =
        quantize::sample_colors(image, options.clustering.sample, options.clustering.seed);
    std::vector<quantize::Point> points;
    std::vector<float> weights;
    for (const auto& s : sample) {
        points.push_back(quantize::to_point(s.color, options.clustering.space));
        weights.push_back(float(s.count));
    }
    quantize::ClusterOptions cluster;
    cluster.k = options.clustering.colors;
    cluster.restarts = quantize::restarts_for(options);
    cluster.tolerance = options.clustering.tolerance;
    std::vector<double> off, poll, idle, recorded;
    double inertia = 0;
    for (int r = 0; r < repeats; ++r) {  // in turn: noise hits all four alike
        for (int mode = 0; mode < 4; ++mode) {
            Poll polling;
            Idle nothing;
            quantize::cli::KMeansRecorder recorder;
            quantize::KMeansObserver* const observers[] = {nullptr, &polling, &nothing, &recorder};
            std::vector<double>* const times[] = {&off, &poll, &idle, &recorded};
            quantize::ClusterOptions o = cluster;
            o.observer = observers[mode];
            const auto start = Clock::now();
            const quantize::Clustering c = quantize::kmeans(points, weights, o);
            const double ms =
                std::chrono::duration<double, std::milli>(Clock::now() - start).count();
            times[mode]->push_back(ms);
            if (mode == 0)
                inertia = c.inertia;
            else if (c.inertia != inertia)
                return std::fprintf(stderr, "observed run differs\n"), 1;
        }
    }
    std::printf(
        "%zu points, K = %d, %d restarts: off %.1f ms, polling observer %.1f (%.3f), idle "
        "observer %.1f (%.3f), recorder %.1f (%.3f)\n",
        points.size(), options.clustering.colors, cluster.restarts, median(off), median(poll),
        median(poll) / median(off), median(idle), median(idle) / median(off), median(recorded),
        median(recorded) / median(off));
}
