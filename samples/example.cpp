// The library in a few lines: quantize an image to 8 colors and print its palette.
//   quantize_example samples/kodim23.png out.png
#include <iostream>

#include "quantize/quantize.hpp"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: quantize_example INPUT OUTPUT.png\n";
        return 2;
    }
    try {
        quantize::Options options;
        options.clustering.colors = 8;
        const quantize::Image image = quantize::read_image(argv[1]);
        const quantize::Quantized result = quantize::quantize(image, options);
        const std::vector<std::uint8_t> png = quantize::encode_image(result.image, argv[2]);
        quantize::write_file_atomically(argv[2], png, /*overwrite=*/true);
        for (const quantize::PaletteEntry& entry : result.image.palette) {
            std::cout << quantize::to_hex(entry.color) << " " << entry.count << "\n";
        }
    } catch (const quantize::Error& e) {
        std::cerr << "quantize_example: " << e.what() << "\n";
        return 1;
    }
}
