// GIF's LZW compression of a frame's indices, for the GIF encoder, and its decompression, for
// the GIF decoder.
//
// Why not giflib's (EGifPutLine): giflib looks each (prefix, index) pair up in a hash table
// with linear probing (gif_hash.c), and on the bench's animation (120 frames of 480x320 at
// K = 256) that lookup alone was 16% of the whole run's CPU time, the encoder 27% (perf).
// This one inlines the lookup in a table of its own and codes the same greedy LZW with the same
// clear policy, so its bytes are giflib's (tests/test_gif.cpp compares them); giflib still writes
// every other part of the file and reads every GIF. Measured there: the encoder's CPU time
// from about 160 ms to 115 ms, the whole run's from about 600 ms to 490 ms (bench/README.md).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace quantize::detail {

// One encoder's table and output buffer, reused from frame to frame (128 KiB and 1.5 bytes a
// pixel of the largest frame). Each code goes out with one 8-byte store, a clear empties only
// the slots filled, and a crop is read where it lies: on the bench's 120 frames of 480x320 at
// K = 256 (18.4 M indices, one thread) 6.6 ns a pixel became 5.9.
class GifLzwEncoder {
  public:
    // The LZW code stream of `indices` (each < 2^min_code_size, min_code_size 2..8): a clear
    // code, the codes, the end code, bit-packed least significant bit first, without GIF's
    // sub-block lengths. An index out of range throws std::invalid_argument.
    std::vector<std::uint8_t> encode(std::span<const std::uint8_t> indices, int min_code_size);
    // The same of a rectangle's indices, row after row: `height` rows of `width` indices, row
    // y from rows + y * stride (a crop encoded where it lies, without a copy).
    std::vector<std::uint8_t> encode(const std::uint8_t* rows, std::size_t width,
                                     std::size_t height, std::size_t stride, int min_code_size);
    // The same where some pixels may be written either as their index or as `transparent`
    // (those unchanged from the frame before, under a transparent index): free[y * width + x]
    // nonzero says pixel (x, y) may. Each such pixel is written as whichever of the two lets the
    // string being matched go on (its own index first), and a new string starts with the
    // transparent index when the pixel after may be written so too: the choice LZW's
    // greedy match makes cheapest, instead of one fixed before. `transparent` past the table
    // throws std::invalid_argument.
    std::vector<std::uint8_t> encode(const std::uint8_t* rows, std::size_t width,
                                     std::size_t height, std::size_t stride, int min_code_size,
                                     const std::uint8_t* free, unsigned transparent);

  private:
    template <bool kChoice>
    std::vector<std::uint8_t> encode_rows(const std::uint8_t* rows, std::size_t width,
                                          std::size_t height, std::size_t stride, int min_code_size,
                                          const std::uint8_t* free, unsigned transparent);

    // The strings seen since the last clear, by open addressing: each entry holds the key
    // (prefix code << 8 | index, 20 bits) above the string's code (12 bits), kEmpty when
    // free. 32,768 entries for at most 4,094 strings: probes stay short (on the bench's
    // indices 8,192 took 13% longer than 16,384, and 32,768 4% less; 65,536 no less), and the
    // table stays in the second-level cache (a dense table of 4,096 x 256 codes was slower: 2 MiB
    // of cache misses). A clear empties only the slots filled, so its size costs no clearing.
    std::vector<std::uint32_t> table_;
    // The slots filled since the last clear, so a clear empties those alone (at most 3,837 of
    // the 32,768).
    std::array<std::uint16_t, 4096> used_{};
    std::vector<std::uint8_t> scratch_;  // the codes of the frame being encoded
};

// Why not giflib's decoder (DGifGetLine): it pushes every string on a stack and pops it an index
// at a time behind a call per line, and each frame had to be handed to it as a GIF of its own (a
// copy of the frame's bytes). On the bench's animation (120 frames of 480x320) it was 21% of the
// whole run's CPU time; this one, which writes each string from its table 8 indices a copy
// straight from the file's bytes, is 6% of a run that takes a third less CPU time (perf; about
// 105 ms down to 20 ms). giflib still reads every block of the file around the LZW data
// (gif_decode.cpp), and its behaviour on valid data is what tests/test_gif.cpp compares.
//
// One frame's LZW data, read as the pixels are asked for: `data` starts at the frame's code
// size byte (1..8) and holds its sub-blocks, each a length byte and that many bytes, up to a
// zero length or the end of the span. Codes past the table and data that ends (or says end)
// before the pixels asked for throw std::runtime_error with the cause; codes after the last
// pixel asked for are never read, as giflib never reads them.
class GifLzwDecoder {
  public:
    explicit GifLzwDecoder(std::span<const std::uint8_t> data);
    // Writes the next n indices (each < 2^code size) to out[0, n).
    void read(std::uint8_t* out, std::size_t n);

  private:
    static constexpr unsigned kCodes = 4096;  // 12-bit codes
    void forget();                            // a clear code: the table back to its roots

    // The sub-blocks' bytes one after the other, and 8 zero bytes past them, so that a code is
    // read with one unaligned 8-byte load whatever its position.
    std::vector<std::uint8_t> stream_;
    std::size_t bit_ = 0, bits_ = 0;  // the next bit to read, and the data's bits in all
    int width_ = 0;                   // of the codes read now, code size + 1 .. 12
    unsigned clear_ = 0, next_ = 0;
    unsigned previous_ = kCodes;  // the code before, kCodes after a clear
    // Every string the table holds, in chunks of 8 indices from its start: its last chunk (1
    // to 8 indices, the rest of the 8 bytes unused), the code of the string before that chunk
    // (when there is one), its first index and its length. A string of 8 indices or fewer, as
    // most are, is written with one 8-byte copy; longer ones a copy per chunk.
    std::array<std::array<std::uint8_t, 8>, kCodes> tail_{};
    std::array<std::uint16_t, kCodes> up_{}, length_{};
    std::array<std::uint8_t, kCodes> first_{};
    // A string the last read ended inside: the rest of it, given first by the next read.
    std::array<std::uint8_t, kCodes> pending_{};
    unsigned pending_at_ = 0, pending_end_ = 0;
};

}  // namespace quantize::detail
