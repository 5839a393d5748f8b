// The per-image stages timed in thread CPU on one thread, for a few Kodak images: the least of
// REPEATS runs each (the least is what a shared machine disturbs least). Stages as quantize()
// runs them: sample, one k-means++ seeding on all the sampled colors, k-means as quantize()
// asks it (restarts included), remap, and quantize() whole.
//   quantize_bench_stages KODAK_DIR K REPEATS IMAGES
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>

#include <tbb/global_control.h>

#include "quantize/quantize.hpp"

namespace {

double thread_cpu_ms() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) * 1e3 + double(t.tv_nsec) * 1e-6;
}

double least_ms(int repeats, const std::function<void()>& run) {
    double least = 1e300;
    for (int i = 0; i < repeats; ++i) {
        const double start = thread_cpu_ms();
        run();
        least = std::min(least, thread_cpu_ms() - start);
    }
    return least;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: quantize_bench_stages KODAK_DIR K REPEATS IMAGES\n");
        return 2;
    }
    using namespace quantize;
    const int k = std::atoi(argv[2]), repeats = std::atoi(argv[3]), count = std::atoi(argv[4]);
    const tbb::global_control one_thread(tbb::global_control::max_allowed_parallelism, 1);
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(argv[1])) {
        if (entry.path().extension() == ".png")
            files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    if (count < 1 || files.size() < std::size_t(count))
        return 2;
    Options options;
    options.clustering.colors = k;
    double sample = 0, seeding = 0, clustering = 0, mapping = 0, whole = 0;
    for (int f = 0; f < count; ++f) {  // spread over the set
        const Image image = read_image(files[std::size_t(f) * files.size() / std::size_t(count)]);
        std::vector<ColorCount> colors;
        sample += least_ms(repeats, [&] {
            colors = sample_colors(image, sample_for(options), options.clustering.seed);
        });
        std::vector<Point> points;
        std::vector<float> weights;
        for (const ColorCount& c : colors) {
            points.push_back(to_point(c.color, options.clustering.space));
            weights.push_back(float(c.count));
        }
        seeding += least_ms(repeats, [&] { seed_kmeans_plus_plus(points, weights, k, 1, {}); });
        Clustering result;
        clustering +=
            least_ms(repeats, [&] { result = kmeans(points, weights, cluster_options(options)); });
        const Palette palette = palette_from_centroids(result.centroids, options.clustering.space);
        mapping += least_ms(repeats, [&] { remap(image, palette, options.clustering.space); });
        whole += least_ms(repeats, [&] { quantize::quantize(image, options); });
    }
    std::printf(
        "K %d, ms per image: sample %.2f, seeding %.2f, k-means %.2f, remap %.2f, "
        "quantize() %.2f\n",
        k, sample / count, seeding / count, clustering / count, mapping / count, whole / count);
}
