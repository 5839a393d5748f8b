#include "quantize/profile.hpp"

#include <lcms2.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "detail/foreign_profile.hpp"
#include "detail/parallel.hpp"
#include "quantize/error.hpp"

namespace quantize {
namespace detail {
namespace {

// A Little CMS context of our own: its error handler keeps the first message for the Error we
// throw instead of printing it (the default handler is silent, but a host program may have set
// a global one; a context never consults it). Nothing process-wide is registered.
class LcmsContext {
  public:
    LcmsContext() : context_(cmsCreateContext(nullptr, this)) {
        if (!context_)
            throw std::bad_alloc();
        cmsSetLogErrorHandlerTHR(context_, &LcmsContext::on_error);
    }
    ~LcmsContext() { cmsDeleteContext(context_); }
    LcmsContext(const LcmsContext&) = delete;
    LcmsContext& operator=(const LcmsContext&) = delete;

    cmsContext get() const { return context_; }
    // The first error Little CMS reported in this context, "" when none.
    std::string message() const {
        std::lock_guard lock(mutex_);
        return message_;
    }

  private:
    static void on_error(cmsContext context, cmsUInt32Number, const char* text) {
        auto* self = static_cast<LcmsContext*>(cmsGetContextUserData(context));
        if (!self || !text)
            return;
        std::lock_guard lock(self->mutex_);
        if (self->message_.empty())
            self->message_ = text;
    }

    cmsContext context_;
    mutable std::mutex mutex_;  // transforms may report from several threads
    std::string message_;
};

struct ProfileCloser {
    void operator()(void* profile) const { cmsCloseProfile(profile); }
};
using ProfileHandle = std::unique_ptr<void, ProfileCloser>;

struct TransformDeleter {
    void operator()(void* transform) const { cmsDeleteTransform(transform); }
};
using TransformHandle = std::unique_ptr<void, TransformDeleter>;

struct ToneCurveDeleter {
    void operator()(cmsToneCurve* curve) const { cmsFreeToneCurve(curve); }
};
using ToneCurveHandle = std::unique_ptr<cmsToneCurve, ToneCurveDeleter>;

[[noreturn]] void fail(const std::string& cause, const LcmsContext& context) {
    const std::string detail = context.message();
    throw Error(ErrorKind::input, "profile", detail.empty() ? cause : cause + ": " + detail);
}

// sRGB primaries and D65 white (IEC 61966-2-1), for chunks that give only a gamma.
constexpr std::array<double, 8> srgb_chromaticities = {0.3127, 0.3290, 0.64, 0.33,
                                                       0.30,   0.60,   0.15, 0.06};

// The profile PNG's gAMA and cHRM chunks describe: a matrix-shaper RGB profile with the
// chunk's primaries (sRGB's without cHRM) and a pure power curve 1 / (gAMA / 100,000) (the
// sRGB curve without gAMA, as the PNG specification lets a decoder assume). Invalid values
// (gamma 0, a chromaticity with y = 0) are ignored, as PNG decoders do.
ProfileHandle profile_from_chunks(const LcmsContext& context, const ColorProfile& profile) {
    std::array<double, 8> c = srgb_chromaticities;
    if (profile.chromaticities) {
        const auto& chrm = *profile.chromaticities;
        const bool valid = chrm[1] != 0 && chrm[3] != 0 && chrm[5] != 0 && chrm[7] != 0;
        if (valid) {
            for (std::size_t i = 0; i < 8; ++i)
                c[i] = chrm[i] / 100000.0;
        }
    }
    const cmsCIExyY white{c[0], c[1], 1.0};
    const cmsCIExyYTRIPLE primaries{{c[2], c[3], 1.0}, {c[4], c[5], 1.0}, {c[6], c[7], 1.0}};
    ToneCurveHandle curve;
    if (profile.gamma && *profile.gamma != 0) {
        curve.reset(cmsBuildGamma(context.get(), 100000.0 / *profile.gamma));
    } else {
        // IEC 61966-2-1: Y = ((X + 0.055) / 1.055)^2.4 for X >= 0.04045, else X / 12.92.
        const cmsFloat64Number params[5] = {2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045};
        curve.reset(cmsBuildParametricToneCurve(context.get(), 4, params));
    }
    if (!curve)
        fail("cannot build the gAMA tone curve", context);
    cmsToneCurve* curves[3] = {curve.get(), curve.get(), curve.get()};
    ProfileHandle built(cmsCreateRGBProfileTHR(context.get(), &white, &primaries, curves));
    if (!built)
        fail("cannot build a profile from the cHRM and gAMA chunks", context);
    return built;
}

// An ICC profile's bytes opened; nullptr when Little CMS cannot parse them.
ProfileHandle open_icc(const LcmsContext& context, std::span<const std::uint8_t> icc) {
    return ProfileHandle(cmsOpenProfileFromMemTHR(context.get(), icc.data(),
                                                  static_cast<cmsUInt32Number>(icc.size())));
}

// The profile the numbers are in; nullptr for sRGB (empty profile or an sRGB chunk).
// Throws when an ICC profile cannot be parsed.
ProfileHandle open_profile(const LcmsContext& context, const ColorProfile& profile) {
    if (!profile.icc.empty()) {
        ProfileHandle opened = open_icc(context, profile.icc);
        if (!opened)
            fail("unreadable ICC profile", context);
        return opened;
    }
    if (profile.srgb_intent || profile.empty())
        return nullptr;
    return profile_from_chunks(context, profile);
}

std::string icc_description(cmsHPROFILE profile) {
    const cmsUInt32Number size =
        cmsGetProfileInfoASCII(profile, cmsInfoDescription, "en", "US", nullptr, 0);
    if (size == 0)
        return {};
    std::string text(size, '\0');
    cmsGetProfileInfoASCII(profile, cmsInfoDescription, "en", "US", text.data(), size);
    text.resize(text.find('\0') == std::string::npos ? text.size() : text.find('\0'));
    return text;
}

const char* color_space_name(cmsColorSpaceSignature space) {
    switch (space) {
        case cmsSigCmykData:
            return "CMYK";
        case cmsSigCmyData:
            return "CMY";
        case cmsSigLabData:
            return "Lab";
        case cmsSigXYZData:
            return "XYZ";
        case cmsSigYCbCrData:
            return "YCbCr";
        case cmsSigHsvData:
            return "HSV";
        case cmsSigHlsData:
            return "HLS";
        default:
            return "non-RGB";
    }
}

// The conversion of a matrix-shaper profile (three tone curves and a 3 x 3 matrix to XYZ:
// Adobe RGB, Display P3, ProPhoto, every gAMA/cHRM profile, nearly every photo's) to sRGB,
// as tables Little CMS computes once: each channel's curve at the 256 input levels (linear
// light, 0..1), the matrix source RGB -> D50 XYZ -> linear sRGB (the profiles' colorant tags,
// both already adapted to the D50 connection space, which is what relative colorimetric does
// with them), and the inverse sRGB curve at 16,385 linear levels (the resolution Little CMS's
// own 8-bit matrix-shaper optimization uses: at sRGB's steepest slope, 12.92, a step is
// 0.2 of an 8-bit level). The matrix is folded into the curve tables, so a pixel costs
// 3 look-ups, 2 vector adds and 3 look-ups: 1.7 ns on one core here (21 ms CPU for 12 MP),
// where cmsDoTransform takes 15..45 ns a pixel through its generic formatters, far over the
// budget of 10% of a 12 MP quantize run (bench/profile_convert.cpp). Values agree with
// cmsDoTransform's in doubles to within 1 level (tests/test_profile.cpp checks a grid).
struct MatrixShaper {
    static constexpr int encode_steps = 16384;
    // column[c][v]: the matrix's column c times channel c's level v in linear light, so that
    // a pixel's linear sRGB is column[0][r] + column[1][g] + column[2][b] (the products are
    // the same floats a per-pixel multiply gives; the fourth lane is 0). 12 KiB.
    struct alignas(16) Column {
        float v[4];
    };
    std::array<std::array<Column, 256>, 3> column{};
    std::array<std::uint8_t, encode_steps + 1> encode{};  // linear i / 16384 -> sRGB 0..255

    // Converts `width` pixels `channels` bytes apart, RGB in place (alpha untouched). Each
    // pixel: sum = column[0][r] + column[1][g] + column[2][b], clamped to 0..1, times 16,384
    // plus 0.5, truncated, through `encode`. The SSE2 path (x86-64's baseline) and the
    // portable one do the same float operations in the same order, so they give the same
    // bytes; SSE2 does a pixel's three channels at once, about 2x faster.
    void convert(std::uint8_t* p, int width, int channels) const {
#if defined(__SSE2__)
        const __m128 scale = _mm_set1_ps(float(encode_steps)), half = _mm_set1_ps(0.5f);
        const __m128 zero = _mm_setzero_ps(), one = _mm_set1_ps(1.0f);
        for (int x = 0; x < width; ++x, p += channels) {
            __m128 v = _mm_add_ps(
                _mm_add_ps(_mm_load_ps(column[0][p[0]].v), _mm_load_ps(column[1][p[1]].v)),
                _mm_load_ps(column[2][p[2]].v));
            v = _mm_min_ps(_mm_max_ps(v, zero), one);
            const __m128i index = _mm_cvttps_epi32(_mm_add_ps(_mm_mul_ps(v, scale), half));
            // Indices are 0..16384: their low 16 bits are the whole value.
            p[0] = encode[std::size_t(_mm_cvtsi128_si32(index))];
            p[1] = encode[std::size_t(_mm_extract_epi16(index, 2))];
            p[2] = encode[std::size_t(_mm_extract_epi16(index, 4))];
        }
#else
        for (int x = 0; x < width; ++x, p += channels) {
            const Column& r = column[0][p[0]];
            const Column& g = column[1][p[1]];
            const Column& b = column[2][p[2]];
            for (int c = 0; c < 3; ++c) {
                float v = (r.v[c] + g.v[c]) + b.v[c];
                v = v > 0.0f ? v : 0.0f;  // as maxps: a NaN (none arise) would become 0
                v = v < 1.0f ? v : 1.0f;
                p[c] = encode[std::size_t(v * float(encode_steps) + 0.5f)];
            }
        }
#endif
    }
};

// Reads a matrix-shaper profile's colorants as a 3 x 3 matrix (columns R, G, B; rows X, Y, Z).
bool read_colorants(cmsHPROFILE profile, std::array<double, 9>& m) {
    const cmsTagSignature tags[3] = {cmsSigRedColorantTag, cmsSigGreenColorantTag,
                                     cmsSigBlueColorantTag};
    for (int c = 0; c < 3; ++c) {
        const auto* xyz = static_cast<const cmsCIEXYZ*>(cmsReadTag(profile, tags[c]));
        if (!xyz)
            return false;
        m[0 + c] = xyz->X;
        m[3 + c] = xyz->Y;
        m[6 + c] = xyz->Z;
    }
    return true;
}

bool invert(const std::array<double, 9>& a, std::array<double, 9>& inv) {
    const double det = a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6]) +
                       a[2] * (a[3] * a[7] - a[4] * a[6]);
    if (std::abs(det) < 1e-12)
        return false;
    inv = {(a[4] * a[8] - a[5] * a[7]) / det, (a[2] * a[7] - a[1] * a[8]) / det,
           (a[1] * a[5] - a[2] * a[4]) / det, (a[5] * a[6] - a[3] * a[8]) / det,
           (a[0] * a[8] - a[2] * a[6]) / det, (a[2] * a[3] - a[0] * a[5]) / det,
           (a[3] * a[7] - a[4] * a[6]) / det, (a[1] * a[6] - a[0] * a[7]) / det,
           (a[0] * a[4] - a[1] * a[3]) / det};
    return true;
}

// The tables for `source` -> `srgb`, or nullptr when `source` is not a plain matrix-shaper
// (it has LUTs, which Little CMS would use instead of the matrix, or tags are missing).
std::unique_ptr<MatrixShaper> build_matrix_shaper(cmsHPROFILE source, cmsHPROFILE srgb) {
    // Little CMS prefers any device-to-PCS table (A2B0..2, D2B0..2: it falls back from the
    // intent's own to A2B0) over the matrix, so a profile with one is not taken here.
    const cmsTagSignature tables_tags[] = {cmsSigAToB0Tag, cmsSigAToB1Tag, cmsSigAToB2Tag,
                                           cmsSigDToB0Tag, cmsSigDToB1Tag, cmsSigDToB2Tag};
    if (!cmsIsMatrixShaper(source) ||
        std::any_of(std::begin(tables_tags), std::end(tables_tags),
                    [&](cmsTagSignature tag) { return cmsIsTag(source, tag); }))
        return nullptr;
    std::array<double, 9> to_xyz{}, srgb_to_xyz{}, from_xyz{};
    if (!read_colorants(source, to_xyz) || !read_colorants(srgb, srgb_to_xyz) ||
        !invert(srgb_to_xyz, from_xyz))
        return nullptr;
    std::array<double, 9> matrix{};  // linear sRGB = matrix * linear source, row-major
    for (int i = 0; i < 3; ++i) {
        for (int j = 0; j < 3; ++j) {
            double sum = 0;
            for (int k = 0; k < 3; ++k)
                sum += from_xyz[std::size_t(i * 3 + k)] * to_xyz[std::size_t(k * 3 + j)];
            matrix[std::size_t(i * 3 + j)] = sum;
        }
    }
    auto tables = std::make_unique<MatrixShaper>();
    const cmsTagSignature curves[3] = {cmsSigRedTRCTag, cmsSigGreenTRCTag, cmsSigBlueTRCTag};
    for (std::size_t c = 0; c < 3; ++c) {
        const auto* curve = static_cast<const cmsToneCurve*>(cmsReadTag(source, curves[c]));
        if (!curve)
            return nullptr;
        for (std::size_t v = 0; v < 256; ++v) {
            const float linear = cmsEvalToneCurveFloat(curve, float(v) / 255.0f);
            auto& column = tables->column[c][v].v;
            for (std::size_t row = 0; row < 3; ++row)
                column[row] = static_cast<float>(matrix[row * 3 + c]) * linear;
            column[3] = 0;
        }
    }
    const auto* srgb_curve = static_cast<const cmsToneCurve*>(cmsReadTag(srgb, cmsSigGreenTRCTag));
    if (!srgb_curve)
        return nullptr;
    const ToneCurveHandle inverse(cmsReverseToneCurve(srgb_curve));
    if (!inverse)
        return nullptr;
    for (int i = 0; i <= MatrixShaper::encode_steps; ++i) {
        const float v = cmsEvalToneCurveFloat(inverse.get(), float(i) / MatrixShaper::encode_steps);
        tables->encode[std::size_t(i)] =
            static_cast<std::uint8_t>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f));
    }
    return tables;
}

// Converts 8-bit RGB(A) numbers in one profile to sRGB, alpha untouched. Built once; convert()
// may then run on several threads at once: the tables are only read, and the Little CMS
// transform has no 1-pixel cache (cmsFLAGS_NOCACHE; since 2.3 cmsDoTransform keeps its
// per-call state on the stack anyway), and each pixel's result depends on that pixel alone,
// never on which band or thread converts it.
//
// Intent: relative colorimetric. For matrix-shaper profiles Little CMS uses the matrix for
// every intent anyway. For LUT profiles it keeps in-gamut colors where they are, so the
// converted image looks as the original did in a color-managed viewer, independent of a
// vendor's perceptual table; out-of-gamut colors clip per channel. No black point
// compensation: display profiles reach black already.
class ToSrgb {
  public:
    // channels: 3 (RGB) or 4 (RGBA). Does nothing (identity()) for an sRGB chunk or no profile.
    ToSrgb(const ColorProfile& profile, int channels) {
        source_ = open_profile(context_, profile);
        if (!source_)
            return;
        const cmsColorSpaceSignature space = cmsGetColorSpace(source_.get());
        ProfileHandle srgb(cmsCreate_sRGBProfileTHR(context_.get()));
        if (!srgb)
            fail("cannot build the sRGB profile", context_);
        if (space == cmsSigGrayData) {
            build_gray_table(srgb.get());
            return;
        }
        if (space != cmsSigRgbData) {
            throw Error(ErrorKind::input, "profile",
                        std::string("the ICC profile is for ") + color_space_name(space) +
                            " data, which the decoded RGB pixels are not in");
        }
        matrix_ = build_matrix_shaper(source_.get(), srgb.get());
        if (matrix_)
            return;
        // A LUT profile: Little CMS resamples the whole chain into one 8-bit table. The
        // high-resolution table halves its error on the LUT test profile (in-gamut colors at
        // most 5 levels from the unoptimized transform instead of 8) for a few ms more set-up.
        const cmsUInt32Number format = channels == 4 ? TYPE_RGBA_8 : TYPE_RGB_8;
        transform_.reset(cmsCreateTransformTHR(
            context_.get(), source_.get(), format, srgb.get(), format, INTENT_RELATIVE_COLORIMETRIC,
            cmsFLAGS_NOCACHE | cmsFLAGS_COPY_ALPHA | cmsFLAGS_HIGHRESPRECALC));
        if (!transform_)
            fail("cannot convert from this ICC profile", context_);
    }

    bool identity() const { return !transform_ && !gray_ && !matrix_; }

    // Converts `rows` rows of `width` pixels in place; `stride` bytes from one row to the next.
    void convert(std::uint8_t* data, int width, int rows, std::size_t stride, int channels) const {
        if (transform_) {
            cmsDoTransformLineStride(
                transform_.get(), data, data, static_cast<cmsUInt32Number>(width),
                static_cast<cmsUInt32Number>(rows), static_cast<cmsUInt32Number>(stride),
                static_cast<cmsUInt32Number>(stride), 0, 0);
            return;
        }
        for (int y = 0; y < rows; ++y) {
            std::uint8_t* p = data + std::size_t(y) * stride;
            if (matrix_) {
                matrix_->convert(p, width, channels);
            } else if (gray_) {
                for (int x = 0; x < width; ++x, p += channels) {
                    p[0] = (*gray_)[p[0]];
                    p[1] = (*gray_)[p[1]];
                    p[2] = (*gray_)[p[2]];
                }
            }
        }
    }

  private:
    // A gray profile's 256 levels as sRGB gray (the green channel: a neutral stays neutral).
    void build_gray_table(cmsHPROFILE srgb) {
        TransformHandle gray(cmsCreateTransformTHR(context_.get(), source_.get(), TYPE_GRAY_8, srgb,
                                                   TYPE_RGB_8, INTENT_RELATIVE_COLORIMETRIC, 0));
        if (!gray)
            fail("cannot convert from this gray ICC profile", context_);
        std::array<std::uint8_t, 256> levels{};
        for (int v = 0; v < 256; ++v)
            levels[std::size_t(v)] = static_cast<std::uint8_t>(v);
        std::array<std::uint8_t, 256 * 3> rgb{};
        cmsDoTransform(gray.get(), levels.data(), rgb.data(), 256);
        gray_ = std::make_unique<std::array<std::uint8_t, 256>>();
        for (std::size_t v = 0; v < 256; ++v)
            (*gray_)[v] = rgb[v * 3 + 1];
    }

    // Declared first so that it is destroyed last, after the profile and transform in it.
    LcmsContext context_;
    ProfileHandle source_;
    std::unique_ptr<MatrixShaper> matrix_;
    TransformHandle transform_;
    std::unique_ptr<std::array<std::uint8_t, 256>> gray_;
};

// Colors that exercise a profile's curves and matrix: black, white, grays across the curve
// (the dark end is where gamma 2.2 and the sRGB curve part), primaries, secondaries and
// a few mixed and dark colors.
constexpr std::uint8_t srgb_probe_colors[][3] = {
    {0, 0, 0},    {255, 255, 255}, {5, 5, 5},       {16, 16, 16},    {40, 40, 40},
    {64, 64, 64}, {128, 128, 128}, {192, 192, 192}, {255, 0, 0},     {0, 255, 0},
    {0, 0, 255},  {255, 255, 0},   {0, 255, 255},   {255, 0, 255},   {200, 100, 50},
    {30, 60, 90}, {10, 40, 20},    {120, 200, 160}, {240, 220, 200}, {90, 20, 130},
};

// Whether converting from `source` to sRGB moves none of the probe colors by more than 1/255
// on any channel: then the conversion is a no-op at 8 bits, up to rounding.
bool converts_as_identity(const LcmsContext& context, cmsHPROFILE source) {
    if (cmsGetColorSpace(source) != cmsSigRgbData)
        return false;
    ProfileHandle srgb(cmsCreate_sRGBProfileTHR(context.get()));
    if (!srgb)
        return false;
    TransformHandle transform(cmsCreateTransformTHR(context.get(), source, TYPE_RGB_8, srgb.get(),
                                                    TYPE_RGB_8, INTENT_RELATIVE_COLORIMETRIC, 0));
    if (!transform)
        return false;
    constexpr std::size_t n = std::size(srgb_probe_colors);
    std::array<std::uint8_t, n * 3> out{};
    cmsDoTransform(transform.get(), srgb_probe_colors, out.data(), n);
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t c = 0; c < 3; ++c) {
            if (std::abs(int(out[i * 3 + c]) - int(srgb_probe_colors[i][c])) > 1)
                return false;
        }
    }
    return true;
}

std::string format_gamma(std::uint32_t gamma) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f", 100000.0 / gamma);
    std::string s = text;
    while (s.back() == '0')
        s.pop_back();
    if (s.back() == '.')
        s.pop_back();
    return s;
}

// Rows per band so that a band holds about 64K pixels (at least one row): enough work to
// outweigh scheduling, small enough to balance on a few cores. Depends on the width only.
int rows_per_band(int width) {
    constexpr int band_pixels = 1 << 16;
    return std::max(1, band_pixels / std::max(1, width));
}

}  // namespace
}  // namespace detail

std::string describe_profile(const ColorProfile& profile) {
    if (!profile.icc.empty()) {
        detail::LcmsContext context;
        const detail::ProfileHandle opened = detail::open_icc(context, profile.icc);
        if (!opened)
            return "unreadable ICC profile";
        const std::string description = detail::icc_description(opened.get());
        return description.empty() ? "ICC profile (no description)" : description;
    }
    if (profile.srgb_intent)
        return "sRGB (sRGB chunk)";
    const bool gamma = profile.gamma && *profile.gamma != 0;
    if (gamma && profile.chromaticities)
        return "gamma " + detail::format_gamma(*profile.gamma) + ", custom primaries (gAMA, cHRM)";
    if (gamma)
        return "gamma " + detail::format_gamma(*profile.gamma) + " (gAMA)";
    if (profile.chromaticities)
        return "sRGB curve, custom primaries (cHRM)";
    return {};
}

ProfileData profile_data(const ColorProfile& profile) {
    if (profile.icc.empty())
        return ProfileData::rgb;
    detail::LcmsContext context;
    const detail::ProfileHandle opened = detail::open_icc(context, profile.icc);
    if (!opened)
        return ProfileData::rgb;  // not understood: left as the file had it
    const cmsColorSpaceSignature space = cmsGetColorSpace(opened.get());
    if (space == cmsSigRgbData)
        return ProfileData::rgb;
    if (space == cmsSigGrayData)
        return ProfileData::gray;
    return ProfileData::other;
}

bool is_srgb(const ColorProfile& profile) {
    if (profile.icc.empty() && (profile.srgb_intent || profile.empty()))
        return true;
    detail::LcmsContext context;
    detail::ProfileHandle source;
    try {
        source = detail::open_profile(context, profile);
    } catch (const Error&) {
        return false;
    }
    if (!source)
        return true;
    // An ICC profile is sRGB when it says so AND converts as the identity. The name alone is
    // not enough: profiles called "sRGB" with another curve, white or primaries exist (camera
    // and scanner variants), and skipping their conversion would show wrong colors. The round
    // trip alone would call any near-sRGB profile sRGB, and then reports and palette files
    // would drop a profile the user sees named otherwise. The name is checked first because it
    // is cheap and settles most profiles; the round trip guarantees that skipping the
    // conversion moves no value by more than 1/255. Chunk profiles have no name: round trip.
    if (!profile.icc.empty() &&
        detail::icc_description(source.get()).find("sRGB") == std::string::npos)
        return false;
    return detail::converts_as_identity(context, source.get());
}

void convert_to_srgb(Image& image) {
    if (is_srgb(image.metadata.profile)) {
        image.metadata.profile = ColorProfile{};
        return;
    }
    const detail::ToSrgb converter(image.metadata.profile, image.channels);
    if (!converter.identity() && image.pixel_count() != 0) {
        const std::size_t stride = std::size_t(image.width) * std::size_t(image.channels);
        const int band = detail::rows_per_band(image.width);
        std::uint8_t* data = image.samples.data();
        detail::for_each_chunk(std::size_t(image.height), std::size_t(band),
                               [&](std::size_t, std::size_t begin, std::size_t end) {
                                   converter.convert(data + begin * stride, image.width,
                                                     int(end - begin), stride, image.channels);
                               });
    }
    image.metadata.profile = ColorProfile{};
}

std::vector<Color> palette_to_srgb(std::span<const Color> colors, const ColorProfile& profile) {
    std::vector<Color> out(colors.begin(), colors.end());
    if (out.empty() || is_srgb(profile))
        return out;
    const detail::ToSrgb converter(profile, 4);
    std::vector<std::uint8_t> rgba(out.size() * 4);
    for (std::size_t i = 0; i < out.size(); ++i) {
        rgba[i * 4 + 0] = out[i].r;
        rgba[i * 4 + 1] = out[i].g;
        rgba[i * 4 + 2] = out[i].b;
        rgba[i * 4 + 3] = out[i].a;
    }
    converter.convert(rgba.data(), int(out.size()), 1, rgba.size(), 4);
    for (std::size_t i = 0; i < out.size(); ++i)
        out[i] = {rgba[i * 4 + 0], rgba[i * 4 + 1], rgba[i * 4 + 2], rgba[i * 4 + 3]};
    return out;
}

namespace detail {

// Inverted CMYK (TYPE_CMYK_8_REV: 255 is no ink, as Adobe's JPEGs store it) to sRGB; no
// 1-pixel cache (cmsFLAGS_NOCACHE), so that threads may share the transform. Relative
// colorimetric without black point compensation, as ToSrgb converts.
struct CmykToSrgb::State {
    // Declared first so that it is destroyed last, after the transform in it.
    LcmsContext context;
    TransformHandle transform;
};

CmykToSrgb::CmykToSrgb(std::unique_ptr<State> state) : state_(std::move(state)) {}
CmykToSrgb::~CmykToSrgb() = default;

std::unique_ptr<CmykToSrgb> CmykToSrgb::from_icc(std::span<const std::uint8_t> icc) {
    auto state = std::make_unique<State>();
    const ProfileHandle source = open_icc(state->context, icc);
    if (!source || cmsGetColorSpace(source.get()) != cmsSigCmykData)
        return nullptr;
    const ProfileHandle srgb(cmsCreate_sRGBProfileTHR(state->context.get()));
    if (!srgb)
        return nullptr;
    state->transform.reset(cmsCreateTransformTHR(state->context.get(), source.get(),
                                                 TYPE_CMYK_8_REV, srgb.get(), TYPE_RGB_8,
                                                 INTENT_RELATIVE_COLORIMETRIC, cmsFLAGS_NOCACHE));
    if (!state->transform)
        return nullptr;
    return std::unique_ptr<CmykToSrgb>(new CmykToSrgb(std::move(state)));
}

void CmykToSrgb::convert(const std::uint8_t* cmyk, std::uint8_t* rgb, std::size_t width) const {
    cmsDoTransform(state_->transform.get(), cmyk, rgb, static_cast<cmsUInt32Number>(width));
}

Metadata for_rgb_output(const Metadata& metadata) {
    Metadata written = metadata;
    if (profile_data(metadata.profile) != ProfileData::rgb)
        written.profile = ColorProfile{};
    return written;
}

void set_aside_foreign_profile(Metadata& metadata, SourceFormat& source) {
    if (profile_data(metadata.profile) != ProfileData::other)
        return;
    if (!source.set_aside_profile) {
        LcmsContext context;
        const ProfileHandle opened = open_icc(context, metadata.profile.icc);
        source.set_aside_profile =
            SetAsideProfile{describe_profile(metadata.profile),
                            color_space_name(cmsGetColorSpace(opened.get())), false};
    }
    metadata.profile = ColorProfile{};
}

}  // namespace detail
}  // namespace quantize
