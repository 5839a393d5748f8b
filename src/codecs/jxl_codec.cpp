// JPEG XL through libjxl, built as a module the library loads the first time such a file is met
// (src/detail/modules.hpp), so other runs never load libjxl, libhwy and libbrotli. The
// interface is src/codecs/decoder_module.hpp.
//
// The first frame (every frame of an animation, when the sink asks) is decoded to 8-bit RGB(A) with
// libjxl's own orientation applied (the codestream's, which the JPEG XL specification puts above
// any EXIF tag); the ICC profile is the one the pixels are delivered in, none when that is sRGB;
// Exif and XMP come from the container's boxes (Brotli-compressed "brob" boxes decompressed).
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <jxl/decode.h>
#include <jxl/decode_cxx.h>
#include <jxl/thread_parallel_runner.h>
#include <jxl/thread_parallel_runner_cxx.h>

#include "codecs/decoder_module.hpp"
#include "codecs/module_errors.hpp"

namespace {

using quantize_module::failure;

// Metadata boxes above this are skipped: EXIF and XMP are kilobytes in real files.
constexpr std::size_t kMaxBoxBytes = std::size_t{16} << 20;

bool is_srgb(const JxlColorEncoding& c) {
    return c.color_space == JXL_COLOR_SPACE_RGB && c.white_point == JXL_WHITE_POINT_D65 &&
           c.primaries == JXL_PRIMARIES_SRGB && c.transfer_function == JXL_TRANSFER_FUNCTION_SRGB;
}

// The profile of the pixels as delivered: nothing for sRGB (untagged means sRGB), else ICC.
void deliver_profile(JxlDecoder* dec, const QuantizeDecodeSink& sink) {
    JxlColorEncoding encoding{};
    if (JxlDecoderGetColorAsEncodedProfile(dec, nullptr, JXL_COLOR_PROFILE_TARGET_DATA,
                                           &encoding) == JXL_DEC_SUCCESS &&
        is_srgb(encoding))
        return;
    std::size_t size = 0;
    if (JxlDecoderGetICCProfileSize(dec, nullptr, JXL_COLOR_PROFILE_TARGET_DATA, &size) !=
            JXL_DEC_SUCCESS ||
        size == 0 || size > kMaxBoxBytes)
        return;
    std::vector<unsigned char> icc(size);
    if (JxlDecoderGetColorAsICCProfile(dec, nullptr, JXL_COLOR_PROFILE_TARGET_DATA, icc.data(),
                                       size) == JXL_DEC_SUCCESS)
        sink.metadata(sink.context, 0, icc.data(), icc.size());
}

// An Exif or "xml " box being read: its bytes so far, grown while libjxl asks for more.
struct Box {
    int kind = -1;  // 1 EXIF, 2 XMP; -1 none being read
    std::vector<unsigned char> bytes;
    // The content's size when the box is stored uncompressed (its raw size less the header),
    // to tell a whole box from one the file cuts; 0 when Brotli-compressed (unknown).
    std::uint64_t stored = 0;
};

// Hands the box read over to the sink; `whole` is false when the input ended inside or right
// after it, and then only an uncompressed box of its full stored size is kept.
void finish_box(JxlDecoder* dec, Box& box, const QuantizeDecodeSink& sink, bool whole = true) {
    if (box.kind < 0)
        return;
    const std::size_t left = JxlDecoderReleaseBoxBuffer(dec);
    const std::size_t size = box.bytes.size() - left;
    if (!whole && (box.stored == 0 || size != box.stored)) {
        box = {};
        return;
    }
    const unsigned char* data = box.bytes.data();
    if (box.kind == 2) {
        sink.metadata(sink.context, 2, data, size);
    } else if (size >= 4) {
        // A JPEG XL Exif box starts with a 4-byte big-endian offset to the TIFF header.
        const std::size_t offset = std::size_t(data[0]) << 24 | std::size_t(data[1]) << 16 |
                                   std::size_t(data[2]) << 8 | std::size_t(data[3]);
        if (offset <= size - 4) {
            std::size_t at = 4 + offset;
            if (size - at >= 6 && std::memcmp(data + at, "Exif\0\0", 6) == 0)
                at += 6;
            sink.metadata(sink.context, 1, data + at, size - at);
        }
    }
    box = {};
}

const char* decode(const unsigned char* data, std::size_t size, const QuantizeDecodeSink& sink) {
    const JxlDecoderPtr dec = JxlDecoderMake(nullptr);
    const JxlThreadParallelRunnerPtr runner =
        JxlThreadParallelRunnerMake(nullptr, std::size_t(std::max(sink.threads, 1)));
    if (!dec || !runner)
        return failure("out of memory");
    const int frames = sink.frame ? JXL_DEC_FRAME : 0;  // frame headers: durations
    if (JxlDecoderSubscribeEvents(dec.get(), JXL_DEC_BASIC_INFO | JXL_DEC_COLOR_ENCODING |
                                                 JXL_DEC_FULL_IMAGE | JXL_DEC_BOX | frames) !=
            JXL_DEC_SUCCESS ||
        JxlDecoderSetParallelRunner(dec.get(), JxlThreadParallelRunner, runner.get()) !=
            JXL_DEC_SUCCESS ||
        JxlDecoderSetDecompressBoxes(dec.get(), JXL_TRUE) != JXL_DEC_SUCCESS)
        return failure("libjxl refused its settings");
    // The input is left open: libjxl 0.7 prints "missing input" on stderr when a closed input
    // ends early, and says NEED_MORE_INPUT quietly when it is open. The whole file is there, so
    // that means the file ends early, or (after the pixels) that no box follows.
    JxlDecoderSetInput(dec.get(), data, size);

    JxlBasicInfo info{};
    JxlPixelFormat format{3, JXL_TYPE_UINT8, JXL_NATIVE_ENDIAN, 0};
    unsigned char* out = nullptr;
    std::size_t out_size = 0;
    bool have_pixels = false;
    std::uint32_t frame_index = 0;  // of the next frame to start
    // Of an animation read whole: whether the frame started is the last (its header says so)
    // and whether that one was decoded; a file ending before is cut short.
    bool last_started = false, last_decoded = false;
    Box box;
    for (;;) {
        const JxlDecoderStatus status = JxlDecoderProcessInput(dec.get());
        switch (status) {
            case JXL_DEC_ERROR:
                return failure(have_pixels || out ? "corrupt image data" : "corrupt header");
            case JXL_DEC_NEED_MORE_INPUT:
                if (!have_pixels || (info.have_animation && sink.frame && !last_decoded))
                    return failure("the file ends early");
                finish_box(dec.get(), box, sink, false);  // a box cut short is not kept
                return nullptr;
            case JXL_DEC_BASIC_INFO: {
                if (JxlDecoderGetBasicInfo(dec.get(), &info) != JXL_DEC_SUCCESS)
                    return failure("unreadable basic info");
                // Orientations 5..8 transpose: the delivered image has the sides swapped.
                const bool transposed = info.orientation >= JXL_ORIENT_TRANSPOSE;
                const std::uint32_t width = transposed ? info.ysize : info.xsize;
                const std::uint32_t height = transposed ? info.xsize : info.ysize;
                const bool alpha = info.alpha_bits > 0;
                format.num_channels = alpha ? 4 : 3;
                out = sink.pixels(sink.context, width, height, int(format.num_channels),
                                  int(info.num_color_channels) + (alpha ? 1 : 0),
                                  int(info.bits_per_sample));
                if (!out)
                    return failure("refused");
                out_size = std::size_t(width) * height * format.num_channels;
                break;
            }
            case JXL_DEC_COLOR_ENCODING:
                deliver_profile(dec.get(), sink);
                break;
            case JXL_DEC_NEED_IMAGE_OUT_BUFFER: {
                std::size_t needed = 0;
                if (!out ||
                    JxlDecoderImageOutBufferSize(dec.get(), &format, &needed) != JXL_DEC_SUCCESS ||
                    needed != out_size ||
                    JxlDecoderSetImageOutBuffer(dec.get(), &format, out, out_size) !=
                        JXL_DEC_SUCCESS)
                    return failure("the image is not the size its header says");
                break;
            }
            case JXL_DEC_FULL_IMAGE:
                have_pixels = true;
                last_decoded = last_started;
                if (info.have_animation && !sink.frame)  // the first frame only was asked for
                    return nullptr;
                break;
            case JXL_DEC_FRAME: {
                if (!info.have_animation || !sink.frame)
                    break;
                JxlFrameHeader header{};
                if (JxlDecoderGetFrameHeader(dec.get(), &header) != JXL_DEC_SUCCESS)
                    return failure("unreadable frame header");
                last_started = header.is_last;
                // Ticks of tps_denominator / tps_numerator seconds each.
                const std::uint64_t numerator =
                    std::max<std::uint32_t>(info.animation.tps_numerator, 1);
                const std::uint64_t ms = std::uint64_t(header.duration) * 1000 *
                                         info.animation.tps_denominator / numerator;
                out = sink.frame(sink.context, frame_index++,
                                 int(std::min<std::uint64_t>(ms, 1u << 30)),
                                 info.animation.num_loops);
                if (!out)
                    return failure("refused");
                break;
            }
            case JXL_DEC_BOX: {
                finish_box(dec.get(), box, sink);
                JxlBoxType type{};
                std::uint64_t raw = 0;
                if (JxlDecoderGetBoxType(dec.get(), type, JXL_TRUE) != JXL_DEC_SUCCESS ||
                    JxlDecoderGetBoxSizeRaw(dec.get(), &raw) != JXL_DEC_SUCCESS)
                    break;
                const bool exif = std::memcmp(type, "Exif", 4) == 0;
                if ((!exif && std::memcmp(type, "xml ", 4) != 0) || raw > kMaxBoxBytes)
                    break;
                box.kind = exif ? 1 : 2;
                JxlBoxType stored_type{};
                const bool compressed =
                    JxlDecoderGetBoxType(dec.get(), stored_type, JXL_FALSE) == JXL_DEC_SUCCESS &&
                    std::memcmp(stored_type, "brob", 4) == 0;
                // An 8-byte header, or 16 with a 64-bit size (content over 4 GiB: not here).
                box.stored = compressed || raw < 8 ? 0 : raw - 8;
                box.bytes.resize(std::max<std::size_t>(std::size_t(raw), 4096));
                JxlDecoderSetBoxBuffer(dec.get(), box.bytes.data(), box.bytes.size());
                break;
            }
            case JXL_DEC_BOX_NEED_MORE_OUTPUT: {
                // A compressed box inflates past its stored size: double the buffer, up to the
                // bound, or give the box up.
                const std::size_t left = JxlDecoderReleaseBoxBuffer(dec.get());
                const std::size_t filled = box.bytes.size() - left;
                if (box.bytes.size() * 2 > kMaxBoxBytes) {
                    box = {};
                    break;
                }
                box.bytes.resize(box.bytes.size() * 2);
                JxlDecoderSetBoxBuffer(dec.get(), box.bytes.data() + filled,
                                       box.bytes.size() - filled);
                break;
            }
            case JXL_DEC_SUCCESS:
                finish_box(dec.get(), box, sink);
                if (!have_pixels)
                    return failure("no image in the file");
                return nullptr;
            case JXL_DEC_NEED_PREVIEW_OUT_BUFFER:
            case JXL_DEC_NEED_DC_OUT_BUFFER:
            case JXL_DEC_JPEG_NEED_MORE_OUTPUT:
            case JXL_DEC_EXTENSIONS:
            case JXL_DEC_PREVIEW_IMAGE:
            case JXL_DEC_DC_IMAGE:
            case JXL_DEC_JPEG_RECONSTRUCTION:
            case JXL_DEC_FRAME_PROGRESSION:
                break;  // events not subscribed to
        }
    }
}

}  // namespace

extern "C" __attribute__((visibility("default"))) const char* quantize_jxl_decode(
    const unsigned char* data, std::size_t size, const QuantizeDecodeSink* sink) noexcept {
    return quantize_module::guarded([&] { return decode(data, size, *sink); });
}
