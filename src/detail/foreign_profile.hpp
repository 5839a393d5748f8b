// ICC profiles for other data than the decoded RGB (CMYK, Lab, ...): a CMYK JPEG's or TIFF's inks
// converted through its profile while decoding, and such profiles set aside from the metadata once
// it is read, so that no output embeds them (see SourceFormat::set_aside_profile).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "quantize/metadata.hpp"
#include "quantize/pixels.hpp"

namespace quantize::detail {

// Converts rows of 8-bit CMYK samples, as Adobe stores them in JPEGs (inverted: 255 is no ink,
// the convention the OpenCV conversion in jpeg_decode.cpp shares), through a CMYK ICC profile to
// sRGB, relative colorimetric, as Little CMS does. convert() may run on several threads at once.
class CmykToSrgb {
  public:
    // The converter for `icc`; nullptr when it is no readable CMYK profile, or Little CMS makes
    // no transform from it: the caller falls back to its own conversion.
    static std::unique_ptr<CmykToSrgb> from_icc(std::span<const std::uint8_t> icc);
    ~CmykToSrgb();
    CmykToSrgb(const CmykToSrgb&) = delete;
    CmykToSrgb& operator=(const CmykToSrgb&) = delete;

    // `width` pixels: 4 bytes each from `cmyk`, 3 (R, G, B) to `rgb`.
    void convert(const std::uint8_t* cmyk, std::uint8_t* rgb, std::size_t width) const;

  private:
    struct State;
    explicit CmykToSrgb(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

// `rows` rows of `width` CMYK pixels (4 bytes each, inverted as Adobe stores them in JPEGs: 255
// is no ink) to RGB (3 bytes each): through `profile` when there is one, else as OpenCV converts
// a CMYK JPEG (each ink inverted back and scaled by K, no profile). In parallel tasks of rows,
// each pixel on its own (the bytes do not depend on the thread count). Every decoder of CMYK
// files converts through it.
void convert_inks(const CmykToSrgb* profile, const std::uint8_t* cmyk, std::uint8_t* rgb, int width,
                  std::size_t rows);

// `metadata` as an RGB output may carry it: without a profile for other data than RGB
// (profile_data: gray or other), which no RGB file may embed (libpng refuses a gray iCCP on
// RGB). Every encoder's metadata goes through it.
Metadata for_rgb_output(const Metadata& metadata);

// When `metadata` holds an ICC profile for neither RGB nor gray data (profile_data: other),
// empties metadata.profile and names the profile in source.set_aside_profile, unless the
// decoder already did (it converted the pixels through it); converted: false. Decoders call it
// once the metadata is read.
void set_aside_foreign_profile(Metadata& metadata, SourceFormat& source);

}  // namespace quantize::detail
