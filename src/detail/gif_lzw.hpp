// GIF's LZW compression of a frame's indices, for the GIF encoder.
//
// Why not giflib's (EGifPutLine): giflib looks each (prefix, index) pair up in a hash table
// with linear probing (gif_hash.c), and on the bench's animation (120 frames of 480x320 at
// K = 256) that lookup alone was 16% of the whole run's CPU time, the encoder 27% (perf).
// This one inlines the lookup in a table of its own and codes the same greedy LZW with the same
// clear policy, so its bytes are giflib's (tests/test_gif.cpp compares them); giflib still writes
// every other part of the file and reads every GIF. Measured there: the encoder's CPU time
// from about 160 ms to 115 ms, the whole run's from about 600 ms to 490 ms (bench/README.md).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace quantize::detail {

// One encoder's table, reused from frame to frame (64 KiB).
class GifLzwEncoder {
  public:
    // The LZW code stream of `indices` (each < 2^min_code_size, min_code_size 2..8): a clear
    // code, the codes, the end code, bit-packed least significant bit first, without GIF's
    // sub-block lengths. An index out of range throws std::invalid_argument.
    std::vector<std::uint8_t> encode(std::span<const std::uint8_t> indices, int min_code_size);

  private:
    // The strings seen since the last clear, by open addressing: each entry holds the key
    // (prefix code << 8 | index, 20 bits) above the string's code (12 bits), kEmpty when
    // free. 16,384 entries for at most 4,094 strings: probes stay short (8,192 took 10% longer),
    // and the table stays in the second-level cache (a dense table of 4,096 x 256 codes was slower:
    // 2 MiB of cache misses).
    std::vector<std::uint32_t> table_;
};

}  // namespace quantize::detail
