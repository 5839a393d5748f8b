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
// starts transparent) and stays (a first frame of disposal "previous" restores the transparent
// canvas from before it), no frame has a transparent index, none is cleared to the background.
// Else the frames are composited in RGBA and their alpha dropped after if it is all opaque.
bool surely_opaque(const std::vector<FrameBlock>& blocks, int width, int height) {
    if (blocks.empty() || blocks.front().x0 != 0 || blocks.front().y0 != 0 ||
        blocks.front().x1 != width || blocks.front().y1 != height ||
        blocks.front().control.DisposalMode == DISPOSE_PREVIOUS)
        return false;
    return std::none_of(blocks.begin(), blocks.end(), [](const FrameBlock& b) {
        return b.control.TransparentColor != NO_TRANSPARENT_COLOR ||
               b.control.DisposalMode == DISPOSE_BACKGROUND;
    });
}

// Frames decoded at once, then drawn (gif_decode's second pass): 16 frames of the bench's
// 480x320 hold 2.4 MB of indices, reused, where all 120 held 18 MB, each touched fresh.
constexpr std::size_t kFrameBatch = 16;
// Rows a band of the canvas holds (480 pixels wide: 23 KB in RGB, in cache across the batch).
constexpr std::size_t kBandRows = 16;

// The canvas as the frames drawn so far left it (`now`, zeroed: transparent, at the start),
// and as it was before a frame of disposal "previous" (`before`, sized when a frame has it).
struct Canvas {
    int width = 0, height = 0, channels = 0;  // channels 3 (surely_opaque) or 4
    std::vector<std::uint8_t> now, before;
};

// Rows [y0, y1) of the canvas with `block` drawn over them, copied to the same rows of the
// frame's own canvas `shown`, and then disposed of as the block's Graphic Control Extension
// says, so the next frame is drawn over what it leaves. Bands of rows are apart from each other.
void draw_rows(const FrameBlock& block, int y0, int y1, Canvas& canvas,
               std::vector<std::uint8_t>& shown) {
    const GraphicsControlBlock& gcb = block.control;
    const std::size_t row_bytes = std::size_t(canvas.width) * std::size_t(canvas.channels);
    const std::size_t begin = std::size_t(y0) * row_bytes, end = std::size_t(y1) * row_bytes;
    if (gcb.DisposalMode == DISPOSE_PREVIOUS)
        std::copy(canvas.now.begin() + std::ptrdiff_t(begin),
                  canvas.now.begin() + std::ptrdiff_t(end),
                  canvas.before.begin() + std::ptrdiff_t(begin));
    const std::size_t kept = std::size_t(block.x1 - block.x0);
    const std::size_t channels = std::size_t(canvas.channels);
    const int top = std::max(y0, block.y0), bottom = std::min(y1, block.y1);
    for (int cy = top; cy < bottom; ++cy) {
        const GifPixelType* row = block.indices.data() + std::size_t(cy - block.y0) * kept;
        std::uint8_t* p =
            canvas.now.data() + std::size_t(cy) * row_bytes + std::size_t(block.x0) * channels;
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
    std::copy(canvas.now.begin() + std::ptrdiff_t(begin), canvas.now.begin() + std::ptrdiff_t(end),
              shown.begin() + std::ptrdiff_t(begin));
    switch (gcb.DisposalMode) {
        case DISPOSE_BACKGROUND:  // browsers clear to transparent, not to the color
            for (int cy = top; cy < bottom; ++cy) {
                std::uint8_t* row = canvas.now.data() + std::size_t(cy) * row_bytes;
                std::fill(row + std::size_t(block.x0) * channels,
                          row + std::size_t(block.x1) * channels, 0);
            }
            break;
        case DISPOSE_PREVIOUS:
            std::copy(canvas.before.begin() + std::ptrdiff_t(begin),
                      canvas.before.begin() + std::ptrdiff_t(end),
                      canvas.now.begin() + std::ptrdiff_t(begin));
            break;
        default:  // an int: unspecified, do-not-dispose and undefined values
            break;
    }
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
    // Second pass, kFrameBatch frames at a time: their indices decoded at once into buffers
    // reused from batch to batch, and the frames' own canvases allocated (their first touch:
    // the kernel's page faults, most of this pass's cost, taken on every core); then the batch
    // drawn, in bands of rows at once (draw_rows), each frame over what the ones before left.
    // In RGB when no pixel can be transparent, which saves a pass dropping the alpha after (3-4%
    // of the bench animation's CPU time).
    const int channels = surely_opaque(blocks, width, height) ? 3 : 4;
    const std::size_t canvas_bytes =
        std::size_t(width) * std::size_t(height) * std::size_t(channels);
    Canvas canvas{width, height, channels, {}, {}};
    resize_populated(canvas.now, canvas_bytes);
    if (std::any_of(blocks.begin(), blocks.end(),
                    [](const FrameBlock& b) { return b.control.DisposalMode == DISPOSE_PREVIOUS; }))
        canvas.before.resize(canvas_bytes);
    animation.frames.resize(blocks.size());
    std::vector<std::vector<GifPixelType>> buffers(std::min(blocks.size(), kFrameBatch));
    for (std::size_t first = 0; first < blocks.size(); first += kFrameBatch) {
        const std::size_t count = std::min(kFrameBatch, blocks.size() - first);
        for_each_chunk(count, 1, [&](std::size_t, std::size_t i, std::size_t) {
            FrameBlock& block = blocks[first + i];
            block.indices.swap(buffers[i]);
            decode_frame_block(bytes, block, name);
            animation.frames[first + i].image.samples.resize(canvas_bytes);
        });
        for_each_chunk(std::size_t(height), kBandRows,
                       [&](std::size_t, std::size_t y0, std::size_t y1) {
                           for (std::size_t i = 0; i < count; ++i) {
                               draw_rows(blocks[first + i], int(y0), int(y1), canvas,
                                         animation.frames[first + i].image.samples);
                           }
                       });
        for (std::size_t i = 0; i < count; ++i) {  // the buffers back, for the next batch
            blocks[first + i].indices.clear();
            blocks[first + i].indices.swap(buffers[i]);
        }
    }
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        AnimationFrame& frame = animation.frames[i];
        frame.image.width = width;
        frame.image.height = height;
        frame.image.channels = channels;
        frame.image.source.channels = channels;
        frame.delay_ms = blocks[i].control.DelayTime * 10;  // GIF counts hundredths of a second
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
