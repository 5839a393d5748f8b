// OpenCV's image codecs, from a module loaded on first use (src/codecs/opencv_codecs.cpp says
// why). The module is found as detail/modules.hpp says, its variable $QUANTIZE_CODECS_MODULE.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace quantize::detail {

// cv::imdecode(data, flags): an empty Mat when OpenCV does not recognize the data. Throws
// std::runtime_error with OpenCV's message when it fails, or when the module cannot be loaded.
cv::Mat opencv_decode(std::span<const std::uint8_t> data, int flags);

struct ImageSize {
    std::uint32_t width = 0, height = 0;
};

// A TIFF's first image's size, read by libtiff in the module without decoding; nullopt when
// libtiff cannot read it. Throws std::runtime_error when the module cannot be loaded.
std::optional<ImageSize> opencv_tiff_size(std::span<const std::uint8_t> data);

// The pages (directories) of a TIFF, counted by libtiff, 1..65535 (more are counted as 65535);
// 1 when libtiff cannot read it. Throws std::runtime_error when the module cannot be loaded.
std::uint32_t opencv_tiff_pages(std::span<const std::uint8_t> data);

// What a TIFF page's directory says of its pixels beyond their size: its Photometric
// interpretation (tag 262; 0xffff when absent), its first ExtraSamples value (tag 338: 0
// unspecified, 1 associated alpha, 2 unassociated alpha; 0xffff when the page has none) and
// the furthest byte of the file its strips or tiles reach (offset + byte count).
struct TiffPageLayout {
    std::uint16_t photometric = 0xffff;
    std::uint16_t alpha = 0xffff;
    std::uint64_t data_end = 0;
};

// The layouts of a TIFF's first `pages` pages (1..65535), read by libtiff in the module without
// decoding, in one pass over the directories; fewer where libtiff cannot read on (none when the
// module lacks the function). Throws std::runtime_error when the module cannot be loaded.
std::vector<TiffPageLayout> opencv_tiff_page_layouts(std::span<const std::uint8_t> data,
                                                     std::uint32_t pages);

// Pages 0..pages-1 of a TIFF as 8-bit RGBA, upright, through libtiff's RGBA interface in the
// module, in one pass over the directories; but a CMYK page's (Photometric separated, InkSet
// CMYK) as its 8-bit inks, C, M, Y, K where R, G, B, A go, as TIFF stores them (0 is no ink),
// for the caller to convert: `buffer(page, width, height)` gives width x height
// x 4 bytes to fill (it may throw: the exception comes out of this call). Throws
// std::runtime_error with the cause when libtiff cannot read a page, or when the module cannot
// be loaded or lacks the function.
void opencv_tiff_read_pages(
    std::span<const std::uint8_t> data, std::uint32_t pages,
    const std::function<std::uint8_t*(std::uint32_t, std::uint32_t, std::uint32_t)>& buffer);

// Which pages of a multi-page TIFF are written: numbered from `first`, of `total` in all.
struct TiffPages {
    std::uint32_t first = 0, total = 0;
};

// A multi-page TIFF of the pages (each width x height x channels 8-bit samples, channels 3 or
// 4), deflated, with the ICC profile `icc` on every page when not empty and the XMP packet
// `xmp` on the first given (TIFFTAG_XMLPACKET) when not empty, written by libtiff in the
// module; appended to the TIFF `before` when it is not empty (its pages kept as they are).
// Throws std::runtime_error with the cause.
std::vector<std::uint8_t> opencv_tiff_write_pages(std::span<const std::uint8_t* const> pages,
                                                  const TiffPages& where, std::uint32_t width,
                                                  std::uint32_t height, int channels,
                                                  std::span<const std::uint8_t> icc,
                                                  std::span<const std::uint8_t> xmp,
                                                  std::vector<std::uint8_t> before = {});

// cv::imencode(ext, image, params). Throws std::runtime_error with the cause.
std::vector<std::uint8_t> opencv_encode(const std::string& ext, const cv::Mat& image,
                                        const std::vector<int>& params = {});

// cv::haveImageWriter(filename); false when the module cannot be loaded.
bool opencv_can_write(const std::string& filename);

}  // namespace quantize::detail
