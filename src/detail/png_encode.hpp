// The palette PNG encoder (src/png_encode.cpp), for encode_image.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "quantize/metadata.hpp"
#include "quantize/remap.hpp"

namespace quantize::detail {

// A palette PNG (color type 3, tRNS when any color is not opaque, the smallest bit depth that
// holds the palette) with the metadata's chunks; `level` as EncodeOptions::png_level.
std::vector<std::uint8_t> encode_palette_png(const std::filesystem::path& output,
                                             const IndexedImage& image, int level,
                                             const Metadata& metadata);

// What deflates a palette PNG's image data (`bench/run encode` weighs them: time and bytes on
// one thread and two).
enum class DeflateEngine {
    libdeflate,        // one call on one thread, level 0..12 (the default up to 2 MiB)
    zlib_bands,        // zlib, level 1..9, in 1 MiB bands side by side, each primed with the
                       // 32 KiB before it and ended by a sync flush
    zlib_deep_bands,   // the same at level 9 with a 16 KiB window and 1,536-deep chains, for
                       // images of flat runs (the level is ignored); measured, not a default
    isal_bands,        // ISA-L, level 0..3, in bands as zlib's
    libdeflate_bands,  // libdeflate, level 0..12, in bands of about 2 MiB side by side, each
                       // alone (no priming: libdeflate has none) and joined on a byte boundary
                       // (the default above 2 MiB)
};

struct DeflateSetting {
    DeflateEngine engine = DeflateEngine::libdeflate;
    int level = 7;
};

// The image's scanlines as encode_palette_png deflates them: a filter byte (0) and the indices
// packed at the smallest bit depth that holds the palette, row after row.
std::vector<std::uint8_t> palette_scanlines(const IndexedImage& image);

// The setting encode_palette_png deflates `rows` with, `level` as EncodeOptions::png_level:
// libdeflate at that level, or when it is automatic, at the level of the method that mapped the
// image (`dither`; DitherMethod::png_level: 7 undithered, 6 dithered), or 9 for images of flat
// runs (over 90% of the bytes repeat the one before). In bands on every core above 2 MiB.
DeflateSetting deflate_setting_for(std::span<const std::uint8_t> rows, int level, Dither dither);

// The zlib stream of `rows` by `setting`; band bounds depend on the data's size only, so the
// bytes are the same on any number of threads. `output` names the file in errors.
std::vector<std::uint8_t> deflate_image_data(const std::filesystem::path& output,
                                             std::span<const std::uint8_t> rows,
                                             DeflateSetting setting);

}  // namespace quantize::detail
