// HEIF/AVIF and JPEG XL decoding, in modules loaded the first time such a file is met
// (src/detail/modules.hpp, src/codecs/decoder_module.hpp): their libraries (libheif with
// libde265, x265, libaom and dav1d; libjxl with highway and brotli) stay unloaded otherwise.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <stdexcept>

#include "quantize/animation.hpp"
#include "quantize/pixels.hpp"

namespace quantize::detail {

enum class DecoderModule {
    heif,  // HEIC, AVIF and other HEIF files, libheif: $QUANTIZE_HEIF_MODULE
    jxl,   // JPEG XL, libjxl: $QUANTIZE_JXL_MODULE
};

// The file is not readable: the module's cause ("the file ends early", libheif's message).
struct ModuleDecodeError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Called with the delivered image's width and height (pixels, 1..2^32-1) and the bytes a pixel
// takes decoded (3 or 4) before anything is allocated for the pixels; throws to refuse.
using SizeCheck = std::function<void(std::uint64_t, std::uint64_t, std::uint64_t)>;

// The file's first (primary) image, 8-bit RGB or RGBA, oriented as the file says (its own
// transformations applied by the decoder); metadata.profile.icc, .exif (orientation as stored)
// and .xmp filled when present. `threads` (>= 1) bounds libjxl's workers. Rethrows what
// check_size throws; std::bad_alloc when the pixels cannot be allocated; ModuleDecodeError for a
// bad file; std::runtime_error when the module cannot be loaded.
Image decode_with_module(DecoderModule module, std::span<const std::uint8_t> bytes, int threads,
                         const SizeCheck& check_size);

// Called with the frames an animation will hold decoded once the next is allocated (2, 3, ...);
// throws to refuse.
using FramesCheck = std::function<void(std::uint64_t)>;

// Every frame of an animated file (JPEG XL; libheif 1.15 gives HEIF sequences no frame API
// here), each a whole canvas as shown, with its delay and the loops (0 = forever); a still file
// as one frame played once. The file's metadata in Animation::metadata, its profile in each
// frame's. Errors as decode_with_module's, and what check_frames throws.
Animation decode_animation_with_module(DecoderModule module, std::span<const std::uint8_t> bytes,
                                       int threads, const SizeCheck& check_size,
                                       const FramesCheck& check_frames);

}  // namespace quantize::detail
