#include "detail/gif_decode.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>

#include <gif_lib.h>

#include "detail/animation_frames.hpp"
#include "detail/decode_limits.hpp"
#include "detail/gif_lzw.hpp"
#include "detail/io_errors.hpp"
#include "detail/memory.hpp"
#include "detail/parallel.hpp"

namespace quantize::detail {

namespace {

struct MemoryReader {
    std::span<const std::uint8_t> bytes;
    std::size_t at = 0;
};

// giflib's read callback: the next `size` bytes, or as many as are left (giflib reports the
// short read as a truncated file).
int read_memory(GifFileType* gif, GifByteType* out, int size) {
    auto* reader = static_cast<MemoryReader*>(gif->UserData);
    const std::size_t n =
        std::min(std::size_t(std::max(size, 0)), reader->bytes.size() - reader->at);
    std::memcpy(out, reader->bytes.data() + reader->at, n);
    reader->at += n;
    return int(n);
}

struct GifClose {
    void operator()(GifFileType* gif) const {
        int error = 0;
        DGifCloseFile(gif, &error);
    }
};

// The rows of a frame in the order they are stored: interlaced frames hold every 8th row from
// 0, then every 8th from 4, every 4th from 2 and every 2nd from 1.
std::vector<int> stored_row_order(int height, bool interlaced) {
    std::vector<int> rows;
    rows.reserve(std::size_t(height));
    if (!interlaced) {
        for (int y = 0; y < height; ++y)
            rows.push_back(y);
        return rows;
    }
    constexpr int kStart[] = {0, 4, 2, 1}, kStep[] = {8, 8, 4, 2};
    for (int pass = 0; pass < 4; ++pass)
        for (int y = kStart[pass]; y < height; y += kStep[pass])
            rows.push_back(y);
    return rows;
}

// Sets the part of the frame rectangle that lies on the canvas to transparent.
void clear_rect(std::vector<std::uint8_t>& canvas, int canvas_width, int canvas_height,
                const GifImageDesc& rect) {
    const int x0 = std::clamp(rect.Left, 0, canvas_width);
    const int x1 = std::clamp(rect.Left + rect.Width, 0, canvas_width);
    for (int y = std::max(rect.Top, 0); y < std::min(rect.Top + rect.Height, canvas_height); ++y)
        std::fill(canvas.begin() + (std::ptrdiff_t(y) * canvas_width + x0) * 4,
                  canvas.begin() + (std::ptrdiff_t(y) * canvas_width + x1) * 4, 0);
}

// A frame found by the first pass: where its image block lies in the file, its rectangle,
// its color table and the Graphic Control Extension before it; its indices once decoded.
struct FrameBlock {
    std::size_t begin = 0, end = 0;  // the image descriptor to the data's terminator
    GifImageDesc rect{};
    std::vector<GifColorType> colors;
    GraphicsControlBlock control{};
    // The part of the rectangle on the canvas, [x0, x1) x [y0, y1) in canvas pixels, and its
    // indices once decoded, row by row: a frame is held no larger than the canvas.
    int x0 = 0, x1 = 0, y0 = 0, y1 = 0;
    std::vector<GifPixelType> indices;
};

// The frame's indices, decoded from the file's bytes by the LZW decoder of gif_lzw.hpp (which
// says why not giflib's). Frames decode apart from each other, so they can decode at once.
void decode_frame_block(std::span<const std::uint8_t> bytes, FrameBlock& frame,
                        const std::string& name) {
    // The image descriptor (the separator and 9 bytes, the last one's top bit: a local table
    // of 3 x 2^(n+1) bytes follows), then the code size byte and the sub-blocks.
    const std::uint8_t packed = bytes[frame.begin + 9];  // the first pass read the descriptor
    const std::size_t data =
        frame.begin + 10 + ((packed & 0x80) ? 3 * (std::size_t{2} << (packed & 7)) : 0);
    const std::size_t kept = std::size_t(frame.x1 - frame.x0);  // per row on the canvas
    frame.indices.resize(kept * std::size_t(frame.y1 - frame.y0));
    std::vector<GifPixelType> row(std::size_t(std::max(frame.rect.Width, 0)));
    try {
        GifLzwDecoder lzw(
            bytes.subspan(std::min(data, frame.end), frame.end - std::min(data, frame.end)));
        for (const int y : stored_row_order(frame.rect.Height, frame.rect.Interlace)) {
            const int cy = frame.rect.Top + y;
            const bool on_canvas = kept > 0 && cy >= frame.y0 && cy < frame.y1;
            GifPixelType* const to =
                on_canvas ? frame.indices.data() + std::size_t(cy - frame.y0) * kept : nullptr;
            if (on_canvas && kept == row.size()) {  // the whole row lies on the canvas
                lzw.read(to, kept);
                continue;
            }
            lzw.read(row.data(), row.size());
            if (on_canvas)
                std::copy_n(row.begin() + (frame.x0 - frame.rect.Left), kept, to);
        }
    } catch (const std::runtime_error& e) {
        fail_input(name, std::string("truncated or corrupt GIF frame: ") + e.what());
    }
}

// Whether no pixel of any frame can be transparent: the first frame covers the canvas (which
// starts transparent), no frame has a transparent index, none is cleared to the background.
// Else the frames are composited in RGBA and their alpha dropped after if it is all opaque.
bool surely_opaque(const std::vector<FrameBlock>& blocks, int width, int height) {
    if (blocks.empty() || blocks.front().x0 != 0 || blocks.front().y0 != 0 ||
        blocks.front().x1 != width || blocks.front().y1 != height)
        return false;
    return std::none_of(blocks.begin(), blocks.end(), [](const FrameBlock& b) {
        return b.control.TransparentColor != NO_TRANSPARENT_COLOR ||
               b.control.DisposalMode == DISPOSE_BACKGROUND;
    });
}

}  // namespace

const char* gif_error(int code) {
    const char* text = GifErrorString(code);
    return text ? text : "unknown giflib error";
}

bool is_gif(std::span<const std::uint8_t> bytes) {
    return bytes.size() >= 6 && (std::memcmp(bytes.data(), "GIF87a", 6) == 0 ||
                                 std::memcmp(bytes.data(), "GIF89a", 6) == 0);
}

Animation decode_gif(std::span<const std::uint8_t> bytes, const std::string& name,
                     const DecodeLimits& limits, std::size_t max_frames) {
    // The logical screen's size, little-endian at bytes 6..9, checked before giflib reads on.
    if (bytes.size() < 13)
        fail_input(name, "truncated GIF (" + std::to_string(bytes.size()) + " bytes of header)");
    const int width = bytes[6] | bytes[7] << 8;
    const int height = bytes[8] | bytes[9] << 8;
    if (width == 0 || height == 0)
        fail_input(name, "corrupt GIF: its logical screen is " + std::to_string(width) + "x" +
                             std::to_string(height) + " pixels");
    check_decode_limits(name, std::uint64_t(width), std::uint64_t(height), 4, limits);

    MemoryReader reader{bytes};
    int error = 0;
    const std::unique_ptr<GifFileType, GifClose> gif(DGifOpen(&reader, read_memory, &error));
    if (!gif)
        fail_input(name, std::string("corrupt GIF: ") + gif_error(error));
    auto fail = [&](const char* what) {
        fail_input(name, std::string(what) + ": " + gif_error(gif->Error));
    };

    Animation animation;
    animation.width = width;
    animation.height = height;
    animation.loops = 1;  // no NETSCAPE2.0 extension: played once
    // First pass: the structure, every frame's image block found and its data skipped undecoded.
    std::vector<FrameBlock> blocks;
    GraphicsControlBlock control{DISPOSAL_UNSPECIFIED, false, 0, NO_TRANSPARENT_COLOR};
    for (bool done = false; !done && blocks.size() < max_frames;) {
        GifRecordType type = UNDEFINED_RECORD_TYPE;
        if (DGifGetRecordType(gif.get(), &type) == GIF_ERROR)
            fail("truncated or corrupt GIF");
        switch (type) {
            case IMAGE_DESC_RECORD_TYPE: {
                FrameBlock block;
                block.begin = reader.at - 1;  // the separator just read
                if (DGifGetImageDesc(gif.get()) == GIF_ERROR)
                    fail("corrupt GIF frame");
                block.rect = gif->Image;
                const ColorMapObject* map =
                    gif->Image.ColorMap ? gif->Image.ColorMap : gif->SColorMap;
                if (!map) {
                    fail_input(name, "corrupt GIF: frame " + std::to_string(blocks.size()) +
                                         " has no color table");
                }
                block.colors.assign(map->Colors, map->Colors + map->ColorCount);
                block.rect.ColorMap = nullptr;  // giflib's, freed with the next frame
                const GifImageDesc& r = block.rect;
                block.x0 = std::clamp(r.Left, 0, width);
                block.x1 = std::clamp(r.Left + r.Width, block.x0, width);
                block.y0 = std::clamp(r.Top, 0, height);
                block.y1 = std::clamp(r.Top + r.Height, block.y0, height);
                check_frame_limits(name, std::uint64_t(width), std::uint64_t(height),
                                   blocks.size() + 1, limits);
                int code_size = 0;
                GifByteType* data = nullptr;
                if (DGifGetCode(gif.get(), &code_size, &data) == GIF_ERROR)
                    fail("truncated or corrupt GIF");
                while (data) {
                    if (DGifGetCodeNext(gif.get(), &data) == GIF_ERROR)
                        fail("truncated or corrupt GIF");
                }
                block.end = reader.at;
                block.control = control;
                blocks.push_back(std::move(block));
                control = {DISPOSAL_UNSPECIFIED, false, 0, NO_TRANSPARENT_COLOR};
                break;
            }
            case EXTENSION_RECORD_TYPE: {
                int code = 0;
                GifByteType* block = nullptr;
                if (DGifGetExtension(gif.get(), &code, &block) == GIF_ERROR)
                    fail("truncated or corrupt GIF");
                if (code == GRAPHICS_EXT_FUNC_CODE && block && block[0] >= 4)
                    DGifExtensionToGCB(block[0], block + 1, &control);
                const bool netscape = code == APPLICATION_EXT_FUNC_CODE && block &&
                                      block[0] == 11 &&
                                      std::memcmp(block + 1, "NETSCAPE2.0", 11) == 0;
                while (block) {
                    if (DGifGetExtensionNext(gif.get(), &block) == GIF_ERROR)
                        fail("truncated or corrupt GIF");
                    // Sub-block 1 of NETSCAPE2.0: the loop count N, 0 = forever, else N + 1
                    // plays.
                    if (netscape && block && block[0] >= 3 && block[1] == 1) {
                        const int count = block[2] | block[3] << 8;
                        animation.loops = count == 0 ? 0 : count + 1;
                    }
                }
                break;
            }
            case TERMINATE_RECORD_TYPE:
                done = true;
                break;
            case UNDEFINED_RECORD_TYPE:
            case SCREEN_DESC_RECORD_TYPE:
                break;
        }
    }
    // Second pass: every frame's indices, the frames at once.
    for_each_chunk(blocks.size(), 1, [&](std::size_t, std::size_t i, std::size_t) {
        decode_frame_block(bytes, blocks[i], name);
    });
    // Third pass: each frame drawn over the canvas the ones before left, in order. In RGB
    // when no pixel can be transparent, which saves a pass dropping the alpha after (3-4% of
    // the bench animation's CPU time).
    const int channels = surely_opaque(blocks, width, height) ? 3 : 4;
    std::vector<std::uint8_t> canvas;
    resize_populated(canvas, std::size_t(width) * std::size_t(height) * std::size_t(channels));
    std::vector<std::uint8_t> before;  // the canvas a DISPOSE_PREVIOUS frame restores
    for (FrameBlock& block : blocks) {
        const GifImageDesc& rect = block.rect;
        const GraphicsControlBlock& gcb = block.control;
        if (gcb.DisposalMode == DISPOSE_PREVIOUS)
            before = canvas;
        const std::size_t kept = std::size_t(block.x1 - block.x0);
        for (int cy = block.y0; cy < block.y1; ++cy) {
            const GifPixelType* row = block.indices.data() + std::size_t(cy - block.y0) * kept;
            std::uint8_t* p =
                canvas.data() + (std::size_t(cy) * std::size_t(width) + std::size_t(block.x0)) *
                                    std::size_t(channels);
            for (std::size_t x = 0; x < kept; ++x, p += channels) {
                const int index = row[x];
                if (index == gcb.TransparentColor)
                    continue;
                // An index past the table shows black, as browsers draw it.
                const GifColorType c = std::size_t(index) < block.colors.size()
                                           ? block.colors[std::size_t(index)]
                                           : GifColorType{0, 0, 0};
                p[0] = c.Red;
                p[1] = c.Green;
                p[2] = c.Blue;
                if (channels == 4)
                    p[3] = 255;
            }
        }
        block.indices = {};  // drawn: its memory goes back
        AnimationFrame frame;
        frame.image.width = width;
        frame.image.height = height;
        frame.image.channels = channels;
        frame.image.source.channels = channels;
        frame.image.samples = canvas;
        frame.delay_ms = gcb.DelayTime * 10;  // GIF counts hundredths of a second
        animation.frames.push_back(std::move(frame));
        switch (gcb.DisposalMode) {
            case DISPOSE_BACKGROUND:  // browsers clear to transparent, not to the color
                clear_rect(canvas, width, height, rect);
                break;
            case DISPOSE_PREVIOUS:
                canvas.swap(before);
                break;
            default:  // an int: unspecified, do-not-dispose and undefined values
                break;
        }
    }
    if (animation.frames.empty())
        fail_input(name, "corrupt GIF: no frame");
    animation.source.channels = channels;
    animation.source.bit_depth = 8;
    animation.source.file_bytes = bytes.size();
    drop_alpha_if_opaque(animation);
    return animation;
}

}  // namespace quantize::detail
