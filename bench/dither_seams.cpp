// Whether the seams of adaptive dithering's 256-row bands show: the same images and palettes
// dithered in bands (as --dither adaptive does) and in one pass over the whole image, compared.
// Per set and K: the share of pixels the bands change, MSE against the input of both, and the
// low-pass error (|mean of a 4x4 block of output - mean of the input's block|, mean over the
// channels, 0..255: what the eye sees of a dithered area) in the block rows touching a band
// border against the other block rows. Equal seam and elsewhere figures, and equal banded and
// whole figures, mean the seams cost nothing measurable.
//
//   cmake --build build --target quantize_bench_seams
//   build/quantize_bench_seams IMAGE...   (prints one markdown row per K for all the images)
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "detail/mapping.hpp"
#include "quantize/quantize.hpp"

namespace {

constexpr std::size_t kBandRows = 256;  // as src/remap_adaptive.cpp's
constexpr int kBlock = 4;

struct Sums {
    double changed = 0, pixels = 0;
    double squared[2] = {0, 0};                      // banded, whole
    double seam[2] = {0, 0}, elsewhere[2] = {0, 0};  // low-pass error sums
    double seam_blocks = 0, other_blocks = 0;
};

void add(const quantize::Image& image, const quantize::IndexedImage* out[2], Sums& sums) {
    const std::size_t w = std::size_t(image.width), h = std::size_t(image.height);
    for (std::size_t i = 0; i < w * h; ++i) {
        sums.changed += out[0]->indices[i] != out[1]->indices[i];
        const quantize::Color c = image.pixel(i);
        for (int v = 0; v < 2; ++v) {
            const quantize::Color o = quantize::color_at(*out[v], i);
            const double dr = o.r - c.r, dg = o.g - c.g, db = o.b - c.b;
            sums.squared[v] += (dr * dr + dg * dg + db * db) / 3;
        }
    }
    sums.pixels += double(w * h);
    for (std::size_t by = 0; by + kBlock <= h; by += kBlock) {
        // A block row touches a border when a band starts in it or right after it.
        const bool seam =
            by >= kBandRows && (by % kBandRows == 0 || (by + kBlock) % kBandRows == 0);
        for (std::size_t bx = 0; bx + kBlock <= w; bx += kBlock) {
            for (int v = 0; v < 2; ++v) {
                double error = 0;
                for (int ch = 0; ch < 3; ++ch) {
                    double in = 0, o = 0;
                    for (int y = 0; y < kBlock; ++y) {
                        for (int x = 0; x < kBlock; ++x) {
                            const std::size_t i = (by + y) * w + bx + x;
                            const quantize::Color a = image.pixel(i), b = color_at(*out[v], i);
                            in += ch == 0 ? a.r : ch == 1 ? a.g : a.b;
                            o += ch == 0 ? b.r : ch == 1 ? b.g : b.b;
                        }
                    }
                    error += std::abs(o - in) / (kBlock * kBlock) / 3;
                }
                (seam ? sums.seam : sums.elsewhere)[v] += error;
            }
            (seam ? sums.seam_blocks : sums.other_blocks) += 1;
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: quantize_bench_seams IMAGE...\n");
        return 2;
    }
    std::vector<quantize::Image> images;
    for (int a = 1; a < argc; ++a)
        images.push_back(quantize::read_image(argv[a]));
    for (int k : {16, 64, 256}) {
        Sums sums;
        for (const quantize::Image& image : images) {
            quantize::Options options;
            options.clustering.colors = k;
            const quantize::Palette palette = quantize::quantize(image, options).image.palette;
            const quantize::IndexedImage banded = quantize::detail::adaptive_in_bands(
                image, palette, quantize::ColorSpace::rgb, 1, kBandRows);
            const quantize::IndexedImage whole = quantize::detail::adaptive_in_bands(
                image, palette, quantize::ColorSpace::rgb, 1, 0);
            const quantize::IndexedImage* out[2] = {&banded, &whole};
            add(image, out, sums);
        }
        std::printf("| %d | %zu | %.4f%% | %.3f | %.3f | %.4f | %.4f | %.4f | %.4f |\n", k,
                    images.size(), 100 * sums.changed / sums.pixels, sums.squared[0] / sums.pixels,
                    sums.squared[1] / sums.pixels, sums.seam[0] / sums.seam_blocks,
                    sums.seam[1] / sums.seam_blocks, sums.elsewhere[0] / sums.other_blocks,
                    sums.elsewhere[1] / sums.other_blocks);
        std::fflush(stdout);
    }
}
