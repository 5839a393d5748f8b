// ICC profiles for tests, built with Little CMS (no files): Adobe RGB (1998), Display P3 and
// sRGB, as the bytes a PNG iCCP chunk or a JPEG APP2 segment would carry.
#pragma once

#include <lcms2.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace test {

namespace detail {

// The profile's bytes, with its description tag set to `description` (English).
inline std::vector<std::uint8_t> save_profile(cmsHPROFILE profile, const std::string& description) {
    if (!profile)
        throw std::runtime_error("cannot build the test profile " + description);
    cmsMLU* mlu = cmsMLUalloc(nullptr, 1);
    cmsMLUsetASCII(mlu, "en", "US", description.c_str());
    cmsWriteTag(profile, cmsSigProfileDescriptionTag, mlu);
    cmsMLUfree(mlu);
    cmsUInt32Number size = 0;
    cmsSaveProfileToMem(profile, nullptr, &size);
    std::vector<std::uint8_t> bytes(size);
    const bool saved = cmsSaveProfileToMem(profile, bytes.data(), &size);
    cmsCloseProfile(profile);
    if (!saved)
        throw std::runtime_error("cannot save the test profile " + description);
    return bytes;
}

// A matrix-shaper RGB profile: D65 white, the given primaries (x, y) and one curve for R, G, B.
inline std::vector<std::uint8_t> rgb_profile(const double (&xy)[6], cmsToneCurve* curve,
                                             const std::string& description) {
    const cmsCIExyY white{0.3127, 0.3290, 1.0};
    const cmsCIExyYTRIPLE primaries{{xy[0], xy[1], 1.0}, {xy[2], xy[3], 1.0}, {xy[4], xy[5], 1.0}};
    cmsToneCurve* curves[3] = {curve, curve, curve};
    cmsHPROFILE profile = cmsCreateRGBProfile(&white, &primaries, curves);
    cmsFreeToneCurve(curve);
    return save_profile(profile, description);
}

// IEC 61966-2-1's curve, which Display P3 shares with sRGB.
inline cmsToneCurve* srgb_curve() {
    const cmsFloat64Number params[5] = {2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045};
    return cmsBuildParametricToneCurve(nullptr, 4, params);
}

// A v2 LUT profile (lut16Type takes a bare CLUT) of `space` data with `inputs` channels, Lab
// connection space: its A2B0 table, `points` a side, sampled from `sampler` (device values in,
// v2 Lab out, 16 bits) with `cargo`.
inline cmsHPROFILE lut_profile(cmsProfileClassSignature device_class, cmsColorSpaceSignature space,
                               int inputs, int points, cmsSAMPLER16 sampler, void* cargo) {
    cmsHPROFILE profile = cmsCreateProfilePlaceholder(nullptr);
    cmsSetProfileVersion(profile, 2.1);
    cmsSetDeviceClass(profile, device_class);
    cmsSetColorSpace(profile, space);
    cmsSetPCS(profile, cmsSigLabData);
    cmsWriteTag(profile, cmsSigMediaWhitePointTag, cmsD50_XYZ());
    cmsPipeline* pipeline = cmsPipelineAlloc(nullptr, cmsUInt32Number(inputs), 3);
    cmsStage* clut = cmsStageAllocCLut16bit(nullptr, cmsUInt32Number(points),
                                            cmsUInt32Number(inputs), 3, nullptr);
    cmsStageSampleCLut16bit(clut, sampler, cargo, 0);
    cmsPipelineInsertStage(pipeline, cmsAT_BEGIN, clut);
    cmsWriteTag(profile, cmsSigAToB0Tag, pipeline);
    cmsPipelineFree(pipeline);
    return profile;
}

}  // namespace detail

// Adobe RGB (1998): primaries R 0.64 0.33, G 0.21 0.71, B 0.15 0.06, D65, gamma 563/256.
inline std::vector<std::uint8_t> adobe_rgb_icc() {
    const double xy[6] = {0.64, 0.33, 0.21, 0.71, 0.15, 0.06};
    return detail::rgb_profile(xy, cmsBuildGamma(nullptr, 563.0 / 256.0), "Adobe RGB (1998)");
}

// Display P3: DCI-P3 primaries R 0.680 0.320, G 0.265 0.690, B 0.150 0.060, D65, sRGB curve.
inline std::vector<std::uint8_t> display_p3_icc() {
    const double xy[6] = {0.680, 0.320, 0.265, 0.690, 0.150, 0.060};
    return detail::rgb_profile(xy, detail::srgb_curve(), "Display P3");
}

// Little CMS's own sRGB (IEC 61966-2-1), described as "sRGB IEC61966-2.1".
inline std::vector<std::uint8_t> srgb_icc() {
    return detail::save_profile(cmsCreate_sRGBProfile(), "sRGB IEC61966-2.1");
}

// Adobe RGB (1998) as a LUT profile: an A2B0 table (33 points a side, Lab connection space)
// sampled from the matrix-shaper one, no colorant or curve tags. Real LUT profiles (camera,
// scanner, printer-proofing RGB) take Little CMS's general path, not the matrix one.
inline std::vector<std::uint8_t> adobe_rgb_lut_icc() {
    const std::vector<std::uint8_t> matrix = adobe_rgb_icc();
    cmsHPROFILE adobe = cmsOpenProfileFromMem(matrix.data(), cmsUInt32Number(matrix.size()));
    cmsHPROFILE lab = cmsCreateLab2Profile(nullptr);  // a v2 table holds v2 Lab numbers
    cmsHTRANSFORM to_lab = cmsCreateTransform(adobe, TYPE_RGB_16, lab, TYPE_Lab_16,
                                              INTENT_RELATIVE_COLORIMETRIC, cmsFLAGS_NOOPTIMIZE);
    cmsHPROFILE profile = detail::lut_profile(
        cmsSigDisplayClass, cmsSigRgbData, 3, 33,
        [](const cmsUInt16Number in[], cmsUInt16Number out[], void* cargo) -> cmsInt32Number {
            cmsDoTransform(static_cast<cmsHTRANSFORM>(cargo), in, out, 1);
            return 1;
        },
        to_lab);
    cmsDeleteTransform(to_lab);
    cmsCloseProfile(lab);
    cmsCloseProfile(adobe);
    return detail::save_profile(profile, "Adobe RGB (1998) LUT");
}

// A gray profile with gamma 2.2 (a gray JPEG's or PNG's), and a CMYK one (not RGB at all).
inline std::vector<std::uint8_t> gray_gamma22_icc() {
    cmsToneCurve* curve = cmsBuildGamma(nullptr, 2.2);
    cmsHPROFILE profile = cmsCreateGrayProfile(cmsD50_xyY(), curve);
    cmsFreeToneCurve(curve);
    return detail::save_profile(profile, "Gray gamma 2.2");
}

inline std::vector<std::uint8_t> cmyk_icc() {
    // An ink-limiting device link turned profile is the simplest CMYK profile Little CMS makes.
    return detail::save_profile(cmsCreateInkLimitingDeviceLink(cmsSigCmykData, 300), "CMYK");
}

// A CMYK printer profile (output class, A2B0 only: 9 points a side, Lab connection space) whose
// inks are not OpenCV's naive formula: sRGB = ((1 - C)(1 - K))^1.6 per channel, so a decoder
// that converts through it gives other colors than one that ignores it.
inline std::vector<std::uint8_t> cmyk_print_icc() {
    cmsHPROFILE srgb = cmsCreate_sRGBProfile();
    cmsHPROFILE lab = cmsCreateLab2Profile(nullptr);  // a v2 table holds v2 Lab numbers
    cmsHTRANSFORM to_lab = cmsCreateTransform(srgb, TYPE_RGB_DBL, lab, TYPE_Lab_16,
                                              INTENT_RELATIVE_COLORIMETRIC, cmsFLAGS_NOOPTIMIZE);
    cmsHPROFILE profile = detail::lut_profile(
        cmsSigOutputClass, cmsSigCmykData, 4, 9,
        [](const cmsUInt16Number in[], cmsUInt16Number out[], void* cargo) -> cmsInt32Number {
            const double k = in[3] / 65535.0;
            double rgb[3];
            for (int c = 0; c < 3; ++c)
                rgb[c] = std::pow((1 - in[c] / 65535.0) * (1 - k), 1.6);
            cmsDoTransform(static_cast<cmsHTRANSFORM>(cargo), rgb, out, 1);
            return 1;
        },
        to_lab);
    cmsDeleteTransform(to_lab);
    cmsCloseProfile(lab);
    cmsCloseProfile(srgb);
    return detail::save_profile(profile, "Test CMYK press");
}

}  // namespace test
