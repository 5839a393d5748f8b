#include "quantize/formats.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace quantize {

namespace {

constexpr const char* kPng[] = {".png"};
constexpr const char* kGif[] = {".gif"};
constexpr const char* kJpeg[] = {".jpg", ".jpeg", ".jpe"};
constexpr const char* kWebp[] = {".webp"};
constexpr const char* kTiff[] = {".tif", ".tiff"};
constexpr const char* kBmp[] = {".bmp", ".dib"};
constexpr const char* kPnm[] = {".pnm", ".pbm", ".pgm", ".ppm", ".pxm", ".pam"};
constexpr const char* kJpeg2000[] = {".jp2"};
constexpr const char* kSunRaster[] = {".sr", ".ras"};
constexpr const char* kHeif[] = {".heic", ".heif", ".hif"};
constexpr const char* kAvif[] = {".avif"};
constexpr const char* kJpegXl[] = {".jxl"};

// format, name, extensions, writes, keeps palette, keeps alpha, binary alpha,
// keeps animation, keeps metadata
const std::array kFormats = {
    FormatInfo{ImageFormat::png, "png", kPng, true, true, true, false, false, true},
    FormatInfo{ImageFormat::gif, "gif", kGif, true, true, true, true, true, false},
    FormatInfo{ImageFormat::jpeg, "jpg", kJpeg, true, false, false, false, false, true},
    FormatInfo{ImageFormat::webp, "webp", kWebp, true, false, true, false, true, true},
    FormatInfo{ImageFormat::tiff, "tif", kTiff, true, false, true, false, true, true},
    FormatInfo{ImageFormat::bmp, "bmp", kBmp, true, false, false, false, false, false},
    FormatInfo{ImageFormat::pnm, "pnm", kPnm, false, false, false, false, false, false},
    FormatInfo{ImageFormat::jpeg2000, "jp2", kJpeg2000, false, false, false, false, false, false},
    FormatInfo{ImageFormat::sun_raster, "sr", kSunRaster, false, false, false, false, false, false},
    FormatInfo{ImageFormat::heif, "heic", kHeif, false, false, false, false, false, false},
    FormatInfo{ImageFormat::avif, "avif", kAvif, false, false, false, false, false, false},
    FormatInfo{ImageFormat::jpeg_xl, "jxl", kJpegXl, false, false, false, false, false, false},
};

// Image formats quantize does not read, by extension (lower case, with the dot): what a photo
// or design folder holds besides the formats above. A format read later moves to kFormats;
// format_of is asked first, so a row left here by mistake never hides it. OpenEXR, Radiance
// and PFM hold floating-point samples: decoding refuses them by their magic before OpenCV,
// which would go through a temporary file (floating_point_format).
struct UnreadFormat {
    const char* extension;
    const char* name;
};
constexpr UnreadFormat kUnread[] = {
    {".tga", "TGA"},          {".icb", "TGA"},           {".ico", "ICO"},
    {".cur", "ICO"},          {".psd", "PSD"},           {".psb", "PSD"},
    {".xcf", "XCF"},          {".svg", "SVG"},           {".svgz", "SVG"},
    {".pdf", "PDF"},          {".eps", "EPS"},           {".jxr", "JPEG XR"},
    {".wdp", "JPEG XR"},      {".dng", "DNG raw"},       {".cr2", "Canon raw"},
    {".cr3", "Canon raw"},    {".nef", "Nikon raw"},     {".arw", "Sony raw"},
    {".orf", "Olympus raw"},  {".rw2", "Panasonic raw"}, {".raf", "Fujifilm raw"},
    {".pcx", "PCX"},          {".dds", "DDS"},           {".exr", "OpenEXR"},
    {".hdr", "Radiance HDR"}, {".pic", "Radiance HDR"},  {".pfm", "PFM"},
};

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

}  // namespace

std::span<const FormatInfo> image_formats() {
    return kFormats;
}

const FormatInfo& format_info(ImageFormat format) {
    return *std::find_if(kFormats.begin(), kFormats.end(),
                         [&](const FormatInfo& info) { return info.format == format; });
}

std::optional<ImageFormat> format_of(const std::filesystem::path& path) {
    const std::string ext = lower(path.extension().string());
    for (const FormatInfo& info : kFormats) {
        if (std::find(info.extensions.begin(), info.extensions.end(), ext) != info.extensions.end())
            return info.format;
    }
    return std::nullopt;
}

std::optional<std::string_view> unread_format_of(const std::filesystem::path& path) {
    if (format_of(path))
        return std::nullopt;
    const std::string ext = lower(path.extension().string());
    for (const UnreadFormat& unread : kUnread) {
        if (ext == unread.extension)
            return unread.name;
    }
    return std::nullopt;
}

std::optional<ImageFormat> parse_output_format(std::string_view name) {
    const std::string dotted = "." + lower(std::string(name));
    for (const FormatInfo& info : kFormats) {
        if (info.writes && std::find(info.extensions.begin(), info.extensions.end(), dotted) !=
                               info.extensions.end())
            return info.format;
    }
    return std::nullopt;
}

std::string output_format_names() {
    std::string names;
    std::size_t left = static_cast<std::size_t>(
        std::count_if(kFormats.begin(), kFormats.end(), [](auto& f) { return f.writes; }));
    for (const FormatInfo& info : kFormats) {
        if (!info.writes)
            continue;
        names += info.name;
        --left;
        names += left > 1 ? ", " : left == 1 ? " or " : "";
    }
    return names;
}

}  // namespace quantize
