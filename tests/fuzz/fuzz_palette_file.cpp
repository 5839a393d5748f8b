// Palette files (--palette FILE): parse_palette in every text format, the first byte picking
// which; the binary formats must be refused with Error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "quantize/error.hpp"
#include "quantize/palette_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1)
        return 0;
    using quantize::PaletteFormat;
    constexpr PaletteFormat kFormats[] = {
        PaletteFormat::hex, PaletteFormat::txt, PaletteFormat::json, PaletteFormat::css,
        PaletteFormat::gpl, PaletteFormat::pal, PaletteFormat::ase,  PaletteFormat::aco};
    const PaletteFormat format = kFormats[data[0] % std::size(kFormats)];
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    try {
        const quantize::Palette palette = quantize::parse_palette(text, format, "fuzz.palette");
        if (palette.empty() || palette.size() > 256 || !quantize::is_text_format(format))
            __builtin_trap();
    } catch (const quantize::Error&) {
        // A refused file: expected.
    }
    return 0;
}
