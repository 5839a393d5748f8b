// PNG's chunk layout (length, type, data, CRC), walked by the fast decoder and by the metadata
// reader alike.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <libdeflate.h>

namespace quantize::detail {

inline constexpr std::uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

constexpr std::uint32_t chunk_type(const char (&name)[5]) {
    return std::uint32_t(std::uint8_t(name[0])) << 24 | std::uint32_t(std::uint8_t(name[1])) << 16 |
           std::uint32_t(std::uint8_t(name[2])) << 8 | std::uint32_t(std::uint8_t(name[3]));
}
inline constexpr std::uint32_t kIdat = chunk_type("IDAT");
inline constexpr std::uint32_t kIend = chunk_type("IEND");

// A chunk's first letter is upper case when a decoder must understand it (PNG spec 5.4).
constexpr bool is_critical(std::uint32_t type) {
    return (type & 0x20000000u) == 0;
}

inline std::uint32_t be32(const std::uint8_t* p) {
    return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}

struct Chunk {
    std::uint32_t type = 0;
    std::span<const std::uint8_t> data;
    // The whole chunk as stored: length, type, data and CRC.
    std::span<const std::uint8_t> stored() const { return {data.data() - 8, data.size() + 12}; }
};

// The chunks after the signature, each checked against its CRC.
class ChunkReader {
  public:
    explicit ChunkReader(std::span<const std::uint8_t> bytes) : rest_(bytes) {}

    // The next chunk; false at a cut-off or damaged one.
    bool next(Chunk& chunk) {
        if (rest_.size() < 12)
            return false;
        const std::uint32_t length = be32(rest_.data());
        if (length > rest_.size() - 12)
            return false;
        const std::uint8_t* typed = rest_.data() + 4;  // type and data: what the CRC covers
        if (libdeflate_crc32(0, typed, 4 + std::size_t(length)) != be32(typed + 4 + length))
            return false;
        chunk = {be32(typed), rest_.subspan(8, length)};
        rest_ = rest_.subspan(12 + std::size_t(length));
        return true;
    }

  private:
    std::span<const std::uint8_t> rest_;
};

}  // namespace quantize::detail
