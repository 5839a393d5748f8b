// PNG metadata chunks (iCCP, sRGB, gAMA, cHRM, tEXt, zTXt, iTXt, pHYs, eXIf, tIME) read and
// written through libspng's chunk interface.
#pragma once

#include <cstdint>
#include <span>

#include <spng.h>

#include "quantize/metadata.hpp"

namespace quantize::detail {

// The metadata chunks of a whole PNG file, wherever they stand: libspng reads the chunks after
// the image data only once it has decoded the pixels (2.5 times the fast path's time), so it is
// handed the file's chunks without the image data, those after it moved before an empty IDAT
// (every metadata chunk may stand before the image data). Damaged or absent metadata gives
// empty fields: it never fails the decode. Costs a walk over the chunk headers when there is
// no metadata.
Metadata read_png_metadata(std::span<const std::uint8_t> png);

// Sets the metadata's chunks on an encoder context, before spng_encode_chunks. libspng keeps
// pointers into `metadata` (it copies no profile, text or EXIF data), so `metadata` must
// outlive the encode. An entry libspng refuses (a keyword out of the specification's bounds)
// is left out, never failing the encode.
void set_png_metadata(spng_ctx* encoder, const Metadata& metadata);

}  // namespace quantize::detail
