// Animations: the encoders of animated GIF and WebP, and what the frame decoders share.
#include "quantize/animation.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>

#include <webp/encode.h>
#include <webp/mux.h>

#include "detail/animation_frames.hpp"
#include "detail/container_metadata.hpp"
#include "detail/foreign_profile.hpp"
#include "detail/gif_encode.hpp"
#include "detail/io_errors.hpp"
#include "detail/opencv_codecs.hpp"
#include "detail/parallel.hpp"
#include "quantize/error.hpp"

namespace quantize {

namespace {

using detail::fail_output;

// Marks an assembled animated WebP as having alpha (the VP8X chunk's ALPHA flag, bit 4 of the
// byte after its size). libwebp's encoder sets that flag only from the frames it encodes, and it
// trims a frame's transparent border away: an animation whose only transparency lies in such a
// border was marked opaque, and readers that trust the flag (Pillow) showed that border black.
// The mux API has no setter for the flag, so the one bit is set here, after checking the layout.
void mark_alpha(std::vector<std::uint8_t>& webp) {
    constexpr std::size_t kFlags = 20;  // "RIFF" size "WEBP" "VP8X" size, then the flags
    constexpr std::uint8_t kAlphaFlag = 0x10;
    if (webp.size() > kFlags && std::equal(webp.begin() + 12, webp.begin() + 16, "VP8X"))
        webp[kFlags] |= kAlphaFlag;
}

// An animated WebP by libwebp's WebPAnimEncoder, from the frames' RGBA colors, with the
// metadata written into it (write_container_metadata; may throw std::runtime_error).
std::vector<std::uint8_t> encode_webp_animation(const AnimationSource& animation,
                                                const std::filesystem::path& name,
                                                const EncodeOptions& options,
                                                const Metadata& metadata) {
    WebPAnimEncoderOptions encoder_options;
    WebPConfig config;
    if (!WebPAnimEncoderOptionsInit(&encoder_options) || !WebPConfigInit(&config))
        fail_output(name, "libwebp's animation encoder is of another version");
    encoder_options.anim_params.loop_count = animation.loops;
    config.lossless = options.webp_quality == 0 ? 1 : 0;
    config.quality = options.webp_quality == 0 ? 75.0f : float(options.webp_quality);
    config.thread_level = 0;  // one thread: the bytes never depend on scheduling
    const std::unique_ptr<WebPAnimEncoder, decltype(&WebPAnimEncoderDelete)> encoder(
        WebPAnimEncoderNew(animation.width, animation.height, &encoder_options),
        &WebPAnimEncoderDelete);
    if (!encoder)
        fail_output(name, "libwebp cannot start an animation of this size");
    WebPPicture picture;
    if (!WebPPictureInit(&picture))
        fail_output(name, "libwebp's picture is of another version");
    picture.use_argb = 1;
    picture.width = animation.width;
    picture.height = animation.height;
    const std::unique_ptr<WebPPicture, decltype(&WebPPictureFree)> owned(&picture,
                                                                         &WebPPictureFree);
    std::vector<std::uint8_t> rgba(std::size_t(animation.width) * std::size_t(animation.height) *
                                   4);
    int timestamp = 0;         // ms: when the frame goes up
    bool transparent = false;  // some pixel of some frame is less than opaque
    for (std::size_t f = 0; f < animation.count; ++f) {
        const IndexedFrame& frame = animation.frame(f);
        for (std::size_t i = 0; i < frame.image.indices.size(); ++i) {
            const Color c = frame.image.palette[frame.image.indices[i]].color;
            rgba[4 * i] = c.r;
            rgba[4 * i + 1] = c.g;
            rgba[4 * i + 2] = c.b;
            rgba[4 * i + 3] = c.a;
            transparent |= c.a < 255;
        }
        if (!WebPPictureImportRGBA(&picture, rgba.data(), animation.width * 4) ||
            !WebPAnimEncoderAdd(encoder.get(), &picture, timestamp, &config)) {
            fail_output(name, std::string("WebP animation encoder: ") +
                                  WebPAnimEncoderGetError(encoder.get()));
        }
        timestamp += frame.delay_ms;
    }
    WebPData data;
    WebPDataInit(&data);
    if (!WebPAnimEncoderAdd(encoder.get(), nullptr, timestamp, nullptr) ||
        !WebPAnimEncoderAssemble(encoder.get(), &data)) {
        fail_output(
            name, std::string("WebP animation encoder: ") + WebPAnimEncoderGetError(encoder.get()));
    }
    std::vector<std::uint8_t> bytes(data.bytes, data.bytes + data.size);
    WebPDataClear(&data);
    bytes = detail::write_container_metadata(std::move(bytes), metadata);
    if (transparent)  // last: writing the metadata assembles the chunks, flags included, again
        mark_alpha(bytes);
    return bytes;
}

// A multi-page TIFF, a page a frame, each pixel's palette color (RGBA when any entry is less
// than opaque, else RGB), written by libtiff in the codecs module, with the ICC profile on every
// page and the XMP packet on the first. With EXIF, the first page is written alone, exiv2 adds
// the metadata to it as to a still TIFF (write_container_metadata: EXIF, and the profile and
// XMP again), then libtiff appends the other pages after it: exiv2 rewriting a whole
// multi-page TIFF kept 4 of 6 pages, and libtiff takes EXIF only tag by tag, each by its type.
// TIFF pages have no delays nor loops. Throws std::runtime_error with the cause.
std::vector<std::uint8_t> encode_tiff_pages(const IndexedAnimation& animation,
                                            const Metadata& metadata) {
    bool alpha = false;
    for (const IndexedFrame& frame : animation.frames)
        for (const PaletteEntry& e : frame.image.palette)
            alpha = alpha || e.color.a != 255;
    const int channels = alpha ? 4 : 3;
    std::vector<std::vector<std::uint8_t>> pages;
    std::vector<const std::uint8_t*> rows;
    for (const IndexedFrame& frame : animation.frames)
        rows.push_back(
            pages.emplace_back(detail::full_color_samples(frame.image, channels)).data());
    const std::span<const std::uint8_t> xmp(
        reinterpret_cast<const std::uint8_t*>(metadata.xmp.data()), metadata.xmp.size());
    const auto width = std::uint32_t(animation.width), height = std::uint32_t(animation.height);
    const auto total = std::uint32_t(rows.size());
    const std::span<const std::uint8_t* const> all(rows);
    if (metadata.exif.empty() || all.size() < 2) {
        return detail::opencv_tiff_write_pages(all, {0, total}, width, height, channels,
                                               metadata.profile.icc, xmp);
    }
    std::vector<std::uint8_t> first = detail::write_container_metadata(
        detail::opencv_tiff_write_pages(all.first(1), {0, total}, width, height, channels,
                                        metadata.profile.icc, xmp),
        metadata);
    return detail::opencv_tiff_write_pages(all.subspan(1), {1, total}, width, height, channels,
                                           metadata.profile.icc, {}, std::move(first));
}

// The frames one at a time, as encode_animation's source form takes them.
AnimationSource source_of(const IndexedAnimation& animation) {
    AnimationSource source;
    source.width = animation.width;
    source.height = animation.height;
    source.count = animation.frames.size();
    source.loops = animation.loops;
    source.frame = [&animation](std::size_t i) -> const IndexedFrame& {
        return animation.frames[i];
    };
    return source;
}

// An encoder's error as the file's.
std::vector<std::uint8_t> or_fail(const std::filesystem::path& name,
                                  const std::function<std::vector<std::uint8_t>()>& encode) {
    try {
        return encode();
    } catch (const std::runtime_error& e) {
        fail_output(name, e.what());
    }
}

}  // namespace

std::vector<std::uint8_t> encode_animation(const AnimationSource& source, ImageFormat format,
                                           const std::filesystem::path& name,
                                           const EncodeOptions& options, const Metadata& given) {
    const Metadata metadata = detail::for_rgb_output(given);
    if (source.count == 0)
        fail_output(name, "no frame to write");
    switch (format) {
        case ImageFormat::gif:
            return detail::encode_gif_frames(
                name, source.count,
                [&](std::size_t i) {
                    const IndexedFrame& frame = source.frame(i);
                    return detail::GifFrame{&frame.image, frame.delay_ms};
                },
                source.any_clear, source.loops);
        case ImageFormat::webp:
            return or_fail(name,
                           [&] { return encode_webp_animation(source, name, options, metadata); });
        case ImageFormat::tiff:
        case ImageFormat::png:
        case ImageFormat::jpeg:
        case ImageFormat::bmp:
        case ImageFormat::pnm:
        case ImageFormat::jpeg2000:
        case ImageFormat::sun_raster:
        case ImageFormat::heif:
        case ImageFormat::avif:
        case ImageFormat::jpeg_xl:
            break;
    }
    fail_output(name, std::string("quantize writes no animation frame by frame as ") +
                          format_info(format).name + " (GIF and WebP only)");
}

std::vector<std::uint8_t> encode_animation(const IndexedAnimation& animation, ImageFormat format,
                                           const std::filesystem::path& name,
                                           const EncodeOptions& options, const Metadata& given) {
    const Metadata metadata = detail::for_rgb_output(given);
    if (animation.frames.empty())
        fail_output(name, "no frame to write");
    switch (format) {
        case ImageFormat::gif: {
            std::vector<detail::GifFrame> frames;
            for (const IndexedFrame& frame : animation.frames)
                frames.push_back({&frame.image, frame.delay_ms});
            return detail::encode_gif(name, frames, animation.loops);
        }
        case ImageFormat::webp:
            try {
                return encode_webp_animation(source_of(animation), name, options, metadata);
            } catch (const std::runtime_error& e) {
                fail_output(name, e.what());
            }
        case ImageFormat::tiff:
            try {
                return encode_tiff_pages(animation, metadata);
            } catch (const std::runtime_error& e) {
                fail_output(name, e.what());
            }
        case ImageFormat::png:
        case ImageFormat::jpeg:
        case ImageFormat::bmp:
        case ImageFormat::pnm:
        case ImageFormat::jpeg2000:
        case ImageFormat::sun_raster:
        case ImageFormat::heif:
        case ImageFormat::avif:
        case ImageFormat::jpeg_xl:
            break;
    }
    fail_output(name, std::string("quantize writes no animation as ") + format_info(format).name);
}

std::vector<std::uint8_t> detail::full_color_samples(const IndexedImage& image, int channels) {
    std::uint8_t lut[256][4] = {};
    for (std::size_t i = 0; i < image.palette.size(); ++i) {
        const Color c = image.palette[i].color;
        std::memcpy(lut[i], std::array<std::uint8_t, 4>{c.r, c.g, c.b, c.a}.data(), 4);
    }
    std::vector<std::uint8_t> samples(image.indices.size() * std::size_t(channels));
    const std::size_t n = std::size_t(channels);
    detail::for_each_chunk(image.indices.size(), std::size_t{1} << 16,
                           [&](std::size_t, std::size_t begin, std::size_t end) {
                               std::uint8_t* out = samples.data() + begin * n;
                               for (std::size_t i = begin; i < end; ++i, out += n)
                                   std::memcpy(out, lut[image.indices[i]], n);
                           });
    return samples;
}

void detail::check_frame_limits(const std::string& name, std::uint64_t width, std::uint64_t height,
                                std::uint64_t frames, const DecodeLimits& limits) {
    // Each side is under 2^16 (GIF) or 2^14 (WebP) and frames under 2^31: no overflow.
    const std::uint64_t bytes = width * height * 4 * frames;
    if (bytes <= limits.max_bytes)
        return;
    char text[160];
    std::snprintf(text, sizeof text,
                  "%llu frames of %llux%llu pixels (%.1f MB decoded) are over the limit of %.1f "
                  "MB decoded",
                  static_cast<unsigned long long>(frames), static_cast<unsigned long long>(width),
                  static_cast<unsigned long long>(height), double(bytes) / 1e6,
                  double(limits.max_bytes) / 1e6);
    throw Error(ErrorKind::too_large, name, text);
}

void detail::drop_alpha_if_opaque(Animation& animation) {
    for (const AnimationFrame& frame : animation.frames) {
        const Image& image = frame.image;
        if (image.channels != 4)
            return;
        for (std::size_t i = 3; i < image.samples.size(); i += 4)
            if (image.samples[i] != 255)
                return;
    }
    for (AnimationFrame& frame : animation.frames) {
        std::vector<std::uint8_t>& samples = frame.image.samples;
        std::size_t out = 0;
        for (std::size_t i = 0; i < samples.size(); i += 4) {
            samples[out++] = samples[i];
            samples[out++] = samples[i + 1];
            samples[out++] = samples[i + 2];
        }
        samples.resize(out);
        samples.shrink_to_fit();
        frame.image.channels = 3;
        frame.image.source.channels = 3;
    }
    animation.source.channels = 3;
}

}  // namespace quantize
