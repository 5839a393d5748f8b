// --fixed: parse_color_list and parse_hex_color. A color read back from its own hex code must
// come out the same.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "quantize/error.hpp"
#include "quantize/palette.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (const auto color = quantize::parse_hex_color(text)) {
        if (quantize::parse_hex_color(quantize::to_hex(*color)) != color)
            __builtin_trap();
    }
    try {
        for (const quantize::Color& c : quantize::parse_color_list(text)) {
            if (quantize::parse_hex_color(quantize::to_hex(c)) != c)
                __builtin_trap();
        }
    } catch (const quantize::Error&) {
        // An item that is not a color: expected.
    }
    return 0;
}
