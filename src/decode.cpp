// Stage "decode": files to 8-bit RGB(A) images, every format through the decoder that reads it
// best, each checked against the limits before its pixels are allocated; then the metadata and
// the orientation, in one place for every format.
#include "quantize/io.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include <spng.h>
#include <tbb/task_arena.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "detail/animation_frames.hpp"
#include "detail/container_metadata.hpp"
#include "detail/decode_limits.hpp"
#include "detail/decoder_modules.hpp"
#include "detail/foreign_profile.hpp"
#include "detail/gif_decode.hpp"
#include "detail/image_headers.hpp"
#include "detail/io_errors.hpp"
#include "detail/jpeg_decode.hpp"
#include "detail/memory.hpp"
#include "detail/opencv_codecs.hpp"
#include "detail/png_decode.hpp"
#include "detail/png_metadata.hpp"
#include "detail/spng.hpp"
#include "detail/webp_decode.hpp"
#include "quantize/animation.hpp"
#include "quantize/orientation.hpp"
#include "quantize/profile.hpp"

namespace quantize {

namespace fs = std::filesystem;

namespace {

using detail::fail_input;
using detail::SpngContext;

std::vector<std::uint8_t> read_bytes(const fs::path& path) {
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (!fs::exists(status))
        fail_input(path, "no such file");
    if (fs::is_directory(status))
        fail_input(path, "is a directory, not an image");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        fail_input(path, std::string("cannot open: ") + std::strerror(errno));
    // In blocks, the first one the file's size: a byte at a time through the stream buffer
    // took 9 ms for a 4 MB file, this takes under 1. Reads on past the size in case the file
    // grew or has no size (a pipe).
    std::error_code size_error;
    const std::uintmax_t size = fs::is_regular_file(status) ? fs::file_size(path, size_error) : 0;
    std::vector<std::uint8_t> bytes;
    std::size_t have = 0;
    for (std::size_t block = size_error || size == 0 ? std::size_t{1} << 16 : std::size_t(size);;
         block = std::size_t{1} << 20) {
        bytes.resize(have + block);
        in.read(reinterpret_cast<char*>(bytes.data() + have), std::streamsize(block));
        have += std::size_t(in.gcount());
        if (!in || in.peek() == std::ifstream::traits_type::eof())
            break;
    }
    bytes.resize(have);
    if (in.bad())
        fail_input(path, "read error");
    if (bytes.empty())
        fail_input(path, "empty file");
    return bytes;
}

bool starts_with(std::span<const std::uint8_t> bytes, std::string_view magic) {
    return bytes.size() >= magic.size() &&
           std::equal(magic.begin(), magic.end(), bytes.begin(),
                      [](char m, std::uint8_t b) { return std::uint8_t(m) == b; });
}

// True when `marker` occurs within the last `window` bytes.
bool tail_contains(std::span<const std::uint8_t> bytes, std::string_view marker,
                   std::size_t window) {
    const auto from = bytes.end() - std::ptrdiff_t(std::min(window, bytes.size()));
    return std::search(from, bytes.end(), marker.begin(), marker.end(),
                       [](std::uint8_t b, char m) { return b == std::uint8_t(m); }) != bytes.end();
}

const std::string_view kPngMagic{"\x89PNG\r\n\x1a\n", 8};
const std::string_view kJpegMagic{"\xff\xd8\xff", 3};
const std::string_view kPamMagic{"P7\n", 3};
const std::string_view kSunRasterMagic{"\x59\xa6\x6a\x95", 4};

// "a PSD image: quantize does not read it", the cause for a format known but not read.
std::string not_read(std::string_view format) {
    const bool vowel =
        std::string_view("AEFHILMNORSX").find(format.front()) != std::string_view::npos;
    return std::string(vowel ? "an " : "a ") + std::string(format) +
           " image: quantize does not read it";
}

// Turns the pixels upright by the EXIF orientation (JPEG APP1, PNG eXIf, WebP EXIF, TIFF's own
// tag): in one place for every format, the decoders leave the pixels as stored, except
// OpenCV's TIFF decoder, which turns them itself (`turned_already`; its flags cannot ask it not
// to with IMREAD_UNCHANGED). Records it, and
// the EXIF kept for the output says 1, or a viewer would turn the output again.
void turn_upright(Image& image, bool turned_already) {
    Metadata& metadata = image.metadata;
    const int orientation = exif_orientation(metadata.exif);
    if (orientation == 1)
        return;
    if (!turned_already)
        apply_orientation(image, orientation);
    metadata.orientation = orientation;
    metadata.exif = exif_with_orientation(metadata.exif, 1);
}

// Every frame of an animation turned upright by its file's EXIF orientation (an animated WebP's
// EXIF chunk), as turn_upright turns a still: the canvas too, and the EXIF kept says 1.
void turn_frames_upright(Animation& animation) {
    const int orientation = exif_orientation(animation.metadata.exif);
    if (orientation == 1)
        return;
    for (AnimationFrame& frame : animation.frames)
        apply_orientation(frame.image, orientation);
    animation.width = animation.frames.front().image.width;
    animation.height = animation.frames.front().image.height;
    animation.metadata.orientation = orientation;
    animation.metadata.exif = exif_with_orientation(animation.metadata.exif, 1);
}

// Decoders fill a cut-off file with gray and succeed; catch the two common cases first.
void reject_truncated(const fs::path& path, std::span<const std::uint8_t> bytes) {
    if (starts_with(bytes, kPngMagic) && !tail_contains(bytes, "IEND", 64)) {
        fail_input(path, "truncated PNG (no IEND chunk at the end)");
    }
    if (starts_with(bytes, kJpegMagic) &&
        !tail_contains(bytes, std::string_view("\xff\xd9", 2), 4096)) {
        fail_input(path, "truncated JPEG (no end-of-image marker)");
    }
    // A WebP file is one RIFF chunk, whose header gives its size.
    if (detail::is_webp(bytes)) {
        const std::uint64_t size =
            8 + (std::uint64_t{bytes[4]} | std::uint64_t{bytes[5]} << 8 |
                 std::uint64_t{bytes[6]} << 16 | std::uint64_t{bytes[7]} << 24);
        if (bytes.size() < size) {
            fail_input(path, "truncated WebP (" + std::to_string(bytes.size()) + " of " +
                                 std::to_string(size) + " bytes)");
        }
    }
}

bool is_tiff(std::span<const std::uint8_t> bytes) {
    for (const std::string_view magic :
         {std::string_view("II*\0", 4), std::string_view("MM\0*", 4), std::string_view("II+\0", 4),
          std::string_view("MM\0+", 4)})
        if (starts_with(bytes, magic))
            return true;
    return false;
}

// TIFF's ExtraSamples values for alpha (tag 338) and Photometric interpretations (tag 262) that
// decoding tells apart.
constexpr std::uint16_t kAssociated = 1, kUnassociated = 2;
constexpr std::uint16_t kPhotometricMinIsWhite = 0, kPhotometricMinIsBlack = 1, kPhotometricRgb = 2,
                        kPhotometricSeparated = 5;

// How a TIFF page's pixels reach us: through libtiff's RGBA interface (OpenCV's reader for
// 8-bit samples; decode_tiff_pages for every page), or as stored (OpenCV's for 16-bit samples).
enum class TiffReader { libtiff_rgba, as_stored };

// Whether the colors `reader` gives of a page are premultiplied by alpha: stored so with
// associated alpha (ExtraSamples 1), made so by libtiff's RGBA interface from unassociated alpha
// (2) of RGB pixels (grey and alpha it passes through as stored). Alpha of unspecified meaning
// (0), or none, is left as stored: libtiff passes it through, and writers that leave alpha
// unmarked (OpenCV's TIFF writer among them) meant it straight.
bool tiff_premultiplied(const detail::TiffPageLayout& layout, TiffReader reader) {
    if (layout.alpha == kAssociated)
        return true;
    if (layout.alpha != kUnassociated)
        return false;
    switch (reader) {
        case TiffReader::libtiff_rgba:
            return layout.photometric == kPhotometricRgb;
        case TiffReader::as_stored:
            return false;
    }
    return false;
}

// RGBA samples premultiplied by alpha made straight again (rounded; colors of alpha 0 stay 0).
void unpremultiply(std::vector<std::uint8_t>& rgba) {
    for (std::size_t i = 0; i < rgba.size(); i += 4) {
        const unsigned a = rgba[i + 3];
        if (a == 0 || a == 255)
            continue;
        for (std::size_t c = i; c < i + 3; ++c)
            rgba[c] = std::uint8_t(std::min(255u, (rgba[c] * 255u + a / 2) / a));
    }
}

// Whether a TIFF's first page is read as each page of a multi-page one is (decode_tiff_pages)
// rather than by OpenCV: CMYK inks (Photometric separated), which OpenCV leaves to libtiff's
// naive conversion, without the file's profile (and cannot read at 16 bits); and grey with
// associated or unassociated alpha, whose alpha OpenCV drops (libtiff keeps it, at 8 bits a
// sample; it drops alpha of unspecified meaning from grey, as OpenCV does).
bool read_as_page(const detail::TiffPageLayout& layout) {
    switch (layout.photometric) {
        case kPhotometricSeparated:
            return true;
        case kPhotometricMinIsWhite:
        case kPhotometricMinIsBlack:
            return layout.alpha == kAssociated || layout.alpha == kUnassociated;
        default:
            return false;
    }
}

// A TIFF page read as inks (C, M, Y, K in each pixel's four bytes, 0 no ink, as TIFF stores
// them: see opencv_tiff_read_pages) made opaque RGBA in place, as a CMYK JPEG's inks are
// converted: through `profile`, the file's own CMYK profile, when there is one, else naively.
void inks_to_rgba(Image& page, const detail::CmykToSrgb* profile) {
    std::vector<std::uint8_t>& samples = page.samples;
    for (std::uint8_t& ink : samples)  // inverted, as Adobe's JPEGs store them
        ink = std::uint8_t(255 - ink);
    std::vector<std::uint8_t> rgb(page.pixel_count() * 3);
    detail::convert_inks(profile, samples.data(), rgb.data(), page.width, std::size_t(page.height));
    for (std::size_t i = 0; i < page.pixel_count(); ++i) {
        std::copy_n(rgb.data() + i * 3, 3, samples.data() + i * 4);
        samples[i * 4 + 3] = 255;
    }
}

// The layouts of a TIFF's first `pages` pages (fewer when libtiff cannot read them all, none
// when the codecs module cannot be loaded: decoding says why next). Refuses the file when a
// page's strips or tiles run past its end: libtiff would read them short, and OpenCV print
// libtiff's error on stderr.
std::vector<detail::TiffPageLayout> tiff_page_layouts(const fs::path& path,
                                                      std::span<const std::uint8_t> bytes,
                                                      std::uint32_t pages) {
    std::vector<detail::TiffPageLayout> layouts;
    try {
        layouts = detail::opencv_tiff_page_layouts(bytes, pages);
    } catch (const std::runtime_error&) {
        return {};
    }
    for (std::size_t page = 0; page < layouts.size(); ++page) {
        if (layouts[page].data_end > bytes.size()) {
            fail_input(path, "truncated TIFF: " + std::to_string(bytes.size()) +
                                 " bytes, where the image data of page " + std::to_string(page) +
                                 " needs " + std::to_string(layouts[page].data_end));
        }
    }
    return layouts;
}

// The metadata of an encoded file: PNG's chunks through libspng, JPEG's, WebP's and TIFF's
// through exiv2; none for the other formats.
Metadata read_metadata(std::span<const std::uint8_t> bytes) {
    if (starts_with(bytes, kPngMagic))
        return detail::read_png_metadata(bytes);
    if (starts_with(bytes, kJpegMagic) || detail::is_webp(bytes) || is_tiff(bytes))
        return detail::read_container_metadata(bytes);
    return {};
}

// The formats OpenCV decodes whose size can be read first, checked before OpenCV allocates:
// BMP and PNM from their first bytes, TIFF's first directory by libtiff in the codecs module
// (at 4 bytes a pixel: its sample depth is not read). The others are checked once decoded.
// Then the files OpenCV's readers would fail on with an exception that imdecode prints on
// stderr: BMP, Netpbm and PAM files shorter than their header says.
void check_opencv_header(const fs::path& path, std::span<const std::uint8_t> bytes,
                         const DecodeLimits& limits) {
    std::optional<detail::HeaderSize> size = detail::bmp_size(bytes);
    // OpenCV's BMP reader throws past 1 GiB decoded, and its imdecode then prints the exception
    // on std::cerr itself, whatever the log level: refuse those here, in one line of our own.
    constexpr double kOpenCvBmpBytes = 1 << 30;  // in double: the product may pass 2^64
    if (size && double(size->width) * double(size->height) * double(size->bytes_per_pixel) >=
                    kOpenCvBmpBytes) {
        detail::check_decode_limits(path.string(), size->width, size->height, size->bytes_per_pixel,
                                    limits);
        fail_input(path, "corrupt or unsupported BMP: " + std::to_string(size->width) + "x" +
                             std::to_string(size->height) +
                             " pixels is more than OpenCV's BMP reader takes (1 GiB decoded)");
    }
    if (!size)
        size = detail::pnm_size(bytes);
    if (!size && is_tiff(bytes)) {
        try {
            if (const auto tiff = detail::opencv_tiff_size(bytes))
                size = detail::HeaderSize{tiff->width, tiff->height, 4};
        } catch (const std::runtime_error&) {
            // No codecs module: opencv_decode says so next.
        }
    }
    if (size) {
        detail::check_decode_limits(path.string(), size->width, size->height, size->bytes_per_pixel,
                                    limits);
    }
    // OpenCV's readers print the exception a cut file raises on stderr, whatever the log level.
    if (const auto raster = detail::raster_length(bytes); raster && raster->bytes > bytes.size()) {
        fail_input(
            path, std::string("truncated ") + raster->format + ": " + std::to_string(bytes.size()) +
                      " bytes, where its header and pixels need " + std::to_string(raster->bytes));
    }
}

// The data through OpenCV (imdecode `flags`), once check_opencv_header has passed it; the
// decoded size checked against the limits.
cv::Mat decode_checked(const fs::path& path, std::span<const std::uint8_t> bytes,
                       const DecodeLimits& limits, int flags = cv::IMREAD_UNCHANGED) {
    cv::Mat mat;
    try {
        mat = detail::opencv_decode(bytes, flags);
    } catch (const std::runtime_error& e) {
        fail_input(path, std::string("cannot decode: ") + e.what());
    }
    if (mat.empty()) {
        // Formats no kept library tells by their bytes (TGA) are named by the file's extension.
        if (const auto unread = unread_format_of(path))
            fail_input(path, not_read(*unread));
        fail_input(path, "not an image quantize reads (corrupt, or an unknown format)");
    }
    // Formats whose size cannot be read cheaply beforehand are checked once decoded; meanwhile
    // OpenCV's own bound (OPENCV_IO_MAX_IMAGE_PIXELS, 2^30 pixels by default) holds them.
    detail::check_decode_limits(path.string(), std::uint64_t(mat.cols), std::uint64_t(mat.rows),
                                mat.elemSize(), limits);
    return mat;
}

cv::Mat decode(const fs::path& path, std::span<const std::uint8_t> bytes,
               const DecodeLimits& limits, int flags = cv::IMREAD_UNCHANGED) {
    check_opencv_header(path, bytes, limits);
    return decode_checked(path, bytes, limits, flags);
}

// Bytes a pixel of this PNG takes as decode_png has it decoded: 8 for 16-bit samples (decoded
// as RGBA16 before narrowing), else 4 with alpha (or a tRNS chunk), 3 without.
std::uint64_t png_bytes_per_pixel(int bit_depth, int color_type, bool has_trns) {
    if (bit_depth == 16)
        return 8;
    return (color_type == SPNG_COLOR_TYPE_GRAYSCALE_ALPHA ||
            color_type == SPNG_COLOR_TYPE_TRUECOLOR_ALPHA || has_trns)
               ? 4
               : 3;
}

// Refuses, from the header alone, a PNG over the limits or whose image data is too short for
// the size it claims; anything malformed is left to the decoders to word.
void check_png_header(const fs::path& path, std::span<const std::uint8_t> bytes,
                      const DecodeLimits& limits) {
    detail::PngHeader header;
    if (!detail::read_png_header(bytes, header))
        return;
    detail::check_decode_limits(path.string(), header.width, header.height,
                                png_bytes_per_pixel(header.bit_depth, header.color_type, false),
                                limits);
    if (!detail::image_data_can_hold(header)) {
        fail_input(path, "truncated or corrupt PNG: " + std::to_string(header.image_data_bytes) +
                             " bytes of image data cannot hold " + std::to_string(header.width) +
                             "x" + std::to_string(header.height) + " pixels");
    }
}

// libspng's own bounds, a second guard behind check_png_header: the image's sides, a chunk no
// longer than the file (IDAT included), and 64 MiB for the ancillary chunks it keeps (text,
// ICC profile, EXIF: kilobytes in real files, where a zTXt could inflate to gigabytes).
void set_spng_limits(spng_ctx* ctx, std::size_t file_size, const DecodeLimits& limits) {
    constexpr std::uint32_t kSpngMaxSide = 0x7fffffffu;  // PNG's own limit, 2^31 - 1
    spng_set_image_limits(ctx, std::min(limits.max_width, kSpngMaxSide),
                          std::min(limits.max_height, kSpngMaxSide));
    spng_set_chunk_limits(ctx, file_size, std::size_t{64} << 20);
}

// PNG straight into our layout: faster than through OpenCV (no BGR pass), and it spares
// loading OpenCV's codecs. The common kind of photo takes the fast path of
// detail/png_decode.hpp; the rest goes through libspng. Same pixels as OpenCV gives: tRNS
// becomes alpha, grey is replicated, 16-bit samples are rounded onto 0..255. The header is
// checked against the limits before either allocates.
Image decode_png(const fs::path& path, std::span<const std::uint8_t> bytes,
                 const DecodeLimits& limits) {
    check_png_header(path, bytes, limits);
    if (Image image; detail::decode_common_png(bytes, image))
        return image;
    SpngContext ctx(spng_ctx_new(0));
    if (!ctx)
        throw std::bad_alloc();
    auto check = [&](int rc) {
        if (rc != 0)
            fail_input(path, std::string("corrupt PNG: ") + spng_strerror(rc));
    };
    set_spng_limits(ctx.get(), bytes.size(), limits);
    check(spng_set_png_buffer(ctx.get(), bytes.data(), bytes.size()));
    spng_ihdr ihdr{};
    check(spng_get_ihdr(ctx.get(), &ihdr));
    spng_trns trns{};
    const int trns_rc = spng_get_trns(ctx.get(), &trns);  // reads the chunks up to the data
    if (trns_rc != SPNG_ECHUNKAVAIL)                      // "no tRNS" is no error
        check(trns_rc);
    const bool has_trns = trns_rc == 0;
    detail::check_decode_limits(path.string(), ihdr.width, ihdr.height,
                                png_bytes_per_pixel(ihdr.bit_depth, ihdr.color_type, has_trns),
                                limits);
    const bool grey = ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE ||
                      ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE_ALPHA;
    const bool alpha = ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE_ALPHA ||
                       ihdr.color_type == SPNG_COLOR_TYPE_TRUECOLOR_ALPHA || has_trns;
    const bool wide = ihdr.bit_depth == 16;

    Image image;
    image.width = int(ihdr.width);
    image.height = int(ihdr.height);
    image.channels = alpha ? 4 : 3;
    image.source.bit_depth = wide ? 16 : 8;
    image.source.channels = (grey ? 1 : 3) + (alpha ? 1 : 0);
    if (!wide) {
        const int format = alpha ? SPNG_FMT_RGBA8 : SPNG_FMT_RGB8;
        std::size_t size = 0;
        check(spng_decoded_image_size(ctx.get(), format, &size));
        detail::resize_populated(image.samples, size);
        check(spng_decode_image(ctx.get(), image.samples.data(), size, format, SPNG_DECODE_TRNS));
        return image;
    }
    std::size_t size = 0;
    check(spng_decoded_image_size(ctx.get(), SPNG_FMT_RGBA16, &size));
    std::vector<std::uint16_t> wide_samples(size / 2);
    check(
        spng_decode_image(ctx.get(), wide_samples.data(), size, SPNG_FMT_RGBA16, SPNG_DECODE_TRNS));
    detail::resize_populated(image.samples, image.pixel_count() * std::size_t(image.channels));
    std::uint8_t* out = image.samples.data();
    for (std::size_t i = 0; i < image.pixel_count(); ++i) {
        for (int c = 0; c < image.channels; ++c)
            *out++ = std::uint8_t((wide_samples[4 * i + std::size_t(c)] + 128u) / 257u);
    }
    return image;
}

constexpr const char* kUnsupportedSamples =
    "unsupported sample type (only 8- and 16-bit integer images)";

// 8- or 16-bit, 1 to 4 channels -> 8-bit RGB or RGBA in our channel order.
Image to_image(const fs::path& path, cv::Mat mat) {
    Image image;
    image.source.channels = mat.channels();
    if (mat.depth() == CV_16U) {
        image.source.bit_depth = 16;
        cv::Mat narrow;
        mat.convertTo(narrow, CV_8U, 1.0 / 257.0);  // rounds 0..65535 onto 0..255
        mat = narrow;
    } else if (mat.depth() != CV_8U) {
        fail_input(path, kUnsupportedSamples);
    }
    image.width = mat.cols;
    image.height = mat.rows;
    const int channels = mat.channels();
    image.channels = (channels == 2 || channels == 4) ? 4 : 3;
    detail::resize_populated(image.samples, image.pixel_count() * std::size_t(image.channels));
    cv::Mat out(mat.rows, mat.cols, CV_8UC(image.channels), image.samples.data());
    switch (channels) {
        case 1:
            cv::cvtColor(mat, out, cv::COLOR_GRAY2RGB);
            break;
        case 3:
            cv::cvtColor(mat, out, cv::COLOR_BGR2RGB);
            break;
        case 4:
            cv::cvtColor(mat, out, cv::COLOR_BGRA2RGBA);
            break;
        case 2: {
            const int from_to[] = {0, 0, 0, 1, 0, 2, 1, 3};  // gray to R, G, B; alpha to A
            cv::mixChannels(&mat, 1, &out, 1, from_to, 4);
            break;
        }
        default:
            fail_input(path, "unsupported channel count " + std::to_string(channels));
    }
    return image;
}

// OpenCV 4.6's PAM reader (Debian 12) keeps RGB and RGB_ALPHA tuples in the file's order where
// its other readers give BGR(A): red and blue came out swapped (a PAM of kodim23 from
// ImageMagick: RMSE 24% against the PNG it was made from, 0 after). OpenCV itself is asked, with
// a one-pixel red PAM, so that a release that fixes its reader is read right too.
bool opencv_reads_pam_as_rgb() {
    static constexpr char kRed[] =
        "P7\nWIDTH 1\nHEIGHT 1\nDEPTH 3\nMAXVAL 255\nTUPLTYPE RGB\n"
        "ENDHDR\n\xff\x00\x00";
    const cv::Mat red = detail::opencv_decode(
        {reinterpret_cast<const std::uint8_t*>(kRed), sizeof kRed - 1}, cv::IMREAD_UNCHANGED);
    return red.type() == CV_8UC3 && red.at<cv::Vec3b>(0, 0)[0] == 255;
}

// Where a Sun raster's type is: big-endian 32-bit fields magic, width, height, depth, length,
// type, map type, map length.
constexpr std::size_t kSunRasterType = 20;

// A Sun raster of RT_FORMAT_RGB (type 3: true color stored R, G, B), the type ImageMagick
// writes every true-color raster in. OpenCV 4.6's reader refuses it (its header check tests
// the type against the wrong field), so it is read as RT_STANDARD (B, G, R) from a copy whose
// type says 1, and its red and blue swapped back.
bool is_rgb_sun_raster(std::span<const std::uint8_t> bytes) {
    return starts_with(bytes, kSunRasterMagic) && bytes.size() >= 32 &&
           bytes[kSunRasterType] == 0 && bytes[kSunRasterType + 1] == 0 &&
           bytes[kSunRasterType + 2] == 0 && bytes[kSunRasterType + 3] == 3;
}

// What OpenCV decodes of `bytes` (an image of no format read by a library of its own), in its
// usual BGR(A) order, around its 4.6 readers' faults, each described where it is detected:
// 16-bit BMPs with their masks in a V4/V5 header, OS/2 BMPs, type-3 Sun rasters and PAMs.
cv::Mat decode_through_opencv(const fs::path& path, std::span<const std::uint8_t> bytes,
                              const DecodeLimits& limits) {
    if (const auto rewritten = detail::bmp_with_masks_after_header(bytes))
        return decode(path, *rewritten, limits);
    if (detail::is_core_bmp(bytes))
        return decode(path, bytes, limits, cv::IMREAD_COLOR);  // no alpha in such files
    if (is_rgb_sun_raster(bytes)) {
        std::vector<std::uint8_t> standard(bytes.begin(), bytes.end());
        standard[kSunRasterType + 3] = 1;
        cv::Mat mat = decode(path, standard, limits);
        if (mat.channels() == 3)
            cv::cvtColor(mat, mat, cv::COLOR_RGB2BGR);
        return mat;
    }
    cv::Mat mat = decode(path, bytes, limits);
    if (starts_with(bytes, kPamMagic) && mat.channels() >= 3 && opencv_reads_pam_as_rgb())
        cv::cvtColor(mat, mat, mat.channels() == 3 ? cv::COLOR_RGB2BGR : cv::COLOR_RGBA2BGRA);
    return mat;
}

Animation decode_tiff_pages(std::span<const std::uint8_t> bytes, const std::string& name,
                            const DecodeLimits& limits, std::uint32_t pages);

// A TIFF's first page through OpenCV (its reader reads no other), refused first when over the
// limits, then when its strips or tiles run past the file's end (a bomb's claimed pixels do);
// its colors made straight when they come premultiplied by alpha (tiff_premultiplied). CMYK,
// and grey with alpha, read as a page of a multi-page TIFF is (read_as_page).
Image decode_tiff(const fs::path& path, std::span<const std::uint8_t> bytes,
                  const DecodeLimits& limits) {
    check_opencv_header(path, bytes, limits);
    const std::vector<detail::TiffPageLayout> layout = tiff_page_layouts(path, bytes, 1);
    if (!layout.empty() && read_as_page(layout.front())) {
        Animation page = decode_tiff_pages(bytes, path.string(), limits, 1);
        if (!page.frames.empty()) {  // else libtiff reads no size: OpenCV words the error
            Image image = std::move(page.frames.front().image);
            image.source = page.source;
            image.source.channels = layout.front().photometric == kPhotometricSeparated ? 3 : 2;
            image.source.frames = detail::opencv_tiff_pages(bytes);
            return image;
        }
    }
    Image image = to_image(path, decode_checked(path, bytes, limits));
    const TiffReader reader =
        image.source.bit_depth == 8 ? TiffReader::libtiff_rgba : TiffReader::as_stored;
    if (!layout.empty() && image.channels == 4 && tiff_premultiplied(layout.front(), reader))
        unpremultiply(image.samples);
    image.source.format = ImageFormat::tiff;
    image.source.frames = detail::opencv_tiff_pages(bytes);
    return image;
}

// A WebP through libwebp, its size checked from the header first; of an animation, the first
// frame. Any failure is the file's error.
Image decode_webp_file(const fs::path& path, std::span<const std::uint8_t> bytes,
                       const DecodeLimits& limits) {
    detail::WebpFeatures features;
    std::string error;
    if (!detail::read_webp_features(bytes, features, error))
        fail_input(path, "corrupt WebP: " + error);
    detail::check_decode_limits(path.string(), std::uint64_t(features.width),
                                std::uint64_t(features.height), features.alpha ? 4 : 3, limits);
    if (features.animated)
        return std::move(
            detail::decode_webp_animation(bytes, path.string(), limits, 1).frames.front().image);
    Image image;
    if (!detail::decode_webp(bytes, image, tbb::this_task_arena::max_concurrency() > 1, &error))
        fail_input(path, "truncated or corrupt WebP: " + error);
    return image;
}

// A JPEG through libjpeg-turbo, its size checked once the header is read. Any warning (a cut
// scan, corrupt data: libjpeg would fill the rest with gray and succeed) fails the file.
Image decode_jpeg_file(const fs::path& path, std::span<const std::uint8_t> bytes,
                       const DecodeLimits& limits) {
    try {
        return detail::decode_jpeg(
            bytes,
            [&](std::uint64_t width, std::uint64_t height, std::uint64_t bytes_per_pixel) {
                detail::check_decode_limits(path.string(), width, height, bytes_per_pixel, limits);
            },
            limits.max_bytes);
    } catch (const detail::JpegError& e) {
        fail_input(path, std::string(e.warning() ? "truncated or corrupt JPEG: "
                                                 : "corrupt or unsupported JPEG: ") +
                             e.what());
    }
}

const char* module_format_name(ImageFormat format) {
    return format == ImageFormat::avif      ? "AVIF"
           : format == ImageFormat::jpeg_xl ? "JPEG XL"
                                            : "HEIF";
}

// HEIC, AVIF and JPEG XL through their modules (detail/decoder_modules.hpp), the size checked
// against the limits before the pixels are allocated. The decoders apply the file's own
// orientation (HEIF irot/imir, JPEG XL's codestream orientation), which both specifications put
// above an EXIF tag: the EXIF kept is marked upright, and nothing is turned again.
Image decode_module_file(const fs::path& path, std::span<const std::uint8_t> bytes,
                         ImageFormat format, const DecodeLimits& limits) {
    const auto module =
        format == ImageFormat::jpeg_xl ? detail::DecoderModule::jxl : detail::DecoderModule::heif;
    Image image;
    try {
        image = detail::decode_with_module(
            module, bytes, std::max(1, tbb::this_task_arena::max_concurrency()),
            [&](std::uint64_t width, std::uint64_t height, std::uint64_t bytes_per_pixel) {
                detail::check_decode_limits(path.string(), width, height, bytes_per_pixel, limits);
            });
    } catch (const Error&) {
        throw;  // over the limits
    } catch (const detail::ModuleDecodeError& e) {
        fail_input(path, std::string("truncated or corrupt ") + module_format_name(format) + ": " +
                             e.what());
    } catch (const std::runtime_error& e) {  // the module cannot be loaded
        fail_input(path,
                   std::string("cannot decode ") + module_format_name(format) + ": " + e.what());
    }
    if (exif_orientation(image.metadata.exif) != 1)
        image.metadata.exif = exif_with_orientation(image.metadata.exif, 1);
    return image;
}

// An animation's profile for other data than RGB or gray set aside, as a still image's (see
// detail::set_aside_foreign_profile), and named in every frame's source too.
void set_aside_foreign_profile(Animation& animation) {
    detail::set_aside_foreign_profile(animation.metadata, animation.source);
    for (AnimationFrame& frame : animation.frames)
        frame.image.source.set_aside_profile = animation.source.set_aside_profile;
}

// Every frame of a JPEG XL (libjxl's, composited to the canvas, with their durations); a still
// JPEG XL as one frame. Its limits and errors as decode_module_file's; the frames held decoded
// together checked against limits.max_bytes as each is allocated.
Animation decode_jxl_animation(std::span<const std::uint8_t> bytes, const std::string& name,
                               const DecodeLimits& limits) {
    const fs::path path(name);
    Animation animation;
    std::uint64_t width = 0, height = 0;  // of the canvas, once the header is read
    try {
        animation = detail::decode_animation_with_module(
            detail::DecoderModule::jxl, bytes, std::max(1, tbb::this_task_arena::max_concurrency()),
            [&](std::uint64_t w, std::uint64_t h, std::uint64_t bytes_per_pixel) {
                detail::check_decode_limits(name, w, h, bytes_per_pixel, limits);
                width = w;
                height = h;
            },
            [&](std::uint64_t frames) {
                detail::check_frame_limits(name, width, height, frames, limits);
            });
    } catch (const Error&) {
        throw;  // over the limits
    } catch (const detail::ModuleDecodeError& e) {
        fail_input(path, std::string("truncated or corrupt ") +
                             module_format_name(ImageFormat::jpeg_xl) + ": " + e.what());
    } catch (const std::runtime_error& e) {  // the module cannot be loaded
        fail_input(path, std::string("cannot decode ") + module_format_name(ImageFormat::jpeg_xl) +
                             ": " + e.what());
    }
    if (exif_orientation(animation.metadata.exif) != 1)
        animation.metadata.exif = exif_with_orientation(animation.metadata.exif, 1);
    set_aside_foreign_profile(animation);
    animation.source.format = ImageFormat::jpeg_xl;
    for (AnimationFrame& frame : animation.frames)
        frame.image.source.format = ImageFormat::jpeg_xl;
    if (animation.frames.size() == 1)  // a still: the frame carries the file's metadata
        animation.frames.front().image.metadata = animation.metadata;
    else
        detail::drop_alpha_if_opaque(animation);  // cjxl gives GIF's frames an alpha channel
    return animation;
}

// Every page of a multi-page TIFF as the frames of an animation (delays 0, played once), read
// by libtiff in the codecs module as 8-bit RGBA and turned upright, each page's colors made
// straight by its own alpha kind (tiff_premultiplied), a CMYK page's inks converted through the
// file's CMYK profile when it has one (set aside, converted), else naively, as a CMYK JPEG's
// (inks_to_rgba); the pages' bytes checked against the
// limits, and each page's strips or tiles against the file's end, before any is decoded. An
// empty animation when the pages differ in size
// (no one canvas holds them: the first page is read as a still, with a note).
Animation decode_tiff_pages(std::span<const std::uint8_t> bytes, const std::string& name,
                            const DecodeLimits& limits, std::uint32_t pages) {
    const std::optional<detail::ImageSize> size = detail::opencv_tiff_size(bytes);
    if (!size)
        return {};
    detail::check_decode_limits(name, size->width, size->height, 4, limits);
    detail::check_frame_limits(name, size->width, size->height, pages, limits);
    struct DifferentSize {};
    Animation animation;
    animation.width = int(size->width);
    animation.height = int(size->height);
    animation.loops = 1;
    const std::vector<detail::TiffPageLayout> layouts = tiff_page_layouts(name, bytes, pages);
    try {
        animation.frames.reserve(pages);
        detail::opencv_tiff_read_pages(
            bytes, pages, [&](std::uint32_t, std::uint32_t w, std::uint32_t h) {
                if (w != size->width || h != size->height)
                    throw DifferentSize{};
                Image& image = animation.frames.emplace_back().image;
                image.width = int(w);
                image.height = int(h);
                image.channels = 4;
                detail::resize_populated(image.samples, std::size_t(w) * h * 4);
                return image.samples.data();
            });
    } catch (const DifferentSize&) {
        return {};
    } catch (const Error&) {
        throw;
    } catch (const std::runtime_error& e) {
        fail_input(name, std::string("corrupt TIFF: ") + e.what());
    }
    animation.metadata = read_metadata(bytes);  // its profile, for CMYK pages' inks
    const bool inks = std::any_of(layouts.begin(), layouts.end(), [](const auto& layout) {
        return layout.photometric == kPhotometricSeparated;
    });
    const std::unique_ptr<detail::CmykToSrgb> profile =
        inks && !animation.metadata.profile.icc.empty()
            ? detail::CmykToSrgb::from_icc(animation.metadata.profile.icc)
            : nullptr;
    for (std::size_t page = 0; page < layouts.size(); ++page) {
        if (layouts[page].photometric == kPhotometricSeparated)
            inks_to_rgba(animation.frames[page].image, profile.get());
        else if (tiff_premultiplied(layouts[page], TiffReader::libtiff_rgba))
            unpremultiply(animation.frames[page].image.samples);
    }
    animation.source.channels = 4;
    animation.source.format = ImageFormat::tiff;
    animation.source.frames = pages;
    if (profile) {
        animation.source.set_aside_profile =
            SetAsideProfile{describe_profile(animation.metadata.profile), "CMYK", true};
    }
    detail::drop_alpha_if_opaque(animation);
    for (AnimationFrame& frame : animation.frames)
        frame.image.source.format = ImageFormat::tiff;   // its frames: 1, as every page was read
    if (exif_orientation(animation.metadata.exif) != 1)  // libtiff turned the pages
        animation.metadata.exif = exif_with_orientation(animation.metadata.exif, 1);
    set_aside_foreign_profile(animation);
    for (AnimationFrame& frame : animation.frames)
        frame.image.metadata.profile = animation.metadata.profile;
    return animation;
}

}  // namespace

Image decode_image(std::span<const std::uint8_t> bytes, const std::string& name,
                   const DecodeLimits& limits) {
    const fs::path path(name);
    if (bytes.empty())
        fail_input(path, "empty file");
    reject_truncated(path, bytes);
    const std::optional<ImageFormat> module_format =
        detail::is_jxl(bytes) ? std::optional(ImageFormat::jpeg_xl) : detail::heif_brand(bytes);
    Image image;
    try {
        if (starts_with(bytes, kPngMagic)) {
            image = decode_png(path, bytes, limits);
            image.source.format = ImageFormat::png;
            image.source.frames = detail::png_frames(bytes);
        } else if (starts_with(bytes, kJpegMagic)) {
            image = decode_jpeg_file(path, bytes, limits);
            image.source.format = ImageFormat::jpeg;
        } else if (detail::is_webp(bytes)) {
            image = decode_webp_file(path, bytes, limits);
            image.source.format = ImageFormat::webp;
        } else if (detail::is_gif(bytes)) {  // the first frame of an animation
            image = std::move(detail::decode_gif(bytes, name, limits, 1).frames.front().image);
            image.source.format = ImageFormat::gif;
        } else if (module_format) {
            // Debian's libheif 1.15 has no API for image sequences: their still image alone.
            const detail::HeifContents heif = *module_format == ImageFormat::jpeg_xl
                                                  ? detail::HeifContents{}
                                                  : detail::heif_contents(bytes);
            if (heif.sequence_frames > 0 && !heif.still) {
                fail_input(path, std::string("an ") + module_format_name(*module_format) +
                                     " image sequence without a still image: Debian's libheif "
                                     "1.15 reads no sequences");
            }
            image = decode_module_file(path, bytes, *module_format, limits);
            image.source.format = module_format;
            image.source.frames = std::max<std::uint32_t>(heif.sequence_frames, 1);
        } else if (const auto unread = detail::unread_format_by_bytes(bytes)) {
            fail_input(path, not_read(*unread));
        } else if (const auto floating = detail::floating_point_format(bytes)) {
            fail_input(path, std::string(kUnsupportedSamples) + ": " + std::string(*floating) +
                                 " files hold floating-point samples");
        } else if (is_tiff(bytes)) {
            image = decode_tiff(path, bytes, limits);
        } else {
            image = to_image(path, decode_through_opencv(path, bytes, limits));
        }
    } catch (const std::bad_alloc&) {
        // Within the limits, but more than this machine can give now.
        fail_input(path,
                   "out of memory decoding the image (" + std::to_string(bytes.size()) + " bytes)");
    } catch (const cv::Exception& e) {
        fail_input(path, "cannot decode: " + e.err);
    }
    image.source.file_bytes = bytes.size();
    if (!module_format) {  // else its metadata read and its orientation applied by the decoder
        image.metadata = read_metadata(bytes);
        turn_upright(image, is_tiff(bytes));
    }
    detail::set_aside_foreign_profile(image.metadata, image.source);
    return image;
}

Animation decode_animation(std::span<const std::uint8_t> bytes, const std::string& name,
                           const DecodeLimits& limits) {
    constexpr std::size_t kAll = std::numeric_limits<std::size_t>::max();
    detail::WebpFeatures features;
    std::string error;
    Animation animation;
    try {
        if (detail::is_gif(bytes)) {
            animation = detail::decode_gif(bytes, name, limits, kAll);
        } else if (detail::is_webp(bytes) && detail::read_webp_features(bytes, features, error) &&
                   features.animated) {
            reject_truncated(name, bytes);
            animation = detail::decode_webp_animation(bytes, name, limits, kAll);
            animation.metadata = read_metadata(bytes);
            turn_frames_upright(animation);
            set_aside_foreign_profile(animation);
            for (AnimationFrame& frame : animation.frames)
                frame.image.metadata.profile = animation.metadata.profile;
        } else if (detail::is_jxl(bytes)) {
            animation = decode_jxl_animation(bytes, name, limits);
        } else if (is_tiff(bytes)) {
            std::uint32_t pages = 1;
            try {
                pages = detail::opencv_tiff_pages(bytes);
            } catch (const std::runtime_error&) {
                // The module cannot be loaded: the still path below says so.
            }
            if (pages > 1)
                animation = decode_tiff_pages(bytes, name, limits, pages);
        }
    } catch (const std::bad_alloc&) {
        fail_input(name, "out of memory decoding the animation (" + std::to_string(bytes.size()) +
                             " bytes)");
    }
    if (animation.frames.empty()) {  // a still image, of any format
        AnimationFrame frame{decode_image(bytes, name, limits), 0};
        animation.width = frame.image.width;
        animation.height = frame.image.height;
        animation.source = frame.image.source;
        animation.loops = 1;
        animation.metadata = frame.image.metadata;
        animation.frames.push_back(std::move(frame));
    }
    for (AnimationFrame& frame : animation.frames)
        frame.image.source.file_bytes = bytes.size();
    return animation;
}

Animation read_animation(const fs::path& path, const DecodeLimits& limits) {
    const std::vector<std::uint8_t> bytes = read_bytes(path);
    return decode_animation(bytes, path.string(), limits);
}

Image read_image(const fs::path& path, const DecodeLimits& limits) {
    const std::vector<std::uint8_t> bytes = read_bytes(path);
    return decode_image(bytes, path.string(), limits);
}

}  // namespace quantize
