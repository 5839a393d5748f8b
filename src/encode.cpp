// Stage "encode": the format an output's name asks for, checked before any work, and the
// encoders: palette PNG (src/png_encode.cpp), JPEG by libjpeg-turbo and WebP by libwebp
// (src/detail), TIFF by libtiff in the codecs module, every other format through OpenCV, with
// the metadata written in by the format's own library.
#include "quantize/io.hpp"

#include <cstring>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "detail/animation_frames.hpp"
#include "detail/container_metadata.hpp"
#include "detail/foreign_profile.hpp"
#include "detail/gif_encode.hpp"
#include "detail/io_errors.hpp"
#include "detail/jpeg_encode.hpp"
#include "detail/opencv_codecs.hpp"
#include "detail/parallel.hpp"
#include "detail/png_encode.hpp"
#include "detail/webp_encode.hpp"

namespace quantize {

namespace fs = std::filesystem;

namespace {

using detail::fail_output;

bool any_transparent(const Palette& palette) {
    return std::any_of(palette.begin(), palette.end(),
                       [](const PaletteEntry& e) { return e.color.a != 255; });
}

// Full-color pixels for OpenCV's encoders (BGR, or BGRA when alpha is needed and kept).
// Samples a pixel of the output: 4 when alpha is needed and the format keeps it, else 3.
int output_channels(ImageFormat format, const IndexedImage& image) {
    return (any_transparent(image.palette) && format_info(format).keeps_alpha) ? 4 : 3;
}

// Full-color pixels for OpenCV's encoders (BGR, or BGRA when alpha is needed and kept).
std::vector<std::uint8_t> encode_with_opencv(const fs::path& output, ImageFormat format,
                                             const IndexedImage& image,
                                             const EncodeOptions& options) {
    const FormatInfo& info = format_info(format);
    const int channels = output_channels(format, image);
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
        return detail::opencv_encode(info.extensions.front(), mat, {});
    } catch (const std::runtime_error& e) {
        fail_output(output, std::string("cannot encode: ") + e.what());
    }
}

// A JPEG by libjpeg-turbo: alpha, which JPEG cannot hold, left out.
std::vector<std::uint8_t> encode_jpeg_file(const fs::path& output, const IndexedImage& image,
                                           const EncodeOptions& options) {
    try {
        return detail::encode_jpeg(detail::full_color_samples(image, 3), image.width, image.height,
                                   options.jpeg_quality);
    } catch (const std::runtime_error& e) {
        fail_output(output, std::string("cannot encode: ") + e.what());
    }
}

// A still WebP by libwebp: lossless unless a quality is asked for; RGBA when a color is less
// than opaque.
std::vector<std::uint8_t> encode_webp_file(const fs::path& output, const IndexedImage& image,
                                           const EncodeOptions& options) {
    const int channels = output_channels(ImageFormat::webp, image);
    try {
        return detail::encode_webp(detail::full_color_samples(image, channels), image.width,
                                   image.height, channels, options.webp_quality);
    } catch (const std::runtime_error& e) {
        fail_output(output, std::string("cannot encode: ") + e.what());
    }
}

// A TIFF of one page by libtiff in the codecs module, as a multi-page TIFF's pages are written:
// RGBA marked as unassociated alpha (ExtraSamples 2), which OpenCV's TIFF writer leaves
// unmarked (its readers then guess), deflated. The metadata is added after, as to any TIFF.
std::vector<std::uint8_t> encode_tiff(const fs::path& output, const IndexedImage& image) {
    const int channels = output_channels(ImageFormat::tiff, image);
    const std::vector<std::uint8_t> samples = detail::full_color_samples(image, channels);
    const std::uint8_t* const page = samples.data();
    try {
        return detail::opencv_tiff_write_pages(std::span(&page, 1), {0, 1},
                                               std::uint32_t(image.width),
                                               std::uint32_t(image.height), channels, {}, {});
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

void check_output_path(const OutputGuard& inputs, const fs::path& output, bool overwrite) {
    if (output.empty() || !output.has_filename())
        fail_output(output, "not a file name");
    output_format_of(output);
    inputs.check(output);
    std::error_code ec;
    if (fs::is_directory(output, ec))
        fail_output(output, "is a directory");
    check_not_taken(output, overwrite);
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
                                       const Metadata& given) {
    const Metadata metadata = detail::for_rgb_output(given);
    if (!format_info(format).writes)
        fail_output(name, std::string("quantize does not write ") + format_info(format).name);
    std::vector<std::uint8_t> bytes;
    switch (format) {
        case ImageFormat::png:
            return detail::encode_palette_png(name, image, options.png_level, metadata);
        case ImageFormat::gif: {
            const detail::GifFrame frame{&image, 0};
            return detail::encode_gif(name, std::span(&frame, 1), 1);
        }
        case ImageFormat::tiff:
            bytes = encode_tiff(name, image);
            break;
        case ImageFormat::jpeg:
            bytes = encode_jpeg_file(name, image, options);
            break;
        case ImageFormat::webp:
            bytes = encode_webp_file(name, image, options);
            break;
        case ImageFormat::bmp:
        case ImageFormat::pnm:
        case ImageFormat::jpeg2000:
        case ImageFormat::sun_raster:
        case ImageFormat::heif:
        case ImageFormat::avif:
        case ImageFormat::jpeg_xl:
            bytes = encode_with_opencv(name, format, image, options);
            break;
    }
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
