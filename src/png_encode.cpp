// Stage "encode", PNG: a palette image (PLTE, tRNS, 1/2/4/8-bit) whose chunks libspng writes
// and whose image data libdeflate compresses, over 2 MiB in bands on every core (zlib and
// ISA-L in parallel bands are measured beside it); and full-color PNGs for swatches.
#include "detail/png_encode.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include <isa-l/igzip_lib.h>
#include <libdeflate.h>
#include <spng.h>
#include <zlib.h>

#include "detail/io_errors.hpp"
#include "detail/memory.hpp"
#include "detail/parallel.hpp"
#include "detail/png_metadata.hpp"
#include "detail/spng.hpp"
#include "quantize/io.hpp"

namespace quantize {

namespace fs = std::filesystem;

namespace {

using detail::fail_output;
using detail::SpngContext;

int png_bit_depth(std::size_t palette_size) {
    if (palette_size <= 2)
        return 1;
    if (palette_size <= 4)
        return 2;
    if (palette_size <= 16)
        return 4;
    return 8;
}

SpngContext new_encoder() {
    SpngContext ctx(spng_ctx_new(SPNG_CTX_ENCODER));
    if (!ctx)
        throw std::bad_alloc();
    return ctx;
}

void check_encoder(const fs::path& output, int rc) {
    if (rc != 0)
        fail_output(output, std::string("PNG encoder: ") + spng_strerror(rc));
}

// The PNG an encoder context has built in memory.
template <class Check>
std::vector<std::uint8_t> encoded_bytes(SpngContext& ctx, Check&& check) {
    int rc = 0;
    std::size_t size = 0;
    std::unique_ptr<std::uint8_t, decltype(&std::free)> buffer(
        static_cast<std::uint8_t*>(spng_get_png_buffer(ctx.get(), &size, &rc)), &std::free);
    check(rc);
    return {buffer.get(), buffer.get() + size};
}

// Packs one row of `width` indices into kDepth-bit samples, leftmost pixel in the high bits.
template <int kDepth>
void pack_row(const std::uint8_t* in, std::size_t width, std::uint8_t* out) {
    if constexpr (kDepth == 8) {
        std::memcpy(out, in, width);
    } else {
        constexpr std::size_t kPerByte = 8 / kDepth;
        std::size_t x = 0;
        for (; x + kPerByte <= width; x += kPerByte) {
            std::uint8_t byte = 0;
            for (std::size_t k = 0; k < kPerByte; ++k)
                byte = std::uint8_t(byte << kDepth | in[x + k]);
            *out++ = byte;
        }
        if (x < width) {  // a last, partial byte, padded with zero bits
            std::uint8_t byte = 0;
            for (std::size_t k = 0; k < kPerByte; ++k)
                byte = std::uint8_t(byte << kDepth | (x + k < width ? in[x + k] : 0));
            *out = byte;
        }
    }
}

// Rows of palette indices as PNG scanlines: each row led by its filter type byte, 0 (none:
// palette images compress best unfiltered, as the PNG specification advises), samples packed
// at `depth` bits (1, 2, 4 or 8).
std::vector<std::uint8_t> scanlines(const IndexedImage& image, int depth) {
    const std::size_t width = std::size_t(image.width);
    const std::size_t row_bytes = 1 + (width * std::size_t(depth) + 7) / 8;
    std::vector<std::uint8_t> rows;
    detail::resize_populated(rows, row_bytes * std::size_t(image.height));
    auto pack = depth == 1   ? pack_row<1>
                : depth == 2 ? pack_row<2>
                : depth == 4 ? pack_row<4>
                             : pack_row<8>;
    detail::for_each_chunk(
        std::size_t(image.height), 64, [&](std::size_t, std::size_t begin, std::size_t end) {
            for (std::size_t y = begin; y < end; ++y) {
                pack(image.indices.data() + y * width, width, rows.data() + y * row_bytes + 1);
            }
        });
    return rows;
}

struct FreeCompressor {
    void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};

// The zlib stream of an IDAT chunk, by libdeflate: at the same level it compresses palette
// images about as well as zlib, 5 to 8 times faster. Into a buffer the size of libdeflate's
// bound, about the input's, left uninitialized: only the pages the stream fills get touched
// (a tenth of them at K = 16), where zeroing a 12 MB bound cost 3,000 page faults.

std::vector<std::uint8_t> deflate_scanlines(const fs::path& output,
                                            std::span<const std::uint8_t> rows, int level) {
    const std::unique_ptr<libdeflate_compressor, FreeCompressor> compressor(
        libdeflate_alloc_compressor(level));
    if (!compressor)
        throw std::bad_alloc();
    const std::size_t bound = libdeflate_zlib_compress_bound(compressor.get(), rows.size());
    const std::unique_ptr<std::uint8_t[]> stream(new std::uint8_t[bound]);
    const std::size_t size =
        libdeflate_zlib_compress(compressor.get(), rows.data(), rows.size(), stream.get(), bound);
    if (size == 0)
        fail_output(output, "PNG encoder: compressed image data does not fit its bound");
    return std::vector<std::uint8_t>(stream.get(), stream.get() + size);
}

void append_u32_be(std::vector<std::uint8_t>& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
        out.push_back(std::uint8_t(v >> shift));
}

// Share of the scanline bytes, 0..1, equal to the byte before them: how much of the image is
// flat runs of one index.
double repeat_share(std::span<const std::uint8_t> rows) {
    if (rows.size() < 2)
        return 0.0;
    std::size_t repeats = 0;
    for (const std::size_t part : detail::map_chunks<std::size_t>(
             rows.size() - 1, std::size_t{1} << 20, [&](std::size_t begin, std::size_t end) {
                 std::size_t n = 0;
                 for (std::size_t i = begin; i < end; ++i)
                     n += rows[i + 1] == rows[i];
                 return n;
             }))
        repeats += part;
    return double(repeats) / double(rows.size() - 1);
}

// Above this repeat share libdeflate's hash chains at level 7 (100 positions deep) fill with
// the positions of one run and stop short of the row above, the match that pays there: on the
// 12 MP photo at K = 16 (94% repeats) level 7 makes the image data 11% larger than level 9.
// Kodak, SIPI and the 27.7 MP photo (28-76% repeats) lose nothing to level 7.
constexpr double kDeepSearchRepeatShare = 0.9;

// libdeflate's level for images above that share. On the 12 MP photo at K = 16 (seed 1,
// image data, CPU time of one thread): 293,715 bytes in 145 ms, against 289,414 in 230 ms for
// zlib's deep bands (kDeepSearch, the default before) and 303,252 in 92 ms for level 8;
// pngquant's whole file is 324,468 bytes. The deep bands' two threads do not pay: the quality
// measures run beside the encoder, so its CPU time is what the run waits for.
constexpr int kRunsLibdeflateLevel = 9;

// zlib's settings for one band: level 1..9, window 2^9..2^15 bytes, hash chain depth (0:
// the level's own).
struct ZlibTuning {
    int level = 9;
    int window_bits = 15;
    int chain = 0;
};

// zlib's hash chains for run-heavy images (DeflateEngine::zlib_deep_bands, measured beside
// the default by `bench/run encode`): level 9 with chains cut from 4,096 to 1,536 deep
// and a 16 KiB window (7 rows of the 12 MP photo), which ends chains sooner. On that photo at
// K = 16 (one thread, image data only): 297,215 bytes in 283 ms, against 292,249 in 585 ms
// for zlib's level 9 and 310,748 in 148 ms / 329,447 in 60 ms for libdeflate's levels 8 / 7.
constexpr ZlibTuning kDeepSearch = {9, 14, 1536};

// Deflate's largest window, 2^15 bytes: what bands may reach back (the zlib header says it).
constexpr int kFullWindow = 15;

// Bands deflated side by side, about 1 MiB each; their bounds depend only on the data's size.
constexpr std::size_t kDeflateBand = std::size_t{1} << 20;

// Bytes per band of DeflateEngine::libdeflate_bands: about 2 MiB, and the bands a multiple of
// 4, so that 2 and 4 cores share them evenly (12 MP photo: 4 bands at K = 16, 8 at K = 256).
// Each band starts without the window before it; at 1, 2 and 3 MiB bands of that photo's image
// data at K = 256 (level 7), the file grew 0.49%, 0.23% and 0.14% over one call's. Depends on
// the data's size alone.
constexpr std::size_t kLibdeflateBand = std::size_t{2} << 20;

std::size_t libdeflate_band_bytes(std::size_t size) {
    const std::size_t bands = (detail::chunk_count(size, kLibdeflateBand) + 3) / 4 * 4;
    return std::max<std::size_t>(1, detail::chunk_count(size, bands));
}

void check_zlib(const fs::path& output, int rc) {
    if (rc != Z_OK)
        fail_output(output, "PNG encoder: zlib error " + std::to_string(rc));
}

// One band of a raw deflate stream, primed with the window's worth of bytes before it so
// matches reach back across the cut. A band that is not the last ends with a sync flush on a
// byte boundary, so the bands' streams join by plain concatenation (as pigz joins its blocks).
std::vector<std::uint8_t> deflate_band(const fs::path& output, std::span<const std::uint8_t> all,
                                       std::size_t begin, std::size_t end, ZlibTuning tuning) {
    z_stream z{};
    check_zlib(output, deflateInit2(&z, tuning.level, Z_DEFLATED, -tuning.window_bits, 8,
                                    Z_DEFAULT_STRATEGY));
    const std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&z, deflateEnd);
    // zlib's level-9 parameters (good 32, lazy 258, nice 258) with the shorter chain.
    if (tuning.chain > 0)
        check_zlib(output, deflateTune(&z, 32, 258, 258, tuning.chain));
    const std::size_t primer = std::min(begin, std::size_t{1} << tuning.window_bits);
    if (primer > 0) {
        check_zlib(output, deflateSetDictionary(&z, all.data() + begin - primer, uInt(primer)));
    }
    // deflateBound covers a finished stream; a sync flush adds an empty stored block (5 bytes).
    // Uninitialized, like libdeflate's output: only the pages the stream fills get touched.
    const std::size_t bound = deflateBound(&z, uLong(end - begin)) + 16;
    const std::unique_ptr<std::uint8_t[]> buffer(new std::uint8_t[bound]);
    z.next_in = const_cast<Bytef*>(all.data() + begin);
    z.avail_in = uInt(end - begin);
    z.next_out = buffer.get();
    z.avail_out = uInt(bound);
    const bool last = end == all.size();
    const int rc = deflate(&z, last ? Z_FINISH : Z_SYNC_FLUSH);
    if (rc != (last ? Z_STREAM_END : Z_OK) || z.avail_in != 0 || z.avail_out == 0)
        fail_output(output, "PNG encoder: compressed image data does not fit its bound");
    return std::vector<std::uint8_t>(buffer.get(), buffer.get() + z.total_out);
}

// One band by ISA-L, primed and flushed as deflate_band's.
std::vector<std::uint8_t> isal_band(const fs::path& output, std::span<const std::uint8_t> all,
                                    std::size_t begin, std::size_t end, int level) {
    isal_zstream z;
    isal_deflate_init(&z);
    static constexpr std::uint32_t kLevelBuffer[] = {ISAL_DEF_LVL0_DEFAULT, ISAL_DEF_LVL1_DEFAULT,
                                                     ISAL_DEF_LVL2_DEFAULT, ISAL_DEF_LVL3_DEFAULT};
    const std::unique_ptr<std::uint8_t[]> level_buffer(new std::uint8_t[kLevelBuffer[level]]);
    z.level = std::uint32_t(level);
    z.level_buf = level_buffer.get();
    z.level_buf_size = kLevelBuffer[level];
    const bool last = end == all.size();
    z.end_of_stream = last ? 1 : 0;
    z.flush = last ? NO_FLUSH : SYNC_FLUSH;
    constexpr std::size_t kWindow = std::size_t{32} << 10;
    const std::size_t primer = std::min(begin, kWindow);
    if (primer > 0 &&
        isal_deflate_set_dict(&z, const_cast<std::uint8_t*>(all.data()) + begin - primer,
                              std::uint32_t(primer)) != COMP_OK)
        fail_output(output, "PNG encoder: ISA-L refused the band's dictionary");
    // Stored blocks at worst: 5 bytes per 64 KiB, and the flush.
    const std::size_t bound = (end - begin) + (end - begin) / 1024 + 1024;
    const std::unique_ptr<std::uint8_t[]> buffer(new std::uint8_t[bound]);
    z.next_in = const_cast<std::uint8_t*>(all.data() + begin);
    z.avail_in = std::uint32_t(end - begin);
    z.next_out = buffer.get();
    z.avail_out = std::uint32_t(bound);
    if (isal_deflate(&z) != COMP_OK || z.avail_in != 0 || z.avail_out == 0 ||
        (last && z.internal_state.state != ZSTATE_END))
        fail_output(output, "PNG encoder: compressed image data does not fit its bound");
    return std::vector<std::uint8_t>(buffer.get(), buffer.get() + z.total_out);
}

// Bytes an empty stored block takes after a stream's last block, at most: one for its 3 header
// bits when the last byte lacks room, then its length 0 and that length's complement.
constexpr std::size_t kOpenEnd = 5;

// Leaves the complete raw deflate stream of `original`, the first `size` bytes of `stream`
// (which has kOpenEnd more bytes of room), open, so another stream can follow it: the
// final-block bit of its last block cleared, and after that block's end-of-block code (the
// bits after it zeroed) an empty stored block, whose length field starts the next byte (as a
// sync flush ends zlib's bands). Where the last block starts and where it ends are
// found by zlib's inflate, which stops at every block boundary (Z_BLOCK) and says how many bits
// of the last byte it read are unused; on the way it checks that the stream inflates back to
// `original`. Costs an inflate of the band: about a tenth of libdeflate's level-7 time.
// Returns the stream's new size.
std::size_t leave_stream_open(const fs::path& output, std::span<std::uint8_t> stream,
                              std::size_t size, std::span<const std::uint8_t> original) {
    z_stream z{};
    check_zlib(output, inflateInit2(&z, -kFullWindow));
    const std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&z, inflateEnd);
    z.next_in = stream.data();
    z.avail_in = uInt(size);
    // Inflated into a small buffer used over and over (zlib keeps its own window), each piece
    // compared with `original` as it comes: no band-sized buffer to touch.
    constexpr std::size_t kPiece = std::size_t{64} << 10;
    std::array<std::uint8_t, kPiece> piece;
    std::size_t compared = 0;  // bytes of `original` checked so far
    bool exact = true;
    const auto compare_piece = [&] {
        const std::size_t n = kPiece - z.avail_out;
        exact = exact && compared + n <= original.size() &&
                std::memcmp(piece.data(), original.data() + compared, n) == 0;
        compared += n;
        z.next_out = piece.data();
        z.avail_out = uInt(kPiece);
    };
    z.next_out = piece.data();
    z.avail_out = uInt(kPiece);
    // Bits of the stream read so far: bytes taken less the unused bits of the last one.
    const auto bits_read = [&] {
        return std::size_t(z.next_in - stream.data()) * 8 - std::size_t(z.data_type & 7);
    };
    // Z_BLOCK stops after every block's end-of-block code, the last block's included. There
    // the next block's header starts, or, after the last block (data_type's 64: the block
    // just read was marked last), the stream ends.
    std::size_t last_block = 0;  // the bit where the last block's header starts
    std::size_t end = 0;         // the bit just past its end-of-block code
    for (;;) {
        const int rc = inflate(&z, Z_BLOCK);
        // Z_BUF_ERROR: no progress possible with the piece full; it is emptied below.
        if (rc != Z_OK && !(rc == Z_BUF_ERROR && z.avail_out == 0))
            fail_output(output, "PNG encoder: a deflate band does not inflate (zlib error " +
                                    std::to_string(rc) + ")");
        if (z.avail_out == 0)
            compare_piece();
        if ((z.data_type & 128) == 0)
            continue;
        if ((z.data_type & 64) != 0) {
            end = bits_read();
            break;
        }
        last_block = bits_read();
    }
    compare_piece();
    if (z.avail_in != 0 || !exact || compared != original.size())
        fail_output(output, "PNG encoder: a deflate band does not inflate to its bytes");
    stream[last_block / 8] &= std::uint8_t(~(1u << (last_block % 8)));
    size = (end + 7) / 8;
    const unsigned used = unsigned(end % 8);  // bits of the last byte in use, 0 = all 8
    if (used != 0)
        stream[size - 1] &= std::uint8_t((1u << used) - 1);
    // The stored block's 3 header bits (not final, type 0) are zeros: in the last byte when 3
    // of its bits are free, else in one more byte. Its length 0 and the length's complement
    // start at the next byte.
    if (used == 0 || used > 5)
        stream[size++] = 0;
    for (const std::uint8_t byte : {0x00, 0x00, 0xff, 0xff})
        stream[size++] = byte;
    return size;
}

// Bytes of room a band of n bytes takes: libdeflate's bound for any compressor, and the
// stored block leave_stream_open adds.
std::size_t libdeflate_room(std::size_t n) {
    return libdeflate_deflate_compress_bound(nullptr, n) + kOpenEnd;
}

// One band by libdeflate into `room` (libdeflate_room of its size), alone (libdeflate takes no
// dictionary, so matches do not reach back across the cut) and, unless it is the last, left
// open (leave_stream_open); returns the bytes it wrote.
std::size_t libdeflate_band(const fs::path& output, std::span<const std::uint8_t> all,
                            std::size_t begin, std::size_t end, int level,
                            std::span<std::uint8_t> room) {
    const std::unique_ptr<libdeflate_compressor, FreeCompressor> compressor(
        libdeflate_alloc_compressor(level));
    if (!compressor)
        throw std::bad_alloc();
    const std::span<const std::uint8_t> band = all.subspan(begin, end - begin);
    const std::size_t size = libdeflate_deflate_compress(compressor.get(), band.data(), band.size(),
                                                         room.data(), room.size() - kOpenEnd);
    if (size == 0)
        fail_output(output, "PNG encoder: compressed image data does not fit its bound");
    return end == all.size() ? size : leave_stream_open(output, room, size, band);
}

// The zlib stream of the scanlines from their bands' raw streams in order: header, the bands,
// Adler-32 of the whole. `window_bits`: the largest reach of the bands' matches, for the header.
std::vector<std::uint8_t> zlib_stream_of(std::span<const std::uint8_t> rows, int window_bits,
                                         const std::vector<std::span<const std::uint8_t>>& bands) {
    // CMF: deflate with a 2^window_bits window; FLG: level 9, check bits making the pair a
    // multiple of 31.
    const std::uint8_t cmf = std::uint8_t((window_bits - 8) << 4 | 8);
    const std::uint8_t flg = std::uint8_t(3 << 6 | (31 - (cmf * 256 + (3 << 6)) % 31) % 31);
    std::size_t total = 2 + 4;  // sized once, not grown band by band
    for (const std::span<const std::uint8_t> part : bands)
        total += part.size();
    std::vector<std::uint8_t> stream;
    stream.reserve(total);
    stream.push_back(cmf);
    stream.push_back(flg);
    for (const std::span<const std::uint8_t> part : bands)
        stream.insert(stream.end(), part.begin(), part.end());
    append_u32_be(stream, libdeflate_adler32(1, rows.data(), rows.size()));
    return stream;
}

// The zlib stream of the scanlines, 1 MiB bands deflated side by side by `band`.
template <class Band>
std::vector<std::uint8_t> deflate_in_bands(std::span<const std::uint8_t> rows, int window_bits,
                                           Band&& band) {
    const std::vector<std::vector<std::uint8_t>> bands =
        detail::map_chunks<std::vector<std::uint8_t>>(rows.size(), kDeflateBand, band);
    return zlib_stream_of(rows, window_bits, {bands.begin(), bands.end()});
}

// The zlib stream of the scanlines by libdeflate in bands side by side (libdeflate_band_bytes),
// written into one buffer this thread allocates and leaves uninitialized: each band touches
// only the bytes its stream fills, and the buffer goes back whole. Buffers of each band's own,
// made on the worker threads, stayed in those threads' malloc arenas: 11 MB more peak memory
// on the 27.7 MP photo at K = 256.
std::vector<std::uint8_t> libdeflate_in_bands(const fs::path& output,
                                              std::span<const std::uint8_t> rows, int level) {
    const std::size_t band = libdeflate_band_bytes(rows.size());
    const std::size_t room = libdeflate_room(band);
    const std::unique_ptr<std::uint8_t[]> buffer(
        new std::uint8_t[detail::chunk_count(rows.size(), band) * room]);
    const std::vector<std::size_t> sizes =
        detail::map_chunks<std::size_t>(rows.size(), band, [&](std::size_t begin, std::size_t end) {
            std::uint8_t* at = buffer.get() + begin / band * room;
            return libdeflate_band(output, rows, begin, end, level, {at, room});
        });
    std::vector<std::span<const std::uint8_t>> bands;
    for (std::size_t i = 0; i < sizes.size(); ++i)
        bands.emplace_back(buffer.get() + i * room, sizes[i]);
    return zlib_stream_of(rows, kFullWindow, bands);
}

// Appends a PNG chunk: length, type, data, CRC-32 of type and data.
void append_chunk(std::vector<std::uint8_t>& png, std::string_view type,
                  std::span<const std::uint8_t> data) {
    append_u32_be(png, std::uint32_t(data.size()));
    const std::size_t type_at = png.size();
    png.insert(png.end(), type.begin(), type.end());
    png.insert(png.end(), data.begin(), data.end());
    append_u32_be(png, libdeflate_crc32(0, png.data() + type_at, png.size() - type_at));
}

// Collects what an spng encoder writes to its stream.
int append_to_vector(spng_ctx*, void* user, void* data, std::size_t length) {
    auto* out = static_cast<std::vector<std::uint8_t>*>(user);
    const auto* bytes = static_cast<const std::uint8_t*>(data);
    out->insert(out->end(), bytes, bytes + length);
    return 0;
}

// An 8-bit RGB or RGBA PNG, rows filtered adaptively (full-color images gain from it).
std::vector<std::uint8_t> encode_truecolor_png(const fs::path& output, const Image& image) {
    SpngContext ctx = new_encoder();
    auto check = [&](int rc) { check_encoder(output, rc); };
    spng_ihdr ihdr{};
    ihdr.width = std::uint32_t(image.width);
    ihdr.height = std::uint32_t(image.height);
    ihdr.bit_depth = 8;
    ihdr.color_type =
        image.has_alpha() ? SPNG_COLOR_TYPE_TRUECOLOR_ALPHA : SPNG_COLOR_TYPE_TRUECOLOR;
    check(spng_set_option(ctx.get(), SPNG_ENCODE_TO_BUFFER, 1));
    check(spng_set_ihdr(ctx.get(), &ihdr));
    check(spng_encode_image(ctx.get(), image.samples.data(), image.samples.size(), SPNG_FMT_PNG,
                            SPNG_ENCODE_FINALIZE));
    return encoded_bytes(ctx, check);
}

}  // namespace

namespace detail {

std::vector<std::uint8_t> palette_scanlines(const IndexedImage& image) {
    return scanlines(image, png_bit_depth(image.palette.size()));
}

DeflateSetting deflate_setting_for(std::span<const std::uint8_t> rows, int level, Dither dither) {
    // One call up to a band's size; above, bands on every core (`bench/run encode`: on the
    // 12 MP photo at K = 256, 64 ms on 2 threads instead of 106, 0.23% more bytes).
    const DeflateEngine engine =
        rows.size() > kLibdeflateBand ? DeflateEngine::libdeflate_bands : DeflateEngine::libdeflate;
    if (level != EncodeOptions::kAutoPngLevel)
        return {engine, level};
    if (repeat_share(rows) > kDeepSearchRepeatShare)
        return {engine, kRunsLibdeflateLevel};
    return {engine, dither_method(dither).png_level};
}

std::vector<std::uint8_t> deflate_image_data(const fs::path& output,
                                             std::span<const std::uint8_t> rows,
                                             DeflateSetting setting) {
    switch (setting.engine) {
        case DeflateEngine::libdeflate:
            return deflate_scanlines(output, rows, setting.level);
        case DeflateEngine::zlib_bands:
            return deflate_in_bands(rows, kFullWindow, [&](std::size_t begin, std::size_t end) {
                return deflate_band(output, rows, begin, end, {setting.level, kFullWindow, 0});
            });
        case DeflateEngine::zlib_deep_bands:
            return deflate_in_bands(rows, kDeepSearch.window_bits,
                                    [&](std::size_t begin, std::size_t end) {
                                        return deflate_band(output, rows, begin, end, kDeepSearch);
                                    });
        case DeflateEngine::isal_bands:
            return deflate_in_bands(rows, kFullWindow, [&](std::size_t begin, std::size_t end) {
                return isal_band(output, rows, begin, end, std::clamp(setting.level, 0, 3));
            });
        case DeflateEngine::libdeflate_bands:
            return libdeflate_in_bands(output, rows, setting.level);
    }
    return {};
}

// libspng writes the signature and the chunks before the image data (IHDR, PLTE, tRNS); the
// image data is compressed by libdeflate into one IDAT chunk, then IEND closes the file.
std::vector<std::uint8_t> encode_palette_png(const fs::path& output, const IndexedImage& image,
                                             int level, const Metadata& metadata) {
    SpngContext ctx = new_encoder();
    auto check = [&](int rc) { check_encoder(output, rc); };
    const int depth = png_bit_depth(image.palette.size());
    spng_ihdr ihdr{};
    ihdr.width = std::uint32_t(image.width);
    ihdr.height = std::uint32_t(image.height);
    ihdr.bit_depth = std::uint8_t(depth);
    ihdr.color_type = SPNG_COLOR_TYPE_INDEXED;
    spng_plte plte{};
    spng_trns trns{};
    plte.n_entries = std::uint32_t(image.palette.size());
    for (std::size_t i = 0; i < image.palette.size(); ++i) {
        const Color c = image.palette[i].color;
        plte.entries[i] = {c.r, c.g, c.b, 255};
        trns.type3_alpha[i] = c.a;
        if (c.a != 255)
            trns.n_type3_entries = std::uint32_t(i + 1);  // tRNS may stop early
    }
    std::vector<std::uint8_t> png;
    check(spng_set_png_stream(ctx.get(), append_to_vector, &png));
    check(spng_set_ihdr(ctx.get(), &ihdr));
    check(spng_set_plte(ctx.get(), &plte));
    if (trns.n_type3_entries > 0)
        check(spng_set_trns(ctx.get(), &trns));
    detail::set_png_metadata(ctx.get(), metadata);
    check(spng_encode_chunks(ctx.get()));
    const std::vector<std::uint8_t> rows = scanlines(image, depth);
    const std::vector<std::uint8_t> idat =
        deflate_image_data(output, rows, deflate_setting_for(rows, level, image.dither));
    png.reserve(png.size() + idat.size() + 24);
    append_chunk(png, "IDAT", idat);
    append_chunk(png, "IEND", {});
    return png;
}

}  // namespace detail

std::vector<std::uint8_t> encode_png(const Image& image, const fs::path& output) {
    return encode_truecolor_png(output, image);
}

}  // namespace quantize
