#include "corpus.hpp"

#include <array>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string_view>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

namespace test {

namespace {

using Bytes = std::vector<std::uint8_t>;

std::uint32_t crc32(const std::uint8_t* data, std::size_t size) {
    static const std::array<std::uint32_t, 256> table = [] {
        std::array<std::uint32_t, 256> t{};
        for (std::uint32_t n = 0; n < 256; ++n) {
            std::uint32_t c = n;
            for (int k = 0; k < 8; ++k)
                c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }();
    std::uint32_t c = 0xffffffffu;
    for (std::size_t i = 0; i < size; ++i)
        c = table[(c ^ data[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

void put_be32(Bytes& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
        out.push_back(std::uint8_t(v >> shift));
}
void put_le16(Bytes& out, std::uint32_t v) {
    out.push_back(std::uint8_t(v));
    out.push_back(std::uint8_t(v >> 8));
}
void put_le32(Bytes& out, std::uint32_t v) {
    put_le16(out, v & 0xffff);
    put_le16(out, v >> 16);
}
void put(Bytes& out, std::string_view text) {
    out.insert(out.end(), text.begin(), text.end());
}

void append_chunk(Bytes& png, std::string_view type, const Bytes& data) {
    put_be32(png, std::uint32_t(data.size()));
    const std::size_t typed = png.size();
    put(png, type);
    png.insert(png.end(), data.begin(), data.end());
    put_be32(png, crc32(png.data() + typed, png.size() - typed));
}

Bytes encoded(const std::string& ext, const cv::Mat& image, const std::vector<int>& params = {}) {
    Bytes bytes;
    if (!cv::imencode(ext, image, bytes, params))
        throw std::runtime_error("cannot encode a " + ext + " for the corpus");
    return bytes;
}

// A small real photo-like image: gradients and noise, 96x64.
cv::Mat small_picture() {
    cv::Mat bgr(64, 96, CV_8UC3);
    cv::randu(bgr, cv::Scalar::all(0), cv::Scalar::all(255));
    for (int y = 0; y < bgr.rows; ++y)
        for (int x = 0; x < bgr.cols; ++x)
            bgr.at<cv::Vec3b>(y, x)[0] = std::uint8_t(x * 2 + y);
    return bgr;
}

// A real JPEG whose SOF claims width x height, its scan cut after `scan_bytes` and EOI
// appended, so the end-of-image check passes and only the decoder can tell.
Bytes jpeg_cut(std::uint16_t width, std::uint16_t height, std::size_t scan_bytes) {
    Bytes jpeg = encoded(".jpg", small_picture());
    for (std::size_t at = 2; at + 4 < jpeg.size();) {
        const std::uint8_t marker = jpeg[at + 1];
        const std::size_t length = std::size_t(jpeg[at + 2]) << 8 | jpeg[at + 3];
        if (marker >= 0xc0 && marker <= 0xc2) {  // SOF0..2: precision, height, width
            jpeg[at + 5] = std::uint8_t(height >> 8);
            jpeg[at + 6] = std::uint8_t(height);
            jpeg[at + 7] = std::uint8_t(width >> 8);
            jpeg[at + 8] = std::uint8_t(width);
        }
        if (marker == 0xda) {  // SOS: the scan follows its header
            jpeg.resize(std::min(jpeg.size(), at + 2 + length + scan_bytes));
            jpeg.push_back(0xff);
            jpeg.push_back(0xd9);
            return jpeg;
        }
        at += 2 + length;
    }
    throw std::runtime_error("no scan in OpenCV's JPEG");
}

// A lossless WebP (VP8L) header claiming width x height, 1..16384 each, and a few body bytes.
Bytes webp_claiming(std::uint32_t width, std::uint32_t height) {
    // The VP8L signature, then 14 bits width - 1, 14 bits height - 1, alpha, version; zeros.
    Bytes body(18, 0);
    body[0] = 0x2f;
    const std::uint32_t bits = (width - 1) | (height - 1) << 14;
    for (int i = 0; i < 4; ++i)
        body[std::size_t(1 + i)] = std::uint8_t(bits >> (8 * i));
    Bytes webp;
    put(webp, "RIFF");
    put_le32(webp, std::uint32_t(4 + 8 + body.size()));
    put(webp, "WEBPVP8L");
    put_le32(webp, std::uint32_t(body.size()));
    webp.insert(webp.end(), body.begin(), body.end());
    return webp;
}

// A 54-byte BMP header (BITMAPINFOHEADER, 24-bit) claiming width x height, no pixels.
Bytes bmp_claiming(std::uint32_t width, std::uint32_t height) {
    Bytes bmp;
    put(bmp, "BM");
    put_le32(bmp, 54);  // file size
    put_le32(bmp, 0);   // reserved
    put_le32(bmp, 54);  // pixel data offset
    put_le32(bmp, 40);  // info header size
    put_le32(bmp, width);
    put_le32(bmp, height);
    put_le16(bmp, 1);   // planes
    put_le16(bmp, 24);  // bits per pixel
    bmp.resize(54, 0);
    return bmp;
}

// A little-endian TIFF whose only directory claims width x height 8-bit grey pixels in one
// strip of one byte.
Bytes tiff_claiming(std::uint32_t width, std::uint32_t height) {
    const std::uint32_t entries[][4] = {{256, 4, 1, width}, {257, 4, 1, height}, {258, 3, 1, 8},
                                        {259, 3, 1, 1},     {262, 3, 1, 1},      {273, 4, 1, 8},
                                        {277, 3, 1, 1},     {278, 4, 1, height}, {279, 4, 1, 1}};
    Bytes tiff;
    put(tiff, std::string_view("II*\0", 4));
    put_le32(tiff, 8);  // first directory's offset
    put_le16(tiff, std::uint32_t(std::size(entries)));
    for (const auto& e : entries) {
        put_le16(tiff, e[0]);  // tag
        put_le16(tiff, e[1]);  // type: 3 SHORT, 4 LONG
        put_le32(tiff, e[2]);  // count
        put_le32(tiff, e[3]);  // value (a SHORT in the low bytes)
    }
    put_le32(tiff, 0);  // no next directory
    return tiff;
}

// A 16x16 8-bit grey TIFF, its directory first (at 8) and its 256 pixel bytes after it in one
// strip, or one 16x16 tile; little- or big-endian, the offsets and byte counts SHORT or LONG.
// Cut to `keep` bytes, inside the pixels, its directory whole.
Bytes tiff_cut(bool big_endian, bool tiled, bool short_offsets, std::size_t keep) {
    constexpr std::uint32_t kShort = 3, kLong = 4;
    const std::uint32_t kind = short_offsets ? kShort : kLong;
    std::vector<std::array<std::uint32_t, 3>> entries = {{256, kShort, 16}, {257, kShort, 16},
                                                         {258, kShort, 8},  {259, kShort, 1},
                                                         {262, kShort, 1},  {277, kShort, 1}};
    const std::uint32_t pixels_at = std::uint32_t(8 + 2 + 12 * (tiled ? 10 : 9) + 4);
    if (tiled) {
        entries.insert(
            entries.end(),
            {{322, kShort, 16}, {323, kShort, 16}, {324, kind, pixels_at}, {325, kind, 256}});
    } else {
        entries.insert(entries.begin() + 5, {273, kind, pixels_at});  // tags in ascending order
        entries.insert(entries.end(), {{278, kShort, 16}, {279, kind, 256}});
    }
    Bytes tiff = big_endian ? Bytes{'M', 'M', 0, 42} : Bytes{'I', 'I', 42, 0};  // the magic
    auto put16 = [&](std::uint32_t v) {
        if (big_endian) {
            tiff.push_back(std::uint8_t(v >> 8));
            tiff.push_back(std::uint8_t(v));
        } else {
            put_le16(tiff, v);
        }
    };
    auto put32 = [&](std::uint32_t v) {
        if (big_endian)
            put_be32(tiff, v);
        else
            put_le32(tiff, v);
    };
    put32(8);  // first directory's offset
    put16(std::uint32_t(entries.size()));
    for (const auto& [tag, type, value] : entries) {
        put16(tag);
        put16(type);
        put32(1);              // count
        if (type == kShort) {  // a SHORT in the field's first two bytes, in either byte order
            put16(value);
            put16(0);
        } else {
            put32(value);
        }
    }
    put32(0);  // no next directory
    for (std::uint32_t i = 0; i < 256; ++i)
        tiff.push_back(std::uint8_t(i));
    tiff.resize(keep);
    return tiff;
}

// Big-endian integers and ISO BMFF boxes as byte strings (std::string: GCC 12 warns falsely on
// the vector inserts this would take).
std::string be(std::uint32_t v, int bytes) {
    std::string out;
    for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8)
        out.push_back(char(v >> shift));
    return out;
}

// A box: size, type, content; a FullBox puts its version and zero flags first.
std::string box(std::string_view type, const std::string& content, int full_version = -1) {
    const std::string version = full_version < 0 ? "" : be(std::uint32_t(full_version) << 24, 4);
    return be(std::uint32_t(8 + version.size() + content.size()), 4) + std::string(type) + version +
           content;
}

// A HEIF file whose one image item (of `item_type`, "hvc1" or "av01", with its decoder
// configuration property `config`) has an ispe property claiming width x height, and 16 bytes
// of coded data: what libheif reads before it decodes anything.
Bytes heif_claiming(std::string_view brand, std::string_view item_type, const std::string& config,
                    std::uint32_t width, std::uint32_t height) {
    const std::string ftyp =
        box("ftyp", std::string(brand) + be(0, 4) + std::string(brand) + "mif1");
    const std::string hdlr = box("hdlr", be(0, 4) + "pict" + std::string(13, '\0'), 0);
    const std::string pitm = box("pitm", be(1, 2), 0);
    // Item 1, protection 0, its type, an empty name.
    const std::string infe = box("infe", be(1, 2) + be(0, 2) + std::string(item_type) + '\0', 2);
    const std::string iinf = box("iinf", be(1, 2) + infe, 0);
    const std::string ipco = box("ipco", box("ispe", be(width, 4) + be(height, 4), 0) +
                                             box(item_type == "av01" ? "av1C" : "hvcC", config));
    // Item 1 has 2 properties, ispe and the configuration, both essential.
    const std::string ipma = box("ipma", be(1, 4) + be(1, 2) + "\x02\x81\x82", 0);
    const std::string iprp = box("iprp", ipco + ipma);
    // iloc version 0: 4-byte offsets and lengths, no base offset; one extent in mdat.
    auto meta_with = [&](std::uint32_t data_offset) {
        const std::string iloc = box("iloc",
                                     std::string("\x44\x00", 2) + be(1, 2) + be(1, 2) + be(0, 2) +
                                         be(1, 2) + be(data_offset, 4) + be(16, 4),
                                     0);
        return box("meta", hdlr + pitm + iloc + iinf + iprp, 0);
    };
    const std::size_t head = ftyp.size() + meta_with(0).size();
    const std::string file =
        ftyp + meta_with(std::uint32_t(head + 8)) + box("mdat", std::string(16, '\0'));
    return Bytes(file.begin(), file.end());
}

// A JPEG XL codestream whose size header claims width x height (each 1..2^18), default image
// metadata, and zero bytes after: libjxl reports the basic info from these first bytes.
Bytes jxl_claiming(std::uint32_t width, std::uint32_t height) {
    Bytes out{0xff, 0x0a};
    std::uint64_t bits = 0;
    int count = 0;
    auto write = [&](std::uint64_t value, int n) {
        bits |= value << count;
        count += n;
    };
    write(0, 1);  // not small
    write(2, 2);  // height - 1 in 18 bits
    write(height - 1, 18);
    write(0, 3);  // no ratio: the width follows
    write(2, 2);
    write(width - 1, 18);
    write(1, 1);  // image metadata all default
    for (int i = 0; i < 8; ++i)
        out.push_back(std::uint8_t(bits >> (8 * i)));
    out.resize(out.size() + 64, 0);
    return out;
}

Bytes text(std::string_view s) {
    return Bytes(s.begin(), s.end());
}

Bytes cut(Bytes bytes, std::size_t size) {
    bytes.resize(size);
    return bytes;
}

}  // namespace

Bytes png_claiming(std::uint32_t width, std::uint32_t height) {
    Bytes png{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    Bytes ihdr;
    put_be32(ihdr, width);
    put_be32(ihdr, height);
    ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});  // 8-bit RGB, deflate, filters, no interlace
    append_chunk(png, "IHDR", ihdr);
    // A zlib stream of one stored block of 8 zero bytes (zlib.compress(b"\0" * 8)).
    append_chunk(png, "IDAT", {0x78, 0x9c, 0x63, 0x60, 0x80, 0x00, 0x00, 0x00, 0x08, 0x00, 0x01});
    append_chunk(png, "IEND", {});
    return png;
}

std::vector<HostileFile> hostile_corpus() {
    const cv::Mat picture = small_picture();
    const Bytes png = encoded(".png", picture);
    const Bytes jpeg = encoded(".jpg", picture);
    const Bytes webp = encoded(".webp", picture, {cv::IMWRITE_WEBP_QUALITY, 80});
    Bytes bad_crc = png;
    bad_crc[png.size() / 2] ^= 0xff;  // inside IDAT: its CRC no longer matches
    Bytes noise(4096);
    std::mt19937 rng(5);
    for (auto& b : noise)
        b = std::uint8_t(rng());
    const std::string limit = "is over the limit of 256 MP";
    return {
        {"bomb-100000x100000-png.png", png_claiming(100000, 100000), 3,
         "100000x100000 pixels (10000 MP) " + limit, false, true},
        {"bomb-1x2147483648.png", png_claiming(1, 0x80000000u), 3,
         "1x2147483648 pixels (2147 MP) " + limit, false, true},
        {"bomb-2147483648x1.png", png_claiming(0x80000000u, 1), 3,
         "2147483648x1 pixels (2147 MP) " + limit, false, true},
        {"bomb-30000x30000-png.png", png_claiming(30000, 30000), 3,
         "30000x30000 pixels (900 MP) " + limit, false, true},
        {"short-data-15000x15000.png", png_claiming(15000, 15000), 3,
         "truncated or corrupt PNG: 11 bytes of image data cannot hold 15000x15000 pixels"},
        {"bomb-30000x30000-jpg.jpg", jpeg_cut(30000, 30000, 64), 3,
         "30000x30000 pixels (900 MP) " + limit, false, true},
        {"bomb-16384x16384.webp", webp_claiming(16384, 16384), 3,
         "16384x16384 pixels (268 MP) " + limit, false, true},
        {"bomb-30000x30000-bmp.bmp", bmp_claiming(30000, 30000), 3,
         "30000x30000 pixels (900 MP) " + limit, false, true},
        {"bomb-100000x100000-ppm.ppm", text("P6\n# comment\n100000 100000\n255\n\1\2\3"), 3,
         "100000x100000 pixels (10000 MP) " + limit, false, true},
        {"bomb-100000x100000-tif.tif", tiff_claiming(100000, 100000), 3,
         "100000x100000 pixels (10000 MP) " + limit, false, true},
        {"bomb-30000x30000-heic.heic",
         // hvcC: version 1, Main profile, level 90, 4:2:0, 8-bit, no parameter sets.
         heif_claiming(
             "heic", "hvc1",
             std::string("\x01\x01\x60\0\0\0\0\0\0\0\0\0\x5a\xf0\0\xfc\xfd\xf8\xf8\0\0\x0f\0", 23),
             30000, 30000),
         3, "30000x30000 pixels (900 MP) " + limit, false, true},
        {"bomb-30000x30000-avif.avif",
         heif_claiming("avif", "av01", std::string("\x81\x00\x0c\x00", 4), 30000, 30000), 3,
         "30000x30000 pixels (900 MP) " + limit, false, true},
        {"bomb-100000x100000-jxl.jxl", jxl_claiming(100000, 100000), 3,
         "100000x100000 pixels (10000 MP) " + limit, false, true},
        {"truncated-png.png", cut(png, png.size() / 2), 3, "truncated PNG"},
        {"truncated-jpg.jpg", cut(jpeg, jpeg.size() / 2), 3,
         "truncated JPEG (no end-of-image marker)"},
        {"cut-scan.jpg", jpeg_cut(96, 64, 200), 3,
         "truncated or corrupt JPEG: Corrupt JPEG data: premature end of data segment"},
        {"truncated-webp.webp", cut(webp, webp.size() / 2), 3, "truncated WebP"},
        {"truncated-tif.tif", tiff_cut(false, false, false, 200), 3,
         "truncated TIFF: 200 bytes, where the image data of page 0 needs 378"},
        {"truncated-tiles-be.tif", tiff_cut(true, true, true, 200), 3,
         "truncated TIFF: 200 bytes, where the image data of page 0 needs 390"},
        {"empty.png", {}, 3, "empty file"},
        {"random.png", noise, 3, "not an image quantize reads (corrupt, or an unknown format)"},
        {"text.jpg", text("This is a text file, not a JPEG.\n"), 3, "not an image quantize reads"},
        {"bad-crc.png", bad_crc, 3, "corrupt PNG"},
        {"header.gif", text(std::string_view("GIF89a\1\0\1\0\200\0\0", 13)), 3, "corrupt GIF"},
        {"bomb-65535x65535.gif", text(std::string_view("GIF89a\xff\xff\xff\xff\0\0\0;", 14)), 3,
         "65535x65535 pixels (4295 MP) " + limit, false, true},
        {"layers.psd", text(std::string_view("8BPS\0\1\0\0\0\0\0\0\0\3", 14)), 3,
         "a PSD image: quantize does not read it"},
        {"drawing.svg",
         text("<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n"), 3,
         "an SVG image: quantize does not read it"},
        {"targa.tga", text(std::string_view("\0\0\2\0\0\0\0\0\0\0\0\0\1\0\1\0\x18\0\1\2\3", 21)), 3,
         "a TGA image: quantize does not read it"},
        {"x.png", {}, 3, "is a directory, not an image", true},
    };
}

std::filesystem::path place(const HostileFile& file, const std::filesystem::path& dir) {
    const std::filesystem::path path = dir / file.name;
    if (file.directory) {
        std::filesystem::create_directory(path);
        return path;
    }
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(file.bytes.data()), std::streamsize(file.bytes.size()));
    if (!out)
        throw std::runtime_error("cannot write " + path.string());
    return path;
}

}  // namespace test
