// The common PNG decoded fast: 8-bit RGB or RGBA, not interlaced, no tRNS or PLTE. Photos come
// this way, and libspng spends ~200 ms on a 12 MP one, three quarters of it undoing the row
// filters. Here libdeflate inflates the image data (3x zlib's speed) and the filters are
// undone in place: ~55 ms for the same file, same pixels.
//
// Every other PNG (palette, grey, 16-bit, interlaced, with tRNS or a suggested PLTE) goes to
// libspng, and so does any file this path finds wrong in any way, so libspng words every
// error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "quantize/pixels.hpp"

namespace quantize::detail {

// Decodes `png` (a whole file) into `image` (size, channels 3 or 4, samples and source format)
// when it is the common kind above and intact: every chunk's CRC right, the zlib stream
// complete with its checksum, each row's filter 0..4. Returns false, with `image`
// unspecified, for anything else.
bool decode_common_png(std::span<const std::uint8_t> png, Image& image);

// Undoes PNG filtering of one row in place: `row` holds width * bpp filtered bytes, `previous`
// the row above already unfiltered (all zeros for the first row). `filter` is 0..4 (none, sub,
// up, average, Paeth); bpp is 3 or 4.
void unfilter_row(int filter, int bpp, std::uint8_t* row, const std::uint8_t* previous,
                  std::size_t bytes);

}  // namespace quantize::detail
