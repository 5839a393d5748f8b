#include "detail/png_decode.hpp"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include <libdeflate.h>

#include "detail/memory.hpp"
#include "detail/png_chunks.hpp"

namespace quantize::detail {

namespace {

constexpr std::uint32_t kIhdr = chunk_type("IHDR");
constexpr std::uint32_t kTrns = chunk_type("tRNS");

// Deflate expands data at most ~1032 times (258-byte matches in 2-bit codes): a larger image
// than that over its compressed bytes is a lie of the header, not worth allocating for.
constexpr std::size_t kMaxInflateRatio = 1032;

struct Header {
    std::uint32_t width = 0;
    std::uint32_t height = 0;
    int channels = 0;
};

// The header of the common kind; false for any other kind or a malformed one.
bool read_common_header(const Chunk& chunk, Header& header) {
    if (chunk.type != kIhdr || chunk.data.size() != 13)
        return false;
    const std::uint8_t* d = chunk.data.data();
    header.width = be32(d);
    header.height = be32(d + 4);
    const int bit_depth = d[8], color_type = d[9];
    const bool plain = d[10] == 0 && d[11] == 0 && d[12] == 0;  // deflate, filters, no interlace
    constexpr std::uint32_t kMaxSide = std::numeric_limits<std::int32_t>::max();  // PNG's limit
    if (header.width == 0 || header.height == 0 || header.width > kMaxSide ||
        header.height > kMaxSide || bit_depth != 8 || !plain)
        return false;
    header.channels = color_type == 2 ? 3 : color_type == 6 ? 4 : 0;
    return header.channels != 0;
}

// The zlib stream of the image (the IDAT chunks, which must be consecutive, joined) when the
// chunks up to IEND hold nothing this path leaves to libspng.
bool read_image_data(ChunkReader& chunks, std::vector<std::uint8_t>& stream) {
    bool in_data = false, data_ended = false;
    for (Chunk chunk; chunks.next(chunk);) {
        if (chunk.type == kIend)
            return in_data || data_ended;
        if (chunk.type == kIdat) {
            if (data_ended)
                return false;
            in_data = true;
            stream.insert(stream.end(), chunk.data.begin(), chunk.data.end());
            continue;
        }
        if (in_data) {
            in_data = false;
            data_ended = true;
        }
        // tRNS makes a color transparent. Critical chunks other than the image data, even a
        // truecolor image's suggested PLTE (rare, and with rules of its own), go to libspng.
        if (chunk.type == kTrns || is_critical(chunk.type))
            return false;
    }
    return false;
}

bool inflate(std::span<const std::uint8_t> stream, std::uint8_t* out, std::size_t size) {
    struct Free {
        void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
    };
    const std::unique_ptr<libdeflate_decompressor, Free> decompressor(
        libdeflate_alloc_decompressor());
    if (!decompressor)
        return false;
    std::size_t produced = 0;
    return libdeflate_zlib_decompress(decompressor.get(), stream.data(), stream.size(), out, size,
                                      &produced) == LIBDEFLATE_SUCCESS &&
           produced == size;
}

template <int kBpp>
void unfilter_sub(std::uint8_t* row, std::size_t bytes) {
    for (std::size_t i = kBpp; i < bytes; ++i)
        row[i] = std::uint8_t(row[i] + row[i - kBpp]);
}

void unfilter_up(std::uint8_t* __restrict row, const std::uint8_t* __restrict previous,
                 std::size_t bytes) {
    for (std::size_t i = 0; i < bytes; ++i)
        row[i] = std::uint8_t(row[i] + previous[i]);
}

template <int kBpp>
void unfilter_average(std::uint8_t* __restrict row, const std::uint8_t* __restrict previous,
                      std::size_t bytes) {
    for (std::size_t i = 0; i < kBpp; ++i)
        row[i] = std::uint8_t(row[i] + (previous[i] >> 1));
    for (std::size_t i = kBpp; i < bytes; ++i)
        row[i] = std::uint8_t(row[i] + ((row[i - kBpp] + previous[i]) >> 1));
}

// Paeth's predictor (PNG spec 9.4): of left a, above b and upper-left c, the one nearest to
// a + b - c, ties in that order.
inline int paeth(int a, int b, int c) {
    const int pa = std::abs(b - c), pb = std::abs(a - c), pc = std::abs(a + b - 2 * c);
    const int ab = pa <= pb ? a : b;
    const int p_ab = pa <= pb ? pa : pb;
    return p_ab <= pc ? ab : c;
}

// Pixel by pixel, the channels of one pixel side by side: each pixel waits for the one on its
// left, so the work within a pixel is what can overlap.
template <int kBpp>
void unfilter_paeth(std::uint8_t* __restrict row, const std::uint8_t* __restrict previous,
                    std::size_t bytes) {
    int left[kBpp], upper_left[kBpp];
    for (int c = 0; c < kBpp; ++c) {
        upper_left[c] = previous[c];
        left[c] = row[c] = std::uint8_t(row[c] + previous[c]);  // paeth(0, b, 0) = b
    }
    for (std::size_t i = kBpp; i < bytes; i += kBpp) {
        for (int c = 0; c < kBpp; ++c) {
            const int above = previous[i + std::size_t(c)];
            const std::uint8_t value =
                std::uint8_t(row[i + std::size_t(c)] + paeth(left[c], above, upper_left[c]));
            row[i + std::size_t(c)] = value;
            left[c] = value;
            upper_left[c] = above;
        }
    }
}

template <int kBpp>
void unfilter(int filter, std::uint8_t* row, const std::uint8_t* previous, std::size_t bytes) {
    switch (filter) {
        case 1:
            unfilter_sub<kBpp>(row, bytes);
            break;
        case 2:
            unfilter_up(row, previous, bytes);
            break;
        case 3:
            unfilter_average<kBpp>(row, previous, bytes);
            break;
        case 4:
            unfilter_paeth<kBpp>(row, previous, bytes);
            break;
        default:  // 0: none
            break;
    }
}

// Undoes the filters of `rows` rows, each a filter byte then `stride` bytes, and packs them
// into stride-byte rows from the start of `data`; false at an unknown filter.
bool unfilter_rows(std::uint8_t* data, std::size_t rows, std::size_t stride, int bpp) {
    const std::vector<std::uint8_t> zeros(stride, 0);  // the row above the first
    const std::uint8_t* previous = zeros.data();
    for (std::size_t y = 0; y < rows; ++y) {
        const std::uint8_t* filtered = data + y * (stride + 1);
        const int filter = filtered[0];
        if (filter > 4)
            return false;
        std::uint8_t* row = data + y * stride;
        std::memmove(row, filtered + 1, stride);
        unfilter_row(filter, bpp, row, previous, stride);
        previous = row;
    }
    return true;
}

// Samples per pixel of a PNG color type; 0 for an invalid one.
int samples_per_pixel(int color_type) {
    switch (color_type) {
        case 0:
        case 3:
            return 1;
        case 2:
            return 3;
        case 4:
            return 2;
        case 6:
            return 4;
        default:
            return 0;
    }
}

}  // namespace

bool read_png_header(std::span<const std::uint8_t> png, PngHeader& header) {
    constexpr std::size_t kIhdrEnd = sizeof kPngSignature + 8 + 13;  // signature, length+type, data
    if (png.size() < kIhdrEnd + 4 || std::memcmp(png.data(), kPngSignature, sizeof kPngSignature) ||
        be32(png.data() + 8) != 13 || be32(png.data() + 12) != kIhdr)
        return false;
    const std::uint8_t* d = png.data() + 16;
    header = {};
    header.width = be32(d);
    header.height = be32(d + 4);
    header.bit_depth = d[8];
    header.color_type = d[9];
    // Chunk lengths only, each chunk 12 bytes plus its data; a cut chunk ends the walk.
    for (std::size_t at = kIhdrEnd + 4; png.size() - at >= 8;) {
        const std::uint64_t length = be32(png.data() + at);
        const std::uint32_t type = be32(png.data() + at + 4);
        if (type == kIend)
            break;
        if (type == kIdat)
            header.image_data_bytes += length;
        if (length + 12 > png.size() - at)
            break;
        at += std::size_t(length) + 12;
    }
    return true;
}

bool image_data_can_hold(const PngHeader& header) {
    const std::uint64_t bits =
        std::uint64_t(header.bit_depth) * std::uint64_t(samples_per_pixel(header.color_type));
    const std::uint64_t row_bytes = (std::uint64_t(header.width) * bits + 7) / 8;  // < 2^39
    const std::uint64_t most = header.image_data_bytes * kMaxInflateRatio + 1024;  // < 2^43
    return header.height == 0 || row_bytes <= most / header.height;
}

void unfilter_row(int filter, int bpp, std::uint8_t* row, const std::uint8_t* previous,
                  std::size_t bytes) {
    if (bpp == 3)
        unfilter<3>(filter, row, previous, bytes);
    else
        unfilter<4>(filter, row, previous, bytes);
}

bool decode_common_png(std::span<const std::uint8_t> png, Image& image) {
    if (png.size() < sizeof kPngSignature ||
        std::memcmp(png.data(), kPngSignature, sizeof kPngSignature))
        return false;
    ChunkReader chunks(png.subspan(sizeof kPngSignature));
    Chunk first;
    Header header;
    std::vector<std::uint8_t> stream;
    if (!chunks.next(first) || !read_common_header(first, header))
        return false;
    stream.reserve(png.size());  // the joined IDATs fit in the file: no regrowing, no recopying
    if (!read_image_data(chunks, stream))
        return false;

    const std::size_t stride = std::size_t(header.width) * std::size_t(header.channels);
    const std::size_t max_size = stream.size() * kMaxInflateRatio + 1024;
    if (stride + 1 > max_size || header.height > max_size / (stride + 1))
        return false;
    const std::size_t filtered_size = (stride + 1) * header.height;
    resize_populated(image.samples, filtered_size);
    if (!inflate(stream, image.samples.data(), filtered_size) ||
        !unfilter_rows(image.samples.data(), header.height, stride, header.channels))
        return false;
    image.samples.resize(stride * header.height);
    image.width = int(header.width);
    image.height = int(header.height);
    image.channels = header.channels;
    image.source.bit_depth = 8;
    image.source.channels = header.channels;
    return true;
}

}  // namespace quantize::detail
