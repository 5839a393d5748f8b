// The palette PNG encoder (src/png_encode.cpp), for encode_image.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "quantize/metadata.hpp"
#include "quantize/remap.hpp"

namespace quantize::detail {

// A palette PNG (color type 3, tRNS when any color is not opaque, the smallest bit depth that
// holds the palette) with the metadata's chunks; `level` as EncodeOptions::png_level.
std::vector<std::uint8_t> encode_palette_png(const std::filesystem::path& output,
                                             const IndexedImage& image, int level,
                                             const Metadata& metadata);

}  // namespace quantize::detail
