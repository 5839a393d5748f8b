// A library user's smallest program: quantizes an image file to 4 colors in memory and prints
// the version and the palette size. Built against an installed prefix by tests/install/.
//   consumer INPUT
#include <cstdio>

#include <quantize/quantize.hpp>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: consumer INPUT\n");
        return 2;
    }
    try {
        quantize::Options options;
        options.clustering.colors = 4;
        const quantize::Quantized q = quantize::quantize(quantize::read_image(argv[1]), options);
        std::printf("quantize %s: %zu colors\n", quantize::version, q.image.palette.size());
        return 0;
    } catch (const quantize::Error& e) {
        std::fprintf(stderr, "consumer: %s\n", e.what());
        return 1;
    }
}
