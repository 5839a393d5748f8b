// The quality measure with its SSIM optional, for animations, which measure SSIM on some frames
// only (src/quantize.cpp says which).
#pragma once

#include <cstddef>

#include "detail/poll.hpp"
#include "quantize/report.hpp"

namespace quantize::detail {

// Whether a measure includes the SSIM: the one part an animation leaves out of some frames.
enum class Ssim { measured, skipped };

// measure_quality's numbers; with Ssim::skipped, Quality::ssim is left at 1 and its pass over
// the pixels is not made. Polls once per 64 Ki pixels of the MSE, 4,096 ΔE00 samples and 64
// pixel rows of the SSIM.
Quality measure_quality(ImageView original, const IndexedImage& quantized,
                        std::size_t delta_e_sample, Ssim ssim, const Poll& poll = {});

}  // namespace quantize::detail
