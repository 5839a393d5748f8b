// The size of a BMP or PNM image read from its first bytes, so it is checked against
// DecodeLimits before OpenCV allocates the pixels: OpenCV has no header-only read, and no kept
// library reads these formats' headers. A few lines each, O(1) (PNM: up to its first 1 KiB).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "quantize/formats.hpp"

namespace quantize::detail {

struct HeaderSize {
    std::uint64_t width = 0, height = 0;
    std::uint64_t bytes_per_pixel = 3;  // as OpenCV will decode it
};

// "BM" with a BITMAPCOREHEADER (12 bytes: 16-bit sides) or a BITMAPINFOHEADER or later (>= 40:
// 32-bit sides, a negative height meaning top-down rows). nullopt for anything else.
std::optional<HeaderSize> bmp_size(std::span<const std::uint8_t> bytes);

// A BMP with the OS/2 header (BITMAPCOREHEADER, 12 bytes): OpenCV 4.6's reader decodes it
// as gray under IMREAD_UNCHANGED whatever its colors (it sets color only for the larger
// headers). Such files hold no alpha.
bool is_core_bmp(std::span<const std::uint8_t> bytes);

// A 16-bit BI_BITFIELDS BMP whose bit masks are in a version 4 or 5 header (as GIMP and
// ImageMagick write them), rewritten with a 40-byte header followed by the masks, where OpenCV
// 4.6's reader looks for them (it refuses the file as written); nullopt for any other data.
std::optional<std::vector<std::uint8_t>> bmp_with_masks_after_header(
    std::span<const std::uint8_t> bytes);

// Netpbm P1..P6: magic, width, height (and maxval, > 255 meaning 16-bit samples), separated by
// whitespace and '#' comments. nullopt for anything else, PAM (P7) included.
std::optional<HeaderSize> pnm_size(std::span<const std::uint8_t> bytes);

// The bytes a file must hold, header and pixels, when it stores its pixels uncompressed right
// after a header of known length: a BMP without compression (BI_RGB, BI_BITFIELDS), a binary
// Netpbm image (P4..P6) or a PAM (P7). OpenCV's readers of these print the
// exception a shorter file raises on stderr themselves, so shorter ones are refused before them.
// Sides of up to 12 digits (PNM) or 32 bits (BMP) cannot overflow: the product saturates.
// nullopt for any other data, compressed BMPs and plain (ASCII) PNM among them.
struct RasterLength {
    const char* format;  // "BMP", "PNM" or "PAM"
    std::uint64_t bytes;
};
std::optional<RasterLength> raster_length(std::span<const std::uint8_t> bytes);

// "OpenEXR", "Radiance HDR" or "PFM" for data starting with their magic: formats whose samples
// are always floating point (OpenCV decodes them to 32-bit floats or, EXR's UINT channels, 32-bit
// integers), which quantize does not read. They are refused before OpenCV, which reads them
// only from a file: given them in memory it would write them to a temporary file in /tmp, and
// print on stderr the exception of a damaged one. nullopt for anything else.
std::optional<std::string_view> floating_point_format(std::span<const std::uint8_t> bytes);

// HEIF by its ftyp box (ISO/IEC 14496-12 4.3): ImageFormat::avif when a brand is avif or avis,
// ImageFormat::heif for heic, heix, heim, heis, hevc, hevx, mif1 or msf1; nullopt otherwise.
// Looks at the box's first 256 bytes at most.
std::optional<ImageFormat> heif_brand(std::span<const std::uint8_t> bytes);

// A JPEG XL codestream (FF 0A) or container (its 12-byte signature box).
bool is_jxl(std::span<const std::uint8_t> bytes);

// The name of a format quantize does not read but knows by its first bytes: "GIF" (GIF87a,
// GIF89a), "PSD" (8BPS), "PDF" (%PDF-), "ICO" (a 6-byte icon directory of 1..255 images of
// type 1), "SVG" (XML text whose first 1 KiB opens an <svg element); nullopt for anything else.
std::optional<std::string_view> unread_format_by_bytes(std::span<const std::uint8_t> bytes);

// The frames of an animated PNG (the acTL chunk's count, when it comes before the first IDAT,
// as the APNG specification requires), 1 for a still PNG or anything else. Walks the chunk
// headers only, up to the first IDAT.
std::uint32_t png_frames(std::span<const std::uint8_t> bytes);

// What an HEIF or AVIF file holds beside its still images: an image sequence (HEIF 'msf1',
// AVIF 'avis') is a 'moov' box at the top level, its frames the sample count of the first
// track's 'stsz' (or 'stz2') box (moov/trak/mdia/minf/stbl); the still images are in a 'meta'
// box. Walks box headers only.
struct HeifContents {
    std::uint32_t sequence_frames = 0;  // 0: no sequence; else its frames, >= 1
    bool still = false;                 // whether there is a 'meta' box (a primary image)
};
HeifContents heif_contents(std::span<const std::uint8_t> bytes);

}  // namespace quantize::detail
