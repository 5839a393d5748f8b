// GIF files for the tests, written and read with giflib itself, independent of the library's
// codecs: known indices in, and what a file's frames and color tables hold out.
#pragma once

#include <gif_lib.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace test {

struct GifTestFrame {
    int left = 0, top = 0, width = 0, height = 0;
    std::vector<std::uint8_t> indices;    // width x height
    std::vector<std::uint8_t> local_rgb;  // a local color table (3 bytes an entry), or none
    int transparent = NO_TRANSPARENT_COLOR;
    int disposal = DISPOSAL_UNSPECIFIED;
    int delay_cs = 0;  // hundredths of a second
    bool interlaced = false;
};

inline GifTestFrame gif_frame(int left, int top, int width, int height,
                              std::vector<std::uint8_t> indices) {
    GifTestFrame frame;
    frame.left = left;
    frame.top = top;
    frame.width = width;
    frame.height = height;
    frame.indices = std::move(indices);
    return frame;
}

// A color table of `colors` ramping entries, 3 bytes each: entry i is (i * r, 255 - i * g,
// i * b), each kept to its low 8 bits.
inline std::vector<std::uint8_t> ramp_table(int colors, int r, int g, int b) {
    std::vector<std::uint8_t> rgb;
    for (int i = 0; i < colors; ++i)
        rgb.insert(rgb.end(),
                   {std::uint8_t(i * r), std::uint8_t(255 - i * g), std::uint8_t(i * b)});
    return rgb;
}

// A GIF89a with a global table of `global_rgb` (3 bytes an entry, a power of two >= 2 of them),
// the NETSCAPE2.0 loop count when loop_count >= 0, and the frames (each with a GCB).
inline std::vector<std::uint8_t> write_gif(int width, int height,
                                           const std::vector<std::uint8_t>& global_rgb,
                                           const std::vector<GifTestFrame>& frames,
                                           int loop_count = -1) {
    std::vector<std::uint8_t> out;
    int error = 0;
    GifFileType* gif = EGifOpen(
        &out,
        [](GifFileType* g, const GifByteType* bytes, int size) {
            auto* o = static_cast<std::vector<std::uint8_t>*>(g->UserData);
            o->insert(o->end(), bytes, bytes + size);
            return size;
        },
        &error);
    auto map_of = [](const std::vector<std::uint8_t>& rgb) {
        return GifMakeMapObject(int(rgb.size() / 3),
                                reinterpret_cast<const GifColorType*>(rgb.data()));
    };
    EGifSetGifVersion(gif, true);
    ColorMapObject* global = map_of(global_rgb);
    bool ok = EGifPutScreenDesc(gif, width, height, 8, 0, global) == GIF_OK;
    GifFreeMapObject(global);
    if (loop_count >= 0) {
        const GifByteType sub[] = {1, GifByteType(loop_count & 0xff), GifByteType(loop_count >> 8)};
        ok = ok && EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE) == GIF_OK &&
             EGifPutExtensionBlock(gif, 11, "NETSCAPE2.0") == GIF_OK &&
             EGifPutExtensionBlock(gif, 3, sub) == GIF_OK && EGifPutExtensionTrailer(gif) == GIF_OK;
    }
    for (const GifTestFrame& f : frames) {
        GraphicsControlBlock gcb{f.disposal, false, f.delay_cs, f.transparent};
        GifByteType ext[4];
        const std::size_t n = EGifGCBToExtension(&gcb, ext);
        ok = ok && EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, int(n), ext) == GIF_OK;
        ColorMapObject* local = f.local_rgb.empty() ? nullptr : map_of(f.local_rgb);
        ok = ok &&
             EGifPutImageDesc(gif, f.left, f.top, f.width, f.height, f.interlaced, local) == GIF_OK;
        if (local)
            GifFreeMapObject(local);
        // EGifPutLine takes the rows in stored order: interlaced frames in their four passes.
        std::vector<int> rows;
        constexpr int kStart[] = {0, 4, 2, 1}, kStep[] = {8, 8, 4, 2};
        for (int pass = 0; pass < (f.interlaced ? 4 : 1); ++pass)
            for (int y = f.interlaced ? kStart[pass] : 0; y < f.height;
                 y += f.interlaced ? kStep[pass] : 1)
                rows.push_back(y);
        for (const int y : rows) {
            std::vector<GifPixelType> row(f.indices.begin() + std::ptrdiff_t(y) * f.width,
                                          f.indices.begin() + std::ptrdiff_t(y + 1) * f.width);
            ok = ok && EGifPutLine(gif, row.data(), f.width) == GIF_OK;
        }
    }
    ok = EGifCloseFile(gif, &error) == GIF_OK && ok;
    if (!ok)
        throw std::runtime_error("giflib could not write the test GIF");
    return out;
}

// What giflib reads of a GIF's structure.
struct GifStructure {
    int width = 0, height = 0;
    int global_colors = 0;  // entries of the global color table; 0 when it has none
    int frames = 0;
    int frames_with_local_table = 0;
    std::vector<int> delays_cs;
    std::vector<int> transparent;  // per frame, NO_TRANSPARENT_COLOR when none
    int loop_count = -1;           // NETSCAPE2.0's count; -1 without the extension
    // Indices of every pixel of each frame (frames cover the canvas in our outputs).
    std::vector<std::vector<std::uint8_t>> indices;
};

// giflib's decoder reading `bytes` (which must outlive it) from memory; null when it cannot.
struct GifMemoryReader {
    const std::vector<std::uint8_t>* bytes;
    std::size_t at = 0;
};
inline GifFileType* open_gif(GifMemoryReader& reader) {
    int error = 0;
    return DGifOpen(
        &reader,
        [](GifFileType* g, GifByteType* out, int size) {
            auto* r = static_cast<GifMemoryReader*>(g->UserData);
            const std::size_t n = std::min(std::size_t(size), r->bytes->size() - r->at);
            std::memcpy(out, r->bytes->data() + r->at, n);
            r->at += n;
            return int(n);
        },
        &error);
}

inline GifStructure read_gif_structure(const std::vector<std::uint8_t>& bytes) {
    GifMemoryReader reader{&bytes};
    GifFileType* gif = open_gif(reader);
    int error = 0;
    if (!gif || DGifSlurp(gif) != GIF_OK)
        throw std::runtime_error("giflib cannot read the GIF");
    GifStructure s;
    s.width = gif->SWidth;
    s.height = gif->SHeight;
    s.global_colors = gif->SColorMap ? gif->SColorMap->ColorCount : 0;
    s.frames = gif->ImageCount;
    for (int i = 0; i < gif->ImageCount; ++i) {
        const SavedImage& image = gif->SavedImages[i];
        s.frames_with_local_table += image.ImageDesc.ColorMap ? 1 : 0;
        GraphicsControlBlock gcb{};
        gcb.TransparentColor = NO_TRANSPARENT_COLOR;
        DGifSavedExtensionToGCB(gif, i, &gcb);
        s.delays_cs.push_back(gcb.DelayTime);
        s.transparent.push_back(gcb.TransparentColor);
        const std::size_t n = std::size_t(image.ImageDesc.Width) * image.ImageDesc.Height;
        s.indices.emplace_back(image.RasterBits, image.RasterBits + n);
        for (int e = 0; e + 1 < image.ExtensionBlockCount; ++e) {
            const ExtensionBlock& block = image.ExtensionBlocks[e];
            if (block.Function == APPLICATION_EXT_FUNC_CODE && block.ByteCount == 11 &&
                std::memcmp(block.Bytes, "NETSCAPE2.0", 11) == 0) {
                const ExtensionBlock& sub = image.ExtensionBlocks[e + 1];
                s.loop_count = sub.Bytes[1] | sub.Bytes[2] << 8;
            }
        }
    }
    DGifCloseFile(gif, &error);
    return s;
}

}  // namespace test
