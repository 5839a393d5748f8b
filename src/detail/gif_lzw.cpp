#include "detail/gif_lzw.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
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

GifLzwDecoder::GifLzwDecoder(std::span<const std::uint8_t> data) {
    const int code_size = data.empty() ? 0 : data[0];
    if (code_size < 1 || code_size > 8)
        throw std::runtime_error("LZW code size " + std::to_string(code_size) + " (1 to 8)");
    // The sub-blocks up to the terminator or the end of the bytes (a block cut short by it
    // keeps what it has).
    stream_.reserve(data.size() + 8);
    for (std::size_t at = 1; at < data.size() && data[at] != 0;) {
        const std::size_t n = std::min<std::size_t>(data[at], data.size() - at - 1);
        stream_.insert(stream_.end(), data.begin() + std::ptrdiff_t(at + 1),
                       data.begin() + std::ptrdiff_t(at + 1 + n));
        at += 1 + n;
    }
    bits_ = 8 * stream_.size();
    stream_.resize(stream_.size() + 8);
    clear_ = 1u << code_size;
    for (unsigned root = 0; root < clear_; ++root) {
        tail_[root][0] = first_[root] = std::uint8_t(root);
        length_[root] = 1;
    }
    forget();
}

void GifLzwDecoder::forget() {
    width_ = std::countr_zero(clear_) + 1;
    next_ = clear_ + 2;  // after the clear and end codes
    previous_ = kCodes;
}

void GifLzwDecoder::read(std::uint8_t* out, std::size_t n) {
    std::size_t done = 0;
    for (; done < n && pending_at_ < pending_end_; ++done)
        out[done] = pending_[pending_at_++];
    const unsigned end = clear_ + 1;
    while (done < n) {
        unsigned code = kCodes;  // the data's end
        if (bit_ + unsigned(width_) <= bits_) {
            std::uint64_t word;  // as little-endian: the stream's bits in order from bit 0
            std::memcpy(&word, stream_.data() + bit_ / 8, sizeof word);
            if constexpr (std::endian::native == std::endian::big)
                word = __builtin_bswap64(word);
            code = unsigned(word >> (bit_ % 8)) & ((1u << width_) - 1);
            bit_ += unsigned(width_);
        }
        if (code == kCodes || code == end) {
            throw std::runtime_error("the LZW data ends " + std::to_string(n - done) +
                                     " pixels early");
        }
        if (code == clear_) {
            forget();
            continue;
        }
        if (previous_ == kCodes) {  // the first code after a clear: a root
            if (code > clear_)
                throw std::runtime_error("an LZW code past the table");
            out[done++] = std::uint8_t(code);
            previous_ = code;
            continue;
        }
        // The new string: the one before and the first index of this one (of the one before,
        // when this one is the new string itself).
        if (code > next_ || (code == next_ && next_ == kCodes))
            throw std::runtime_error("an LZW code past the table");
        if (next_ < kCodes) {
            const unsigned first = code < next_ ? first_[code] : first_[previous_];
            const unsigned before = length_[previous_];
            if (before % 8 != 0) {  // the new index goes into the last chunk
                tail_[next_] = tail_[previous_];
                tail_[next_][before % 8] = std::uint8_t(first);
                up_[next_] = up_[previous_];
            } else {  // a chunk of its own after the string before
                tail_[next_] = {std::uint8_t(first)};
                up_[next_] = std::uint16_t(previous_);
            }
            first_[next_] = first_[previous_];
            length_[next_] = std::uint16_t(before + 1);
            ++next_;
            if (next_ >= (1u << width_) && width_ < 12)
                ++width_;
        }
        // The string written from its last chunk back, 8 bytes a chunk: in place when those
        // bytes fit in what was asked, else into pending_ and as much of it as fits.
        const unsigned length = length_[code];
        const std::size_t last_chunk = (length - 1) & ~7u;  // where it starts
        const bool fits = last_chunk + 8 <= n - done;
        std::uint8_t* string = fits ? out + done : pending_.data();
        for (unsigned at = code, chunk = unsigned(last_chunk);; chunk -= 8) {
            std::memcpy(string + chunk, tail_[at].data(), 8);
            if (chunk == 0)
                break;
            at = up_[at];
        }
        if (fits) {
            done += length;
        } else {  // the rest, if any, is given by the next read
            pending_end_ = length;
            pending_at_ = unsigned(std::min<std::size_t>(length, n - done));
            std::copy_n(pending_.data(), pending_at_, out + done);
            done += pending_at_;
        }
        previous_ = code;
    }
}

}  // namespace quantize::detail
