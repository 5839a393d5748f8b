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
constexpr int kHashBits = 15;                    // 32,768 entries
constexpr std::uint32_t kEmpty = 0xffffffff;     // no key is 2^20 - 1 above a code 4095

// An index's part of a slot (Fibonacci hashing of the index, 15 bits): computed while the
// prefix is still being looked up, as it does not depend on it.
inline std::uint32_t index_hash(unsigned index) {
    return (index * 2654435761u) >> (32 - kHashBits);
}

// The slot where the search for (prefix, index) starts, from the prefix (12 bits) shifted to
// the table's top bits and index_hash(index): two operations after the prefix is known, where
// the prefix comes from the lookup before, so each pixel's lookup waits on the last (a multiply
// of the whole key there made that wait 3 cycles longer).
inline std::uint32_t home_of(unsigned prefix, std::uint32_t index_part) {
    static_assert(kMaxBits + 3 == kHashBits, "the prefix fills the slot's top 12 bits");
    return (prefix << 3) ^ index_part;
}

// Codes packed least significant bit first into a buffer with 8 bytes of room past the last
// code: each code is stored with the bits pending before it as one 8-byte store, and the whole
// bytes it completes are passed over, without a test per byte.
class BitSink {
  public:
    explicit BitSink(std::uint8_t* out) : out_(out) {}
    void put(unsigned code, unsigned bits) {
        pending_ |= std::uint64_t(code) << count_;
        count_ += bits;  // at most 7 + 12
        std::uint64_t word = pending_;
        if constexpr (std::endian::native == std::endian::big)
            word = __builtin_bswap64(word);
        std::memcpy(out_, &word, sizeof word);
        out_ += count_ / 8;
        pending_ >>= count_ & ~7u;
        count_ %= 8;
    }
    // Past the last byte holding a bit.
    std::uint8_t* end() const { return out_ + (count_ > 0 ? 1 : 0); }

  private:
    std::uint8_t* out_;
    std::uint64_t pending_ = 0;
    unsigned count_ = 0;  // bits in pending_, 0..7 between calls
};

}  // namespace

std::vector<std::uint8_t> GifLzwEncoder::encode(std::span<const std::uint8_t> indices,
                                                int min_code_size) {
    return encode(indices.data(), indices.size(), indices.empty() ? 0 : 1, indices.size(),
                  min_code_size);
}

std::vector<std::uint8_t> GifLzwEncoder::encode(const std::uint8_t* rows, std::size_t width,
                                                std::size_t height, std::size_t stride,
                                                int min_code_size) {
    return encode_rows<false>(rows, width, height, stride, min_code_size, nullptr, 0);
}

std::vector<std::uint8_t> GifLzwEncoder::encode(const std::uint8_t* rows, std::size_t width,
                                                std::size_t height, std::size_t stride,
                                                int min_code_size, const std::uint8_t* free,
                                                unsigned transparent) {
    if (transparent >= (1u << std::clamp(min_code_size, 2, 8)))
        throw std::invalid_argument("GIF transparent index past its table");
    return encode_rows<true>(rows, width, height, stride, min_code_size, free, transparent);
}

template <bool kChoice>
std::vector<std::uint8_t> GifLzwEncoder::encode_rows(const std::uint8_t* rows, std::size_t width,
                                                     std::size_t height, std::size_t stride,
                                                     int min_code_size, const std::uint8_t* free,
                                                     unsigned transparent) {
    if (min_code_size < 2 || min_code_size > 8)
        throw std::invalid_argument("GIF LZW code size " + std::to_string(min_code_size));
    const unsigned m = unsigned(min_code_size);
    const unsigned clear = 1u << m, end = clear + 1, alphabet = clear;
    for (std::size_t y = 0; alphabet < 256 && y < height; ++y) {
        const std::uint8_t* row = rows + y * stride;
        if (std::any_of(row, row + width, [&](std::uint8_t index) { return index >= alphabet; }))
            throw std::invalid_argument("GIF index past a table of " + std::to_string(alphabet));
    }
    if (table_.empty())
        table_.assign(std::size_t(1) << kHashBits, kEmpty);
    // Room for the codes: one a pixel at most, a clear every 3,837 codes (the table's 4,095
    // less the 258 roots), the first clear and the end, 12 bits each, and the 8 bytes the last
    // store writes past them. Reused from frame to frame: its pages are touched once.
    const std::size_t pixels = width * height;
    const std::size_t room = (pixels + pixels / 3837 + 3) * kMaxBits / 8 + 16;
    if (scratch_.size() < room)
        scratch_.resize(room);
    BitSink sink(scratch_.data());
    unsigned bits = m + 1;    // width of the codes written now
    unsigned next = end + 1;  // the code the next new string gets
    std::size_t used = 0;     // slots filled since the last clear, in used_[0, used)
    auto forget = [&] {       // empties the table: only the slots filled
        for (std::size_t i = 0; i < used; ++i)
            table_[used_[i]] = kEmpty;
        used = 0;
        next = end + 1;
        bits = m + 1;
    };
    // As giflib's EGifCompressOutput: the width grows after the code written when the code to
    // assign next no longer fits in it.
    auto write = [&](unsigned code) {
        sink.put(code, bits);
        if (next >= (1u << bits) && bits < unsigned(kMaxBits))
            ++bits;
    };
    sink.put(clear, bits);
    if (pixels > 0) {
        std::uint32_t* const table = table_.data();
        // The slot of `key`, or the free one where it goes (linear probing), and its entry.
        auto find = [table](std::uint32_t key, std::uint32_t home, std::uint32_t& slot) {
            slot = home;
            std::uint32_t entry = table[slot];
            while (entry >> kMaxBits != key && entry != kEmpty) {
                slot = (slot + 1) & ((1u << kHashBits) - 1);
                entry = table[slot];
            }
            return entry;
        };
        unsigned prefix = kChoice && free[0] ? transparent : rows[0];
        for (std::size_t y = 0; y < height; ++y) {
            const std::uint8_t* row = rows + y * stride;
            const std::uint8_t* free_row = kChoice ? free + y * width : nullptr;
            for (std::size_t x = y == 0 ? 1 : 0; x < width; ++x) {
                unsigned index = row[x];
                std::uint32_t key = std::uint32_t(prefix) << 8 | index;
                std::uint32_t slot = 0;
                std::uint32_t entry = find(key, home_of(prefix, index_hash(index)), slot);
                if constexpr (kChoice) {
                    // A pixel that may be written either way, whose own index ends the string:
                    // the transparent index when the string goes on with it, or when the
                    // pixel after may be written so too (a new string starts a run of them).
                    if (free_row[x] && entry == kEmpty) {
                        const std::uint32_t clear_key = std::uint32_t(prefix) << 8 | transparent;
                        std::uint32_t clear_slot = 0;
                        const std::uint32_t clear_entry =
                            find(clear_key, home_of(prefix, index_hash(transparent)), clear_slot);
                        if (clear_entry != kEmpty || (x + 1 < width && free_row[x + 1])) {
                            index = transparent;
                            key = clear_key;
                            slot = clear_slot;
                            entry = clear_entry;
                        }
                    }
                }
                if (entry != kEmpty) {  // the string goes on
                    prefix = entry & ((1u << kMaxBits) - 1);
                    continue;
                }
                write(prefix);
                prefix = index;
                if (next >= unsigned(kTableFull)) {  // full: a clear instead of code 4095
                    write(clear);
                    forget();
                } else {
                    table[slot] = key << kMaxBits | next;
                    used_[used++] = std::uint16_t(slot);
                    ++next;
                }
            }
        }
        write(prefix);
    }
    write(end);
    forget();  // the table empty again for the next frame
    return std::vector<std::uint8_t>(scratch_.data(), sink.end());
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
