#include "detail/gif_encode.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <string>

#include <gif_lib.h>

#include "detail/gif_decode.hpp"
#include "detail/io_errors.hpp"

namespace quantize::detail {

namespace {

// giflib's write callback: appends to the vector in UserData.
int write_memory(GifFileType* gif, const GifByteType* bytes, int size) {
    auto* out = static_cast<std::vector<std::uint8_t>*>(gif->UserData);
    out->insert(out->end(), bytes, bytes + size);
    return size;
}

struct GifAbandon {  // on an error: frees the encoder, whatever it has written
    void operator()(GifFileType* gif) const {
        int error = 0;
        EGifCloseFile(gif, &error);
    }
};

struct MapFree {
    void operator()(ColorMapObject* map) const { GifFreeMapObject(map); }
};
using ColorMap = std::unique_ptr<ColorMapObject, MapFree>;

constexpr int kClearBelow = 128;  // alpha under which an entry is the transparent index

// The palette as a color table of the next power of two >= 2 entries.
ColorMap color_table(const std::filesystem::path& output, const Palette& palette) {
    if (palette.size() > 256)
        fail_output(output, "GIF holds 256 colors at most, not " + std::to_string(palette.size()));
    int size = 2;
    while (std::size_t(size) < palette.size())
        size *= 2;
    ColorMap map(GifMakeMapObject(size, nullptr));  // calloc'ed: black
    if (!map)
        throw std::bad_alloc();
    for (std::size_t i = 0; i < palette.size(); ++i)
        map->Colors[i] = {palette[i].color.r, palette[i].color.g, palette[i].color.b};
    return map;
}

bool same_colors(const Palette& a, const Palette& b) {
    return std::equal(
        a.begin(), a.end(), b.begin(), b.end(),
        [](const PaletteEntry& x, const PaletteEntry& y) { return x.color == y.color; });
}

}  // namespace

std::vector<std::uint8_t> encode_gif(const std::filesystem::path& output,
                                     std::span<const GifFrame> frames, int loops) {
    if (frames.empty())
        fail_output(output, "no frame to write");
    const int width = frames.front().image->width, height = frames.front().image->height;
    if (width > 65535 || height > 65535) {
        fail_output(output, "GIF holds 65535x65535 pixels at most, not " + std::to_string(width) +
                                "x" + std::to_string(height));
    }
    std::vector<std::uint8_t> bytes;
    int error = 0;
    std::unique_ptr<GifFileType, GifAbandon> gif(EGifOpen(&bytes, write_memory, &error));
    if (!gif)
        fail_output(output, std::string("GIF encoder: ") + gif_error(error));
    auto check = [&](int rc) {
        if (rc == GIF_ERROR)
            fail_output(output, std::string("GIF encoder: ") + gif_error(gif->Error));
    };
    EGifSetGifVersion(gif.get(), true);
    const Palette& global = frames.front().image->palette;
    const ColorMap global_map = color_table(output, global);
    check(EGifPutScreenDesc(gif.get(), width, height, 8, 0, global_map.get()));
    const bool animated = frames.size() > 1;
    if (animated && loops != 1) {
        const int count = loops == 0 ? 0 : std::min(loops - 1, 65535);
        const GifByteType sub_block[] = {1, GifByteType(count & 0xff), GifByteType(count >> 8)};
        check(EGifPutExtensionLeader(gif.get(), APPLICATION_EXT_FUNC_CODE));
        check(EGifPutExtensionBlock(gif.get(), 11, "NETSCAPE2.0"));
        check(EGifPutExtensionBlock(gif.get(), 3, sub_block));
        check(EGifPutExtensionTrailer(gif.get()));
    }
    // Frames are whole canvases: where any has transparent pixels, each frame is cleared
    // (disposal "background", transparent in every browser) before the next is drawn, or the
    // one before would show through.
    const bool any_clear = std::any_of(frames.begin(), frames.end(), [](const GifFrame& f) {
        return std::any_of(f.image->palette.begin(), f.image->palette.end(),
                           [](const PaletteEntry& e) { return e.color.a < kClearBelow; });
    });
    std::vector<GifPixelType> row(std::size_t(width), 0);
    for (const GifFrame& frame : frames) {
        const IndexedImage& image = *frame.image;
        if (image.width != width || image.height != height)
            fail_output(output, "GIF frames differ in size");
        std::array<GifPixelType, 256> lut{};  // index -> index written
        int transparent = NO_TRANSPARENT_COLOR;
        for (std::size_t i = 0; i < image.palette.size(); ++i) {
            lut[i] = GifPixelType(i);
            if (image.palette[i].color.a < kClearBelow) {
                if (transparent == NO_TRANSPARENT_COLOR)
                    transparent = int(i);
                lut[i] = GifPixelType(transparent);
            }
        }
        if (animated || transparent != NO_TRANSPARENT_COLOR) {
            GraphicsControlBlock control{};
            control.DisposalMode = animated && any_clear ? DISPOSE_BACKGROUND : DISPOSE_DO_NOT;
            control.DelayTime = animated ? std::clamp((frame.delay_ms + 5) / 10, 0, 65535) : 0;
            control.TransparentColor = transparent;
            GifByteType extension[4];
            const std::size_t size = EGifGCBToExtension(&control, extension);
            check(EGifPutExtension(gif.get(), GRAPHICS_EXT_FUNC_CODE, int(size), extension));
        }
        ColorMap local;
        if (!same_colors(image.palette, global))
            local = color_table(output, image.palette);
        check(EGifPutImageDesc(gif.get(), 0, 0, width, height, false, local.get()));
        for (int y = 0; y < height; ++y) {
            const std::uint8_t* in = image.indices.data() + std::size_t(y) * std::size_t(width);
            for (std::size_t x = 0; x < row.size(); ++x)
                row[x] = lut[in[x]];
            check(EGifPutLine(gif.get(), row.data(), width));
        }
    }
    if (EGifCloseFile(gif.release(), &error) == GIF_ERROR)
        fail_output(output, std::string("GIF encoder: ") + gif_error(error));
    return bytes;
}

}  // namespace quantize::detail
