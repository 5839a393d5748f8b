// The check every decoder makes against DecodeLimits once it has read the image's size from the
// header, before it allocates anything for the pixels.
#pragma once

#include <cstdint>
#include <string>

#include "quantize/io.hpp"

namespace quantize::detail {

// Throws Error(too_large) with `name` as subject when an image of width x height pixels,
// decoded at bytes_per_pixel bytes a pixel (channels x bytes per sample, 1..16), is over any of
// `limits`; the cause names the image's size and the limit, e.g. "100000x100000 pixels
// (10000 MP) is over the limit of 256 MP (...)". Sizes up to 2^32 - 1 each: no overflow.
void check_decode_limits(const std::string& name, std::uint64_t width, std::uint64_t height,
                         std::uint64_t bytes_per_pixel, const DecodeLimits& limits);

// A pixel count as people read it: "256 MP", "0.1 MP"; the count itself, "5000 pixels" or
// "119999 pixels", below 0.1 MP or where one decimal of MP would round it.
std::string megapixels(std::uint64_t pixels);

}  // namespace quantize::detail
