// The common PNG decoded fast: 8-bit RGB or RGBA, not interlaced, no tRNS or PLTE. Photos come
// this way, and libpng spends most of its time in zlib's inflate and in undoing the row filters
// a byte at a time. Here the rows are unfiltered in place, Sub, Average and Paeth with SSE2 (two
// Average or Paeth rows at once); on one thread after libdeflate inflated them all (2-3x zlib's
// speed), on two (from 4 MiB of image data) one thread inflating with ISA-L band after band
// while the other unfilters the rows behind it. `bench/run decode` compares it with libpng.
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

// What a PNG's header says, read without decoding: IHDR's fields and the length of the image
// data, for the checks made before anything is allocated (DecodeLimits, and data too short for
// the size claimed).
struct PngHeader {
    std::uint32_t width = 0, height = 0;  // as IHDR says: 0..2^32-1, unchecked
    int bit_depth = 0;                    // 1, 2, 4, 8 or 16 in a valid file
    int color_type = 0;                   // 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA
    // The IDAT chunks' length fields summed, up to IEND or the end of the file: O(chunks), no
    // CRC computed.
    std::uint64_t image_data_bytes = 0;
};

// The header of `png` (a whole file) when it starts with the signature and an IHDR chunk of the
// right length; false otherwise (libspng then says what is wrong).
bool read_png_header(std::span<const std::uint8_t> png, PngHeader& header);

// False when the image data is too short to hold the image the header claims: deflate expands
// at most 1032 times, and the filtered rows hold at least ceil(width x bits per pixel / 8) x
// height bytes. A 70-byte file claiming 15000x15000 pixels fails here, before libspng
// allocates 675 MB and inflates for seconds to find the stream short.
bool image_data_can_hold(const PngHeader& header);

// Decodes `png` (a whole file) into `image` (size, channels 3 or 4, samples and source format)
// when it is the common kind above and intact (the caller checked DecodeLimits first): every
// chunk's CRC right, the zlib stream complete with its checksum, each row's filter 0..4. Returns
// false, with `image` unspecified, for anything else.
bool decode_common_png(std::span<const std::uint8_t> png, Image& image);

// Undoes PNG filtering of one row in place: `row` holds width * bpp filtered bytes, `previous`
// the row above already unfiltered (all zeros for the first row). `filter` is 0..4 (none, sub,
// up, average, Paeth); bpp is 3 or 4.
void unfilter_row(int filter, int bpp, std::uint8_t* row, const std::uint8_t* previous,
                  std::size_t bytes);

}  // namespace quantize::detail
