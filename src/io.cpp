#include "quantize/io.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <libdeflate.h>
#include <spng.h>
#include <tbb/task_arena.h>
#include <zlib.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "detail/container_metadata.hpp"
#include "detail/decode_limits.hpp"
#include "detail/image_headers.hpp"
#include "detail/jpeg_decode.hpp"
#include "detail/memory.hpp"
#include "detail/opencv_codecs.hpp"
#include "detail/parallel.hpp"
#include "detail/png_decode.hpp"
#include "detail/png_metadata.hpp"
#include "detail/webp_decode.hpp"
#include "quantize/error.hpp"
#include "quantize/formats.hpp"
#include "quantize/orientation.hpp"

namespace quantize {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail_input(const fs::path& path, const std::string& cause) {
    throw Error(ErrorKind::input, path.string(), cause);
}
[[noreturn]] void fail_output(const fs::path& path, const std::string& cause) {
    throw Error(ErrorKind::output, path.string(), cause);
}

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
}

cv::Mat decode(const fs::path& path, std::span<const std::uint8_t> bytes,
               const DecodeLimits& limits) {
    check_opencv_header(path, bytes, limits);
    cv::Mat mat;
    try {
        mat = detail::opencv_decode(bytes, cv::IMREAD_UNCHANGED);
    } catch (const std::runtime_error& e) {
        fail_input(path, std::string("cannot decode: ") + e.what());
    }
    if (mat.empty())
        fail_input(path, "not an image OpenCV can decode (corrupt or unknown format)");
    // Formats whose size cannot be read cheaply beforehand are checked once decoded; meanwhile
    // OpenCV's own bound (OPENCV_IO_MAX_IMAGE_PIXELS, 2^30 pixels by default) holds them.
    detail::check_decode_limits(path.string(), std::uint64_t(mat.cols), std::uint64_t(mat.rows),
                                mat.elemSize(), limits);
    return mat;
}

struct SpngFree {
    void operator()(spng_ctx* ctx) const { spng_ctx_free(ctx); }
};
using SpngContext = std::unique_ptr<spng_ctx, SpngFree>;

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
        fail_input(path, "unsupported sample type (only 8- and 16-bit integer images)");
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

// A WebP through libwebp, its size checked from the header first. An animation goes to OpenCV,
// which refuses it in its own words, as before; any other failure is the file's error (it used
// to fall through to OpenCV, whose "not an image OpenCV can decode" was wrong about the cause).
Image decode_webp_file(const fs::path& path, std::span<const std::uint8_t> bytes,
                       const DecodeLimits& limits) {
    detail::WebpFeatures features;
    std::string error;
    if (!detail::read_webp_features(bytes, features, error))
        fail_input(path, "corrupt WebP: " + error);
    detail::check_decode_limits(path.string(), std::uint64_t(features.width),
                                std::uint64_t(features.height), features.alpha ? 4 : 3, limits);
    if (features.animated)
        return to_image(path, decode(path, bytes, limits));
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

int png_bit_depth(std::size_t palette_size) {
    if (palette_size <= 2)
        return 1;
    if (palette_size <= 4)
        return 2;
    if (palette_size <= 16)
        return 4;
    return 8;
}

// libdeflate's level for kAutoPngLevel (see EncodeOptions).
constexpr int kAutoLibdeflateLevel = 7;

SpngContext new_encoder() {
    SpngContext ctx(spng_ctx_new(SPNG_CTX_ENCODER));
    if (!ctx)
        throw std::bad_alloc();
    return ctx;
}

void check_encoder(const fs::path& output, int rc) {
    if (rc != 0)
        fail_output(output, std::string("PNG encoder: ") + spng_strerror(rc));
}

// The PNG an encoder context has built in memory.
template <class Check>
std::vector<std::uint8_t> encoded_bytes(SpngContext& ctx, Check&& check) {
    int rc = 0;
    std::size_t size = 0;
    std::unique_ptr<std::uint8_t, decltype(&std::free)> buffer(
        static_cast<std::uint8_t*>(spng_get_png_buffer(ctx.get(), &size, &rc)), &std::free);
    check(rc);
    return {buffer.get(), buffer.get() + size};
}

// Packs one row of `width` indices into kDepth-bit samples, leftmost pixel in the high bits.
template <int kDepth>
void pack_row(const std::uint8_t* in, std::size_t width, std::uint8_t* out) {
    if constexpr (kDepth == 8) {
        std::memcpy(out, in, width);
    } else {
        constexpr std::size_t kPerByte = 8 / kDepth;
        std::size_t x = 0;
        for (; x + kPerByte <= width; x += kPerByte) {
            std::uint8_t byte = 0;
            for (std::size_t k = 0; k < kPerByte; ++k)
                byte = std::uint8_t(byte << kDepth | in[x + k]);
            *out++ = byte;
        }
        if (x < width) {  // a last, partial byte, padded with zero bits
            std::uint8_t byte = 0;
            for (std::size_t k = 0; k < kPerByte; ++k)
                byte = std::uint8_t(byte << kDepth | (x + k < width ? in[x + k] : 0));
            *out = byte;
        }
    }
}

// Rows of palette indices as PNG scanlines: each row led by its filter type byte, 0 (none:
// palette images compress best unfiltered, as the PNG specification advises), samples packed
// at `depth` bits (1, 2, 4 or 8).
std::vector<std::uint8_t> scanlines(const IndexedImage& image, int depth) {
    const std::size_t width = std::size_t(image.width);
    const std::size_t row_bytes = 1 + (width * std::size_t(depth) + 7) / 8;
    std::vector<std::uint8_t> rows;
    detail::resize_populated(rows, row_bytes * std::size_t(image.height));
    auto pack = depth == 1   ? pack_row<1>
                : depth == 2 ? pack_row<2>
                : depth == 4 ? pack_row<4>
                             : pack_row<8>;
    detail::for_each_chunk(
        std::size_t(image.height), 64, [&](std::size_t, std::size_t begin, std::size_t end) {
            for (std::size_t y = begin; y < end; ++y) {
                pack(image.indices.data() + y * width, width, rows.data() + y * row_bytes + 1);
            }
        });
    return rows;
}

// The zlib stream of an IDAT chunk, by libdeflate: at the same level it compresses palette
// images about as well as zlib, 5 to 8 times faster. Into a buffer the size of libdeflate's
// bound, about the input's, left uninitialized: only the pages the stream fills get touched
// (a tenth of them at K = 16), where zeroing a 12 MB bound cost 3,000 page faults.
std::vector<std::uint8_t> deflate_scanlines(const fs::path& output,
                                            std::span<const std::uint8_t> rows, int level) {
    struct FreeCompressor {
        void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
    };
    const std::unique_ptr<libdeflate_compressor, FreeCompressor> compressor(
        libdeflate_alloc_compressor(level));
    if (!compressor)
        throw std::bad_alloc();
    const std::size_t bound = libdeflate_zlib_compress_bound(compressor.get(), rows.size());
    const std::unique_ptr<std::uint8_t[]> stream(new std::uint8_t[bound]);
    const std::size_t size =
        libdeflate_zlib_compress(compressor.get(), rows.data(), rows.size(), stream.get(), bound);
    if (size == 0)
        fail_output(output, "PNG encoder: compressed image data does not fit its bound");
    return std::vector<std::uint8_t>(stream.get(), stream.get() + size);
}

void append_u32_be(std::vector<std::uint8_t>& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
        out.push_back(std::uint8_t(v >> shift));
}

// Share of the scanline bytes, 0..1, equal to the byte before them: how much of the image is
// flat runs of one index.
double repeat_share(std::span<const std::uint8_t> rows) {
    if (rows.size() < 2)
        return 0.0;
    std::size_t repeats = 0;
    for (const std::size_t part : detail::map_chunks<std::size_t>(
             rows.size() - 1, std::size_t{1} << 20, [&](std::size_t begin, std::size_t end) {
                 std::size_t n = 0;
                 for (std::size_t i = begin; i < end; ++i)
                     n += rows[i + 1] == rows[i];
                 return n;
             }))
        repeats += part;
    return double(repeats) / double(rows.size() - 1);
}

// Above this repeat share libdeflate's hash chains (100 positions deep at level 7, 300 at 8)
// fill with the positions of one run and stop short of the row above, the match that pays
// there. On the 12 MP photo at K = 16 (93% repeats) its levels 7 and 8 make files 11% and 4%
// larger than this path (329,564 and 310,865 bytes against 297,478, seed 1); Kodak, SIPI and
// the 27.7 MP photo (28-76% repeats) lose nothing to them.
constexpr double kDeepSearchRepeatShare = 0.9;

// zlib's hash chains for run-heavy images: level 9 with chains cut from 4,096 to 1,536 deep
// and a 16 KiB window (7 rows of the 12 MP photo), which ends chains sooner. On that photo at
// K = 16 (one thread, image data only): 297,215 bytes in 283 ms, against 292,249 in 585 ms
// for zlib's level 9 and 310,748 in 148 ms / 329,447 in 60 ms for libdeflate's levels 8 / 7.
constexpr int kDeepChain = 1536;
constexpr int kDeepWindowBits = 14;

// Bands deflated side by side, about 1 MiB each; their bounds depend only on the data's size.
constexpr std::size_t kDeflateBand = std::size_t{1} << 20;

void check_zlib(const fs::path& output, int rc) {
    if (rc != Z_OK)
        fail_output(output, "PNG encoder: zlib error " + std::to_string(rc));
}

// One band of a raw deflate stream, primed with the window's worth of bytes before it so
// matches reach back across the cut. A band that is not the last ends with a sync flush on a
// byte boundary, so the bands' streams join by plain concatenation (as pigz joins its blocks).
std::vector<std::uint8_t> deflate_band(const fs::path& output, std::span<const std::uint8_t> all,
                                       std::size_t begin, std::size_t end) {
    z_stream z{};
    check_zlib(output, deflateInit2(&z, 9, Z_DEFLATED, -kDeepWindowBits, 8, Z_DEFAULT_STRATEGY));
    const std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&z, deflateEnd);
    // zlib's level-9 parameters (good 32, lazy 258, nice 258) with the shorter chain.
    check_zlib(output, deflateTune(&z, 32, 258, 258, kDeepChain));
    const std::size_t primer = std::min(begin, std::size_t{1} << kDeepWindowBits);
    if (primer > 0) {
        check_zlib(output, deflateSetDictionary(&z, all.data() + begin - primer, uInt(primer)));
    }
    // deflateBound covers a finished stream; a sync flush adds an empty stored block (5 bytes).
    // Uninitialized, like libdeflate's output: only the pages the stream fills get touched.
    const std::size_t bound = deflateBound(&z, uLong(end - begin)) + 16;
    const std::unique_ptr<std::uint8_t[]> buffer(new std::uint8_t[bound]);
    z.next_in = const_cast<Bytef*>(all.data() + begin);
    z.avail_in = uInt(end - begin);
    z.next_out = buffer.get();
    z.avail_out = uInt(bound);
    const bool last = end == all.size();
    const int rc = deflate(&z, last ? Z_FINISH : Z_SYNC_FLUSH);
    if (rc != (last ? Z_STREAM_END : Z_OK) || z.avail_in != 0 || z.avail_out == 0)
        fail_output(output, "PNG encoder: compressed image data does not fit its bound");
    return std::vector<std::uint8_t>(buffer.get(), buffer.get() + z.total_out);
}

// The zlib stream of the scanlines, its bands deflated by zlib side by side: header, the bands'
// raw streams in order, Adler-32 of the whole.
std::vector<std::uint8_t> deflate_bands_deep(const fs::path& output,
                                             std::span<const std::uint8_t> rows) {
    const std::vector<std::vector<std::uint8_t>> bands =
        detail::map_chunks<std::vector<std::uint8_t>>(
            rows.size(), kDeflateBand, [&](std::size_t begin, std::size_t end) {
                return deflate_band(output, rows, begin, end);
            });
    // CMF: deflate with a 2^kDeepWindowBits window; FLG: level 9, check bits making the pair
    // a multiple of 31.
    const std::uint8_t cmf = std::uint8_t((kDeepWindowBits - 8) << 4 | 8);
    const std::uint8_t flg = std::uint8_t(3 << 6 | (31 - (cmf * 256 + (3 << 6)) % 31) % 31);
    std::vector<std::uint8_t> stream = {cmf, flg};
    for (const std::vector<std::uint8_t>& band : bands)
        stream.insert(stream.end(), band.begin(), band.end());
    append_u32_be(stream, libdeflate_adler32(1, rows.data(), rows.size()));
    return stream;
}

// Appends a PNG chunk: length, type, data, CRC-32 of type and data.
void append_chunk(std::vector<std::uint8_t>& png, std::string_view type,
                  std::span<const std::uint8_t> data) {
    append_u32_be(png, std::uint32_t(data.size()));
    const std::size_t type_at = png.size();
    png.insert(png.end(), type.begin(), type.end());
    png.insert(png.end(), data.begin(), data.end());
    append_u32_be(png, libdeflate_crc32(0, png.data() + type_at, png.size() - type_at));
}

// Collects what an spng encoder writes to its stream.
int append_to_vector(spng_ctx*, void* user, void* data, std::size_t length) {
    auto* out = static_cast<std::vector<std::uint8_t>*>(user);
    const auto* bytes = static_cast<const std::uint8_t*>(data);
    out->insert(out->end(), bytes, bytes + length);
    return 0;
}

// libspng writes the signature and the chunks before the image data (IHDR, PLTE, tRNS); the
// image data is compressed by libdeflate into one IDAT chunk, then IEND closes the file.
std::vector<std::uint8_t> encode_indexed_png(const fs::path& output, const IndexedImage& image,
                                             int level, const Metadata& metadata) {
    SpngContext ctx = new_encoder();
    auto check = [&](int rc) { check_encoder(output, rc); };
    const int depth = png_bit_depth(image.palette.size());
    spng_ihdr ihdr{};
    ihdr.width = std::uint32_t(image.width);
    ihdr.height = std::uint32_t(image.height);
    ihdr.bit_depth = std::uint8_t(depth);
    ihdr.color_type = SPNG_COLOR_TYPE_INDEXED;
    spng_plte plte{};
    spng_trns trns{};
    plte.n_entries = std::uint32_t(image.palette.size());
    for (std::size_t i = 0; i < image.palette.size(); ++i) {
        const Color c = image.palette[i].color;
        plte.entries[i] = {c.r, c.g, c.b, 255};
        trns.type3_alpha[i] = c.a;
        if (c.a != 255)
            trns.n_type3_entries = std::uint32_t(i + 1);  // tRNS may stop early
    }
    std::vector<std::uint8_t> png;
    check(spng_set_png_stream(ctx.get(), append_to_vector, &png));
    check(spng_set_ihdr(ctx.get(), &ihdr));
    check(spng_set_plte(ctx.get(), &plte));
    if (trns.n_type3_entries > 0)
        check(spng_set_trns(ctx.get(), &trns));
    detail::set_png_metadata(ctx.get(), metadata);
    check(spng_encode_chunks(ctx.get()));
    const std::vector<std::uint8_t> rows = scanlines(image, depth);
    const bool automatic = level == EncodeOptions::kAutoPngLevel;
    const std::vector<std::uint8_t> idat =
        automatic && repeat_share(rows) > kDeepSearchRepeatShare
            ? deflate_bands_deep(output, rows)
            : deflate_scanlines(output, rows, automatic ? kAutoLibdeflateLevel : level);
    png.reserve(png.size() + idat.size() + 24);
    append_chunk(png, "IDAT", idat);
    append_chunk(png, "IEND", {});
    return png;
}

// An 8-bit RGB or RGBA PNG, rows filtered adaptively (full-color images gain from it).
std::vector<std::uint8_t> encode_truecolor_png(const fs::path& output, const Image& image) {
    SpngContext ctx = new_encoder();
    auto check = [&](int rc) { check_encoder(output, rc); };
    spng_ihdr ihdr{};
    ihdr.width = std::uint32_t(image.width);
    ihdr.height = std::uint32_t(image.height);
    ihdr.bit_depth = 8;
    ihdr.color_type =
        image.has_alpha() ? SPNG_COLOR_TYPE_TRUECOLOR_ALPHA : SPNG_COLOR_TYPE_TRUECOLOR;
    check(spng_set_option(ctx.get(), SPNG_ENCODE_TO_BUFFER, 1));
    check(spng_set_ihdr(ctx.get(), &ihdr));
    check(spng_encode_image(ctx.get(), image.samples.data(), image.samples.size(), SPNG_FMT_PNG,
                            SPNG_ENCODE_FINALIZE));
    return encoded_bytes(ctx, check);
}

bool any_transparent(const Palette& palette) {
    return std::any_of(palette.begin(), palette.end(),
                       [](const PaletteEntry& e) { return e.color.a != 255; });
}

// Full-color pixels for OpenCV's encoders (BGR, or BGRA when alpha is needed and kept).
// OpenCV's encoder parameters for the format: JPEG and WebP quality.
std::vector<int> encoder_params(ImageFormat format, const EncodeOptions& options) {
    switch (format) {
        case ImageFormat::jpeg:
            return {cv::IMWRITE_JPEG_QUALITY, options.jpeg_quality};
        case ImageFormat::webp:
            return {cv::IMWRITE_WEBP_QUALITY,
                    options.webp_quality > 0 ? options.webp_quality : 101};
        case ImageFormat::png:
        case ImageFormat::tiff:
        case ImageFormat::bmp:
        case ImageFormat::pnm:
        case ImageFormat::jpeg2000:
        case ImageFormat::openexr:
        case ImageFormat::radiance:
        case ImageFormat::sun_raster:
            return {};
    }
    return {};
}

// Full-color pixels for OpenCV's encoders (BGR, or BGRA when alpha is needed and kept).
std::vector<std::uint8_t> encode_with_opencv(const fs::path& output, ImageFormat format,
                                             const IndexedImage& image,
                                             const EncodeOptions& options) {
    const FormatInfo& info = format_info(format);
    const int channels = (any_transparent(image.palette) && info.keeps_alpha) ? 4 : 3;
    cv::Mat mat(image.height, image.width, CV_8UC(channels));
    std::uint8_t lut[256][4] = {};
    for (std::size_t i = 0; i < image.palette.size(); ++i) {
        const Color c = image.palette[i].color;
        lut[i][0] = c.b;
        lut[i][1] = c.g;
        lut[i][2] = c.r;
        lut[i][3] = c.a;
    }
    detail::for_each_chunk(image.indices.size(), std::size_t{1} << 16,
                           [&](std::size_t, std::size_t begin, std::size_t end) {
                               std::uint8_t* out = mat.data + begin * std::size_t(channels);
                               for (std::size_t i = begin; i < end; ++i) {
                                   std::memcpy(out, lut[image.indices[i]], std::size_t(channels));
                                   out += channels;
                               }
                           });
    try {
        return detail::opencv_encode(info.extensions.front(), mat, encoder_params(format, options));
    } catch (const std::runtime_error& e) {
        fail_output(output, std::string("cannot encode: ") + e.what());
    }
}

// The format an output's name asks for, if quantize writes it.
ImageFormat output_format_of(const fs::path& output) {
    const auto format = format_of(output);
    if (!format || !format_info(*format).writes) {
        const std::string ext = output.extension().string();
        if (ext.empty()) {
            fail_output(output,
                        "no extension to choose the format by (use " + output_format_names() + ")");
        }
        fail_output(output,
                    "unknown output format '" + ext + "' (use " + output_format_names() + ")");
    }
    return *format;
}

}  // namespace

std::vector<std::uint8_t> encode_png(const Image& image, const fs::path& output) {
    return encode_truecolor_png(output, image);
}

Image decode_image(std::span<const std::uint8_t> bytes, const std::string& name,
                   const DecodeLimits& limits) {
    const fs::path path(name);
    if (bytes.empty())
        fail_input(path, "empty file");
    reject_truncated(path, bytes);
    Image image;
    try {
        if (starts_with(bytes, kPngMagic))
            image = decode_png(path, bytes, limits);
        else if (starts_with(bytes, kJpegMagic))
            image = decode_jpeg_file(path, bytes, limits);
        else if (detail::is_webp(bytes))
            image = decode_webp_file(path, bytes, limits);
        else
            image = to_image(path, decode(path, bytes, limits));
    } catch (const std::bad_alloc&) {
        // Within the limits, but more than this machine can give now.
        fail_input(path,
                   "out of memory decoding the image (" + std::to_string(bytes.size()) + " bytes)");
    } catch (const cv::Exception& e) {
        fail_input(path, "cannot decode: " + e.err);
    }
    image.source.file_bytes = bytes.size();
    image.metadata = read_metadata(bytes);
    turn_upright(image, is_tiff(bytes));
    return image;
}

Image read_image(const fs::path& path, const DecodeLimits& limits) {
    const std::vector<std::uint8_t> bytes = read_bytes(path);
    return decode_image(bytes, path.string(), limits);
}

void check_output_path(const OutputGuard& inputs, const fs::path& output, bool overwrite) {
    if (output.empty() || !output.has_filename())
        fail_output(output, "not a file name");
    output_format_of(output);
    inputs.check(output);
    std::error_code ec;
    if (fs::exists(output, ec)) {
        if (fs::is_directory(output, ec))
            fail_output(output, "is a directory");
        if (!overwrite)
            fail_output(output, "already exists (use --force to overwrite)");
    }
    const fs::path dir = output.has_parent_path() ? output.parent_path() : fs::path(".");
    if (!fs::exists(dir, ec))
        fail_output(output, "directory " + dir.string() + " does not exist");
    if (!fs::is_directory(dir, ec))
        fail_output(output, dir.string() + " is not a directory");
    // The one reliable writability test (root ignores permission bits): create a file there.
    // Uncommitted, it leaves nothing behind.
    AtomicFile probe(output, overwrite);
}

void check_output_path(const fs::path& input, const fs::path& output, bool overwrite) {
    check_output_path(OutputGuard(std::span(&input, 1)), output, overwrite);
}

bool keeps_palette(const fs::path& output) {
    const auto format = format_of(output);
    return format && format_info(*format).keeps_palette;
}

std::vector<std::uint8_t> encode_image(const IndexedImage& image, ImageFormat format,
                                       const fs::path& name, const EncodeOptions& options,
                                       const Metadata& metadata) {
    if (!format_info(format).writes)
        fail_output(name, std::string("quantize does not write ") + format_info(format).name);
    if (format_info(format).keeps_palette)
        return encode_indexed_png(name, image, options.png_level, metadata);
    std::vector<std::uint8_t> bytes = encode_with_opencv(name, format, image, options);
    if (!format_info(format).keeps_metadata)
        return bytes;
    try {
        return detail::write_container_metadata(std::move(bytes), metadata);
    } catch (const std::runtime_error& e) {
        fail_output(name, e.what());
    }
}

std::vector<std::uint8_t> encode_image(const IndexedImage& image, const fs::path& output,
                                       const EncodeOptions& options, const Metadata& metadata) {
    return encode_image(image, output_format_of(output), output, options, metadata);
}

}  // namespace quantize
