#include "quantize/color.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <string>

#include "detail/color_parts.hpp"
#include "detail/weighted_rgb.hpp"
#include "quantize/error.hpp"

namespace quantize {

namespace {

// D65 reference white in XYZ (Y = 1).
constexpr double kWhiteX = 0.95047, kWhiteY = 1.0, kWhiteZ = 1.08883;

// srgb_to_linear of every 8-bit value: conversions of whole images stay cheap.
const std::array<double, 256>& linear_table() {
    static const std::array<double, 256> table = [] {
        std::array<double, 256> t{};
        for (int i = 0; i < 256; ++i)
            t[std::size_t(i)] = srgb_to_linear(i / 255.0);
        return t;
    }();
    return table;
}

std::uint8_t to_byte(double v01) {
    return static_cast<std::uint8_t>(std::lround(std::clamp(v01, 0.0, 1.0) * 255.0));
}

Color from_linear(double r, double g, double b, std::uint8_t alpha) {
    return {to_byte(linear_to_srgb(r)), to_byte(linear_to_srgb(g)), to_byte(linear_to_srgb(b)),
            alpha};
}

double lab_f(double t) {
    constexpr double d = 6.0 / 29.0;
    return t > d * d * d ? std::cbrt(t) : t / (3 * d * d) + 4.0 / 29.0;
}
double lab_f_inverse(double t) {
    constexpr double d = 6.0 / 29.0;
    return t > d ? t * t * t : 3 * d * d * (t - 4.0 / 29.0);
}

}  // namespace

namespace detail {

Coordinates lab_inner(Color c) {
    const auto& lin = linear_table();
    const double r = lin[c.r], g = lin[c.g], b = lin[c.b];
    // IEC 61966-2-1 sRGB to XYZ (D65).
    const double x = 0.4124564 * r + 0.3575761 * g + 0.1804375 * b;
    const double y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
    const double z = 0.0193339 * r + 0.1191920 * g + 0.9503041 * b;
    return {lab_f(x / kWhiteX), lab_f(y / kWhiteY), lab_f(z / kWhiteZ)};
}

Coordinates lab_of_inner(const Coordinates& f) {
    return {116 * f.c1 - 16, 500 * (f.c0 - f.c1), 200 * (f.c1 - f.c2)};
}

Coordinates oklab_inner(Color c) {
    const auto& lin = linear_table();
    const double r = lin[c.r], g = lin[c.g], b = lin[c.b];
    return {std::cbrt(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b),
            std::cbrt(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b),
            std::cbrt(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b)};
}

Coordinates oklab_of_inner(const Coordinates& lms) {
    const double l = lms.c0, m = lms.c1, s = lms.c2;
    return {0.2104542553 * l + 0.7936177850 * m - 0.0040720468 * s,
            1.9779984951 * l - 2.4285922050 * m + 0.4505937099 * s,
            0.0259040371 * l + 0.7827717662 * m - 0.8086757660 * s};
}

}  // namespace detail

const char* color_space_name(ColorSpace space) {
    switch (space) {
        case ColorSpace::rgb:
            return "rgb";
        case ColorSpace::lab:
            return "lab";
        case ColorSpace::oklab:
            return "oklab";
        case ColorSpace::wrgb:
            return "wrgb";
    }
    return "?";
}

std::optional<ColorSpace> parse_color_space(std::string_view name) {
    for (ColorSpace s : {ColorSpace::rgb, ColorSpace::lab, ColorSpace::oklab, ColorSpace::wrgb}) {
        if (name == color_space_name(s))
            return s;
    }
    return std::nullopt;
}

ColorSpace color_space_named(std::string_view name) {
    if (const auto space = parse_color_space(name))
        return *space;
    throw Error(ErrorKind::invalid_argument, "space",
                "must be rgb, lab, oklab or wrgb (got '" + std::string(name) + "')");
}

double srgb_to_linear(double v) {
    return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
}

double linear_to_srgb(double v) {
    return v <= 0.0031308 ? 12.92 * v : 1.055 * std::pow(v, 1 / 2.4) - 0.055;
}

Coordinates srgb_to_lab(Color c) {
    return detail::lab_of_inner(detail::lab_inner(c));
}

Color lab_to_srgb(const Coordinates& lab, std::uint8_t alpha) {
    const double fy = (lab.c0 + 16) / 116, fx = fy + lab.c1 / 500, fz = fy - lab.c2 / 200;
    const double x = kWhiteX * lab_f_inverse(fx), y = kWhiteY * lab_f_inverse(fy),
                 z = kWhiteZ * lab_f_inverse(fz);
    return from_linear(3.2404542 * x - 1.5371385 * y - 0.4985314 * z,
                       -0.9692660 * x + 1.8760108 * y + 0.0415560 * z,
                       0.0556434 * x - 0.2040259 * y + 1.0572252 * z, alpha);
}

Coordinates srgb_to_oklab(Color c) {
    return detail::oklab_of_inner(detail::oklab_inner(c));
}

Color oklab_to_srgb(const Coordinates& lab, std::uint8_t alpha) {
    const double l = lab.c0 + 0.3963377774 * lab.c1 + 0.2158037573 * lab.c2;
    const double m = lab.c0 - 0.1055613458 * lab.c1 - 0.0638541728 * lab.c2;
    const double s = lab.c0 - 0.0894841775 * lab.c1 - 1.2914855480 * lab.c2;
    const double l3 = l * l * l, m3 = m * m * m, s3 = s * s * s;
    return from_linear(4.0767416621 * l3 - 3.3077115913 * m3 + 0.2309699292 * s3,
                       -1.2684380046 * l3 + 2.6097574011 * m3 - 0.3413193965 * s3,
                       -0.0041960863 * l3 - 0.7034186147 * m3 + 1.7076147010 * s3, alpha);
}

namespace {

// A color's coordinates in a perceptual space scaled to about 0..255 (see to_point), and back.
Point scaled_point(const Coordinates& k, double scale, std::uint8_t alpha) {
    const double s = scale * alpha / 255.0;
    return {{float(k.c0 * s), float(k.c1 * s), float(k.c2 * s), float(alpha)}};
}
Coordinates unscaled(const Point& p, double scale, long alpha) {
    const double unscale = 255.0 / double(alpha) / scale;
    return {p.v[0] * unscale, p.v[1] * unscale, p.v[2] * unscale};
}

using detail::kLabScale;
using detail::kOklabScale;

}  // namespace

Point to_point(Color c, ColorSpace space) {
    switch (space) {
        case ColorSpace::rgb:
            return to_point(c);
        case ColorSpace::lab:
            return scaled_point(srgb_to_lab(c), kLabScale, c.a);
        case ColorSpace::oklab:
            return scaled_point(srgb_to_oklab(c), kOklabScale, c.a);
        case ColorSpace::wrgb:
            return detail::weighted_rgb_point(c);
    }
    return to_point(c);
}

Color to_color(const Point& p, ColorSpace space) {
    const long alpha = std::clamp(std::lround(p.v[3]), 0L, 255L);
    const auto a = static_cast<std::uint8_t>(alpha);
    switch (space) {
        case ColorSpace::rgb:
            return to_color(p);
        case ColorSpace::lab:
            return alpha == 0 ? Color{0, 0, 0, 0} : lab_to_srgb(unscaled(p, kLabScale, alpha), a);
        case ColorSpace::oklab:
            return alpha == 0 ? Color{0, 0, 0, 0}
                              : oklab_to_srgb(unscaled(p, kOklabScale, alpha), a);
        case ColorSpace::wrgb:
            return detail::weighted_rgb_color(p);
    }
    return to_color(p);
}

namespace {

// x^7 / (x^7 + 25^7): how much chroma takes part in the a* correction and the rotation term.
double chroma_share(double x) {
    constexpr double k25_7 = 6103515625.0;  // 25^7
    const double x2 = x * x, x7 = x2 * x2 * x2 * x;
    return x7 / (x7 + k25_7);
}

}  // namespace

// The formula as in the paper; powers as products and the four hue cosines of T from one
// sine and cosine by multiple-angle identities: a fifth of the libm calls, the same values to
// ~1e-12.
double delta_e_2000(const Coordinates& lab1, const Coordinates& lab2) {
    using std::atan2, std::cos, std::exp, std::sin, std::sqrt, std::abs;
    constexpr double pi = std::numbers::pi;
    constexpr double deg = pi / 180.0;
    const double L1 = lab1.c0, a1 = lab1.c1, b1 = lab1.c2;
    const double L2 = lab2.c0, a2 = lab2.c1, b2 = lab2.c2;
    const double C1 = sqrt(a1 * a1 + b1 * b1), C2 = sqrt(a2 * a2 + b2 * b2);
    const double G = 0.5 * (1 - sqrt(chroma_share((C1 + C2) / 2)));
    const double a1p = (1 + G) * a1, a2p = (1 + G) * a2;
    const double C1p = sqrt(a1p * a1p + b1 * b1), C2p = sqrt(a2p * a2p + b2 * b2);
    auto hue = [&](double b, double ap) {
        if (b == 0 && ap == 0)
            return 0.0;
        const double h = atan2(b, ap);
        return h >= 0 ? h : h + 2 * pi;
    };
    const double h1p = hue(b1, a1p), h2p = hue(b2, a2p);
    const double dLp = L2 - L1, dCp = C2p - C1p;
    double dhp = 0;
    if (C1p * C2p != 0) {
        dhp = h2p - h1p;
        if (dhp > pi)
            dhp -= 2 * pi;
        if (dhp < -pi)
            dhp += 2 * pi;
    }
    const double dHp = 2 * sqrt(C1p * C2p) * sin(dhp / 2);
    const double Lbarp = (L1 + L2) / 2, Cbarp = (C1p + C2p) / 2;
    double hbarp = h1p + h2p;
    if (C1p * C2p != 0) {
        if (abs(h1p - h2p) > pi)
            hbarp += (h1p + h2p < 2 * pi) ? 2 * pi : -2 * pi;
        hbarp /= 2;
    }
    // T = 1 - 0.17 cos(h - 30) + 0.24 cos(2h) + 0.32 cos(3h + 6) - 0.20 cos(4h - 63), degrees.
    const double c1 = cos(hbarp), s1 = sin(hbarp);
    const double c2 = 2 * c1 * c1 - 1, s2 = 2 * s1 * c1;
    const double c3 = c2 * c1 - s2 * s1, s3 = s2 * c1 + c2 * s1;
    const double c4 = 2 * c2 * c2 - 1, s4 = 2 * s2 * c2;
    const double cos30 = cos(30 * deg), sin30 = sin(30 * deg), cos6 = cos(6 * deg),
                 sin6 = sin(6 * deg), cos63 = cos(63 * deg), sin63 = sin(63 * deg);
    const double T = 1 - 0.17 * (c1 * cos30 + s1 * sin30) + 0.24 * c2 +
                     0.32 * (c3 * cos6 - s3 * sin6) - 0.20 * (c4 * cos63 + s4 * sin63);
    const double hue_from_275 = (hbarp / deg - 275) / 25;
    const double dTheta = 30 * deg * exp(-hue_from_275 * hue_from_275);
    const double Rc = 2 * sqrt(chroma_share(Cbarp));
    const double Lm = (Lbarp - 50) * (Lbarp - 50);
    const double Sl = 1 + 0.015 * Lm / sqrt(20 + Lm);
    const double Sc = 1 + 0.045 * Cbarp, Sh = 1 + 0.015 * Cbarp * T;
    const double Rt = -sin(2 * dTheta) * Rc;
    const double tl = dLp / Sl, tc = dCp / Sc, th = dHp / Sh;
    return sqrt(tl * tl + tc * tc + th * th + Rt * tc * th);
}

}  // namespace quantize
