// JPEG files libjpeg writes itself, for tests: CMYK and YCCK (OpenCV writes neither), chosen
// sampling, and an ICC profile in APP2 markers.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>

namespace test {

// A JPEG written by libjpeg itself at quality 90: `components` samples a pixel in `space`,
// each pixel(x, y, c); `configure` changes the defaults' settings before the quality is set.
template <class Configure, class Pixel>
inline std::vector<std::uint8_t> encode_with_libjpeg(int width, int height, int components,
                                                     J_COLOR_SPACE space, Configure&& configure,
                                                     Pixel&& pixel) {
    jpeg_compress_struct cinfo;
    jpeg_error_mgr errors;
    cinfo.err = jpeg_std_error(&errors);
    jpeg_create_compress(&cinfo);
    unsigned char* buffer = nullptr;
    unsigned long size = 0;
    jpeg_mem_dest(&cinfo, &buffer, &size);
    cinfo.image_width = JDIMENSION(width);
    cinfo.image_height = JDIMENSION(height);
    cinfo.input_components = components;
    cinfo.in_color_space = space;
    jpeg_set_defaults(&cinfo);
    configure(cinfo);
    jpeg_set_quality(&cinfo, 90, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    std::vector<JSAMPLE> row(std::size_t(width) * std::size_t(components));
    while (cinfo.next_scanline < cinfo.image_height) {
        const int y = int(cinfo.next_scanline);
        for (int x = 0; x < width; ++x) {
            for (int c = 0; c < components; ++c)
                row[std::size_t(x * components + c)] = JSAMPLE(pixel(x, y, c));
        }
        JSAMPROW pointer = row.data();
        jpeg_write_scanlines(&cinfo, &pointer, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    std::vector<std::uint8_t> jpeg(buffer, buffer + size);
    std::free(buffer);
    return jpeg;
}

// The JPEG with `icc` in one APP2 "ICC_PROFILE" marker (sequence 1 of 1: profiles up to 65,519
// bytes) right after SOI, where libjpeg's jpeg_write_icc_profile puts it.
inline std::vector<std::uint8_t> with_icc(const std::vector<std::uint8_t>& jpeg,
                                          const std::vector<std::uint8_t>& icc) {
    const std::size_t length = 2 + 12 + 2 + icc.size();
    if (length > 0xffff)
        throw std::runtime_error("ICC profile too large for one APP2 marker");
    const std::uint8_t header[] = {jpeg[0],
                                   jpeg[1],  // SOI
                                   0xff,
                                   0xe2,
                                   std::uint8_t(length >> 8),
                                   std::uint8_t(length),
                                   'I',
                                   'C',
                                   'C',
                                   '_',
                                   'P',
                                   'R',
                                   'O',
                                   'F',
                                   'I',
                                   'L',
                                   'E',
                                   0,
                                   1,
                                   1};
    // Copied with memcpy: GCC 12 warns falsely on vector::insert here (-Warray-bounds).
    std::vector<std::uint8_t> out(sizeof header + icc.size() + jpeg.size() - 2);
    std::memcpy(out.data(), header, sizeof header);
    std::memcpy(out.data() + sizeof header, icc.data(), icc.size());
    std::memcpy(out.data() + sizeof header + icc.size(), jpeg.data() + 2, jpeg.size() - 2);
    return out;
}

}  // namespace test
