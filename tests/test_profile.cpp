#include <lcms2.h>
#include <tbb/task_arena.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "profiles.hpp"
#include "quantize/error.hpp"
#include "quantize/profile.hpp"
#include "support.hpp"

using quantize::Color;
using quantize::ColorProfile;
using quantize::Image;

namespace {

ColorProfile icc(std::vector<std::uint8_t> bytes) {
    ColorProfile profile;
    profile.icc = std::move(bytes);
    return profile;
}

ColorProfile gamma_chunk(std::uint32_t gamma) {
    ColorProfile profile;
    profile.gamma = gamma;
    return profile;
}

// Transforms 8-bit RGB triplets from an ICC profile (sRGB when empty) with Little CMS, in
// doubles, as a reference independent of the code under test. `to` is sRGB (float RGB out,
// unclipped), or Lab D50.
class Reference {
  public:
    enum class To { srgb_float, lab };
    Reference(const std::vector<std::uint8_t>& icc, To to) {
        source_ = icc.empty() ? cmsCreate_sRGBProfile()
                              : cmsOpenProfileFromMem(icc.data(), cmsUInt32Number(icc.size()));
        target_ = to == To::lab ? cmsCreateLab4Profile(nullptr) : cmsCreate_sRGBProfile();
        transform_ = cmsCreateTransform(source_, TYPE_RGB_8, target_,
                                        to == To::lab ? TYPE_Lab_DBL : TYPE_RGB_DBL,
                                        INTENT_RELATIVE_COLORIMETRIC, cmsFLAGS_NOOPTIMIZE);
        REQUIRE(transform_);
    }
    ~Reference() {
        cmsDeleteTransform(transform_);
        cmsCloseProfile(source_);
        cmsCloseProfile(target_);
    }
    Reference(const Reference&) = delete;
    Reference& operator=(const Reference&) = delete;

    std::array<double, 3> operator()(Color c) const {
        const std::uint8_t in[3] = {c.r, c.g, c.b};
        std::array<double, 3> out{};
        cmsDoTransform(transform_, in, out.data(), 1);
        return out;
    }

  private:
    cmsHPROFILE source_ = nullptr, target_ = nullptr;
    cmsHTRANSFORM transform_ = nullptr;
};

double delta_e76(const std::array<double, 3>& a, const std::array<double, 3>& b) {
    return std::sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
                     (a[2] - b[2]) * (a[2] - b[2]));
}

double hue_degrees(const std::array<double, 3>& lab) {
    return std::atan2(lab[2], lab[1]) * 180.0 / 3.14159265358979323846;
}

double hue_difference(double a, double b) {
    const double d = std::fabs(a - b);
    return std::min(d, 360.0 - d);
}

// Every 8-bit color on a grid with `step` between levels (0 and 255 included).
std::vector<Color> grid(int step) {
    std::vector<int> levels;
    for (int v = 0; v < 255; v += step)
        levels.push_back(v);
    levels.push_back(255);
    std::vector<Color> colors;
    for (int r : levels)
        for (int g : levels)
            for (int b : levels)
                colors.push_back({std::uint8_t(r), std::uint8_t(g), std::uint8_t(b), 255});
    return colors;
}

Image image_of(const std::vector<Color>& colors, int channels = 3) {
    Image image = quantize::make_image(int(colors.size()), 1, {0, 0, 0, 255}, channels);
    for (std::size_t i = 0; i < colors.size(); ++i) {
        std::uint8_t* p = image.samples.data() + i * std::size_t(channels);
        p[0] = colors[i].r;
        p[1] = colors[i].g;
        p[2] = colors[i].b;
        if (channels == 4)
            p[3] = colors[i].a;
    }
    return image;
}

}  // namespace

TEST_CASE("describe_profile names ICC profiles and PNG chunks") {
    CHECK(quantize::describe_profile({}) == "");
    CHECK(quantize::describe_profile(icc(test::adobe_rgb_icc())) == "Adobe RGB (1998)");
    CHECK(quantize::describe_profile(icc(test::display_p3_icc())) == "Display P3");
    CHECK(quantize::describe_profile(icc(test::srgb_icc())) == "sRGB IEC61966-2.1");
    CHECK(quantize::describe_profile(icc({1, 2, 3, 4, 5})) == "unreadable ICC profile");

    ColorProfile chunk;
    chunk.srgb_intent = 0;
    CHECK(quantize::describe_profile(chunk) == "sRGB (sRGB chunk)");
    CHECK(quantize::describe_profile(gamma_chunk(45455)) == "gamma 2.2 (gAMA)");
    CHECK(quantize::describe_profile(gamma_chunk(55556)) == "gamma 1.8 (gAMA)");
    CHECK(quantize::describe_profile(gamma_chunk(100000)) == "gamma 1 (gAMA)");
    ColorProfile chrm = gamma_chunk(45455);
    chrm.chromaticities = {{31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000}};
    CHECK(quantize::describe_profile(chrm) == "gamma 2.2, custom primaries (gAMA, cHRM)");
    chrm.gamma.reset();
    CHECK(quantize::describe_profile(chrm) == "sRGB curve, custom primaries (cHRM)");
    // The ICC profile wins over chunks, as PNG's iCCP does.
    ColorProfile both = icc(test::display_p3_icc());
    both.gamma = 45455;
    CHECK(quantize::describe_profile(both) == "Display P3");
}

TEST_CASE("is_srgb: empty, the sRGB chunk and sRGB ICC profiles, and not wide-gamut or gamma 2.2") {
    CHECK(quantize::is_srgb({}));
    ColorProfile chunk;
    chunk.srgb_intent = 1;
    CHECK(quantize::is_srgb(chunk));
    CHECK(quantize::is_srgb(icc(test::srgb_icc())));
    CHECK_FALSE(quantize::is_srgb(icc(test::adobe_rgb_icc())));
    CHECK_FALSE(quantize::is_srgb(icc(test::display_p3_icc())));
    CHECK_FALSE(quantize::is_srgb(icc({1, 2, 3})));
    CHECK_FALSE(quantize::is_srgb(icc(test::cmyk_icc())));
    // gAMA 2.2 is not the sRGB curve: the dark end differs by several levels.
    CHECK_FALSE(quantize::is_srgb(gamma_chunk(45455)));
    // cHRM with sRGB's own primaries and no gAMA: the sRGB curve is assumed, so it is sRGB.
    ColorProfile chrm;
    chrm.chromaticities = {{31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000}};
    CHECK(quantize::is_srgb(chrm));
    // A profile calling itself sRGB but with P3 primaries is not believed.
    ColorProfile named = icc(test::detail::rgb_profile({0.680, 0.320, 0.265, 0.690, 0.150, 0.060},
                                                       test::detail::srgb_curve(), "sRGB, honest"));
    CHECK_FALSE(quantize::is_srgb(named));
}

TEST_CASE("profile_data: RGB, gray or other data, by the ICC profile's color space") {
    using quantize::ProfileData;
    CHECK(quantize::profile_data({}) == ProfileData::rgb);
    CHECK(quantize::profile_data(gamma_chunk(45455)) == ProfileData::rgb);
    CHECK(quantize::profile_data(icc(test::adobe_rgb_icc())) == ProfileData::rgb);
    CHECK(quantize::profile_data(icc(test::adobe_rgb_lut_icc())) == ProfileData::rgb);
    CHECK(quantize::profile_data(icc(test::gray_gamma22_icc())) == ProfileData::gray);
    CHECK(quantize::profile_data(icc(test::cmyk_icc())) == ProfileData::other);
    CHECK(quantize::profile_data(icc(test::cmyk_print_icc())) == ProfileData::other);
    CHECK(quantize::profile_data(icc({1, 2, 3})) == ProfileData::rgb);  // unreadable: as it is
}

TEST_CASE("convert_to_srgb: Adobe RGB numbers come out looking the same in sRGB") {
    const auto adobe = test::adobe_rgb_icc();
    const Reference adobe_to_srgb(adobe, Reference::To::srgb_float);
    const Reference adobe_to_lab(adobe, Reference::To::lab);
    const Reference srgb_to_lab({}, Reference::To::lab);

    // In-gamut colors: Adobe RGB numbers whose sRGB rendering lies inside 0..1 with a margin.
    std::vector<Color> colors;
    for (const Color& c : grid(15)) {
        const auto srgb = adobe_to_srgb(c);
        if (std::all_of(srgb.begin(), srgb.end(), [](double v) { return v > 0.005 && v < 0.995; }))
            colors.push_back(c);
    }
    REQUIRE(colors.size() > 1000);

    for (int channels : {3, 4}) {
        CAPTURE(channels);
        Image image = image_of(colors, channels);
        image.metadata.profile = icc(adobe);
        if (channels == 4) {
            for (std::size_t i = 0; i < image.pixel_count(); ++i)
                image.samples[i * 4 + 3] = static_cast<std::uint8_t>(i * 37);
        }
        quantize::convert_to_srgb(image);
        CHECK(image.metadata.profile.empty());
        double worst = 0;
        for (std::size_t i = 0; i < colors.size(); ++i) {
            const Color converted = image.pixel(i);
            worst = std::max(worst, delta_e76(adobe_to_lab(colors[i]), srgb_to_lab(converted)));
            if (channels == 4)
                REQUIRE(converted.a == static_cast<std::uint8_t>(i * 37));  // alpha untouched
        }
        CAPTURE(worst);
        CHECK(worst <= 1.0);
    }
}

TEST_CASE("convert_to_srgb agrees with Little CMS's own transform within one level") {
    // The matrix-shaper fast path (and, for the LUT profile, Little CMS's 8-bit transform)
    // against cmsDoTransform unoptimized in doubles, rounded, on a grid of every kind of color,
    // in and out of gamut.
    const std::vector<Color> colors = grid(5);
    std::vector<std::pair<ColorProfile, std::vector<std::uint8_t>>> cases;
    cases.emplace_back(icc(test::adobe_rgb_icc()), test::adobe_rgb_icc());
    cases.emplace_back(icc(test::display_p3_icc()), test::display_p3_icc());
    for (const auto& [profile, bytes] : cases) {
        CAPTURE(quantize::describe_profile(profile));
        const Reference reference(bytes, Reference::To::srgb_float);
        Image image = image_of(colors);
        image.metadata.profile = profile;
        quantize::convert_to_srgb(image);
        int worst = 0;
        for (std::size_t i = 0; i < colors.size(); ++i) {
            const auto expected = reference(colors[i]);
            const Color got = image.pixel(i);
            const int channels[3] = {got.r, got.g, got.b};
            for (int c = 0; c < 3; ++c) {
                const int want =
                    int(std::lround(std::clamp(expected[std::size_t(c)], 0.0, 1.0) * 255));
                worst = std::max(worst, std::abs(channels[c] - want));
            }
        }
        CHECK(worst <= 1);
    }
    // A LUT profile goes through Little CMS's own 8-bit transform: in place, in row bands, alpha
    // copied, the bytes must be those of one plain call (here on a 2-row image, bands of 1).
    const std::vector<std::uint8_t> lut_icc = test::adobe_rgb_lut_icc();
    Image lut = image_of(colors, 4);
    lut.width = int(colors.size()) / 2;  // grid(5) has 52^3 colors, an even number
    lut.height = 2;
    for (std::size_t i = 0; i < lut.pixel_count(); ++i)
        lut.samples[i * 4 + 3] = static_cast<std::uint8_t>(i);
    std::vector<std::uint8_t> expected(lut.samples.size());
    {
        cmsHPROFILE source = cmsOpenProfileFromMem(lut_icc.data(), cmsUInt32Number(lut_icc.size()));
        cmsHPROFILE srgb = cmsCreate_sRGBProfile();
        cmsHTRANSFORM transform =
            cmsCreateTransform(source, TYPE_RGBA_8, srgb, TYPE_RGBA_8, INTENT_RELATIVE_COLORIMETRIC,
                               cmsFLAGS_NOCACHE | cmsFLAGS_COPY_ALPHA | cmsFLAGS_HIGHRESPRECALC);
        REQUIRE(transform);
        cmsDoTransform(transform, lut.samples.data(), expected.data(),
                       cmsUInt32Number(lut.pixel_count()));
        cmsDeleteTransform(transform);
        cmsCloseProfile(srgb);
        cmsCloseProfile(source);
    }
    lut.metadata.profile = icc(lut_icc);
    quantize::convert_to_srgb(lut);
    CHECK(lut.samples == expected);
    for (std::size_t i = 0; i < lut.pixel_count(); ++i)
        REQUIRE(lut.samples[i * 4 + 3] == static_cast<std::uint8_t>(i));

    // gAMA 1.8 + cHRM: gray 128 is (128/255)^1.8 = 0.289 linear, 145.5 in sRGB; the dark end
    // and the primaries move as well.
    Image gray = image_of({{128, 128, 128, 255}, {0, 0, 0, 255}, {255, 255, 255, 255}});
    gray.metadata.profile = gamma_chunk(55556);  // gamma 1.8, Adobe RGB-like primaries
    gray.metadata.profile.chromaticities = {
        {31270, 32900, 64000, 33000, 21000, 71000, 15000, 6000}};
    quantize::convert_to_srgb(gray);
    CHECK(std::abs(int(gray.pixel(0).g) - 146) <= 1);
    CHECK(gray.pixel(1) == Color{0, 0, 0, 255});
    CHECK(gray.pixel(2) == Color{255, 255, 255, 255});
}

TEST_CASE("convert_to_srgb with gAMA 2.2 darkens the shadows as the curve says") {
    Image image = image_of({{10, 10, 10, 255}, {128, 128, 128, 255}, {255, 255, 255, 255}});
    image.metadata.profile = gamma_chunk(45455);
    quantize::convert_to_srgb(image);
    // 10: (10/255)^2.2 = 0.000812 linear, x 12.92 = 0.0105 sRGB = 2.7 levels.
    CHECK(std::abs(int(image.pixel(0).g) - 3) <= 1);
    CHECK(std::abs(int(image.pixel(1).g) - 129) <= 1);
    CHECK(image.pixel(2) == Color{255, 255, 255, 255});
    CHECK(image.metadata.profile.empty());
}

TEST_CASE("convert_to_srgb leaves sRGB-tagged images byte for byte") {
    const Image original = test::noise_image(64, 48, true);
    ColorProfile chunk;
    chunk.srgb_intent = 0;
    for (const ColorProfile& profile : {ColorProfile{}, chunk, icc(test::srgb_icc())}) {
        Image image = original;
        image.metadata.profile = profile;
        quantize::convert_to_srgb(image);
        CHECK(image.samples == original.samples);
        CHECK(image.metadata.profile.empty());
    }
}

TEST_CASE("convert_to_srgb gives the same bytes on 1 and 2 threads") {
    for (int channels : {3, 4}) {
        CAPTURE(channels);
        Image original = test::noise_image(517, 389, channels == 4);
        original.metadata.profile = icc(test::display_p3_icc());
        Image one = original, two = original;
        tbb::task_arena(1).execute([&] { quantize::convert_to_srgb(one); });
        tbb::task_arena(2).execute([&] { quantize::convert_to_srgb(two); });
        CHECK(one.samples == two.samples);
        CHECK(one.samples != original.samples);
    }
}

TEST_CASE("convert_to_srgb: gray profiles map each channel, others are refused") {
    Image gray =
        image_of({{0, 0, 0, 255}, {10, 10, 10, 255}, {128, 128, 128, 255}, {255, 255, 255, 255}});
    gray.metadata.profile = icc(test::gray_gamma22_icc());
    quantize::convert_to_srgb(gray);
    for (std::size_t i = 0; i < 4; ++i) {
        const Color c = gray.pixel(i);
        CHECK(c.r == c.g);
        CHECK(c.g == c.b);
    }
    CHECK(gray.pixel(0).g <= 1);
    CHECK(std::abs(int(gray.pixel(1).g) - 3) <= 1);
    CHECK(gray.pixel(3).g >= 254);

    Image cmyk = image_of({{1, 2, 3, 255}});
    cmyk.metadata.profile = icc(test::cmyk_icc());
    try {
        quantize::convert_to_srgb(cmyk);
        FAIL("no error");
    } catch (const quantize::Error& e) {
        CHECK(e.kind() == quantize::ErrorKind::input);
        CHECK(e.subject() == "profile");
        CHECK_THAT(e.cause(), Catch::Contains("CMYK"));
    }
    Image broken = image_of({{1, 2, 3, 255}});
    broken.metadata.profile = icc({'a', 'c', 's', 'p', 0, 0, 0, 0});
    try {
        quantize::convert_to_srgb(broken);
        FAIL("no error");
    } catch (const quantize::Error& e) {
        CHECK(e.kind() == quantize::ErrorKind::input);
        CHECK(e.subject() == "profile");
        CHECK_THAT(e.cause(), Catch::StartsWith("unreadable ICC profile"));
    }
    CHECK(broken.samples == std::vector<std::uint8_t>{1, 2, 3});

    Image empty = quantize::make_image(0, 0, {0, 0, 0, 255});
    empty.metadata.profile = icc(test::adobe_rgb_icc());
    quantize::convert_to_srgb(empty);
    CHECK(empty.metadata.profile.empty());
}

TEST_CASE("palette_to_srgb clips saturated Display P3 colors and keeps their hue") {
    const auto p3 = test::display_p3_icc();
    const Reference p3_to_lab(p3, Reference::To::lab);
    const Reference srgb_to_lab({}, Reference::To::lab);
    const std::vector<Color> colors = {{255, 0, 0, 255},   {0, 255, 0, 128},    {0, 0, 255, 0},
                                       {255, 255, 0, 255}, {0, 255, 255, 7},    {255, 0, 255, 255},
                                       {255, 128, 0, 255}, {128, 128, 128, 255}};
    const std::vector<Color> srgb = quantize::palette_to_srgb(colors, icc(p3));
    REQUIRE(srgb.size() == colors.size());
    for (std::size_t i = 0; i < colors.size(); ++i) {
        CAPTURE(i, int(srgb[i].r), int(srgb[i].g), int(srgb[i].b));
        CHECK(srgb[i].a == colors[i].a);
        const auto want = p3_to_lab(colors[i]);
        const auto got = srgb_to_lab(srgb[i]);
        if (i == 7) {  // gray: the same in both spaces (same white, same curve)
            CHECK(srgb[i] == colors[i]);
            continue;
        }
        // Clipped: a channel at the end of the range, the color less saturated than P3's.
        const int lo = std::min({srgb[i].r, srgb[i].g, srgb[i].b});
        const int hi = std::max({srgb[i].r, srgb[i].g, srgb[i].b});
        CHECK((lo == 0 || hi == 255));
        CHECK(std::hypot(got[1], got[2]) < std::hypot(want[1], want[2]));
        CHECK(hue_difference(hue_degrees(got), hue_degrees(want)) <= 8.0);  // measured: 5.5 at most
    }
    // sRGB profiles give the same colors back.
    CHECK(quantize::palette_to_srgb(colors, {}) == colors);
    CHECK(quantize::palette_to_srgb(colors, icc(test::srgb_icc())) == colors);
    CHECK(quantize::palette_to_srgb({}, icc(p3)).empty());
}
