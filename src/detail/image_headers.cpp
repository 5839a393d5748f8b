#include "detail/image_headers.hpp"

#include <algorithm>
#include <cstdlib>

namespace quantize::detail {

namespace {

std::uint32_t le16(const std::uint8_t* p) {
    return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8;
}
std::uint32_t le32(const std::uint8_t* p) {
    return le16(p) | le16(p + 2) << 16;
}

// Reads PNM's next decimal field, skipping whitespace and comments; false at anything else.
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

  private:
    void skip_blanks() {
        while (!rest_.empty()) {
            const std::uint8_t c = rest_[0];
            if (c == '#') {
                while (!rest_.empty() && rest_[0] != '\n')
                    rest_ = rest_.subspan(1);
            } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
                rest_ = rest_.subspan(1);
            } else {
                return;
            }
        }
    }

    std::span<const std::uint8_t> rest_;
};

}  // namespace

std::optional<HeaderSize> bmp_size(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < 30 || bytes[0] != 'B' || bytes[1] != 'M')
        return std::nullopt;
    const std::uint32_t info_size = le32(bytes.data() + 14);
    HeaderSize size;
    if (info_size == 12) {
        size.width = le16(bytes.data() + 18);
        size.height = le16(bytes.data() + 20);
        return size;
    }
    if (info_size < 40)
        return std::nullopt;
    const auto width = std::int32_t(le32(bytes.data() + 18));
    const auto height = std::int32_t(le32(bytes.data() + 22));
    size.width = std::uint64_t(std::llabs(width));
    size.height = std::uint64_t(std::llabs(height));
    size.bytes_per_pixel = le16(bytes.data() + 28) == 32 ? 4 : 3;
    return size;
}

std::optional<HeaderSize> pnm_size(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < 3 || bytes[0] != 'P' || bytes[1] < '1' || bytes[1] > '6')
        return std::nullopt;
    const int kind = bytes[1] - '0';
    PnmFields fields(bytes.subspan(2, std::min<std::size_t>(bytes.size() - 2, 1024)));
    HeaderSize size;
    if (!fields.next(size.width) || !fields.next(size.height))
        return std::nullopt;
    std::uint64_t maxval = 1;
    if (kind != 1 && kind != 4 && !fields.next(maxval))
        return std::nullopt;
    const std::uint64_t sample_bytes = maxval > 255 ? 2 : 1;
    size.bytes_per_pixel = (kind == 3 || kind == 6 ? 3 : 1) * sample_bytes;
    return size;
}

}  // namespace quantize::detail
