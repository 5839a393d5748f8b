#include "quantize/palette_io.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include <nlohmann/json.hpp>

#include "quantize/color.hpp"
#include "quantize/error.hpp"

namespace quantize {

namespace {

struct FormatName {
    PaletteFormat format;
    const char* name;
};

constexpr std::array<FormatName, 8> kFormats{{{PaletteFormat::hex, "hex"},
                                              {PaletteFormat::txt, "txt"},
                                              {PaletteFormat::json, "json"},
                                              {PaletteFormat::css, "css"},
                                              {PaletteFormat::gpl, "gpl"},
                                              {PaletteFormat::ase, "ase"},
                                              {PaletteFormat::aco, "aco"},
                                              {PaletteFormat::pal, "pal"}}};

double share_of(const PaletteEntry& e, std::uint64_t total) {
    return total ? 100.0 * double(e.count) / double(total) : 0.0;
}

std::string rgb_hex(Color c) {
    return to_hex({c.r, c.g, c.b, 255});
}

std::vector<std::uint8_t> bytes_of(const std::string& text) {
    return {text.begin(), text.end()};
}

std::string printf_string(const char* format, auto... args) {
    char buffer[256];
    std::snprintf(buffer, sizeof buffer, format, args...);
    return buffer;
}

// Big-endian writers for the Adobe formats.
struct BigEndian {
    std::vector<std::uint8_t> out;
    void u16(std::uint32_t v) {
        out.push_back(std::uint8_t(v >> 8));
        out.push_back(std::uint8_t(v));
    }
    void u32(std::uint32_t v) {
        u16(v >> 16);
        u16(v & 0xffff);
    }
    void f32(float v) { u32(std::bit_cast<std::uint32_t>(v)); }
    void bytes(std::string_view s) { out.insert(out.end(), s.begin(), s.end()); }
    // UTF-16BE code units of an ASCII name, then a terminating 0.
    void utf16_with_terminator(std::string_view ascii) {
        for (char ch : ascii)
            u16(std::uint8_t(ch));
        u16(0);
    }
};

std::string format_hex(const Palette& palette) {
    std::string text;
    for (const PaletteEntry& e : palette)
        text += to_hex(e.color) + "\n";
    return text;
}

// A table for people: hex, rgb() (rgba() with alpha), pixel count and share. Each column is as
// wide as its widest cell, and at least as wide as an opaque palette's (10, 20, 9 and 7
// characters), so rows line up with alpha ("rgba(255, 255, 255, 0.502)" is 26) and with counts
// of ten digits or more; text left-aligned, numbers and their headings right-aligned.
std::string format_txt(const Palette& palette) {
    const std::uint64_t total = total_count(palette);
    using Row = std::array<std::string, 4>;
    std::vector<Row> rows{{"# color", "rgb", "pixels", "share"}};
    for (const PaletteEntry& e : palette) {
        const Color c = e.color;
        rows.push_back({to_hex(c),
                        c.a == 255
                            ? printf_string("rgb(%d, %d, %d)", c.r, c.g, c.b)
                            : printf_string("rgba(%d, %d, %d, %.3f)", c.r, c.g, c.b, c.a / 255.0),
                        std::to_string(e.count), printf_string("%.2f%%", share_of(e, total))});
    }
    std::array<std::size_t, 4> widths{10, 20, 9, 7};
    for (const Row& row : rows) {
        for (std::size_t i = 0; i < row.size(); ++i)
            widths[i] = std::max(widths[i], row[i].size());
    }
    auto pad = [&](const std::string& cell, std::size_t column) {
        return std::string(widths[column] - cell.size(), ' ');
    };
    std::string text;
    for (const Row& row : rows) {
        text += row[0] + pad(row[0], 0) + " " + row[1] + pad(row[1], 1) + " " + pad(row[2], 2) +
                row[2] + " " + pad(row[3], 3) + row[3] + "\n";
    }
    return text;
}

std::string format_json(const Palette& palette, std::string_view name) {
    const std::uint64_t total = total_count(palette);
    nlohmann::ordered_json colors = nlohmann::ordered_json::array();
    for (const PaletteEntry& e : palette) {
        const Color c = e.color;
        const Coordinates lab = srgb_to_lab(c), oklab = srgb_to_oklab(c);
        nlohmann::ordered_json color;
        color["hex"] = to_hex(c);
        color["rgb"] = {c.r, c.g, c.b};
        if (c.a != 255)
            color["alpha"] = c.a;
        color["count"] = e.count;
        color["share"] = share_of(e, total);
        color["lab"] = {lab.c0, lab.c1, lab.c2};
        color["oklab"] = {oklab.c0, oklab.c1, oklab.c2};
        if (e.fixed)
            color["fixed"] = true;
        colors.push_back(color);
    }
    nlohmann::ordered_json doc;
    doc["name"] = std::string(name);
    doc["pixels"] = total;
    doc["colors"] = colors;
    // The name comes from a file name, which need not be UTF-8: invalid bytes become U+FFFD.
    return doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::string format_css(const Palette& palette) {
    const std::uint64_t total = total_count(palette);
    std::string text = ":root {\n";
    for (std::size_t i = 0; i < palette.size(); ++i) {
        text += printf_string("  --color-%zu: %s; /* %.2f%% */\n", i + 1,
                              to_hex(palette[i].color).c_str(), share_of(palette[i], total));
    }
    return text + "}\n";
}

// A name fit for a one-line header: control characters (a newline or tab in a file name)
// become spaces.
std::string one_line(std::string_view name) {
    std::string line(name);
    for (char& ch : line) {
        const auto byte = static_cast<unsigned char>(ch);
        if (byte < 0x20 || byte == 0x7f)
            ch = ' ';
    }
    return line;
}

// GIMP's palette format: a header, then "R G B<TAB>name" lines.
std::string format_gpl(const Palette& palette, std::string_view name) {
    const std::uint64_t total = total_count(palette);
    std::string text = "GIMP Palette\nName: " + one_line(name) + "\nColumns: 8\n#\n";
    for (const PaletteEntry& e : palette) {
        text += printf_string("%3d %3d %3d\t%s %.2f%%\n", e.color.r, e.color.g, e.color.b,
                              rgb_hex(e.color).c_str(), share_of(e, total));
    }
    return text;
}

// JASC-PAL: "JASC-PAL", version "0100", the count, then "R G B" lines, CRLF-terminated.
std::string format_pal(const Palette& palette) {
    std::string text = "JASC-PAL\r\n0100\r\n" + std::to_string(palette.size()) + "\r\n";
    for (const PaletteEntry& e : palette)
        text += printf_string("%d %d %d\r\n", e.color.r, e.color.g, e.color.b);
    return text;
}

// Adobe Swatch Exchange 1.0: "ASEF", version 1.0, block count, then one color entry block
// (type 0x0001) each: name (UTF-16BE with terminator, length in code units), "RGB ", three
// floats 0..1, color type 2 (normal).
std::vector<std::uint8_t> format_ase(const Palette& palette) {
    BigEndian w;
    w.bytes("ASEF");
    w.u16(1);
    w.u16(0);
    w.u32(std::uint32_t(palette.size()));
    for (const PaletteEntry& e : palette) {
        const std::string name = rgb_hex(e.color);
        const std::uint32_t name_units = std::uint32_t(name.size() + 1);
        w.u16(0x0001);
        w.u32(2 + 2 * name_units + 4 + 12 + 2);  // block length after this field
        w.u16(name_units);
        w.utf16_with_terminator(name);
        w.bytes("RGB ");
        w.f32(e.color.r / 255.0f);
        w.f32(e.color.g / 255.0f);
        w.f32(e.color.b / 255.0f);
        w.u16(2);
    }
    return w.out;
}

// Photoshop .aco: a version 1 section (count, then per color: color space 0 = RGB and four
// 16-bit components, 0..65535) followed by a version 2 section that adds each color's name
// (32-bit length in UTF-16 code units including the terminator, then UTF-16BE).
std::vector<std::uint8_t> format_aco(const Palette& palette) {
    BigEndian w;
    for (int version : {1, 2}) {
        w.u16(std::uint32_t(version));
        w.u16(std::uint32_t(palette.size()));
        for (const PaletteEntry& e : palette) {
            w.u16(0);
            w.u16(e.color.r * 257u);
            w.u16(e.color.g * 257u);
            w.u16(e.color.b * 257u);
            w.u16(0);
            if (version == 2) {
                const std::string name = rgb_hex(e.color);
                w.u32(std::uint32_t(name.size() + 1));
                w.utf16_with_terminator(name);
            }
        }
    }
    return w.out;
}

// The first "#" code of 3, 6 or 8 hex digits in the line.
std::optional<Color> first_hex_code(std::string_view line) {
    for (std::size_t at = line.find('#'); at != std::string_view::npos;
         at = line.find('#', at + 1)) {
        std::size_t end = at + 1;
        while (end < line.size() && std::isxdigit(static_cast<unsigned char>(line[end])))
            ++end;
        const std::size_t digits = end - at - 1;
        if (digits == 3 || digits == 6 || digits == 8)
            return parse_hex_color(line.substr(at, end - at));
    }
    return std::nullopt;
}

// The line's first three whitespace-separated numbers, if they are 0..255 (GIMP, JASC-PAL).
std::optional<Color> first_rgb_numbers(const std::string& line) {
    std::istringstream in(line);
    int r = -1, g = -1, b = -1;
    if (!(in >> r >> g >> b) || r < 0 || r > 255 || g < 0 || g > 255 || b < 0 || b > 255)
        return std::nullopt;
    return Color{std::uint8_t(r), std::uint8_t(g), std::uint8_t(b), 255};
}

std::vector<Color> json_colors(std::string_view text, const std::string& name) {
    std::vector<Color> colors;
    const auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.contains("colors") || !doc["colors"].is_array())
        throw Error(ErrorKind::input, name, "not a palette JSON document (no \"colors\" list)");
    for (const auto& entry : doc["colors"]) {
        const auto hex = entry.is_object() && entry.contains("hex") && entry["hex"].is_string()
                             ? parse_hex_color(entry["hex"].get<std::string>())
                             : std::nullopt;
        if (!hex)
            throw Error(ErrorKind::input, name, "a color without a valid \"hex\" code");
        colors.push_back(*hex);
    }
    return colors;
}

}  // namespace

const char* palette_format_name(PaletteFormat format) {
    for (const FormatName& f : kFormats) {
        if (f.format == format)
            return f.name;
    }
    return "?";
}

std::optional<PaletteFormat> parse_palette_format(std::string_view name) {
    for (const FormatName& f : kFormats) {
        if (name == f.name)
            return f.format;
    }
    return std::nullopt;
}

std::optional<PaletteFormat> palette_format_of(const std::filesystem::path& path) {
    std::string ext = path.extension().string();
    if (ext.empty())
        return std::nullopt;
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char ch) { return char(std::tolower(ch)); });
    return parse_palette_format(std::string_view(ext).substr(1));
}

bool is_text_format(PaletteFormat format) {
    return format != PaletteFormat::ase && format != PaletteFormat::aco;
}

std::vector<std::uint8_t> format_palette(const Palette& palette, PaletteFormat format,
                                         std::string_view name) {
    switch (format) {
        case PaletteFormat::hex:
            return bytes_of(format_hex(palette));
        case PaletteFormat::txt:
            return bytes_of(format_txt(palette));
        case PaletteFormat::json:
            return bytes_of(format_json(palette, name));
        case PaletteFormat::css:
            return bytes_of(format_css(palette));
        case PaletteFormat::gpl:
            return bytes_of(format_gpl(palette, name));
        case PaletteFormat::ase:
            return format_ase(palette);
        case PaletteFormat::aco:
            return format_aco(palette);
        case PaletteFormat::pal:
            return bytes_of(format_pal(palette));
    }
    return {};
}

Palette parse_palette(std::string_view text, PaletteFormat format, const std::string& name) {
    if (!is_text_format(format)) {
        throw Error(ErrorKind::input, name,
                    std::string("cannot read ") + palette_format_name(format) +
                        " palettes; use a hex, txt, css, gpl, pal or json file");
    }
    std::vector<Color> colors;
    if (format == PaletteFormat::json) {
        colors = json_colors(text, name);
    } else {
        std::istringstream lines{std::string(text)};
        for (std::string line; std::getline(lines, line);) {
            const bool numbers = format == PaletteFormat::gpl || format == PaletteFormat::pal;
            if (const auto c = numbers ? first_rgb_numbers(line) : first_hex_code(line))
                colors.push_back(*c);
        }
    }
    if (colors.empty())
        throw Error(ErrorKind::input, name, "holds no colors");
    if (colors.size() > 256) {
        throw Error(ErrorKind::input, name,
                    "holds " + std::to_string(colors.size()) + " colors, more than 256");
    }
    Palette palette;
    for (const Color& c : colors)
        palette.push_back({c, 0, false});
    return palette;
}

Palette read_palette_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in || std::filesystem::is_directory(path))
        throw Error(ErrorKind::input, path.string(), "cannot open the palette file");
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    return parse_palette(text, palette_format_of(path).value_or(PaletteFormat::hex), path.string());
}

}  // namespace quantize
