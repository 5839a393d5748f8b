#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <span>

#include <tbb/task_arena.h>

#include "quantize/cluster.hpp"
#include "quantize/error.hpp"
#include "quantize/sweep.hpp"

using namespace quantize;

namespace {

struct Blobs {
    std::vector<Point> centers;
    std::vector<Point> points;
    std::vector<float> weights;
};

// Gaussian blobs (sigma 4) around well-separated centers.
Blobs make_blobs(std::size_t per_blob, unsigned seed = 11) {
    Blobs b;
    b.centers = {{{30, 40, 50, 255}},
                 {{200, 30, 60, 255}},
                 {{60, 210, 90, 255}},
                 {{120, 120, 230, 255}},
                 {{230, 230, 20, 255}}};
    std::mt19937 rng(seed);
    std::normal_distribution<float> noise(0.0f, 4.0f);
    for (const Point& c : b.centers) {
        for (std::size_t i = 0; i < per_blob; ++i) {
            b.points.push_back(
                {{c.v[0] + noise(rng), c.v[1] + noise(rng), c.v[2] + noise(rng), 255}});
            b.weights.push_back(1.0f);
        }
    }
    return b;
}

ClusterOptions options(int k, int max_iterations, double tolerance, std::uint64_t seed) {
    ClusterOptions o;
    o.k = k;
    o.max_iterations = max_iterations;
    o.tolerance = tolerance;
    o.seed = seed;
    return o;
}

float distance_to_nearest(const Point& p, const std::vector<Point>& set) {
    float best = 1e30f;
    for (const Point& q : set)
        best = std::min(best, squared_distance(p, q));
    return std::sqrt(best);
}

// Plain weighted Lloyd from given centroids: the reference Hamerly's bounds must agree with.
std::vector<Point> plain_lloyd(const std::vector<Point>& points, const std::vector<float>& w,
                               std::vector<Point> c, int iterations) {
    for (int it = 0; it < iterations; ++it) {
        std::vector<double> sum(c.size() * 4, 0.0), weight(c.size(), 0.0);
        for (std::size_t i = 0; i < points.size(); ++i) {
            std::size_t best = 0;
            for (std::size_t j = 1; j < c.size(); ++j) {
                if (squared_distance(points[i], c[j]) < squared_distance(points[i], c[best]))
                    best = j;
            }
            for (int a = 0; a < 4; ++a)
                sum[best * 4 + std::size_t(a)] += double(w[i]) * points[i].v[a];
            weight[best] += w[i];
        }
        for (std::size_t j = 0; j < c.size(); ++j) {
            if (weight[j] == 0)
                continue;
            for (int a = 0; a < 4; ++a)
                c[j].v[a] = float(sum[j * 4 + std::size_t(a)] / weight[j]);
        }
    }
    return c;
}

// kmeans() after each number of iterations against plain Lloyd from the same k-means++ seeds:
// every coordinate within `margin` (0: equal).
void check_equals_plain_lloyd(const Blobs& b, int k, std::uint64_t seed,
                              std::initializer_list<int> iterations, float margin) {
    std::vector<Point> seeds;
    for (std::size_t s : seed_kmeans_plus_plus(b.points, b.weights, k, seed))
        seeds.push_back(b.points[s]);
    for (int n : iterations) {
        INFO(n << " iterations");
        const Clustering fast = kmeans(b.points, b.weights, options(k, n, 0.0, seed));
        const auto slow = plain_lloyd(b.points, b.weights, seeds, n);
        REQUIRE(fast.centroids.size() == slow.size());
        for (std::size_t j = 0; j < slow.size(); ++j) {
            for (int a = 0; a < 4; ++a) {
                if (margin == 0)
                    REQUIRE(fast.centroids[j].v[a] == slow[j].v[a]);
                else
                    REQUIRE(fast.centroids[j].v[a] == Approx(slow[j].v[a]).margin(margin));
            }
        }
    }
}

}  // namespace

TEST_CASE("k-means finds the true centers of separated blobs", "[cluster]") {
    const Blobs b = make_blobs(2000);
    const Clustering result = kmeans(b.points, b.weights, options(5, 100, 0.001, 1));
    REQUIRE(result.centroids.size() == 5);
    CHECK(result.converged);
    for (const Point& center : b.centers) {
        CHECK(distance_to_nearest(center, result.centroids) < 0.5f);
    }
    // Inertia is about n * 3 * sigma^2 for correct clusters.
    CHECK(result.inertia == Approx(10000 * 3 * 16.0).epsilon(0.1));
}

TEST_CASE("k-means++ seeds are distinct data points", "[cluster]") {
    const Blobs b = make_blobs(300);
    const auto seeds = seed_kmeans_plus_plus(b.points, b.weights, 64, 5);
    REQUIRE(seeds.size() == 64);
    std::set<std::size_t> unique(seeds.begin(), seeds.end());
    CHECK(unique.size() == 64);
    for (std::size_t s : seeds)
        CHECK(s < b.points.size());
    for (std::size_t i = 0; i < seeds.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            CHECK(squared_distance(b.points[seeds[i]], b.points[seeds[j]]) > 0.0f);
        }
    }
    // With 5 blobs and 5 seeds, D^2 weighting puts one seed in each blob.
    const auto five = seed_kmeans_plus_plus(b.points, b.weights, 5, 5);
    std::set<std::size_t> blobs;
    for (std::size_t s : five)
        blobs.insert(s / 300);
    CHECK(blobs.size() == 5);
}

TEST_CASE("k-means++ never draws a zero-weight point or more seeds than distinct points",
          "[cluster]") {
    const std::vector<Point> points{
        {{0, 0, 0, 255}}, {{10, 0, 0, 255}}, {{10, 0, 0, 255}}, {{99, 0, 0, 255}}};
    const std::vector<float> weights{1, 1, 1, 0};
    const auto seeds = seed_kmeans_plus_plus(points, weights, 4, 3);
    CHECK(seeds.size() == 2);  // two distinct positions carry weight
    for (std::size_t s : seeds)
        CHECK(s != 3);
}

TEST_CASE("Hamerly's bounds give the same centroids as plain Lloyd", "[cluster]") {
    check_equals_plain_lloyd(make_blobs(400, 17), 12, 9, {1, 3, 10}, 1e-3f);
}

TEST_CASE("on sampled colors Hamerly equals plain Lloyd exactly, over several chunks",
          "[cluster]") {
    // Integer coordinates and counts, as sample_colors gives: every cluster sum is an exact
    // double, so sums kept up to date as points move must equal sums taken afresh, bit for bit.
    // 7,500 points span four 2,048-point chunks; 24 clusters over 5 blobs keep points moving.
    // 96 clusters go past the neighbor table's sorted part, and over 40 iterations the table is
    // rebuilt and each cluster's lower-bound decay comes from the moves of the centroids in its
    // reach alone.
    Blobs b = make_blobs(1500, 29);
    for (std::size_t i = 0; i < b.points.size(); ++i) {
        for (int a = 0; a < 3; ++a)
            b.points[i].v[a] = std::round(b.points[i].v[a]);
        b.weights[i] = float(1 + i % 5);
    }
    check_equals_plain_lloyd(b, 24, 4, {1, 5, 25}, 0.0f);
    check_equals_plain_lloyd(b, 96, 7, {2, 12, 40}, 0.0f);
}

TEST_CASE("weights pull centroids to the weighted mean", "[cluster]") {
    const std::vector<Point> points{{{0, 0, 0, 255}}, {{100, 0, 0, 255}}};
    const std::vector<float> weights{1, 3};
    const Clustering one = kmeans(points, weights, options(1, 10, 0.0, 1));
    REQUIRE(one.centroids.size() == 1);
    CHECK(one.centroids[0].v[0] == Approx(75.0));
    CHECK(one.inertia == Approx(1 * 75.0 * 75.0 + 3 * 25.0 * 25.0));
}

TEST_CASE("clustering is identical on 1 and several threads", "[cluster]") {
    const Blobs b = make_blobs(5000, 23);
    const ClusterOptions opts = options(48, 50, 0.0, 77);
    Clustering single, multi;
    tbb::task_arena(1).execute([&] { single = kmeans(b.points, b.weights, opts); });
    tbb::task_arena(4).execute([&] { multi = kmeans(b.points, b.weights, opts); });
    REQUIRE(single.centroids.size() == multi.centroids.size());
    for (std::size_t j = 0; j < single.centroids.size(); ++j) {
        for (int a = 0; a < 4; ++a)
            REQUIRE(single.centroids[j].v[a] == multi.centroids[j].v[a]);
    }
    CHECK(single.inertia == multi.inertia);
    CHECK(single.iterations == multi.iterations);
}

TEST_CASE("more clusters never fit worse", "[cluster]") {
    const Blobs b = make_blobs(1000, 31);
    double previous = 1e300;
    for (int k : {1, 2, 5, 10, 20}) {
        const double inertia = kmeans(b.points, b.weights, options(k, 100, 0.0, 3)).inertia;
        CHECK(inertia <= previous);
        previous = inertia;
    }
}

TEST_CASE("k outside 1..256 is refused", "[cluster]") {
    const std::vector<Point> points{{{0, 0, 0, 255}}};
    const std::vector<float> weights{1};
    CHECK_THROWS_AS(kmeans(points, weights, options(0, 10, 0.0, 1)), Error);
    CHECK_THROWS_AS(kmeans(points, weights, options(257, 10, 0.0, 1)), Error);
    CHECK(kmeans(points, weights, options(256, 10, 0.0, 1)).centroids.size() == 1);
}

namespace {
// `count` opaque colors drawn uniformly from the RGB cube (seeded): many local optima, so
// runs from different seeds end apart.
std::vector<Point> uniform_noise(int count, unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<Point> points;
    for (int i = 0; i < count; ++i)
        points.push_back({{float(rng() % 256), float(rng() % 256), float(rng() % 256), 255}});
    return points;
}

// Three restarts at K = 9 from seed 5, at most 1000 iterations.
ClusterOptions three_restarts(double tolerance) {
    ClusterOptions three = options(9, 1000, tolerance, 5);
    three.restarts = 3;
    return three;
}

// Of single runs at K = 9 from seeds 5, 6 and 7 (at most 1000 iterations), the one with the
// lowest inertia (ties: the first): what restarts from seed 5 compete to.
Clustering best_single_run(std::span<const Point> points, std::span<const float> weights,
                           double tolerance) {
    Clustering winner;
    for (std::uint64_t seed : {5, 6, 7}) {
        Clustering run = kmeans(points, weights, options(9, 1000, tolerance, seed));
        if (seed == 5 || run.inertia < winner.inertia)
            winner = run;
    }
    return winner;
}
}  // namespace

TEST_CASE("restarts keep the run with the lowest inertia", "[cluster]") {
    // Uniform noise has many local optima, so runs from different seeds end apart.
    const std::vector<Point> points = uniform_noise(3000, 4);
    const std::vector<float> weights(points.size(), 1.0f);
    std::vector<double> single;
    for (std::uint64_t seed : {5, 6, 7})
        single.push_back(kmeans(points, weights, options(9, 100, 0.0, seed)).inertia);
    REQUIRE(std::set<double>(single.begin(), single.end()).size() == 3);
    ClusterOptions three = options(9, 100, 0.0, 5);
    three.restarts = 3;
    CHECK(kmeans(points, weights, three).inertia ==
          *std::min_element(single.begin(), single.end()));
    three.restarts = 0;
    CHECK_THROWS_AS(kmeans(points, weights, three), Error);
}

TEST_CASE("restarts over many points compete on every second one, the winner then fits all",
          "[cluster]") {
    const std::vector<Point> points = uniform_noise(24000, 8);
    const std::vector<float> weights(points.size(), 1.0f);
    const ClusterOptions three = three_restarts(0.0);
    Clustering single, multi;
    tbb::task_arena(1).execute([&] { single = kmeans(points, weights, three); });
    tbb::task_arena(4).execute([&] { multi = kmeans(points, weights, three); });
    CHECK(single.inertia == multi.inertia);
    REQUIRE(single.converged);

    // The scouts: one run per seed on every second point; the lowest inertia wins.
    std::vector<Point> half;
    for (std::size_t i = 0; i < points.size(); i += 2)
        half.push_back(points[i]);
    const std::vector<float> half_weights(half.size(), 1.0f);
    const Clustering winner = best_single_run(half, half_weights, 0.0);
    // Plain Lloyd on all the points from the winner's centroids ends where kmeans ended.
    const std::vector<Point> expected = plain_lloyd(points, weights, winner.centroids, 200);
    REQUIRE(expected.size() == single.centroids.size());
    for (std::size_t j = 0; j < expected.size(); ++j) {
        for (int a = 0; a < 4; ++a)
            CHECK(single.centroids[j].v[a] == Approx(expected[j].v[a]).margin(1e-3));
    }
}

TEST_CASE("restarts compete to ten times the tolerance, and the winner goes on to the tolerance",
          "[cluster]") {
    const std::vector<Point> points = uniform_noise(3000, 4);
    const std::vector<float> weights(points.size(), 1.0f);
    const Clustering result = kmeans(points, weights, three_restarts(0.5));
    // The scouts: one run per seed on every point, stopped at tolerance 5; the lowest wins.
    const Clustering winner = best_single_run(points, weights, 5.0);
    // Lloyd from the winner's centroids to tolerance 0.5 ends where kmeans ended.
    const Clustering refined =
        kmeans_from(points, weights, options(9, 1000, 0.5, 5), winner.centroids);
    CHECK(result.inertia == refined.inertia);
    CHECK(result.iterations == winner.iterations + refined.iterations);
    CHECK(result.converged);
}

TEST_CASE("a warm start from converged centroids stays there, and from a nudge it comes back",
          "[cluster]") {
    const Blobs b = make_blobs(400);
    const Clustering fresh = kmeans(b.points, b.weights, options(5, 100, 0.0, 3));
    const Clustering again =
        kmeans_from(b.points, b.weights, options(5, 100, 0.0, 3), fresh.centroids);
    CHECK(again.inertia == Approx(fresh.inertia).epsilon(1e-6));
    CHECK(again.iterations <= 2);
    std::vector<Point> nudged = fresh.centroids;
    for (Point& c : nudged)
        c.v[0] += 9.0f;
    const Clustering back = kmeans_from(b.points, b.weights, options(5, 100, 0.0, 3), nudged);
    CHECK(back.inertia == Approx(fresh.inertia).epsilon(1e-4));
    // Fixed centroids must lead the warm start, and stay put.
    ClusterOptions with_fixed = options(5, 100, 0.0, 3);
    with_fixed.fixed = {{{0, 0, 0, 255}}};
    CHECK_THROWS_AS(kmeans_from(b.points, b.weights, with_fixed, fresh.centroids), Error);
    std::vector<Point> led = fresh.centroids;
    led.front() = with_fixed.fixed.front();
    CHECK(kmeans_from(b.points, b.weights, with_fixed, led).centroids.front().v[0] == 0.0f);
}

namespace {

// Records everything k-means tells an observer; cancels before iteration `cancel_at` (1-based)
// when set.
struct Recorder : KMeansObserver {
    std::mutex mutex;
    std::vector<SeedPick> picks;
    std::vector<LloydStep> steps;
    std::vector<std::vector<Point>> step_centroids;
    std::vector<std::pair<KMeansRun, double>> seedings;
    struct End {
        KMeansRun run;
        double inertia;
        int iterations;
        bool kept;
    };
    std::vector<End> ends;
    int polls = 0;
    int cancel_at = 0;

    void seed_picked(const SeedPick& pick) override {
        const std::lock_guard lock(mutex);
        picks.push_back(pick);
    }
    void seeded(KMeansRun run, std::span<const Point>, double inertia) override {
        const std::lock_guard lock(mutex);
        seedings.emplace_back(run, inertia);
    }
    void iterated(const LloydStep& step) override {
        const std::lock_guard lock(mutex);
        steps.push_back(step);
        step_centroids.emplace_back(step.centroids.begin(), step.centroids.end());
    }
    void finished(KMeansRun run, double inertia, int iterations, bool kept) override {
        const std::lock_guard lock(mutex);
        ends.push_back({run, inertia, iterations, kept});
    }
    bool cancelled() override {
        const std::lock_guard lock(mutex);
        return ++polls == cancel_at;
    }
};

}  // namespace

TEST_CASE("an observer sees every seed pick and Lloyd step, and changes nothing", "[cluster]") {
    const Blobs b = make_blobs(400);
    const ClusterOptions plain = options(5, 100, 0.0, 3);
    const Clustering alone = kmeans(b.points, b.weights, plain);
    Recorder recorder;
    ClusterOptions watched = plain;
    watched.observer = &recorder;
    const Clustering seen = kmeans(b.points, b.weights, watched);
    CHECK(seen.centroids.size() == alone.centroids.size());
    for (std::size_t j = 0; j < seen.centroids.size(); ++j)
        for (int a = 0; a < 4; ++a)
            CHECK(seen.centroids[j].v[a] == alone.centroids[j].v[a]);
    CHECK(seen.inertia == alone.inertia);

    REQUIRE(recorder.picks.size() == 5);
    CHECK(recorder.picks[0].candidates == 1);
    CHECK(recorder.picks[1].candidates == 8);  // greedy k-means++: the best of 8 draws
    for (const SeedPick& pick : recorder.picks) {
        CHECK(pick.share > 0);
        CHECK(pick.share <= 1);
    }
    // One step per iteration, numbered from 1; inertia never rises (Lloyd's property); the
    // last step's inertia is the result's.
    REQUIRE(recorder.steps.size() == std::size_t(seen.iterations));
    REQUIRE(recorder.seedings.size() == 1);
    double before = recorder.seedings[0].second;
    for (std::size_t i = 0; i < recorder.steps.size(); ++i) {
        const LloydStep& step = recorder.steps[i];
        CHECK(step.iteration == int(i) + 1);
        // Lloyd never raises it; all but the last step's come from cluster sums, within ~1e-12.
        CHECK(step.inertia <= before * (1 + 1e-9));
        CHECK(step.skipped >= 0);
        CHECK(step.skipped <= 1);
        CHECK(step.largest_shift >= step.mean_shift);
        CHECK(step.centroids.size() == 5);
        before = step.inertia;
    }
    CHECK(recorder.steps.back().inertia == seen.inertia);
    CHECK(recorder.steps.back().largest_shift == 0);  // tolerance 0: ran until nothing moved
    REQUIRE(recorder.ends.size() == 1);
    CHECK(recorder.ends[0].kept);
    CHECK(recorder.ends[0].iterations == seen.iterations);
}

TEST_CASE("an observer sees restarts, the winner and the refinement marked", "[cluster]") {
    const std::vector<Point> points = uniform_noise(20000, 8);
    const std::vector<float> weights(points.size(), 1.0f);
    ClusterOptions three = options(6, 1000, 0.5, 5);
    three.restarts = 3;
    Recorder recorder;
    three.observer = &recorder;
    const Clustering result = kmeans(points, weights, three);
    REQUIRE(recorder.ends.size() == 4);  // three restarts, then the refinement
    int kept_restarts = 0;
    for (int r = 0; r < 3; ++r) {
        CHECK(recorder.ends[std::size_t(r)].run.restart == r);
        CHECK_FALSE(recorder.ends[std::size_t(r)].run.refinement);
        kept_restarts += recorder.ends[std::size_t(r)].kept;
    }
    CHECK(kept_restarts == 1);
    const auto& last = recorder.ends.back();
    CHECK(last.run.refinement);
    CHECK(last.kept);
    CHECK(last.iterations == result.iterations);
    // The refinement's steps go on from the winner's count and end at the result.
    std::vector<LloydStep> refinement;
    for (const LloydStep& s : recorder.steps)
        if (s.run.refinement)
            refinement.push_back(s);
    REQUIRE_FALSE(refinement.empty());
    CHECK(refinement.back().iteration == result.iterations);
    CHECK(refinement.back().inertia == result.inertia);
    CHECK(recorder.picks.size() == 3 * 6);
}

TEST_CASE("a cancel stops Lloyd within the iteration it is asked in", "[cluster]") {
    const Blobs b = make_blobs(400);
    Recorder counter;
    ClusterOptions watched = options(5, 100, 0.0, 3);
    watched.observer = &counter;
    REQUIRE(kmeans(b.points, b.weights, watched).iterations >= 2);
    Recorder recorder;
    recorder.cancel_at = 6;  // polled before picks 2..5 (k = 5), then before updates 1 and 2
    watched.observer = &recorder;
    try {
        kmeans(b.points, b.weights, watched);
        FAIL("not cancelled");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::cancelled);
    }
    CHECK(recorder.polls == 6);
    CHECK(recorder.steps.size() == 1);  // no step after the cancel
}

namespace {

// Progress or cancel alone: wants nothing measured, stops at poll `cancel_at` (1-based) when
// set; counts what it is told.
struct CancelAt : KMeansObserver {
    std::atomic<int> polls = 0, told = 0;
    int cancel_at = 0;
    KMeansWants wants() const override { return {}; }
    void seed_picked(const SeedPick&) override { ++told; }
    void seeded(KMeansRun, std::span<const Point>, double) override { ++told; }
    void iterated(const LloydStep&) override { ++told; }
    bool cancelled() override { return ++polls == cancel_at; }
};

}  // namespace

TEST_CASE(
    "an observer that wants nothing is told nothing, polled once per pick and Lloyd update, and "
    "changes nothing",
    "[cluster][cancel]") {
    const Blobs b = make_blobs(400);
    const ClusterOptions plain = options(5, 100, 0.0, 3);
    const Clustering alone = kmeans(b.points, b.weights, plain);
    CancelAt never;
    ClusterOptions polled = plain;
    polled.observer = &never;
    const Clustering seen = kmeans(b.points, b.weights, polled);
    CHECK(seen.inertia == alone.inertia);
    CHECK(seen.iterations == alone.iterations);
    CHECK(never.told == 0);
    // Polled before each k-means++ pick after the first (k - 1 = 4), then before each update.
    CHECK(never.polls == alone.iterations + 4);

    CancelAt stop;
    stop.cancel_at = 2;
    polled.observer = &stop;
    CHECK_THROWS_AS(kmeans(b.points, b.weights, polled), Error);
    CHECK(stop.polls == 2);  // stopped before the third pick: within one pass over the points
}

TEST_CASE("a cancel stops a sweep over K within one Lloyd update", "[cluster][cancel]") {
    const Blobs b = make_blobs(400);
    CancelAt stop;
    stop.cancel_at = 3;
    CancelOnly cancel(&stop);
    SweepOptions sweep =
        sweep_options_for(options(2, 100, 0.0, 3), SweepMethod::bisecting, {2, 3, 4, 5, 6});
    sweep.observer = &cancel;
    std::optional<ErrorKind> stopped;
    try {
        sweep_kmeans(b.points, b.weights, sweep);
    } catch (const Error& e) {
        stopped = e.kind();
    }
    CHECK(stopped == ErrorKind::cancelled);
    CHECK(stop.polls == 3);
    CHECK(stop.told == 0);
}

TEST_CASE("max_iterations bounds the kept run's Lloyd updates, scouting and refinement together",
          "[cluster]") {
    // Restarts on many points scout on every second one, then the winner refines on all.
    const std::vector<Point> points = uniform_noise(24000, 8);
    const std::vector<float> weights(points.size(), 1.0f);
    for (const int most : {1, 2, 5}) {
        ClusterOptions capped = three_restarts(0.0);
        capped.max_iterations = most;
        const Clustering result = kmeans(points, weights, capped);
        INFO("max_iterations " << most);
        CHECK(result.iterations == most);
        CHECK_FALSE(result.converged);
        // The sizes and inertia are of every point, whether the refinement ran or not.
        double total = 0;
        for (const double size : result.sizes)
            total += size;
        CHECK(total == Approx(double(points.size())));
        // Scouts that stop early leave the rest to the refinement: the total still bounded.
        ClusterOptions loose = three_restarts(0.5);
        loose.max_iterations = most + 3;
        CHECK(kmeans(points, weights, loose).iterations <= most + 3);
    }
}
