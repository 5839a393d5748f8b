// Stages "decode" and "encode": the only part of the library that knows file formats and
// OpenCV's BGR order.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "quantize/files.hpp"
#include "quantize/formats.hpp"
#include "quantize/pixels.hpp"
#include "quantize/remap.hpp"

namespace quantize {

// Bounds on the memory one image may take to decode, like ImageMagick's resource policy. Every
// decoder checks them against the file's header before it allocates anything for the pixels, so
// a 70-byte file claiming 100000x100000 pixels costs nothing; over any of them the file is
// refused with Error(too_large). The library reads no environment variable: the command line's
// --limit-pixels and QUANTIZE_LIMIT_PIXELS fill max_pixels.
struct DecodeLimits {
    // Pixels per image (width x height), >= 1. 256 MP (256,000,000): 1 GB as 8-bit RGBA, well
    // above any camera's frame (a 150 MP medium-format back, the 27.7 MP bench photo) and far
    // below the 10,000 MP a crafted header can claim.
    std::uint64_t max_pixels = 256'000'000;
    // Width and height each, in pixels, >= 1. 2^20: wider than any panorama within max_pixels
    // worth decoding, and it bounds the per-row buffers decoders allocate before any pixel
    // (a row of 2^20 16-bit RGBA pixels is 8 MiB).
    std::uint32_t max_width = 1u << 20;
    std::uint32_t max_height = 1u << 20;
    // Bytes of the decoded image as the decoder writes it (width x height x channels x bytes
    // per sample, before 16-bit samples are narrowed to 8), >= 1. 2 GiB, so the pixel limit is
    // the one met first (256 MP of 16-bit RGBA is 2.048 GB); lower it to bound a batch's memory.
    // libjpeg's own work buffers (a progressive JPEG's coefficients) are held to it too.
    std::uint64_t max_bytes = std::uint64_t{1} << 31;
};

// Reads any image OpenCV decodes (PNG, JPEG, WebP, TIFF, BMP, ...). Gray becomes RGB, 16-bit
// samples are scaled to 8 bits, alpha is kept with straight colors (a TIFF's associated or
// unassociated alpha un-premultiplied), a JPEG's EXIF orientation is applied; `source`
// records what the file held. Throws Error(input) naming the file: missing, not a regular file,
// empty, truncated, corrupt, not decodable, or out of memory while decoding; Error(too_large)
// when its header claims more than `limits` allow.
Image read_image(const std::filesystem::path& path, const DecodeLimits& limits = {});

// Decodes an encoded image held in memory (a whole file's bytes), as read_image does; `name`
// is the subject of errors (a file name, or "standard input").
Image decode_image(std::span<const std::uint8_t> bytes, const std::string& name,
                   const DecodeLimits& limits = {});

// Throws Error(output) when writing `output` would lose data or cannot work: it is the input
// itself, it exists and overwrite is false, its directory is missing or not writable, or its
// extension names no format OpenCV can write. Called before any work is done.
// `inputs` holds every input of the run (see OutputGuard).
void check_output_path(const OutputGuard& inputs, const std::filesystem::path& output,
                       bool overwrite);
void check_output_path(const std::filesystem::path& input, const std::filesystem::path& output,
                       bool overwrite);

// True when the format named by the extension of `output` stores the palette (PNG); the
// others store every pixel's full color.
bool keeps_palette(const std::filesystem::path& output);

// How outputs are compressed.
struct EncodeOptions {
    // Deflate level of PNG output (libdeflate), 0..12: 0 stores, 12 is smallest and slowest.
    // kAutoPngLevel: the level of the method that mapped the image (IndexedImage::dither,
    // DitherMethod::png_level): 6 for dithered images; 7 undithered (`bench/run png-bytes`: 5%
    // below pngquant's bytes on the Kodak images, which pay for zlib's level 9, at a fifth of
    // zlib's time; level 8 is 0.4% smaller there and 1.2% on the 27.7 MP photo at K = 16, where
    // it takes 1.0 s to level 7's 0.4). Images whose scanline bytes are over 90% repeats of the
    // byte before (large flat areas: the 12 MP photo at K = 16) go to level 9: level 7's shallower
    // chains miss the row above there, 6% larger. At any level, image data over 2 MiB is deflated
    // in bands on every core, the same bytes whatever the thread count (0.1-0.25% larger than one
    // call on the 12 MP photo, 1.7-1.8x faster on two cores).
    static constexpr int kAutoPngLevel = -1;
    int png_level = kAutoPngLevel;
    int jpeg_quality = 95;  // 0..100, OpenCV's default
    int webp_quality = 0;   // 1..100 lossy; 0 = lossless, which suits a few-color image best
};

// Encodes in the format named by the extension of `output`. PNG is written as a palette image
// (color type 3, with tRNS when any color is not opaque) at the smallest bit depth that holds
// the palette; every other format stores the colors as full pixels (TIFF's RGBA marked as
// unassociated alpha, ExtraSamples 2).
// `metadata` goes into the file as the format keeps it (PNG chunks; JPEG, WebP and TIFF
// through exiv2; none in BMP), but a profile for other data than RGB (profile_data: gray,
// CMYK, ...) never does: the pixels written are RGB.
std::vector<std::uint8_t> encode_image(const IndexedImage& image,
                                       const std::filesystem::path& output,
                                       const EncodeOptions& options = {},
                                       const Metadata& metadata = {});
// The same in a format given apart from any name (standard output); `name` names the output in
// errors.
std::vector<std::uint8_t> encode_image(const IndexedImage& image, ImageFormat format,
                                       const std::filesystem::path& name,
                                       const EncodeOptions& options = {},
                                       const Metadata& metadata = {});

// A full-color image (RGB or RGBA, 8-bit) as PNG bytes; `output` only names the file in errors.
std::vector<std::uint8_t> encode_png(const Image& image, const std::filesystem::path& output);

}  // namespace quantize
