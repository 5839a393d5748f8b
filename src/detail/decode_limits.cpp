#include "detail/decode_limits.hpp"

#include <cstdio>

#include "quantize/error.hpp"

namespace quantize::detail {

namespace {

// a * b > limit, without forming a * b (both may be near 2^32, their product past 2^64).
bool product_over(std::uint64_t a, std::uint64_t b, std::uint64_t limit) {
    return a != 0 && b > limit / a;
}

std::string size_text(std::uint64_t width, std::uint64_t height) {
    return std::to_string(width) + "x" + std::to_string(height) + " pixels";
}

// Decimal megabytes, one decimal: "2048.0 MB".
std::string megabytes(double bytes) {
    char text[48];
    std::snprintf(text, sizeof text, "%.1f MB", bytes / 1e6);
    return text;
}

}  // namespace

std::string megapixels(std::uint64_t pixels) {
    // Megapixels only where they say the count exactly: 119,999 is not "0.1 MP".
    if (pixels < 100'000 || pixels % 100'000 != 0)
        return std::to_string(pixels) + " pixels";
    if (pixels % 1'000'000 == 0)
        return std::to_string(pixels / 1'000'000) + " MP";
    char text[48];
    std::snprintf(text, sizeof text, "%.1f MP", double(pixels) / 1e6);
    return text;
}

void check_decode_limits(const std::string& name, std::uint64_t width, std::uint64_t height,
                         std::uint64_t bytes_per_pixel, const DecodeLimits& limits) {
    auto refuse = [&](const std::string& cause) { throw Error(ErrorKind::too_large, name, cause); };
    if (product_over(width, height, limits.max_pixels)) {
        // Shown to one decimal: the exact count needs 65 bits for 2^32 - 1 squared. Under
        // 0.1 MP (a limit set that low), the count itself.
        const double pixels = double(width) * double(height);
        char claimed[48];
        if (pixels < 1e5)
            std::snprintf(claimed, sizeof claimed, "%.0f pixels", pixels);
        else
            std::snprintf(claimed, sizeof claimed, pixels >= 1e7 ? "%.0f MP" : "%.1f MP",
                          pixels / 1e6);
        refuse(size_text(width, height) + " (" + claimed + ") is over the limit of " +
               megapixels(limits.max_pixels) +
               " (raise it with --limit-pixels N or QUANTIZE_LIMIT_PIXELS=N)");
    }
    if (width > limits.max_width) {
        refuse(size_text(width, height) + ": the width is over the limit of " +
               std::to_string(limits.max_width) + " pixels");
    }
    if (height > limits.max_height) {
        refuse(size_text(width, height) + ": the height is over the limit of " +
               std::to_string(limits.max_height) + " pixels");
    }
    // width * height <= max_pixels here, so only the last factor can overflow.
    if (product_over(width * height, bytes_per_pixel, limits.max_bytes)) {
        refuse(size_text(width, height) + " at " + std::to_string(bytes_per_pixel) +
               " bytes each (" + megabytes(double(width * height) * double(bytes_per_pixel)) +
               ") is over the limit of " + megabytes(double(limits.max_bytes)) + " decoded");
    }
}

}  // namespace quantize::detail
