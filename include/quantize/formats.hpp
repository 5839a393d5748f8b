// The image file formats quantize knows: one table that says, for each, its names and
// extensions, whether it is read and written, and what an output in it keeps. The commands
// (one image, batch, palette) and the codecs all ask this table instead of keeping lists.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace quantize {

enum class ImageFormat {
    png,   // written as a palette PNG (PLTE, tRNS)
    gif,   // palette (giflib); alpha as one transparent index
    jpeg,  // full color; no alpha
    webp,  // full color, lossless by default; alpha kept
    tiff,  // full color; alpha kept
    bmp,   // full color; no alpha
    pnm,   // read only (OpenCV): PBM, PGM, PPM, PAM
    jpeg2000,
    sun_raster,  // .sr, .ras
    heif,        // read only (libheif module): HEIC, the phones' HEVC photos, and other HEIF
    avif,        // read only (libheif module): AV1 in HEIF
    jpeg_xl,     // read only (libjxl module)
};

struct FormatInfo {
    ImageFormat format;
    const char* name;                         // as --format takes it: "png", "jpg", ...
    std::span<const char* const> extensions;  // lower case with the dot; the first is written
    bool writes;                              // quantize can write it (all are read)
    bool keeps_palette;  // an output stores the palette and indices, not full colors
    bool keeps_alpha;    // an output keeps transparency
    // ... only as clear or opaque: GIF's one transparent index. Alpha is cut at 128 (below:
    // clear) before quantizing, so the palette spends no entries on levels the file drops.
    bool binary_alpha;
    bool keeps_animation;  // an output holds every frame of an animation (GIF, WebP)
    bool keeps_metadata;   // an output keeps the profile, EXIF and XMP (PNG: text, pHYs, tIME)
};

// Every format, in the order --help lists them.
std::span<const FormatInfo> image_formats();
const FormatInfo& format_info(ImageFormat format);

// The format a file name's extension names (any case); std::nullopt for none or another.
std::optional<ImageFormat> format_of(const std::filesystem::path& path);
// Image formats people have that quantize does not read, by extension: "GIF" for ".gif" (any
// case), "TGA", "PSD", a camera's raw format ("Nikon raw"), ...; std::nullopt for an extension
// of a format read (format_of) or of no image format known. Batch leaves such files out and
// counts them; a file of one that cannot be told by its bytes (TGA) is refused by this name.
std::optional<std::string_view> unread_format_of(const std::filesystem::path& path);

// A name as --format takes it ("png", "gif", "jpg", "jpeg", "webp", "tif", "tiff", "bmp"): only
// formats quantize writes; std::nullopt for anything else.
std::optional<ImageFormat> parse_output_format(std::string_view name);
// "png, gif, jpg, webp, tif or bmp": the names of the written formats, for messages.
std::string output_format_names();

}  // namespace quantize
