// decode_image on PNGs: the own fast path first, then libspng for every other kind. The
// signature is added when missing and chunk CRCs are fixed, so mutations reach the parsers.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.hpp"
#include "quantize/error.hpp"
#include "quantize/io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Bytes png = fuzz::with_png_signature({data, size});
    fuzz::fix_png_crcs(png);
    try {
        quantize::decode_image(png, "fuzz.png", fuzz::limits());
    } catch (const quantize::Error&) {
        // A refused input: expected.
    }
    return 0;
}
