#include "detail/png_decode.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <isa-l/igzip_lib.h>
#include <libdeflate.h>
#include <tbb/parallel_invoke.h>
#include <tbb/task_arena.h>

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

// The zlib stream of the image, in the pieces the IDAT chunks (which must be consecutive) hold,
// when the chunks up to IEND hold nothing this path leaves to libspng; `bytes`: their total.
bool read_image_data(ChunkReader& chunks, std::vector<std::span<const std::uint8_t>>& stream,
                     std::size_t& bytes) {
    bool in_data = false, data_ended = false;
    for (Chunk chunk; chunks.next(chunk);) {
        if (chunk.type == kIend)
            return in_data || data_ended;
        if (chunk.type == kIdat) {
            if (data_ended)
                return false;
            in_data = true;
            if (!chunk.data.empty())
                stream.push_back(chunk.data);
            bytes += chunk.data.size();
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

// Scalar unfiltering, every filter: the reference, and what the SIMD versions below leave to it
// (the last pixels of a row, machines without SSE2).
template <int kBpp>
void unfilter_sub(std::uint8_t* row, std::size_t from, std::size_t bytes) {
    for (std::size_t i = std::max<std::size_t>(from, kBpp); i < bytes; ++i)
        row[i] = std::uint8_t(row[i] + row[i - kBpp]);
}

void unfilter_up(std::uint8_t* __restrict row, const std::uint8_t* __restrict previous,
                 std::size_t bytes) {
    for (std::size_t i = 0; i < bytes; ++i)
        row[i] = std::uint8_t(row[i] + previous[i]);
}

template <int kBpp>
void unfilter_average(std::uint8_t* __restrict row, const std::uint8_t* __restrict previous,
                      std::size_t from, std::size_t bytes) {
    for (std::size_t i = from; i < kBpp && i < bytes; ++i)
        row[i] = std::uint8_t(row[i] + (previous[i] >> 1));
    for (std::size_t i = std::max<std::size_t>(from, kBpp); i < bytes; ++i)
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

// Pixel by pixel from byte `from` (a pixel's first), the channels of one pixel side by side:
// each pixel waits for the one on its left, so the work within a pixel is what can overlap.
template <int kBpp>
void unfilter_paeth(std::uint8_t* __restrict row, const std::uint8_t* __restrict previous,
                    std::size_t from, std::size_t bytes) {
    for (std::size_t i = from; i < kBpp && i < bytes; ++i)
        row[i] = std::uint8_t(row[i] + previous[i]);  // paeth(0, b, 0) = b
    for (std::size_t i = std::max<std::size_t>(from, kBpp); i < bytes; ++i)
        row[i] = std::uint8_t(row[i] + paeth(row[i - kBpp], previous[i], previous[i - kBpp]));
}

#if defined(__SSE2__)
// SSE2 (every x86-64 has it): one pixel at a time in the low lanes of a register, as libpng's
// filter_sse2_intrinsics.c does, and the rows' last pixel left to the scalar code so that no
// load reads past the row (4-byte loads of a 3-byte pixel read one byte of the next).

inline __m128i load4(const std::uint8_t* p) {
    std::int32_t v;
    std::memcpy(&v, p, 4);
    return _mm_cvtsi32_si128(v);
}

inline void store4(std::uint8_t* p, __m128i v) {
    const std::int32_t x = _mm_cvtsi128_si32(v);
    std::memcpy(p, &x, 4);
}

inline void store_pixel(std::uint8_t* p, __m128i v, int bpp) {
    // Byte by byte from a register: through memory (memcpy of 3 bytes) the next load stalls.
    if (bpp == 4) {
        store4(p, v);
        return;
    }
    const auto x = std::uint32_t(_mm_cvtsi128_si32(v));
    for (int k = 0; k < bpp; ++k)
        p[k] = std::uint8_t(x >> (8 * k));
}

// The bytes the SIMD loops cover: whole pixels, all but the last (see above). 0 for rows of
// one pixel.
template <int kBpp>
std::size_t simd_bytes(std::size_t bytes) {
    return bytes >= 2 * kBpp ? bytes - kBpp : 0;
}

template <int kBpp>
std::size_t unfilter_sub_simd(std::uint8_t* row, std::size_t bytes) {
    const std::size_t end = simd_bytes<kBpp>(bytes);
    __m128i a = _mm_setzero_si128();
    for (std::size_t i = 0; i < end; i += kBpp) {
        a = _mm_add_epi8(a, load4(row + i));
        store_pixel(row + i, a, kBpp);
    }
    return end;
}

// (a + b) >> 1 per byte: pavgb rounds up, so take 1 off where a + b is odd.
template <int kBpp>
std::size_t unfilter_average_simd(std::uint8_t* __restrict row,
                                  const std::uint8_t* __restrict previous, std::size_t bytes) {
    const std::size_t end = simd_bytes<kBpp>(bytes);
    const __m128i one = _mm_set1_epi8(1);
    __m128i a = _mm_setzero_si128();
    for (std::size_t i = 0; i < end; i += kBpp) {
        const __m128i b = load4(previous + i);
        const __m128i rounded = _mm_avg_epu8(a, b);
        const __m128i average = _mm_sub_epi8(rounded, _mm_and_si128(_mm_xor_si128(a, b), one));
        a = _mm_add_epi8(load4(row + i), average);
        store_pixel(row + i, a, kBpp);
    }
    return end;
}

// |x| of 16-bit lanes (SSE2 has no pabsw).
inline __m128i abs16(__m128i x) {
    return _mm_max_epi16(x, _mm_sub_epi16(_mm_setzero_si128(), x));
}

// Paeth's predictor on 16-bit lanes, where a + b - c and the distances fit: pa = |b - c|,
// pb = |a - c|, pc = |(b - c) + (a - c)|; the nearest of a, b, c, ties to a, then b.
inline __m128i paeth16(__m128i a, __m128i b, __m128i c) {
    const __m128i b_c = _mm_sub_epi16(b, c), a_c = _mm_sub_epi16(a, c);
    const __m128i pa = abs16(b_c), pb = abs16(a_c), pc = abs16(_mm_add_epi16(b_c, a_c));
    const __m128i smallest = _mm_min_epi16(pc, _mm_min_epi16(pa, pb));
    const __m128i take_a = _mm_cmpeq_epi16(smallest, pa);
    const __m128i take_b = _mm_andnot_si128(take_a, _mm_cmpeq_epi16(smallest, pb));
    const __m128i take_c = _mm_andnot_si128(_mm_or_si128(take_a, take_b), _mm_set1_epi16(-1));
    return _mm_or_si128(_mm_or_si128(_mm_and_si128(take_a, a), _mm_and_si128(take_b, b)),
                        _mm_and_si128(take_c, c));
}

// The sum of the filtered bytes and the prediction modulo 256, kept in 16-bit lanes.
inline __m128i add_mod_256(__m128i x, __m128i prediction) {
    return _mm_and_si128(_mm_add_epi16(x, prediction), _mm_set1_epi16(0xff));
}

// One pixel's kBpp bytes (exactly: no byte past it is read) in 16-bit lanes.
template <int kBpp>
inline __m128i load_pixel(const std::uint8_t* p) {
    // Assembled in a register: a 3-byte memcpy into a 4-byte variable goes through memory,
    // and the wide load after narrow stores cannot be forwarded (a stall of ~12 cycles).
    if constexpr (kBpp == 4) {
        return load4(p);
    } else {
        std::uint32_t v = 0;
        for (int k = 0; k < kBpp; ++k)
            v |= std::uint32_t(p[k]) << (8 * k);
        return _mm_cvtsi32_si128(std::int32_t(v));
    }
}

template <int kBpp>
inline __m128i load_pixel16(const std::uint8_t* p) {
    return _mm_unpacklo_epi8(load_pixel<kBpp>(p), _mm_setzero_si128());
}

template <int kBpp>
std::size_t unfilter_paeth_simd(std::uint8_t* __restrict row,
                                const std::uint8_t* __restrict previous, std::size_t bytes) {
    const std::size_t end = simd_bytes<kBpp>(bytes);
    const __m128i zero = _mm_setzero_si128();
    __m128i a = zero, c = zero;  // left and upper left, 16-bit lanes; 0 left of the row
    for (std::size_t i = 0; i < end; i += kBpp) {
        const __m128i b = _mm_unpacklo_epi8(load4(previous + i), zero);
        a = add_mod_256(_mm_unpacklo_epi8(load4(row + i), zero), paeth16(a, b, c));
        store_pixel(row + i, _mm_packus_epi16(a, a), kBpp);
        c = b;
    }
    return end;
}

// Two rows undone together, pixel by pixel: the lower row runs a pixel behind the upper one,
// whose pixel x - 1 it needs above its own. step(above, upper_x, lower_x, first) gets the
// upper row's pixel x, the pixel above it and the lower row's pixel x - 1 (zero past either
// end; `first`: x == 0) and returns the two unfiltered: the upper row's in bytes 0-3, the
// lower row's in bytes 4-7. The chain from a pixel to the next is as long as for one row (most
// of a pixel's time), so two rows take about the time of one.
template <int kBpp, class Load, class Step>
void walk_row_pair(std::uint8_t* __restrict upper, std::uint8_t* __restrict lower,
                   const std::uint8_t* __restrict previous, std::size_t bytes, Load&& load,
                   Step&& step) {
    const std::size_t width = bytes / kBpp;
    const __m128i zero = _mm_setzero_si128();
    for (std::size_t x = 0; x <= width; ++x) {
        const std::size_t i = x * kBpp;
        const __m128i out =
            step(x < width ? load(previous + i) : zero, x < width ? load(upper + i) : zero,
                 x > 0 ? load(lower + i - kBpp) : zero, x == 0);
        if (x < width)
            store_pixel(upper + i, out, kBpp);
        if (x > 0)
            store_pixel(lower + i - kBpp, _mm_srli_si128(out, 4), kBpp);
    }
}

// Two Paeth rows, in 16-bit lanes: the low half the upper row's pixel, the high half the lower
// row's.
template <int kBpp>
void unfilter_paeth_pair(std::uint8_t* upper, std::uint8_t* lower, const std::uint8_t* previous,
                         std::size_t bytes) {
    const __m128i low_half = _mm_set_epi32(0, 0, -1, -1);
    __m128i a = _mm_setzero_si128(), c = a;  // left and upper left
    walk_row_pair<kBpp>(
        upper, lower, previous, bytes, [](const std::uint8_t* p) { return load_pixel16<kBpp>(p); },
        [&](__m128i above, __m128i upper_x, __m128i lower_x, bool first) {
            // Above the lower row's pixel: the upper row's just unfiltered (a's low half).
            const __m128i b = _mm_unpacklo_epi64(above, a);
            a = add_mod_256(_mm_unpacklo_epi64(upper_x, lower_x), paeth16(a, b, c));
            if (first)
                a = _mm_and_si128(a, low_half);  // the lower row has no pixel -1: 0 left of it
            c = b;
            return _mm_packus_epi16(a, a);
        });
}

// Two Average rows, in bytes: 0-3 the upper row's pixel, 4-7 the lower row's.
template <int kBpp>
void unfilter_average_pair(std::uint8_t* upper, std::uint8_t* lower, const std::uint8_t* previous,
                           std::size_t bytes) {
    const __m128i one = _mm_set1_epi8(1), low_pixel = _mm_set_epi32(0, 0, 0, -1);
    __m128i a = _mm_setzero_si128();  // left
    walk_row_pair<kBpp>(
        upper, lower, previous, bytes, [](const std::uint8_t* p) { return load_pixel<kBpp>(p); },
        [&](__m128i above, __m128i upper_x, __m128i lower_x, bool first) {
            const __m128i b = _mm_unpacklo_epi32(above, a);
            const __m128i average =
                _mm_sub_epi8(_mm_avg_epu8(a, b), _mm_and_si128(_mm_xor_si128(a, b), one));
            a = _mm_add_epi8(_mm_unpacklo_epi32(upper_x, lower_x), average);
            if (first)
                a = _mm_and_si128(a, low_pixel);  // the lower row has no pixel -1: 0 left of it
            return a;
        });
}

// Filters whose rows are undone two at a time: those whose chain from pixel to pixel is long.
constexpr bool undone_in_pairs(int filter) {
    return filter == 3 || filter == 4;
}

// Undoes two rows filtered alike (undone_in_pairs), one above the other.
template <int kBpp>
void unfilter_row_pair(int filter, std::uint8_t* upper, std::uint8_t* lower,
                       const std::uint8_t* previous, std::size_t bytes) {
    if (filter == 3)
        unfilter_average_pair<kBpp>(upper, lower, previous, bytes);
    else
        unfilter_paeth_pair<kBpp>(upper, lower, previous, bytes);
}
#else
template <int kBpp>
std::size_t unfilter_sub_simd(std::uint8_t*, std::size_t) {
    return 0;
}
template <int kBpp>
std::size_t unfilter_average_simd(std::uint8_t*, const std::uint8_t*, std::size_t) {
    return 0;
}
template <int kBpp>
std::size_t unfilter_paeth_simd(std::uint8_t*, const std::uint8_t*, std::size_t) {
    return 0;
}
constexpr bool undone_in_pairs(int) {
    return false;
}
template <int kBpp>
void unfilter_row_pair(int, std::uint8_t*, std::uint8_t*, const std::uint8_t*, std::size_t) {}
#endif

template <int kBpp>
void unfilter(int filter, std::uint8_t* row, const std::uint8_t* previous, std::size_t bytes) {
    switch (filter) {
        case 1:
            unfilter_sub<kBpp>(row, unfilter_sub_simd<kBpp>(row, bytes), bytes);
            break;
        case 2:
            unfilter_up(row, previous, bytes);
            break;
        case 3:
            unfilter_average<kBpp>(row, previous, unfilter_average_simd<kBpp>(row, previous, bytes),
                                   bytes);
            break;
        case 4:
            unfilter_paeth<kBpp>(row, previous, unfilter_paeth_simd<kBpp>(row, previous, bytes),
                                 bytes);
            break;
        default:  // 0: none
            break;
    }
}

// The zlib stream inflated by ISA-L a band at a time into `out`, where the bytes already given
// stay: a back-reference reads up to 32 KiB behind the end (kDeflateWindow), so whatever works
// on the output must stay that far behind it. 2-3x zlib's speed, as libdeflate's, which has no
// way to stop part way.
class StreamInflater {
  public:
    StreamInflater(std::span<const std::span<const std::uint8_t>> stream, std::uint8_t* out,
                   std::size_t size)
        : stream_(stream), out_(out), size_(size), state_(std::make_unique<inflate_state>()) {
        isal_inflate_init(state_.get());
        state_->crc_flag = ISAL_ZLIB;  // the zlib header parsed, the Adler-32 checked
    }

    // Inflates up to `band` more bytes of the image; false when the stream is corrupt or short.
    bool inflate_band(std::size_t band) {
        return run(std::min(band, size_ - produced_)) && (produced_ < size_ || finish());
    }

    std::size_t produced() const { return produced_; }
    bool complete() const { return produced_ == size_; }

  private:
    // Inflates `bytes` more, feeding the stream's pieces in turn.
    bool run(std::size_t bytes) {
        state_->next_out = out_ + produced_;
        state_->avail_out = std::uint32_t(bytes);
        while (state_->avail_out > 0 && state_->block_state != ISAL_BLOCK_FINISH) {
            // With the input all taken, ISA-L may still hold rows it decoded ahead (into its own
            // buffer, when a band's end was near): it gives them out with no input, and a
            // stream short of the image makes no way on below.
            if (state_->avail_in == 0 && next_piece_ < stream_.size()) {
                const std::span<const std::uint8_t> piece = stream_[next_piece_++];
                state_->next_in = const_cast<std::uint8_t*>(piece.data());
                state_->avail_in = std::uint32_t(piece.size());
            }
            const std::uint32_t in = state_->avail_in, out = state_->avail_out;
            if (isal_inflate(state_.get()) != ISAL_DECOMP_OK)
                return false;
            if (state_->block_state != ISAL_BLOCK_FINISH && state_->avail_in == in &&
                state_->avail_out == out)
                return false;  // no way on: the stream is cut, or ends short of the image
        }
        produced_ = std::size_t(state_->next_out - out_);
        // A stream that ends short of the image is corrupt.
        return produced_ >= size_ || state_->block_state != ISAL_BLOCK_FINISH;
    }

    // Once the image is out, the stream must end there, its checksum right: inflated on into
    // the one spare byte after the image, which must stay unwritten.
    bool finish() {
        return run(1) && state_->block_state == ISAL_BLOCK_FINISH && produced_ == size_;
    }

    std::span<const std::span<const std::uint8_t>> stream_;
    std::size_t next_piece_ = 0;
    std::uint8_t* out_;
    std::size_t size_, produced_ = 0;
    std::unique_ptr<inflate_state> state_;  // ~80 KiB: on the heap
};

// Undoes the rows' filters in order as their bytes arrive: each row (a filter byte, then
// `stride` bytes) unfiltered and moved down to its place in the packed image, stride bytes a
// row from the start of `data` (below the filtered rows still to come, since row y moves y + 1
// bytes down).
class RowUnfilterer {
  public:
    RowUnfilterer(std::uint8_t* data, std::size_t rows, std::size_t stride, int bpp)
        : data_(data), rows_(rows), stride_(stride), bpp_(bpp), zeros_(stride, 0) {}

    // Unfilters the rows held in the first `ready` bytes that end at least `keep` bytes before
    // them; false at an unknown filter.
    bool unfilter_until(std::size_t ready, std::size_t keep) {
        auto arrived = [&](std::size_t y) { return (y + 1) * (stride_ + 1) + keep <= ready; };
        while (next_ < rows_ && arrived(next_)) {
            const int filter = filtered(next_)[0];
            if (filter > 4)
                return false;
            std::uint8_t* row = move_down(next_);
            const std::uint8_t* previous = next_ == 0 ? zeros_.data() : row - stride_;
            // Two rows filtered alike go together where that pays (the next row's filter byte
            // is past the bytes just moved).
            if (undone_in_pairs(filter) && next_ + 1 < rows_ && arrived(next_ + 1) &&
                filtered(next_ + 1)[0] == filter) {
                std::uint8_t* lower = move_down(next_ + 1);
                if (bpp_ == 3)
                    unfilter_row_pair<3>(filter, row, lower, previous, stride_);
                else
                    unfilter_row_pair<4>(filter, row, lower, previous, stride_);
                next_ += 2;
                continue;
            }
            unfilter_row(filter, bpp_, row, previous, stride_);
            ++next_;
        }
        return true;
    }

    bool done() const { return next_ == rows_; }

  private:
    // Row y as inflated: its filter byte, then its bytes.
    const std::uint8_t* filtered(std::size_t y) const { return data_ + y * (stride_ + 1); }

    // Moves row y's bytes, still filtered, to their place in the packed image.
    std::uint8_t* move_down(std::size_t y) {
        std::uint8_t* row = data_ + y * stride_;
        std::memmove(row, filtered(y) + 1, stride_);
        return row;
    }

    std::uint8_t* data_;
    std::size_t rows_, stride_;
    int bpp_;
    std::vector<std::uint8_t> zeros_;  // the row above the first
    std::size_t next_ = 0;
};

// Back-references reach 32 KiB behind (deflate's window).
constexpr std::size_t kDeflateWindow = std::size_t{32} << 10;
// Bytes inflated at a time: the band and the rows unfiltered after it stay in the L2 cache.
constexpr std::size_t kInflateBand = std::size_t{256} << 10;
// Images (filtered bytes) from which inflating and unfiltering on two threads pays for the
// hand-over: about a 1.4 MP RGB photo. At 1 MP (`bench/run decode`, shared machine) two threads
// were 5-20% slower than one, the second core seldom free for the ~5 ms of a decode; at 12 MP
// 10-40% faster.
constexpr std::size_t kPipelineBytes = std::size_t{4} << 20;
// ISA-L counts its output in 32 bits: larger images (over 1 G pixels) are inflated whole.
constexpr std::size_t kMaxStreamedBytes = std::numeric_limits<std::uint32_t>::max() - 1;

// One thread: libdeflate inflates every row, then they are unfiltered. 25% less time than
// ISA-L's bands each unfiltered while in cache (1 MP crops, `bench/run decode`'s files):
// libdeflate is as fast on well-compressed data and 15-30% faster on literals (OpenCV's zlib
// level 1 with RLE), and one call saves the bands' hand-overs.
bool inflate_then_unfilter(std::span<const std::span<const std::uint8_t>> stream,
                           std::size_t stream_bytes, std::uint8_t* out, std::size_t size,
                           RowUnfilterer& unfilterer) {
    std::vector<std::uint8_t> joined;
    std::span<const std::uint8_t> whole =
        stream.empty() ? std::span<const std::uint8_t>() : stream[0];
    if (stream.size() > 1) {
        joined.reserve(stream_bytes);
        for (const std::span<const std::uint8_t> piece : stream)
            joined.insert(joined.end(), piece.begin(), piece.end());
        whole = joined;
    }
    struct Free {
        void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
    };
    const std::unique_ptr<libdeflate_decompressor, Free> decompressor(
        libdeflate_alloc_decompressor());
    std::size_t produced = 0;
    return decompressor &&
           libdeflate_zlib_decompress(decompressor.get(), whole.data(), whole.size(), out, size,
                                      &produced) == LIBDEFLATE_SUCCESS &&
           produced == size && unfilterer.unfilter_until(size, 0) && unfilterer.done();
}

// Two threads: one inflates band after band, the other unfilters the rows behind it. Of the two
// tasks the first to start inflates, which never waits; the other waits only on it. When the
// arena runs both on one thread, the second starts once the first is done, with every row
// ready. The pixels do not depend on which happens.
bool inflate_and_unfilter_side_by_side(std::span<const std::span<const std::uint8_t>> stream,
                                       std::uint8_t* out, std::size_t size,
                                       RowUnfilterer& unfilterer) {
    StreamInflater inflater(stream, out, size);
    enum : std::uint64_t { kRunning = 0, kDone = 1, kFailed = 2 };
    // Inflated bytes x 4 + kRunning / kDone / kFailed, changed at every band: what the
    // unfilterer waits on.
    std::atomic<std::uint64_t> published{kRunning};
    std::atomic<bool> unfilter_failed{false};
    std::atomic<int> roles{0};
    auto inflate_all = [&] {
        std::uint64_t status = kRunning;
        while (status == kRunning) {
            const bool ok = inflater.inflate_band(kInflateBand);
            status = !ok || unfilter_failed.load(std::memory_order_relaxed) ? kFailed
                     : inflater.complete()                                  ? kDone
                                                                            : kRunning;
            published.store(std::uint64_t(inflater.produced()) * 4 + status,
                            std::memory_order_release);
            published.notify_all();
        }
    };
    bool unfiltered = false;
    auto unfilter_all = [&] {
        for (std::uint64_t seen = published.load(std::memory_order_acquire);;
             seen = published.load(std::memory_order_acquire)) {
            const std::uint64_t status = seen % 4;
            if (status == kFailed)
                return;
            const std::size_t ready = std::size_t(seen / 4);
            if (!unfilterer.unfilter_until(ready, status == kDone ? 0 : kDeflateWindow)) {
                unfilter_failed.store(true, std::memory_order_relaxed);
                return;
            }
            if (status == kDone) {
                unfiltered = unfilterer.done();
                return;
            }
            published.wait(seen, std::memory_order_acquire);
        }
    };
    auto take_a_role = [&] {
        if (roles.fetch_add(1) == 0)
            inflate_all();
        else
            unfilter_all();
    };
    tbb::parallel_invoke(take_a_role, take_a_role);
    return unfiltered;
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
    std::vector<std::span<const std::uint8_t>> stream;
    std::size_t stream_bytes = 0;
    if (!chunks.next(first) || !read_common_header(first, header) ||
        !read_image_data(chunks, stream, stream_bytes))
        return false;

    const std::size_t stride = std::size_t(header.width) * std::size_t(header.channels);
    const std::size_t max_size = stream_bytes * kMaxInflateRatio + 1024;
    if (stride + 1 > max_size || header.height > max_size / (stride + 1))
        return false;
    const std::size_t filtered_size = (stride + 1) * header.height;
    resize_populated(image.samples, filtered_size + 1);  // + 1: see StreamInflater::finish
    RowUnfilterer unfilterer(image.samples.data(), header.height, stride, header.channels);
    const bool side_by_side = tbb::this_task_arena::max_concurrency() > 1 &&
                              filtered_size >= kPipelineBytes && filtered_size <= kMaxStreamedBytes;
    const bool decoded = side_by_side
                             ? inflate_and_unfilter_side_by_side(stream, image.samples.data(),
                                                                 filtered_size, unfilterer)
                             : inflate_then_unfilter(stream, stream_bytes, image.samples.data(),
                                                     filtered_size, unfilterer);
    if (!decoded)
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
