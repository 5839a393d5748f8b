// HEIC and AVIF through libheif, built as a module the library loads the first time such a file
// is met (src/detail/modules.hpp): libheif brings libde265, x265, libaom and dav1d, which a PNG
// or JPEG run should not pay to load. The interface is src/codecs/decoder_module.hpp.
//
// The primary image is decoded, its transformations (irot, imir, clap) applied by libheif; the
// HEIF specification makes those, not the EXIF orientation, say how the image stands, so the
// library marks the EXIF upright instead of turning the pixels again.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <libheif/heif.h>

#include "codecs/decoder_module.hpp"
#include "codecs/module_errors.hpp"

namespace {

using quantize_module::failure;

struct ContextFree {
    void operator()(heif_context* c) const { heif_context_free(c); }
};
struct HandleFree {
    void operator()(heif_image_handle* h) const { heif_image_handle_release(h); }
};
struct ImageFree {
    void operator()(heif_image* i) const { heif_image_release(i); }
};
struct OptionsFree {
    void operator()(heif_decoding_options* o) const { heif_decoding_options_free(o); }
};

// Metadata blocks above this are skipped: EXIF and XMP are kilobytes in real files.
constexpr std::size_t kMaxMetadataBytes = std::size_t{16} << 20;

// The EXIF blocks' and XMP packets' bytes of the primary image, through the sink. An HEIF Exif
// item starts with a 4-byte big-endian offset to the TIFF header (ISO/IEC 23008-12 A.2.1).
void deliver_metadata(const heif_image_handle* handle, const QuantizeDecodeSink& sink) {
    const int count = heif_image_handle_get_number_of_metadata_blocks(handle, nullptr);
    std::vector<heif_item_id> ids(std::size_t(std::max(count, 0)));
    heif_image_handle_get_list_of_metadata_block_IDs(handle, nullptr, ids.data(), count);
    for (const heif_item_id id : ids) {
        const char* type_text = heif_image_handle_get_metadata_type(handle, id);
        const char* content_text = heif_image_handle_get_metadata_content_type(handle, id);
        const std::string type = type_text ? type_text : "";
        const std::string content = content_text ? content_text : "";
        const bool exif = type == "Exif";
        const bool xmp = type == "mime" && content == "application/rdf+xml";
        const std::size_t size = heif_image_handle_get_metadata_size(handle, id);
        if ((!exif && !xmp) || size == 0 || size > kMaxMetadataBytes)
            continue;
        std::vector<unsigned char> bytes(size);
        if (heif_image_handle_get_metadata(handle, id, bytes.data()).code != heif_error_Ok)
            continue;
        if (xmp) {
            sink.metadata(sink.context, 2, bytes.data(), bytes.size());
            continue;
        }
        if (size < 4)
            continue;
        const std::size_t offset = std::size_t(bytes[0]) << 24 | std::size_t(bytes[1]) << 16 |
                                   std::size_t(bytes[2]) << 8 | std::size_t(bytes[3]);
        if (offset > size - 4)
            continue;
        std::size_t at = 4 + offset;
        if (size - at >= 6 && std::memcmp(bytes.data() + at, "Exif\0\0", 6) == 0)
            at += 6;
        sink.metadata(sink.context, 1, bytes.data() + at, size - at);
    }
}

void deliver_profile(const heif_image_handle* handle, const QuantizeDecodeSink& sink) {
    switch (heif_image_handle_get_color_profile_type(handle)) {
        case heif_color_profile_type_prof:
        case heif_color_profile_type_rICC: {
            std::vector<unsigned char> icc(heif_image_handle_get_raw_color_profile_size(handle));
            if (!icc.empty() &&
                heif_image_handle_get_raw_color_profile(handle, icc.data()).code == heif_error_Ok)
                sink.metadata(sink.context, 0, icc.data(), icc.size());
            break;
        }
        case heif_color_profile_type_not_present:
        case heif_color_profile_type_nclx:
            // nclx: libheif's YCbCr to RGB conversion uses its matrix; its primaries are taken
            // as sRGB's, as viewers without color management do.
            break;
    }
}

const char* decode(const unsigned char* data, std::size_t size, const QuantizeDecodeSink& sink) {
    const std::unique_ptr<heif_context, ContextFree> context(heif_context_alloc());
    if (!context)
        return failure("out of memory");
    heif_error error =
        heif_context_read_from_memory_without_copy(context.get(), data, size, nullptr);
    if (error.code != heif_error_Ok)
        return failure(error.message);
    heif_image_handle* raw_handle = nullptr;
    error = heif_context_get_primary_image_handle(context.get(), &raw_handle);
    if (error.code != heif_error_Ok)
        return failure(error.message);
    const std::unique_ptr<heif_image_handle, HandleFree> handle(raw_handle);

    // The size after the transformations (libheif swaps the sides for irot 90 and 270).
    const int width = heif_image_handle_get_width(handle.get());
    const int height = heif_image_handle_get_height(handle.get());
    if (width <= 0 || height <= 0)
        return failure("no image size in the file");
    const bool alpha = heif_image_handle_has_alpha_channel(handle.get()) != 0;
    const int channels = alpha ? 4 : 3;
    const int bits = heif_image_handle_get_luma_bits_per_pixel(handle.get());
    unsigned char* out = sink.pixels(sink.context, std::uint32_t(width), std::uint32_t(height),
                                     channels, channels, bits > 0 ? bits : 8);
    if (!out)
        return failure("refused");

    const std::unique_ptr<heif_decoding_options, OptionsFree> options(
        heif_decoding_options_alloc());
    heif_image* raw_image = nullptr;
    error = heif_decode_image(handle.get(), &raw_image, heif_colorspace_RGB,
                              alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB,
                              options.get());
    if (error.code != heif_error_Ok)
        return failure(error.message);
    const std::unique_ptr<heif_image, ImageFree> image(raw_image);
    if (heif_image_get_width(image.get(), heif_channel_interleaved) != width ||
        heif_image_get_height(image.get(), heif_channel_interleaved) != height ||
        heif_image_get_bits_per_pixel_range(image.get(), heif_channel_interleaved) != 8)
        return failure("the decoded image is not the size or depth its header says");
    int stride = 0;
    const std::uint8_t* plane =
        heif_image_get_plane_readonly(image.get(), heif_channel_interleaved, &stride);
    if (!plane)
        return failure("no pixels decoded");
    const std::size_t row = std::size_t(width) * std::size_t(channels);
    for (int y = 0; y < height; ++y)
        std::memcpy(out + row * std::size_t(y), plane + std::size_t(stride) * std::size_t(y), row);

    deliver_profile(handle.get(), sink);
    deliver_metadata(handle.get(), sink);
    return nullptr;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) const char* quantize_heif_decode(
    const unsigned char* data, std::size_t size, const QuantizeDecodeSink* sink) noexcept {
    return quantize_module::guarded([&] { return decode(data, size, *sink); });
}
