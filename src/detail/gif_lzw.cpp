#include "detail/gif_lzw.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace quantize::detail {

namespace {

constexpr int kMaxBits = 12;                     // GIF codes are 12 bits at most
constexpr int kTableFull = (1 << kMaxBits) - 1;  // 4095: giflib clears instead of assigning it
constexpr int kHashBits = 14;                    // 16,384 entries
constexpr std::uint32_t kEmpty = 0xffffffff;     // no key is 2^20 - 1 above a code 4095

// The entry of `key` (20 bits), or of the free slot where it goes: Fibonacci hashing, then the
// next entries in turn.
inline std::size_t slot_of(const std::vector<std::uint32_t>& table, std::uint32_t key) {
    std::size_t slot = (key * 2654435761u) >> (32 - kHashBits);
    while (table[slot] != kEmpty && table[slot] >> kMaxBits != key)
        slot = (slot + 1) & ((1u << kHashBits) - 1);
    return slot;
}

// Codes packed least significant bit first into bytes.
class BitPacker {
  public:
    explicit BitPacker(std::vector<std::uint8_t>& out) : out_(out) {}
    void put(unsigned code, int bits) {
        pending_ |= std::uint64_t(code) << count_;
        count_ += bits;
        while (count_ >= 8) {
            out_.push_back(std::uint8_t(pending_));
            pending_ >>= 8;
            count_ -= 8;
        }
    }
    void flush() {
        if (count_ > 0)
            out_.push_back(std::uint8_t(pending_));
        pending_ = 0;
        count_ = 0;
    }

  private:
    std::vector<std::uint8_t>& out_;
    std::uint64_t pending_ = 0;
    int count_ = 0;  // bits in pending_, 0..7 between calls
};

}  // namespace

std::vector<std::uint8_t> GifLzwEncoder::encode(std::span<const std::uint8_t> indices,
                                                int min_code_size) {
    if (min_code_size < 2 || min_code_size > 8)
        throw std::invalid_argument("GIF LZW code size " + std::to_string(min_code_size));
    const int m = min_code_size;
    const unsigned clear = 1u << m, end = clear + 1, alphabet = clear;
    if (table_.empty())
        table_.assign(std::size_t(1) << kHashBits, kEmpty);
    std::vector<std::uint8_t> out;
    out.reserve(indices.size() / 2 + 16);
    BitPacker packer(out);
    int bits = m + 1;         // width of the codes written now
    unsigned next = end + 1;  // the code the next new string gets
    auto forget = [&] {       // empties the table
        std::fill(table_.begin(), table_.end(), kEmpty);
        next = end + 1;
        bits = m + 1;
    };
    // As giflib's EGifCompressOutput: the width grows after the code written when the code to
    // assign next no longer fits in it.
    auto write = [&](unsigned code) {
        packer.put(code, bits);
        if (next >= (1u << bits) && bits < kMaxBits)
            ++bits;
    };
    packer.put(clear, bits);
    if (!indices.empty()) {
        if (std::any_of(indices.begin(), indices.end(),
                        [&](std::uint8_t index) { return index >= alphabet; }))
            throw std::invalid_argument("GIF index past a table of " + std::to_string(alphabet));
        unsigned prefix = indices[0];
        for (std::size_t i = 1; i < indices.size(); ++i) {
            const unsigned index = indices[i];
            const std::uint32_t key = std::uint32_t(prefix) << 8 | index;
            const std::size_t slot = slot_of(table_, key);
            if (table_[slot] != kEmpty) {
                prefix = table_[slot] & ((1u << kMaxBits) - 1);
                continue;
            }
            write(prefix);
            prefix = index;
            if (next >= unsigned(kTableFull)) {  // full: a clear instead of code 4095
                write(clear);
                forget();
            } else {
                table_[slot] = key << kMaxBits | next;
                ++next;
            }
        }
        write(prefix);
    }
    write(end);
    packer.flush();
    forget();  // the table empty again for the next frame
    return out;
}

}  // namespace quantize::detail
