#include "detail/png_metadata.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "detail/png_chunks.hpp"
#include "detail/spng.hpp"

namespace quantize::detail {

namespace {

constexpr std::uint32_t kMetadataChunks[] = {
    chunk_type("iCCP"), chunk_type("sRGB"), chunk_type("gAMA"), chunk_type("cHRM"),
    chunk_type("tEXt"), chunk_type("zTXt"), chunk_type("iTXt"), chunk_type("pHYs"),
    chunk_type("eXIf"), chunk_type("tIME")};

bool is_metadata_chunk(std::uint32_t type) {
    return std::find(std::begin(kMetadataChunks), std::end(kMetadataChunks), type) !=
           std::end(kMetadataChunks);
}

void append_chunk(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> stored) {
    out.insert(out.end(), stored.begin(), stored.end());
}

// The file's chunks without the image data: every chunk but IDAT and IEND in file order, then
// an empty IDAT and IEND. Empty when the file has no metadata chunk.
std::vector<std::uint8_t> chunks_without_pixels(std::span<const std::uint8_t> png) {
    if (png.size() < sizeof kPngSignature ||
        std::memcmp(png.data(), kPngSignature, sizeof kPngSignature) != 0)
        return {};
    std::vector<std::uint8_t> out(std::begin(kPngSignature), std::end(kPngSignature));
    bool any = false;
    ChunkReader chunks(png.subspan(sizeof kPngSignature));
    for (Chunk chunk; chunks.next(chunk) && chunk.type != kIend;) {
        if (chunk.type == kIdat)
            continue;
        any = any || is_metadata_chunk(chunk.type);
        append_chunk(out, chunk.stored());
    }
    if (!any)
        return {};
    // An empty IDAT (length 0, its CRC over the type alone) and IEND.
    constexpr std::uint8_t kEnd[] = {0, 0, 0, 0, 'I', 'D', 'A', 'T', 0x35, 0xaf, 0x06, 0x1e,
                                     0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
    out.insert(out.end(), std::begin(kEnd), std::end(kEnd));
    return out;
}

// Bounds what libspng holds for metadata: a zTXt or iCCP that inflates past these (bytes) is
// dropped instead of filling memory.
constexpr std::size_t kChunkLimit = std::size_t{64} << 20;
constexpr std::size_t kCacheLimit = std::size_t{128} << 20;

void read_profile(spng_ctx* ctx, ColorProfile& profile) {
    spng_iccp iccp{};
    if (spng_get_iccp(ctx, &iccp) == 0 && iccp.profile_len > 0) {
        profile.icc.assign(iccp.profile, iccp.profile + iccp.profile_len);
        return;  // an iCCP overrides sRGB, gAMA and cHRM (PNG spec 11.3.3.1)
    }
    std::uint8_t intent = 0;
    if (spng_get_srgb(ctx, &intent) == 0)
        profile.srgb_intent = intent;
    std::uint32_t gamma = 0;
    if (spng_get_gama_int(ctx, &gamma) == 0)
        profile.gamma = gamma;
    spng_chrm_int chrm{};
    if (spng_get_chrm_int(ctx, &chrm) == 0) {
        profile.chromaticities = {chrm.white_point_x, chrm.white_point_y, chrm.red_x,  chrm.red_y,
                                  chrm.green_x,       chrm.green_y,       chrm.blue_x, chrm.blue_y};
    }
}

void read_text(spng_ctx* ctx, std::vector<TextEntry>& text) {
    std::uint32_t count = 0;
    if (spng_get_text(ctx, nullptr, &count) != 0 || count == 0)
        return;
    std::vector<spng_text> entries(count);
    if (spng_get_text(ctx, entries.data(), &count) != 0)
        return;
    for (const spng_text& t : entries) {
        TextEntry entry;
        entry.keyword = t.keyword;
        entry.text.assign(t.text, t.length);
        entry.compressed = t.type == SPNG_ZTXT || (t.type == SPNG_ITXT && t.compression_flag);
        entry.international = t.type == SPNG_ITXT;
        if (entry.international) {
            entry.language = t.language_tag ? t.language_tag : "";
            entry.translated_keyword = t.translated_keyword ? t.translated_keyword : "";
        }
        text.push_back(std::move(entry));
    }
}

}  // namespace

Metadata read_png_metadata(std::span<const std::uint8_t> png) {
    Metadata metadata;
    const std::vector<std::uint8_t> chunks = chunks_without_pixels(png);
    if (chunks.empty())
        return metadata;
    const SpngContext ctx(spng_ctx_new(0));
    if (!ctx || spng_set_chunk_limits(ctx.get(), kChunkLimit, kCacheLimit) != 0 ||
        spng_set_png_buffer(ctx.get(), chunks.data(), chunks.size()) != 0 ||
        spng_decode_chunks(ctx.get()) != 0)
        return metadata;
    read_profile(ctx.get(), metadata.profile);
    read_text(ctx.get(), metadata.text);
    spng_phys phys{};
    if (spng_get_phys(ctx.get(), &phys) == 0)
        metadata.resolution = Resolution{phys.ppu_x, phys.ppu_y, phys.unit_specifier == 1};
    spng_exif exif{};
    if (spng_get_exif(ctx.get(), &exif) == 0 && exif.length > 0)
        metadata.exif.assign(exif.data, exif.data + exif.length);
    spng_time time{};
    if (spng_get_time(ctx.get(), &time) == 0) {
        metadata.time =
            Timestamp{time.year, time.month, time.day, time.hour, time.minute, time.second};
    }
    return metadata;
}

void set_png_metadata(spng_ctx* encoder, const Metadata& metadata) {
    const ColorProfile& profile = metadata.profile;
    if (!profile.icc.empty()) {
        spng_iccp iccp{};
        // The chunk's name: 1-79 Latin-1 characters; the description where it fits.
        std::string name = profile.description.empty() ? "ICC profile" : profile.description;
        name.resize(std::min<std::size_t>(name.size(), 79));
        std::replace_if(
            name.begin(), name.end(),
            [](char c) {
                return static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e;
            },
            '_');
        std::copy(name.begin(), name.end(), iccp.profile_name);
        iccp.profile = const_cast<char*>(reinterpret_cast<const char*>(profile.icc.data()));
        iccp.profile_len = profile.icc.size();
        spng_set_iccp(encoder, &iccp);
    } else {
        if (profile.srgb_intent)
            spng_set_srgb(encoder, std::uint8_t(*profile.srgb_intent));
        if (profile.gamma)
            spng_set_gama_int(encoder, *profile.gamma);
        if (const auto& c = profile.chromaticities) {
            spng_chrm_int chrm{(*c)[0], (*c)[1], (*c)[2], (*c)[3],
                               (*c)[4], (*c)[5], (*c)[6], (*c)[7]};
            spng_set_chrm_int(encoder, &chrm);
        }
    }
    if (!metadata.text.empty()) {
        std::vector<spng_text> entries;
        for (const TextEntry& t : metadata.text) {
            if (t.keyword.empty() || t.keyword.size() > 79)
                continue;
            spng_text entry{};
            std::copy(t.keyword.begin(), t.keyword.end(), entry.keyword);
            entry.type = t.international ? SPNG_ITXT : t.compressed ? SPNG_ZTXT : SPNG_TEXT;
            entry.text = const_cast<char*>(t.text.c_str());
            entry.length = t.text.size();
            if (t.international) {
                entry.compression_flag = t.compressed ? 1 : 0;
                entry.language_tag = const_cast<char*>(t.language.c_str());
                entry.translated_keyword = const_cast<char*>(t.translated_keyword.c_str());
            }
            entries.push_back(entry);
        }
        if (!entries.empty())
            spng_set_text(encoder, entries.data(), std::uint32_t(entries.size()));
    }
    if (const auto& r = metadata.resolution) {
        spng_phys phys{r->x, r->y, std::uint8_t(r->per_meter ? 1 : 0)};
        spng_set_phys(encoder, &phys);
    }
    if (!metadata.exif.empty()) {
        spng_exif exif{metadata.exif.size(),
                       const_cast<char*>(reinterpret_cast<const char*>(metadata.exif.data()))};
        spng_set_exif(encoder, &exif);
    }
    if (const auto& t = metadata.time) {
        spng_time time{t->year, t->month, t->day, t->hour, t->minute, t->second};
        spng_set_time(encoder, &time);
    }
}

}  // namespace quantize::detail
