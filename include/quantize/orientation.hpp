// EXIF orientation: reading and rewriting the tag (with exiv2) and turning pixels upright.
//
// A decoder that finds orientation o in a file's EXIF calls apply_orientation(image, o), sets
// image.metadata.orientation = o and stores exif_with_orientation(exif, 1): outputs are
// upright and must say so, or a viewer would turn them a second time.
//
// exiv2 reports what it finds wrong in a malformed block ("Error: Directory Image: IFD entry 0
// lies outside of the data buffer") through its own process-wide log; the library mutes it on
// first use (src/detail/exiv2_setup.hpp), since it never prints.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "quantize/pixels.hpp"

namespace quantize {

// The orientation tag (Exif.Image.Orientation, IFD0 tag 0x0112) of a TIFF-structured EXIF
// block (what follows "Exif\0\0" in a JPEG APP1; a PNG eXIf or WebP EXIF chunk's data; a
// leading "Exif\0\0" is skipped too), 1..8. 1 when the block is empty, has no such tag, cannot
// be read, or the value is outside 1..8.
int exif_orientation(std::span<const std::uint8_t> exif);

// The same EXIF block with its orientation tag set to `orientation` (1..8; 1 for an upright
// output), every other tag kept, in the block's own byte order. An empty block gives a new one
// holding the tag alone. A block exiv2 cannot read gives an empty result: keeping it could keep
// an orientation that would turn the upright output again.
// Throws Error(invalid_argument, "orientation", ...) for a value outside 1..8.
std::vector<std::uint8_t> exif_with_orientation(std::span<const std::uint8_t> exif,
                                                int orientation);

// Turns the pixels (RGB or RGBA, any size) so that an image stored with EXIF orientation
// `orientation` displays upright, as the EXIF specification (CIPA DC-008, tag 0x0112) defines:
// 1 nothing, 2 mirror left-right, 3 rotate 180, 4 mirror top-bottom, 5 transpose (mirror along
// the top-left to bottom-right diagonal), 6 rotate 90 clockwise, 7 transverse (mirror along the
// other diagonal), 8 rotate 90 counter-clockwise. 5..8 swap width and height.
// image.metadata is not touched: metadata.orientation keeps recording the orientation the file
// had (now applied, see metadata.hpp) and is never reset to 1 here.
// Throws Error(invalid_argument, "orientation", ...) for a value outside 1..8.
void apply_orientation(Image& image, int orientation);

}  // namespace quantize
