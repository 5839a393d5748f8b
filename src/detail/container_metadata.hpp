// Metadata of JPEG, WebP and TIFF files (EXIF, XMP, ICC profile, comment), read from and
// written into encoded bytes: WebP's chunks with libwebp's own mux API, JPEG's and TIFF's with
// exiv2, the kept library for them. The OpenCV encoders write none of it, and no EXIF is ever
// parsed by hand. PNG's chunks go through libspng instead.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "quantize/metadata.hpp"

namespace quantize::detail {

// The EXIF block (TIFF-structured), XMP packet, ICC profile and comment of an encoded JPEG,
// WebP or TIFF file. Unreadable or absent metadata gives empty fields: the pixels still count.
// `orientation` stays 1; the caller reads it from the EXIF block.
Metadata read_container_metadata(std::span<const std::uint8_t> file);

// `file` (an encoded JPEG, WebP or TIFF) with the metadata's EXIF, XMP, ICC profile and
// comment written into it, as the format keeps them (JPEG APP1/APP2/COM, WebP EXIF/XMP/ICCP
// chunks, TIFF tags). Returns the file unchanged when there is nothing to write. Throws
// std::runtime_error with exiv2's message when it cannot write them.
std::vector<std::uint8_t> write_container_metadata(std::vector<std::uint8_t> file,
                                                   const Metadata& metadata);

}  // namespace quantize::detail
