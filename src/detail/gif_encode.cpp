#include "detail/gif_encode.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include <gif_lib.h>
#include <tbb/enumerable_thread_specific.h>

#include "detail/gif_decode.hpp"
#include "detail/gif_lzw.hpp"
#include "detail/io_errors.hpp"
#include "detail/parallel.hpp"

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
// As plan_changes' `spare`: the table has no entry to spare (256 colors), so unchanged pixels
// are written as an index that no changed pixel of the frame has, when there is one.
constexpr int kUnusedIndex = -2;
// Unchanged pixels in a row this many or more are a run that a transparent index can make a
// long LZW string of (plan_rectangle).
constexpr std::size_t kFreeRun = 4;

// The palette as a color table of the next power of two >= 2 entries that holds it and
// `spare` entries more (0 or 1: the index unchanged pixels are written with).
ColorMap color_table(const std::filesystem::path& output, const Palette& palette, int spare) {
    if (palette.size() > 256)
        fail_output(output, "GIF holds 256 colors at most, not " + std::to_string(palette.size()));
    int size = 2;
    while (std::size_t(size) < palette.size() + std::size_t(spare))
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

// One frame as it goes into the file: the rectangle written, its pixels (table indices, row
// by row), the transparent index and the disposal.
struct FramePlan {
    int left = 0, top = 0, width = 0, height = 0;
    // The rectangle's first row, each next one `stride` indices on: in the frame's own indices
    // when they are written as they are (no copy), else in `pixels`.
    const GifPixelType* rows = nullptr;
    std::size_t stride = 0;
    std::vector<GifPixelType> pixels;
    // With a transparent index: per pixel of the rectangle, row by row, nonzero where the pixel
    // is unchanged, so it may be written as the transparent index (GifLzwEncoder's choice).
    std::vector<std::uint8_t> free;
    int transparent = NO_TRANSPARENT_COLOR;
    int disposal = DISPOSE_DO_NOT;
    bool control = false;  // whether a Graphic Control Extension is written
    int delay = 0;         // hundredths of a second
};

// Index -> index written: entries with alpha below kClearBelow all become the first of them,
// which is returned as the transparent index (or NO_TRANSPARENT_COLOR).
int table_lut(const Palette& palette, std::array<GifPixelType, 256>& lut) {
    int transparent = NO_TRANSPARENT_COLOR;
    for (std::size_t i = 0; i < palette.size(); ++i) {
        lut[i] = GifPixelType(i);
        if (palette[i].color.a < kClearBelow) {
            if (transparent == NO_TRANSPARENT_COLOR)
                transparent = int(i);
            lut[i] = GifPixelType(transparent);
        }
    }
    return transparent;
}

// The frame whole: every pixel of the canvas, each index through `lut` (copied only when the
// lut changes one).
void plan_whole(const IndexedImage& image, const std::array<GifPixelType, 256>& lut,
                FramePlan& plan) {
    plan.width = image.width;
    plan.height = image.height;
    plan.stride = std::size_t(image.width);
    plan.rows = image.indices.data();
    if (plan.transparent == NO_TRANSPARENT_COLOR)  // no entry is clear: the lut changes none
        return;
    plan.pixels.resize(image.indices.size());
    for (std::size_t i = 0; i < image.indices.size(); ++i)
        plan.pixels[i] = lut[image.indices[i]];
    plan.rows = plan.pixels.data();
}

// The lowest index that no changed pixel of [x0, x1) x [y0, y1) has, or NO_TRANSPARENT_COLOR
// when every one of the 256 is used.
template <class Changed>
int unused_index(const IndexedImage& image, std::size_t x0, std::size_t x1, std::size_t y0,
                 std::size_t y1, const Changed& changed) {
    std::array<bool, 256> used{};
    const std::size_t w = std::size_t(image.width);
    for (std::size_t y = y0; y < y1; ++y) {
        for (std::size_t x = x0; x < x1; ++x) {
            if (changed(y * w + x))
                used[image.indices[y * w + x]] = true;
        }
    }
    const auto free = std::find(used.begin(), used.end(), false);
    return free == used.end() ? NO_TRANSPARENT_COLOR : int(free - used.begin());
}

// plan_changes' rectangle, `changed(i)` saying whether pixel i's color differs from the frame
// before's.
template <class Changed>
void plan_rectangle(const IndexedImage& image, int spare, const Changed& changed, FramePlan& plan) {
    const std::size_t w = std::size_t(image.width), h = std::size_t(image.height);
    std::size_t x0 = w, x1 = 0, y0 = h, y1 = 0;  // changed pixels lie in [x0, x1) x [y0, y1)
    std::size_t changes = 0;                     // how many
    for (std::size_t y = 0; y < h; ++y) {
        // The row's first and last changes from either end, then a count between them that
        // the compiler can vectorize (the bench's pan changes nearly every pixel).
        const std::size_t row = y * w;
        std::size_t first = 0;
        while (first < w && !changed(row + first))
            ++first;
        if (first == w)
            continue;
        std::size_t last = w;
        while (!changed(row + last - 1))
            --last;
        std::size_t count = 0;
        for (std::size_t x = first; x < last; ++x)
            count += changed(row + x) ? 1 : 0;
        changes += count;
        x0 = std::min(x0, first);
        x1 = std::max(x1, last);
        y0 = std::min(y0, y);
        y1 = y + 1;
    }
    if (x0 >= x1)  // nothing changed
        x0 = 0, x1 = 1, y0 = 0, y1 = 1;
    plan.left = int(x0);
    plan.top = int(y0);
    plan.width = int(x1 - x0);
    plan.height = int(y1 - y0);
    plan.rows = image.indices.data() + y0 * w + x0;  // the indices where they lie
    plan.stride = w;
    plan.transparent = NO_TRANSPARENT_COLOR;
    // Unchanged pixels may go transparent only where most of the rectangle is runs of them
    // along its rows (and then only when that makes the frame smaller, encode_frame):
    // scattered among changed ones (a pan, a zoom) they break LZW's strings instead of making
    // them. On the bench's panning footage at K = 255, marking every one made the file 14%
    // larger; on its slow pan, where half the pixels are unchanged but only a quarter in runs
    // of kFreeRun, the frames came out 1-2% larger, and trying them all took our CPU time from
    // 0.62x ffmpeg's to 0.79x.
    const std::size_t area = (x1 - x0) * (y1 - y0);
    if (spare == NO_TRANSPARENT_COLOR || 2 * (area - std::min(changes, area)) <= area)
        return;  // unchanged pixels: not most
    plan.free.resize(area);
    std::uint8_t* out = plan.free.data();
    std::size_t in_runs = 0;  // unchanged pixels in runs of kFreeRun or more
    for (std::size_t y = y0; y < y1; ++y) {
        std::size_t run = 0;
        for (std::size_t x = x0; x < x1; ++x) {
            const bool free = !changed(y * w + x);
            *out++ = free ? 1 : 0;
            in_runs += !free && run >= kFreeRun ? run : 0;
            run = free ? run + 1 : 0;
        }
        in_runs += run >= kFreeRun ? run : 0;
    }
    if (2 * in_runs > area && spare == kUnusedIndex)
        spare = unused_index(image, x0, x1, y0, y1, changed);
    if (2 * in_runs <= area || spare == NO_TRANSPARENT_COLOR) {  // no runs, or no index free
        plan.free.clear();
        return;
    }
    plan.transparent = spare;
}

// An opaque frame over the one before, as ffmpeg writes them: only the rectangle that holds
// every pixel whose color changed, and in it the unchanged pixels free to be written as a
// transparent index (when runs of them are most of the rectangle), so the frame before shows
// through (disposal "do not dispose"). That index is `spare`, the table's entry past the palette,
// or with kUnusedIndex (a full table of 256) one that no changed pixel has, as ffmpeg picks it. A
// frame equal to the one before is one such pixel.
void plan_changes(const IndexedImage& before, const IndexedImage& image, int spare,
                  FramePlan& plan) {
    if (same_colors(before.palette, image.palette)) {  // one palette (the default): indices
        plan_rectangle(
            image, spare, [&](std::size_t i) { return before.indices[i] != image.indices[i]; },
            plan);
        return;
    }
    std::array<std::uint32_t, 256> was{}, now{};  // index -> 0xRRGGBB
    for (std::size_t i = 0; i < before.palette.size(); ++i)
        was[i] = pack(before.palette[i].color);
    for (std::size_t i = 0; i < image.palette.size(); ++i)
        now[i] = pack(image.palette[i].color);
    plan_rectangle(
        image, spare,
        [&](std::size_t i) { return was[before.indices[i]] != now[image.indices[i]]; }, plan);
}

// giflib's encoder writing into `bytes`.
std::unique_ptr<GifFileType, GifAbandon> open_encoder(const std::filesystem::path& output,
                                                      std::vector<std::uint8_t>& bytes) {
    int error = 0;
    std::unique_ptr<GifFileType, GifAbandon> gif(EGifOpen(&bytes, write_memory, &error));
    if (!gif)
        fail_output(output, std::string("GIF encoder: ") + gif_error(error));
    EGifSetGifVersion(gif.get(), true);
    return gif;
}

// The bytes of one frame (its Graphic Control Extension, image descriptor, local table and
// LZW data), encoded on their own so frames can be encoded at once: giflib writes a whole GIF
// of the one frame with the same screen and global table, and the frame's part is cut out.
// The LZW data is `lzw`'s (gif_lzw.hpp says why not giflib's).
std::vector<std::uint8_t> encode_frame(const std::filesystem::path& output, int width, int height,
                                       const ColorMapObject* global, FramePlan plan,
                                       const ColorMapObject* local, GifLzwEncoder& lzw) {
    // The LZW data first, as the transparent index it needs is known only after: giflib wrote
    // the code size byte (its table's bits, at least 2) and the data goes in as sub-blocks of at
    // most 255 bytes through giflib's pass-through (EGifPutCode).
    const int code_size = std::max(2, (local ? local : global)->BitsPerPixel);
    std::vector<std::uint8_t> data;
    try {
        data = lzw.encode(plan.rows, std::size_t(plan.width), std::size_t(plan.height), plan.stride,
                          code_size);
        // Unchanged pixels under a transparent index make runs where they lie together and
        // break the image's strings where they are scattered among changed ones (a slow pan
        // marked throughout came out 2-6% larger): the frame is encoded both ways, the smaller
        // kept (the second costs only frames that are mostly unchanged).
        if (!plan.free.empty()) {
            std::vector<std::uint8_t> marked =
                lzw.encode(plan.rows, std::size_t(plan.width), std::size_t(plan.height),
                           plan.stride, code_size, plan.free.data(), unsigned(plan.transparent));
            if (marked.size() < data.size())
                data.swap(marked);
            else
                plan.transparent = NO_TRANSPARENT_COLOR;
        }
    } catch (const std::invalid_argument& e) {  // an index past the table: a bug, said as such
        fail_output(output, std::string("GIF encoder: ") + e.what());
    }
    std::vector<std::uint8_t> bytes;
    // Room for everything at once: the screen, two tables and the blocks (2 KiB), the LZW data
    // and its sub-block lengths. Growing copies, and every copy faults in fresh pages.
    bytes.reserve(2048 + data.size() + data.size() / 255 + 1);
    auto gif = open_encoder(output, bytes);
    auto check = [&](int rc) {
        if (rc == GIF_ERROR)
            fail_output(output, std::string("GIF encoder: ") + gif_error(gif->Error));
    };
    check(EGifPutScreenDesc(gif.get(), width, height, 8, 0, global));
    const std::size_t header = bytes.size();  // signature, screen and global table
    if (plan.control) {
        GraphicsControlBlock control{};
        control.DisposalMode = plan.disposal;
        control.DelayTime = plan.delay;
        control.TransparentColor = plan.transparent;
        GifByteType extension[4];
        const std::size_t size = EGifGCBToExtension(&control, extension);
        check(EGifPutExtension(gif.get(), GRAPHICS_EXT_FUNC_CODE, int(size), extension));
    }
    check(EGifPutImageDesc(gif.get(), plan.left, plan.top, plan.width, plan.height, false, local));
    GifByteType block[256];
    for (std::size_t at = 0; at < data.size(); at += 255) {
        const std::size_t n = std::min<std::size_t>(255, data.size() - at);
        block[0] = GifByteType(n);
        std::copy_n(data.begin() + std::ptrdiff_t(at), n, block + 1);
        check(at == 0 ? EGifPutCode(gif.get(), code_size, block)
                      : EGifPutCodeNext(gif.get(), block));
    }
    check(EGifPutCodeNext(gif.get(), nullptr));  // the block terminator
    int error = 0;
    if (EGifCloseFile(gif.release(), &error) == GIF_ERROR)
        fail_output(output, std::string("GIF encoder: ") + gif_error(error));
    // Without the trailer (one byte) that closing wrote; moved down in place, not copied anew.
    bytes.pop_back();
    bytes.erase(bytes.begin(), bytes.begin() + std::ptrdiff_t(header));
    return bytes;
}

}  // namespace

namespace {

// What every frame of one GIF is written with.
class GifWriter {
  public:
    // `first`: the first frame's palette (the global table). `count`: frames in all.
    // `any_clear`: whether some frame's palette has an entry under kClearBelow.
    GifWriter(const std::filesystem::path& output, int width, int height, const Palette& first,
              std::size_t count, bool any_clear)
        : output_(output),
          width_(width),
          height_(height),
          global_(first),
          animated_(count > 1),
          any_clear_(any_clear),
          // Frames with transparent pixels are written whole, each cleared (disposal
          // "background", transparent in every browser) before the next is drawn, or the one
          // before would show through. Opaque frames after the first are written as their
          // changes (plan_changes), with one table entry more where the palette leaves room.
          deltas_(animated_ && !any_clear) {
        if (width > 65535 || height > 65535) {
            fail_output(output, "GIF holds 65535x65535 pixels at most, not " +
                                    std::to_string(width) + "x" + std::to_string(height));
        }
        global_map_ = color_table(output, global_, spare_of(global_));
    }

    // The bytes of frame i (`before`: frame i - 1, null for the first), LZW by `lzw`.
    std::vector<std::uint8_t> part(const GifFrame& frame, const IndexedImage* before,
                                   GifLzwEncoder& lzw) const {
        const IndexedImage& image = *frame.image;
        if (image.width != width_ || image.height != height_)
            fail_output(output_, "GIF frames differ in size");
        std::array<GifPixelType, 256> lut{};
        FramePlan plan;
        plan.transparent = table_lut(image.palette, lut);
        if (deltas_ && before) {
            plan_changes(*before, image,
                         spare_of(image.palette) ? int(image.palette.size()) : kUnusedIndex, plan);
        } else {
            plan_whole(image, lut, plan);
        }
        plan.control = animated_ || plan.transparent != NO_TRANSPARENT_COLOR;
        plan.disposal = animated_ && any_clear_ ? DISPOSE_BACKGROUND : DISPOSE_DO_NOT;
        plan.delay = animated_ ? std::clamp((frame.delay_ms + 5) / 10, 0, 65535) : 0;
        ColorMap local;
        if (!same_colors(image.palette, global_))
            local = color_table(output_, image.palette, spare_of(image.palette));
        return encode_frame(output_, width_, height_, global_map_.get(), std::move(plan),
                            local.get(), lzw);
    }

    // The whole file: screen, global table, loop extension, then the parts in order.
    std::vector<std::uint8_t> assemble(const std::vector<std::vector<std::uint8_t>>& parts,
                                       int loops) const {
        std::vector<std::uint8_t> bytes;
        std::size_t total = 1024;  // the screen, the global table, the loop and the trailer
        for (const std::vector<std::uint8_t>& part : parts)
            total += part.size();
        bytes.reserve(total);  // one buffer, never grown (and copied) as the parts go in
        auto gif = open_encoder(output_, bytes);
        auto check = [&](int rc) {
            if (rc == GIF_ERROR)
                fail_output(output_, std::string("GIF encoder: ") + gif_error(gif->Error));
        };
        check(EGifPutScreenDesc(gif.get(), width_, height_, 8, 0, global_map_.get()));
        if (animated_ && loops != 1) {
            const int count = loops == 0 ? 0 : std::min(loops - 1, 65535);
            const GifByteType sub_block[] = {1, GifByteType(count & 0xff), GifByteType(count >> 8)};
            check(EGifPutExtensionLeader(gif.get(), APPLICATION_EXT_FUNC_CODE));
            check(EGifPutExtensionBlock(gif.get(), 11, "NETSCAPE2.0"));
            check(EGifPutExtensionBlock(gif.get(), 3, sub_block));
            check(EGifPutExtensionTrailer(gif.get()));
        }
        for (const std::vector<std::uint8_t>& part : parts)  // giflib writes straight through
            bytes.insert(bytes.end(), part.begin(), part.end());
        int error = 0;
        if (EGifCloseFile(gif.release(), &error) == GIF_ERROR)
            fail_output(output_, std::string("GIF encoder: ") + gif_error(error));
        return bytes;
    }

  private:
    int spare_of(const Palette& palette) const { return deltas_ && palette.size() < 256 ? 1 : 0; }

    const std::filesystem::path& output_;
    int width_, height_;
    Palette global_;
    bool animated_, any_clear_, deltas_;
    ColorMap global_map_;
};

bool has_clear_entry(const Palette& palette) {
    return std::any_of(palette.begin(), palette.end(),
                       [](const PaletteEntry& e) { return e.color.a < kClearBelow; });
}

}  // namespace

std::vector<std::uint8_t> encode_gif(const std::filesystem::path& output,
                                     std::span<const GifFrame> frames, int loops) {
    if (frames.empty())
        fail_output(output, "no frame to write");
    const bool any_clear = std::any_of(frames.begin(), frames.end(), [](const GifFrame& f) {
        return has_clear_entry(f.image->palette);
    });
    const GifWriter writer(output, frames.front().image->width, frames.front().image->height,
                           frames.front().image->palette, frames.size(), any_clear);
    std::vector<std::vector<std::uint8_t>> parts(frames.size());
    tbb::enumerable_thread_specific<GifLzwEncoder> encoders;  // tables reused, never shared
    for_each_chunk(frames.size(), 1, [&](std::size_t, std::size_t i, std::size_t) {
        parts[i] = writer.part(frames[i], i > 0 ? frames[i - 1].image : nullptr, encoders.local());
    });
    return writer.assemble(parts, loops);
}

std::vector<std::uint8_t> encode_gif_frames(const std::filesystem::path& output, std::size_t count,
                                            const std::function<GifFrame(std::size_t)>& frame,
                                            bool any_clear, int loops) {
    if (count == 0)
        fail_output(output, "no frame to write");
    GifFrame current = frame(0);
    const GifWriter writer(output, current.image->width, current.image->height,
                           current.image->palette, count, any_clear);
    std::vector<std::vector<std::uint8_t>> parts;
    GifLzwEncoder lzw;
    const IndexedImage* before = nullptr;
    for (std::size_t i = 0;;) {
        if (!any_clear && has_clear_entry(current.image->palette))
            fail_output(output, "a frame has transparent entries the GIF was not planned for");
        parts.push_back(writer.part(current, before, lzw));
        if (++i == count)
            break;
        before = current.image;
        current = frame(i);
    }
    return writer.assemble(parts, loops);
}

}  // namespace quantize::detail
