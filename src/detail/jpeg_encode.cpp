#include "detail/jpeg_encode.hpp"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "detail/jpeg_errors.hpp"

namespace quantize::detail {

std::vector<std::uint8_t> encode_jpeg(std::span<const std::uint8_t> rgb, int width, int height,
                                      int quality) {
    jpeg_compress_struct cinfo;
    std::memset(&cinfo, 0, sizeof cinfo);  // jpeg_destroy of a never-created one is a no-op
    JpegErrorManager errors{};
    cinfo.err = jpeg_error_handlers(errors);
    unsigned char* buffer = nullptr;  // libjpeg's, grown as it writes; freed with free()
    unsigned long size = 0;
    const bool done = jpeg_guarded(errors, [&] {
        jpeg_create_compress(&cinfo);
        jpeg_mem_dest(&cinfo, &buffer, &size);
        cinfo.image_width = JDIMENSION(width);
        cinfo.image_height = JDIMENSION(height);
        cinfo.input_components = 3;
        cinfo.in_color_space = JCS_RGB;
        jpeg_set_defaults(&cinfo);
        jpeg_set_quality(&cinfo, quality, TRUE);
        jpeg_start_compress(&cinfo, TRUE);
        const std::size_t stride = std::size_t(width) * 3;
        while (cinfo.next_scanline < cinfo.image_height) {
            JSAMPROW row = const_cast<JSAMPROW>(rgb.data() + cinfo.next_scanline * stride);
            jpeg_write_scanlines(&cinfo, &row, 1);
        }
        jpeg_finish_compress(&cinfo);
    });
    jpeg_destroy_compress(&cinfo);
    const std::unique_ptr<unsigned char, decltype(&std::free)> owned(buffer, &std::free);
    if (!done)
        throw std::runtime_error(std::string("libjpeg: ") + errors.message);
    return std::vector<std::uint8_t>(buffer, buffer + size);
}

}  // namespace quantize::detail
