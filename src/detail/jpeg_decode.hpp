// JPEG through libjpeg-turbo's own API, straight into our RGB layout (no BGR pass, no OpenCV
// codecs to load), with the size checked between jpeg_read_header and the first allocation.
//
// The libjpeg API rather than TurboJPEG: TurboJPEG 2.1 (Debian 12) cannot report warnings as
// they happen, and a cut scan is only a warning to libjpeg (it fills the rest with gray and
// succeeds).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <stdexcept>

#include "quantize/pixels.hpp"

namespace quantize::detail {

// Why libjpeg gave up, in its words. `warning` when it would have gone on (corrupt or cut
// data: libjpeg fills what is missing with gray); else a fatal error (not a JPEG, an
// unsupported kind, out of memory).
class JpegError : public std::runtime_error {
  public:
    JpegError(const char* message, bool warning) : std::runtime_error(message), warning_(warning) {}
    bool warning() const noexcept { return warning_; }

  private:
    bool warning_;
};

// Called with the image's size once the header is read, before anything is allocated for the
// pixels: throws to refuse the image. bytes_per_pixel is 3 (RGB out).
using JpegSizeCheck =
    std::function<void(std::uint64_t width, std::uint64_t height, std::uint64_t bytes_per_pixel)>;

// Decodes a whole JPEG file into RGB with libjpeg's defaults (JDCT_ISLOW, fancy upsampling:
// OpenCV's pixels exactly), as stored: decode_image turns it upright by its EXIF orientation,
// as for every format. Grey is
// replicated (source.channels 1); CMYK and YCCK are converted through the file's CMYK ICC
// profile to sRGB when it has one (source.set_aside_profile then names it), else as OpenCV
// converts them.
// `work_bytes` bounds libjpeg's own buffers (a progressive file's coefficients), >= 1.
// Throws JpegError at the first error or warning, and whatever `check` throws; but bytes
// skipped before a marker (libjpeg's "N extraneous bytes") are no error: the first such warning
// goes to source.warnings, and decoding goes on.
// With a second thread in the arena, a baseline (not progressive) RGB or grey file from 2^17
// pixels is decoded by two decompressors side by side, the top rows by one and the rest by the
// other, which skips the top's rows at the cost of their entropy decoding alone
// (jpeg_skip_scanlines): the same pixels, errors and warnings, about 1.2x faster on Kodak's
// 0.4 MP and 1.3x on 12 MP than one pass.
Image decode_jpeg(std::span<const std::uint8_t> jpeg, const JpegSizeCheck& check,
                  std::uint64_t work_bytes);

}  // namespace quantize::detail
