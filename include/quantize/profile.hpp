// Color profiles: what an image's RGB numbers mean, and converting them to sRGB (Little CMS).
//
// The pipeline quantizes in the image's own RGB by default and embeds the same profile in the
// output, so nothing here runs unless asked. convert_to_srgb is for --to-srgb style options;
// palette_to_srgb is for palette files and hex codes in reports, which are sRGB by definition.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "quantize/metadata.hpp"
#include "quantize/pixels.hpp"

namespace quantize {

// A short human name for the profile, for reports:
// - an ICC profile: its description tag (English), e.g. "Adobe RGB (1998)", or
//   "ICC profile (no description)"; "unreadable ICC profile" when Little CMS cannot parse it;
// - PNG chunks (no ICC): "sRGB (sRGB chunk)", "gamma 2.2 (gAMA)",
//   "gamma 1.8, custom primaries (gAMA, cHRM)", "sRGB curve, custom primaries (cHRM)";
// - "" for an empty profile (untagged, taken as sRGB).
// An ICC profile wins over the chunks, as PNG readers must treat iCCP.
std::string describe_profile(const ColorProfile& profile);

// What an image's profile is for, by its ICC profile's data color space (Little CMS's
// cmsGetColorSpace). Decoded pixels are always RGB (gray replicated into R, G and B), so:
enum class ProfileData {
    rgb,    // RGB data, or no ICC profile (PNG chunks, untagged), or an unreadable one: it
            // describes the numbers as they are, and an output can embed it
    gray,   // gray data: it describes each channel of the replicated gray (convert_to_srgb goes
            // through its curve), but no RGB output may embed it (libpng refuses a gray iCCP on
            // RGB; JPEG and WebP readers would misread the colors)
    other,  // CMYK, Lab, XYZ, ...: the decoder made the RGB numbers itself (CMYK as OpenCV
            // does), so the profile describes none of them; decoding sets it aside
};
ProfileData profile_data(const ColorProfile& profile);

// Whether the numbers already are sRGB, so that converting would change nothing: an empty
// profile, a PNG sRGB chunk, or a profile (ICC, or built from gAMA/cHRM) whose transform to
// sRGB moves no test color by more than 1/255. An ICC profile must also call itself sRGB.
// An unreadable or non-RGB ICC profile is not sRGB (convert_to_srgb then throws).
bool is_srgb(const ColorProfile& profile);

// Converts the 8-bit RGB or RGBA samples from image.metadata.profile to sRGB, relative
// colorimetric intent, alpha untouched, in parallel row bands (the result does not depend on
// the thread count); then empties the profile (sRGB by convention) and refreshes nothing else.
// An image that is_srgb is left byte-for-byte as it is (its profile is emptied all the same).
// A gray ICC profile maps each channel through the profile's gray curve, which is exact for
// the gray pixels such a file decodes to.
// Throws Error(ErrorKind::input, "profile", cause) when the ICC profile is unreadable or is
// for data that cannot be the decoded RGB (CMYK, Lab, ...): the decoder converted those
// numbers itself, so the profile no longer describes them and must not be guessed at.
void convert_to_srgb(Image& image);

// The colors, whose numbers are in `profile`, as sRGB (relative colorimetric, out-of-gamut
// colors clipped per channel), alpha kept. Same colors back when is_srgb(profile).
// Throws like convert_to_srgb.
std::vector<Color> palette_to_srgb(std::span<const Color> colors, const ColorProfile& profile);

}  // namespace quantize
