// Palette files, read back: text formats by parsers, the Adobe binaries by readers written here
// from the published layouts (ASE 1.0; ACO versions 1 and 2).
#include <catch2/catch.hpp>

#include <bit>
#include <regex>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "quantize/palette_io.hpp"

using namespace quantize;
using Bytes = std::vector<std::uint8_t>;

namespace {

const Palette kPalette{
    {{255, 0, 0, 255}, 600}, {{16, 32, 48, 255}, 300}, {{250, 250, 250, 255}, 100}};

std::vector<Color> colors_of(const Palette& palette) {
    std::vector<Color> colors;
    for (const PaletteEntry& e : palette)
        colors.push_back(e.color);
    return colors;
}

std::string text_of(PaletteFormat format) {
    const Bytes bytes = format_palette(kPalette, format, "test palette");
    return {bytes.begin(), bytes.end()};
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

// Big-endian reader over a byte buffer.
struct Reader {
    const Bytes& bytes;
    std::size_t at = 0;
    std::uint32_t u16() {
        REQUIRE(at + 2 <= bytes.size());
        const std::uint32_t v = std::uint32_t(bytes[at]) << 8 | bytes[at + 1];
        at += 2;
        return v;
    }
    std::uint32_t u32() { return u16() << 16 | u16(); }
    float f32() { return std::bit_cast<float>(u32()); }
    std::string ascii(std::size_t n) {
        REQUIRE(at + n <= bytes.size());
        std::string s(bytes.begin() + long(at), bytes.begin() + long(at + n));
        at += n;
        return s;
    }
    // UTF-16BE of `units` code units, the last one the terminating 0.
    std::string utf16(std::uint32_t units) {
        std::string s;
        for (std::uint32_t i = 0; i + 1 < units; ++i)
            s += char(u16());
        CHECK(u16() == 0);
        return s;
    }
};

}  // namespace

TEST_CASE("hex lists one #rrggbb a line", "[palette_io]") {
    CHECK(text_of(PaletteFormat::hex) == "#ff0000\n#102030\n#fafafa\n");
}

TEST_CASE("txt gives hex, rgb, count and share", "[palette_io]") {
    const auto lines = lines_of(text_of(PaletteFormat::txt));
    REQUIRE(lines.size() == 4);
    const std::regex row(R"((#[0-9a-f]{6})\s+rgb\((\d+), (\d+), (\d+)\)\s+(\d+)\s+([0-9.]+)%)");
    std::smatch m;
    REQUIRE(std::regex_match(lines[1], m, row));
    CHECK(m[1] == "#ff0000");
    CHECK(m[5] == "600");
    CHECK(m[6] == "60.00");
    REQUIRE(std::regex_match(lines[2], m, row));
    CHECK((m[2] == "16" && m[3] == "32" && m[4] == "48"));
}

TEST_CASE("txt columns line up with alpha and with counts of ten digits", "[palette_io]") {
    const Palette palette{
        {{255, 255, 255, 128}, 12345678901}, {{255, 0, 0, 255}, 600}, {{16, 32, 48, 0}, 7}};
    const Bytes bytes = format_palette(palette, PaletteFormat::txt, "alpha");
    const auto lines = lines_of({bytes.begin(), bytes.end()});
    REQUIRE(lines.size() == 4);
    const std::regex header(R"(^(# color)\s+(rgb)\s+(pixels)\s+(share)$)");
    const std::regex row(R"(^(#[0-9a-f]{6,8})\s+(rgba?\([^)]*\))\s+(\d+)\s+([0-9.]+%)$)");
    std::smatch first;
    REQUIRE(std::regex_match(lines[0], first, header));
    for (std::size_t i = 1; i < lines.size(); ++i) {
        INFO(lines[0] << "\n" << lines[i]);
        std::smatch m;
        REQUIRE(std::regex_match(lines[i], m, row));
        CHECK(m.position(2) == first.position(2));  // rgb() starts under "rgb"
        // Numbers end under the end of their heading.
        CHECK(m.position(3) + m.length(3) == first.position(3) + first.length(3));
        CHECK(m.position(4) + m.length(4) == first.position(4) + first.length(4));
    }
    CHECK_THAT(lines[1], Catch::Contains("rgba(255, 255, 255, 0.502)"));
}

TEST_CASE("json holds every color with hex, rgb, count, share, Lab and Oklab", "[palette_io]") {
    const auto doc = nlohmann::json::parse(text_of(PaletteFormat::json));
    CHECK(doc["name"] == "test palette");
    CHECK(doc["pixels"] == 1000);
    REQUIRE(doc["colors"].size() == 3);
    double shares = 0;
    for (std::size_t i = 0; i < 3; ++i) {
        const auto& c = doc["colors"][i];
        const Color want = kPalette[i].color;
        CHECK(c["hex"] == to_hex(want));
        CHECK(c["rgb"] == nlohmann::json::array({want.r, want.g, want.b}));
        CHECK(c["count"] == kPalette[i].count);
        shares += c["share"].get<double>();
    }
    CHECK(shares == Approx(100.0));
    // Red: L* 53.24, a* 80.09, b* 67.20; Oklab 0.628, 0.225, 0.126.
    CHECK(doc["colors"][0]["lab"][0].get<double>() == Approx(53.24).margin(0.01));
    CHECK(doc["colors"][0]["lab"][1].get<double>() == Approx(80.09).margin(0.02));
    CHECK(doc["colors"][0]["oklab"][0].get<double>() == Approx(0.628).margin(0.001));
    CHECK(doc["colors"][0]["oklab"][2].get<double>() == Approx(0.126).margin(0.001));
}

TEST_CASE("css declares one custom property per color in :root", "[palette_io]") {
    const std::string css = text_of(PaletteFormat::css);
    const std::regex property(R"(--color-(\d+): (#[0-9a-f]{6});)");
    std::vector<Color> parsed;
    int expected_number = 1;
    for (auto it = std::sregex_iterator(css.begin(), css.end(), property);
         it != std::sregex_iterator(); ++it) {
        CHECK(std::stoi((*it)[1]) == expected_number++);
        parsed.push_back(*parse_hex_color((*it)[2].str()));
    }
    CHECK(css.rfind(":root {", 0) == 0);
    CHECK(parsed == colors_of(kPalette));
}

TEST_CASE("gpl is a GIMP palette", "[palette_io]") {
    const auto lines = lines_of(text_of(PaletteFormat::gpl));
    REQUIRE(lines.size() >= 4);
    CHECK(lines[0] == "GIMP Palette");
    CHECK(lines[1] == "Name: test palette");
    std::vector<Color> parsed;
    for (const std::string& line : lines) {
        int r, g, b;
        if (line.empty() || line[0] == '#' ||
            std::sscanf(line.c_str(), "%d %d %d", &r, &g, &b) != 3)
            continue;
        parsed.push_back({std::uint8_t(r), std::uint8_t(g), std::uint8_t(b), 255});
    }
    CHECK(parsed == colors_of(kPalette));
}

TEST_CASE("gpl keeps its name on one header line, whatever the file name holds", "[palette_io]") {
    const auto bytes = format_palette(kPalette, PaletteFormat::gpl, "a\nb\tc");
    const std::string text(bytes.begin(), bytes.end());
    CHECK(text.rfind("GIMP Palette\nName: a b c\nColumns: 8\n", 0) == 0);
}

TEST_CASE("pal is JASC-PAL with CRLF lines", "[palette_io]") {
    const std::string text = text_of(PaletteFormat::pal);
    CHECK(text == "JASC-PAL\r\n0100\r\n3\r\n255 0 0\r\n16 32 48\r\n250 250 250\r\n");
}

TEST_CASE("ase follows the Adobe Swatch Exchange 1.0 layout", "[palette_io]") {
    const Bytes bytes = format_palette(kPalette, PaletteFormat::ase);
    Reader r{bytes};
    CHECK(r.ascii(4) == "ASEF");
    CHECK(r.u16() == 1);
    CHECK(r.u16() == 0);
    REQUIRE(r.u32() == 3);
    for (const PaletteEntry& e : kPalette) {
        CHECK(r.u16() == 0x0001);  // color entry
        const std::uint32_t length = r.u32();
        const std::size_t start = r.at;
        const std::uint32_t units = r.u16();
        CHECK(r.utf16(units) == to_hex(e.color));
        CHECK(r.ascii(4) == "RGB ");
        CHECK(std::lround(r.f32() * 255) == e.color.r);
        CHECK(std::lround(r.f32() * 255) == e.color.g);
        CHECK(std::lround(r.f32() * 255) == e.color.b);
        CHECK(r.u16() == 2);  // normal color
        CHECK(r.at - start == length);
    }
    CHECK(r.at == bytes.size());
}

TEST_CASE("aco has a version 1 and a named version 2 section", "[palette_io]") {
    const Bytes bytes = format_palette(kPalette, PaletteFormat::aco);
    Reader r{bytes};
    for (std::uint32_t version : {1u, 2u}) {
        CHECK(r.u16() == version);
        REQUIRE(r.u16() == 3);
        for (const PaletteEntry& e : kPalette) {
            CHECK(r.u16() == 0);  // RGB
            CHECK(r.u16() == e.color.r * 257u);
            CHECK(r.u16() == e.color.g * 257u);
            CHECK(r.u16() == e.color.b * 257u);
            CHECK(r.u16() == 0);
            if (version == 2)
                CHECK(r.utf16(r.u32()) == to_hex(e.color));
        }
    }
    CHECK(r.at == bytes.size());
}

TEST_CASE("formats are known by name and by file extension", "[palette_io]") {
    for (const char* name : {"hex", "txt", "json", "css", "gpl", "ase", "aco", "pal"}) {
        const auto format = parse_palette_format(name);
        REQUIRE(format);
        CHECK(std::string(palette_format_name(*format)) == name);
        CHECK(palette_format_of(std::string("dir/brand.") + name) == format);
    }
    CHECK(palette_format_of("BRAND.ASE") == PaletteFormat::ase);
    CHECK_FALSE(parse_palette_format("png"));
    CHECK_FALSE(palette_format_of("palette"));
    CHECK_FALSE(is_text_format(PaletteFormat::ase));
    CHECK(is_text_format(PaletteFormat::gpl));
}
