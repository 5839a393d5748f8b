#include "detail/image_headers.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace quantize::detail {

namespace {

std::uint32_t le16(const std::uint8_t* p) {
    return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8;
}
std::uint32_t le32(const std::uint8_t* p) {
    return le16(p) | le16(p + 2) << 16;
}
std::uint32_t be32(const std::uint8_t* p) {
    return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 |
           std::uint32_t(p[3]);
}

bool starts_with(std::span<const std::uint8_t> bytes, std::string_view magic) {
    return bytes.size() >= magic.size() &&
           std::memcmp(bytes.data(), magic.data(), magic.size()) == 0;
}

// Reads PNM's next decimal field or word, skipping whitespace and comments.
class PnmFields {
  public:
    explicit PnmFields(std::span<const std::uint8_t> header) : rest_(header) {}

    bool next(std::uint64_t& value) {
        skip_blanks();
        std::size_t digits = 0;
        value = 0;
        for (; digits < rest_.size() && digits < 12 && rest_[digits] >= '0' && rest_[digits] <= '9';
             ++digits)
            value = value * 10 + (rest_[digits] - '0');
        rest_ = rest_.subspan(digits);
        return digits > 0 && digits < 12;  // 12 digits: past any real size, and no overflow
    }

    // Bytes read so far from the start of the header given.
    std::size_t read(std::span<const std::uint8_t> header) const {
        return header.size() - rest_.size();
    }

    // The next whitespace-separated word, comments skipped; empty at the end.
    std::string_view word() {
        skip_blanks();
        std::size_t n = 0;
        while (n < rest_.size() && !is_blank(rest_[n]) && rest_[n] != '#')
            ++n;
        const std::string_view w(reinterpret_cast<const char*>(rest_.data()), n);
        rest_ = rest_.subspan(n);
        return w;
    }

  private:
    void skip_blanks() {
        while (!rest_.empty()) {
            const std::uint8_t c = rest_[0];
            if (c == '#') {
                while (!rest_.empty() && rest_[0] != '\n')
                    rest_ = rest_.subspan(1);
            } else if (is_blank(c)) {
                rest_ = rest_.subspan(1);
            } else {
                return;
            }
        }
    }

    static bool is_blank(std::uint8_t c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
    }

    std::span<const std::uint8_t> rest_;
};

// a * b, or the largest value when it does not fit.
std::uint64_t saturating_product(std::uint64_t a, std::uint64_t b) {
    std::uint64_t product = 0;
    return __builtin_mul_overflow(a, b, &product) ? UINT64_MAX : product;
}

// header + rows x row_bytes, saturating.
std::uint64_t raster_end(std::uint64_t header, std::uint64_t rows, std::uint64_t row_bytes) {
    const std::uint64_t pixels = saturating_product(rows, row_bytes);
    return pixels > UINT64_MAX - header ? UINT64_MAX : header + pixels;
}

// The PAM header's WIDTH, HEIGHT, DEPTH and MAXVAL up to ENDHDR and its newline: the pixels'
// bytes follow. nullopt when a field is missing or ENDHDR is not in the first 1 KiB.
std::optional<std::uint64_t> pam_length(std::span<const std::uint8_t> bytes) {
    const std::span<const std::uint8_t> header =
        bytes.subspan(0, std::min<std::size_t>(bytes.size(), 1024));
    PnmFields fields(header.subspan(2));
    std::uint64_t width = 0, height = 0, depth = 0, maxval = 0;
    for (std::string_view key = fields.word(); !key.empty(); key = fields.word()) {
        if (key == "ENDHDR") {
            const std::size_t end = 2 + fields.read(header.subspan(2)) + 1;  // and its newline
            if (width == 0 || height == 0 || depth == 0 || maxval == 0 || end > header.size())
                return std::nullopt;
            const std::uint64_t sample = maxval > 255 ? 2 : 1;
            return raster_end(end, height, saturating_product(width, depth * sample));
        }
        std::uint64_t* field = key == "WIDTH"    ? &width
                               : key == "HEIGHT" ? &height
                               : key == "DEPTH"  ? &depth
                               : key == "MAXVAL" ? &maxval
                                                 : nullptr;
        if (field ? !fields.next(*field) : fields.word().empty())  // TUPLTYPE's word skipped
            return std::nullopt;
    }
    return std::nullopt;
}

// A BMP's header fields that the size checks need. `compression` is unknown (nullopt) when
// the file is too short to hold it.
struct BmpHeader {
    bool core = false;  // the 12-byte OS/2 header: 16-bit sizes, no compression field
    std::uint64_t width = 0, height = 0, bits = 0;
    std::uint32_t offset = 0;  // where the pixels start
    std::optional<std::uint32_t> compression;
};

std::optional<BmpHeader> read_bmp_header(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < 30 || bytes[0] != 'B' || bytes[1] != 'M')
        return std::nullopt;
    const std::uint32_t info_size = le32(bytes.data() + 14);
    BmpHeader header;
    header.offset = le32(bytes.data() + 10);
    if (info_size == 12) {
        header.core = true;
        header.width = le16(bytes.data() + 18);
        header.height = le16(bytes.data() + 20);
        header.bits = le16(bytes.data() + 24);
        header.compression = 0;
        return header;
    }
    if (info_size < 40)
        return std::nullopt;
    header.width = std::uint64_t(std::llabs(std::int32_t(le32(bytes.data() + 18))));
    header.height = std::uint64_t(std::llabs(std::int32_t(le32(bytes.data() + 22))));
    header.bits = le16(bytes.data() + 28);
    if (bytes.size() >= 34)
        header.compression = le32(bytes.data() + 30);
    return header;
}

// Netpbm P1..P6's header: kind 1..6, the sizes, maxval (1 for bitmaps) and where the pixels
// start (one whitespace byte after the last field).
struct PnmHeader {
    int kind = 0;
    std::uint64_t width = 0, height = 0, maxval = 1;
    std::size_t pixels_at = 0;
};

std::optional<PnmHeader> read_pnm_header(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < 3 || bytes[0] != 'P' || bytes[1] < '1' || bytes[1] > '6')
        return std::nullopt;
    PnmHeader header;
    header.kind = bytes[1] - '0';
    const std::span<const std::uint8_t> fields_bytes =
        bytes.subspan(2, std::min<std::size_t>(bytes.size() - 2, 1024));
    PnmFields fields(fields_bytes);
    if (!fields.next(header.width) || !fields.next(header.height))
        return std::nullopt;
    if (header.kind != 1 && header.kind != 4 && !fields.next(header.maxval))
        return std::nullopt;
    header.pixels_at = 2 + fields.read(fields_bytes) + 1;
    return header;
}

}  // namespace

std::optional<HeaderSize> bmp_size(std::span<const std::uint8_t> bytes) {
    const auto header = read_bmp_header(bytes);
    if (!header)
        return std::nullopt;
    const std::uint64_t bytes_per_pixel = !header->core && header->bits == 32 ? 4 : 3;
    return HeaderSize{header->width, header->height, bytes_per_pixel};
}

bool is_core_bmp(std::span<const std::uint8_t> bytes) {
    const auto header = read_bmp_header(bytes);
    return header && header->core;
}

std::optional<std::vector<std::uint8_t>> bmp_with_masks_after_header(
    std::span<const std::uint8_t> bytes) {
    constexpr std::size_t kFileHeader = 14, kInfoHeader = 40, kMasks = 12;  // R, G, B masks
    const auto header = read_bmp_header(bytes);
    if (!header || header->core || header->bits != 16 || header->compression != 3)
        return std::nullopt;
    const std::uint32_t info_size = le32(bytes.data() + kFileHeader);
    if (info_size < kInfoHeader + kMasks || header->offset < kFileHeader + info_size ||
        header->offset > bytes.size())
        return std::nullopt;
    std::vector<std::uint8_t> out(
        bytes.begin(), bytes.begin() + std::ptrdiff_t(kFileHeader + kInfoHeader + kMasks));
    out.insert(out.end(), bytes.begin() + std::ptrdiff_t(header->offset), bytes.end());
    auto put_le32 = [&](std::size_t at, std::uint32_t value) {
        for (int i = 0; i < 4; ++i)
            out[at + std::size_t(i)] = std::uint8_t(value >> (8 * i));
    };
    put_le32(2, std::uint32_t(out.size()));                           // file size
    put_le32(10, std::uint32_t(kFileHeader + kInfoHeader + kMasks));  // where the pixels start
    put_le32(kFileHeader, kInfoHeader);
    return out;
}

std::optional<HeaderSize> pnm_size(std::span<const std::uint8_t> bytes) {
    const auto header = read_pnm_header(bytes);
    if (!header)
        return std::nullopt;
    const std::uint64_t sample_bytes = header->maxval > 255 ? 2 : 1;
    const std::uint64_t channels = header->kind == 3 || header->kind == 6 ? 3 : 1;
    return HeaderSize{header->width, header->height, channels * sample_bytes};
}

std::optional<RasterLength> raster_length(std::span<const std::uint8_t> bytes) {
    if (const auto bmp = read_bmp_header(bytes)) {
        if (!bmp->compression || (*bmp->compression != 0 && *bmp->compression != 3))
            return std::nullopt;  // BI_RGB and BI_BITFIELDS are stored uncompressed
        // Rows of whole bytes padded to 4, as OpenCV reads them (15-bit pixels take 16).
        const std::uint64_t row_bits =
            saturating_product(bmp->width, bmp->bits == 15 ? 16 : bmp->bits);
        const std::uint64_t row = (row_bits / 8 + (row_bits % 8 != 0) + 3) / 4 * 4;
        return RasterLength{"BMP", raster_end(bmp->offset, bmp->height, row)};
    }
    if (bytes.size() >= 3 && bytes[0] == 'P' && bytes[1] == '7') {
        const auto length = pam_length(bytes);
        return length ? std::optional(RasterLength{"PAM", *length}) : std::nullopt;
    }
    const auto pnm = read_pnm_header(bytes);
    if (!pnm || pnm->kind < 4)
        return std::nullopt;
    const std::uint64_t sample_bytes = pnm->maxval > 255 ? 2 : 1;
    const std::uint64_t row = pnm->kind == 4   ? (pnm->width + 7) / 8
                              : pnm->kind == 5 ? saturating_product(pnm->width, sample_bytes)
                                               : saturating_product(pnm->width, 3 * sample_bytes);
    return RasterLength{"PNM", raster_end(pnm->pixels_at, pnm->height, row)};
}

std::optional<std::string_view> floating_point_format(std::span<const std::uint8_t> bytes) {
    struct Magic {
        std::string_view bytes, format;
    };
    constexpr Magic kMagics[] = {
        {std::string_view("\x76\x2f\x31\x01", 4), "OpenEXR"},  // OpenEXR's magic number
        {"#?RADIANCE", "Radiance HDR"},
        {"#?RGBE", "Radiance HDR"},
    };
    for (const Magic& magic : kMagics) {
        if (starts_with(bytes, magic.bytes))
            return magic.format;
    }
    // PF (RGB) or Pf (grey) and a whitespace byte, as OpenCV tells PFM.
    if (bytes.size() >= 3 && bytes[0] == 'P' && (bytes[1] == 'F' || bytes[1] == 'f') &&
        std::isspace(bytes[2]))
        return "PFM";
    return std::nullopt;
}

std::optional<ImageFormat> heif_brand(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < 16 || std::memcmp(bytes.data() + 4, "ftyp", 4) != 0)
        return std::nullopt;
    const std::size_t box = std::min<std::size_t>({be32(bytes.data()), bytes.size(), 256});
    bool heif = false;
    // The major brand at 8, the minor version at 12, compatible brands from 16.
    for (std::size_t at = 8; at + 4 <= box; at += at == 8 ? 8 : 4) {
        const std::string_view brand(reinterpret_cast<const char*>(bytes.data() + at), 4);
        if (brand == "avif" || brand == "avis")
            return ImageFormat::avif;
        for (const std::string_view h :
             {"heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1"})
            heif = heif || brand == h;
    }
    return heif ? std::optional(ImageFormat::heif) : std::nullopt;
}

bool is_jxl(std::span<const std::uint8_t> bytes) {
    return starts_with(bytes, std::string_view("\xff\x0a", 2)) ||
           starts_with(bytes, std::string_view("\0\0\0\x0cJXL \r\n\x87\n", 12));
}

std::optional<std::string_view> unread_format_by_bytes(std::span<const std::uint8_t> bytes) {
    if (starts_with(bytes, "8BPS"))
        return "PSD";
    if (starts_with(bytes, "%PDF-"))
        return "PDF";
    // ICONDIR: reserved 0, type 1 (icon), 1..255 images, then 16-byte entries.
    if (bytes.size() >= 22 && starts_with(bytes, std::string_view("\0\0\1\0", 4)) &&
        le16(bytes.data() + 4) >= 1 && le16(bytes.data() + 4) <= 255)
        return "ICO";
    const std::string_view head(reinterpret_cast<const char*>(bytes.data()),
                                std::min<std::size_t>(bytes.size(), 1024));
    const std::size_t first = head.find_first_not_of(" \t\r\n\xef\xbb\xbf");
    if (first != std::string_view::npos && head[first] == '<' &&
        head.find("<svg") != std::string_view::npos)
        return "SVG";
    return std::nullopt;
}

std::uint32_t png_frames(std::span<const std::uint8_t> bytes) {
    for (std::size_t at = 8; at + 8 <= bytes.size();) {
        const std::uint32_t length = be32(bytes.data() + at);
        const std::string_view type(reinterpret_cast<const char*>(bytes.data() + at + 4), 4);
        if (type == "IDAT")
            return 1;
        if (type == "acTL" && length >= 8 && at + 16 <= bytes.size())
            return std::max<std::uint32_t>(be32(bytes.data() + at + 8), 1);
        at += 12 + std::size_t(length);
    }
    return 1;
}

namespace {

// The boxes (ISO/IEC 14496-12 4.2) in bytes[begin, end): fn(type, body_begin, body_end) for
// each, in order, until fn returns true (found) or a box runs past `end`. A 32-bit size of 1
// means a 64-bit size follows the type, 0 that the box runs to `end`.
template <class Fn>
bool for_each_box(std::span<const std::uint8_t> bytes, std::size_t begin, std::size_t end,
                  Fn&& fn) {
    for (std::size_t at = begin; at + 8 <= end;) {
        std::uint64_t size = be32(bytes.data() + at);
        const std::string_view type(reinterpret_cast<const char*>(bytes.data() + at + 4), 4);
        std::size_t header = 8;
        if (size == 1) {
            if (at + 16 > end)
                return false;
            size = std::uint64_t(be32(bytes.data() + at + 8)) << 32 | be32(bytes.data() + at + 12);
            header = 16;
        } else if (size == 0) {
            size = end - at;
        }
        if (size < header || size > end - at)
            return false;
        if (fn(type, at + header, at + std::size_t(size)))
            return true;
        at += std::size_t(size);
    }
    return false;
}

// The sample count of the first 'stsz' or 'stz2' box under the container boxes of a track
// (its full box header, 4 bytes, then the sample size or field size, 4, then the count, 4).
// Containers nest 4 deep in a well-formed file; deeper ones are not followed (a hostile file
// could nest them until the stack runs out).
std::uint32_t sample_count(std::span<const std::uint8_t> bytes, std::size_t begin, std::size_t end,
                           int depth = 0) {
    std::uint32_t count = 0;
    for_each_box(bytes, begin, end, [&](std::string_view type, std::size_t b, std::size_t e) {
        if ((type == "stsz" || type == "stz2") && e - b >= 12) {
            count = be32(bytes.data() + b + 8);
            return true;
        }
        if ((type == "trak" || type == "mdia" || type == "minf" || type == "stbl") && depth < 4) {
            count = sample_count(bytes, b, e, depth + 1);
            return count > 0;
        }
        return false;
    });
    return count;
}

}  // namespace

HeifContents heif_contents(std::span<const std::uint8_t> bytes) {
    HeifContents contents;
    for_each_box(bytes, 0, bytes.size(), [&](std::string_view type, std::size_t b, std::size_t e) {
        if (type == "meta")
            contents.still = true;
        if (type == "moov")
            contents.sequence_frames = std::max<std::uint32_t>(sample_count(bytes, b, e), 1);
        return false;
    });
    return contents;
}

}  // namespace quantize::detail
