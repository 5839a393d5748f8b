// Helpers shared by the fuzz targets: turning arbitrary bytes into inputs that get past the
// checksums and magic numbers a mutation would otherwise break at once, and the stand-in pixel
// budget that keeps huge-header inputs from ending every run in an out-of-memory report.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <libdeflate.h>
#include <webp/decode.h>

#include "quantize/io.hpp"

#include "detail/opencv_codecs.hpp"

namespace fuzz {

using Bytes = std::vector<std::uint8_t>;

inline constexpr std::uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

// Decoding a larger image than this is left untried: 4 Mpx keeps each input's work under a
// second even with ASan, where the default 256 MP limit would let one input take seconds and
// gigabytes. decode_image enforces it (kLimits); the targets that call a decoder directly check
// the header themselves (png_too_large, webp_too_large), and OpenCV reads its own variable.
inline constexpr std::uint64_t kMaxPixels = std::uint64_t{1} << 22;

inline quantize::DecodeLimits limits() {
    quantize::DecodeLimits limits;
    limits.max_pixels = kMaxPixels;
    return limits;
}

inline std::uint32_t be32(const std::uint8_t* p) {
    return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}

inline void put_be32(std::uint8_t* p, std::uint32_t v) {
    p[0] = std::uint8_t(v >> 24);
    p[1] = std::uint8_t(v >> 16);
    p[2] = std::uint8_t(v >> 8);
    p[3] = std::uint8_t(v);
}

inline bool starts_with_png_signature(std::span<const std::uint8_t> bytes) {
    return bytes.size() >= 8 && std::memcmp(bytes.data(), kPngSignature, 8) == 0;
}

// The bytes, with the PNG signature in front unless they already start with it.
inline Bytes with_png_signature(std::span<const std::uint8_t> bytes) {
    Bytes png;
    if (!starts_with_png_signature(bytes))
        png.assign(std::begin(kPngSignature), std::end(kPngSignature));
    png.insert(png.end(), bytes.begin(), bytes.end());
    return png;
}

// Rewrites the CRC of every whole chunk, so a mutated chunk is parsed instead of being refused
// by its checksum (both decoders check every CRC). Stops at the first cut-off chunk.
inline void fix_png_crcs(Bytes& png) {
    std::size_t at = 8;
    while (png.size() - at >= 12) {
        const std::uint32_t length = be32(&png[at]);
        if (length > png.size() - at - 12)
            break;
        put_be32(&png[at + 8 + length], libdeflate_crc32(0, &png[at + 4], 4 + std::size_t(length)));
        at += 12 + std::size_t(length);
    }
}

// Appends a chunk with its length and CRC.
inline void append_chunk(Bytes& png, std::string_view type, std::span<const std::uint8_t> data) {
    std::uint8_t word[4];
    put_be32(word, std::uint32_t(data.size()));
    png.insert(png.end(), word, word + 4);
    const std::size_t typed = png.size();
    png.insert(png.end(), type.begin(), type.end());
    png.insert(png.end(), data.begin(), data.end());
    put_be32(word, libdeflate_crc32(0, &png[typed], png.size() - typed));
    png.insert(png.end(), word, word + 4);
}

// A PNG whose IDAT is `raw` (filter bytes and samples, as the fuzzer chose them) deflated
// correctly: the inflated data is then what gets mutated, which reaches row unfiltering far
// more often than mutating compressed bytes does.
inline Bytes png_around(std::uint32_t width, std::uint32_t height, std::uint8_t bit_depth,
                        std::uint8_t color_type, std::uint8_t interlace,
                        std::span<const std::uint8_t> raw) {
    Bytes png(std::begin(kPngSignature), std::end(kPngSignature));
    std::uint8_t ihdr[13] = {};
    put_be32(ihdr, width);
    put_be32(ihdr + 4, height);
    ihdr[8] = bit_depth;
    ihdr[9] = color_type;
    ihdr[12] = interlace;
    append_chunk(png, "IHDR", ihdr);
    libdeflate_compressor* compressor = libdeflate_alloc_compressor(1);
    Bytes idat(libdeflate_zlib_compress_bound(compressor, raw.size()));
    idat.resize(
        libdeflate_zlib_compress(compressor, raw.data(), raw.size(), idat.data(), idat.size()));
    libdeflate_free_compressor(compressor);
    append_chunk(png, "IDAT", idat);
    append_chunk(png, "IEND", {});
    return png;
}

// Whether a WebP's header claims more than kMaxPixels.
inline bool webp_too_large(std::span<const std::uint8_t> bytes) {
    int width = 0, height = 0;
    return WebPGetInfo(bytes.data(), bytes.size(), &width, &height) &&
           std::uint64_t(width) * std::uint64_t(height) > kMaxPixels;
}

// OpenCV's decoders refuse images over OPENCV_IO_MAX_IMAGE_PIXELS (read on first use; its
// default, 2^30, lets one input allocate gigabytes). Call from LLVMFuzzerInitialize.
inline void limit_opencv_pixels() {
    ::setenv("OPENCV_IO_MAX_IMAGE_PIXELS", std::to_string(kMaxPixels).c_str(), 1);
}

// Stops the run at once when the OpenCV codecs module cannot be loaded: every input would
// otherwise fail the same expected way and the target would fuzz nothing.
inline void require_codecs_module() {
    if (!quantize::detail::opencv_can_write("probe.png")) {
        std::fprintf(stderr,
                     "fuzz: the OpenCV codecs module did not load; build quantize_codecs or "
                     "point QUANTIZE_CODECS_MODULE at it\n");
        std::exit(1);
    }
}

}  // namespace fuzz
