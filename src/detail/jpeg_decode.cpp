#include "detail/jpeg_decode.hpp"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include <tbb/parallel_invoke.h>
#include <tbb/task_arena.h>

#include "detail/foreign_profile.hpp"
#include "detail/jpeg_errors.hpp"
#include "detail/memory.hpp"
#include "quantize/profile.hpp"

namespace quantize::detail {

namespace {

// One decompressor, destroyed whatever happens; run() throws JpegError when a step fails.
class Decompressor {
  public:
    Decompressor() {
        std::memset(&cinfo, 0, sizeof cinfo);  // jpeg_destroy of a never-created one is a no-op
        cinfo.err = jpeg_error_handlers(errors_);
    }
    ~Decompressor() { jpeg_destroy_decompress(&cinfo); }
    Decompressor(const Decompressor&) = delete;
    Decompressor& operator=(const Decompressor&) = delete;

    template <class Step>
    void run(Step&& step) {
        if (!jpeg_guarded(errors_, step))
            throw JpegError(errors_.message, errors_.warning);
    }

    // The warning decoding went on after (see on_jpeg_message); empty when none.
    std::string passed_over() const { return errors_.passed_over; }

    jpeg_decompress_struct cinfo;

  private:
    JpegErrorManager errors_{};
};

// The ICC profile in the APP2 markers libjpeg saved ("ICC_PROFILE\0", sequence number 1..n,
// count n, then the piece), the pieces joined in their order; empty when there is none or a
// piece is missing or repeated. Read here rather than by jpeg_read_icc_profile, whose warnings
// on a bad marker would fail the file (on_emit_message): a bad profile is only no profile.
std::vector<std::uint8_t> saved_icc(const jpeg_decompress_struct& cinfo) {
    constexpr std::uint8_t tag[] = {'I', 'C', 'C', '_', 'P', 'R', 'O', 'F', 'I', 'L', 'E', 0};
    constexpr std::size_t header = sizeof tag + 2;
    std::vector<const jpeg_marker_struct*> pieces;
    for (const jpeg_marker_struct* m = cinfo.marker_list; m; m = m->next) {
        if (m->marker != JPEG_APP0 + 2 || m->data_length < header ||
            std::memcmp(m->data, tag, sizeof tag) != 0)
            continue;
        const std::size_t sequence = m->data[sizeof tag], count = m->data[sizeof tag + 1];
        if (count == 0 || sequence == 0 || sequence > count ||
            (!pieces.empty() && pieces.size() != count))
            return {};
        pieces.resize(count, nullptr);
        if (pieces[sequence - 1])
            return {};
        pieces[sequence - 1] = m;
    }
    std::vector<std::uint8_t> icc;
    for (const jpeg_marker_struct* m : pieces) {
        if (!m)
            return {};
        icc.insert(icc.end(), m->data + header, m->data + m->data_length);
    }
    return icc;
}

// Inks decoded before they are converted together (about 1 MiB of CMYK).
constexpr std::size_t kInkBandPixels = std::size_t{1} << 18;

// Rows of `width` pixels holding about `pixels` pixels, at least one.
std::size_t rows_of(std::size_t pixels, int width) {
    return std::max<std::size_t>(1, pixels / std::size_t(std::max(1, width)));
}

// Rows asked of libjpeg a call (it returns fewer at the end of an iMCU row): one call a row
// costs its dispatch each time.
constexpr JDIMENSION kRowsPerCall = 16;

// Baseline JPEGs from this many pixels are decoded in two halves side by side when a second
// thread is free (Kodak's 768 x 512 is 0.39 MP).
constexpr std::uint64_t kSplitPixels = std::uint64_t{1} << 17;

// Where the top half ends, in rows: a whole number of iMCU rows (8 to 32 rows) near 5/8 of the
// height. The bottom half entropy-decodes the top's rows again, without their inverse DCT,
// upsampling or color conversion, so it gets fewer rows for both to finish together: with h
// the entropy decoding's share of a row's time, the top's share is 1 / (2 - h), 5/8 at
// h = 0.4. Measured on the 24 Kodak JPEGs (quality 90): 9/16 to 11/16 of the height decode
// fastest, 8/16 and 12/16 5-9% slower. Depends on the file alone.
JDIMENSION split_row(const jpeg_decompress_struct& cinfo) {
    const JDIMENSION imcu = JDIMENSION(cinfo.max_v_samp_factor) * DCTSIZE;
    const JDIMENSION rows = cinfo.output_height / imcu;
    return rows * 5 / 8 * imcu;
}

// Opens `jpeg` for decoding and reads its header (markers saved for the ICC
// profile); jpeg_start_decompress is the caller's, after its checks.
void open(Decompressor& d, std::span<const std::uint8_t> jpeg, std::uint64_t work_bytes) {
    jpeg_decompress_struct& cinfo = d.cinfo;
    d.run([&] {
        jpeg_create_decompress(&cinfo);
        jpeg_mem_src(&cinfo, jpeg.data(), static_cast<unsigned long>(jpeg.size()));
        jpeg_save_markers(&cinfo, JPEG_APP0 + 2, 0xffff);  // the ICC profile, for CMYK's inks
        jpeg_read_header(&cinfo, TRUE);
    });
    // Without a backing store libjpeg refuses ("Backing store not supported") to go past this.
    cinfo.mem->max_memory_to_use = long(std::min<std::uint64_t>(work_bytes, LONG_MAX));
    // As OpenCV's decoder: four components are CMYK (YCCK is converted to it), anything else
    // RGB, grey replicated by libjpeg-turbo itself.
    cinfo.out_color_space = cinfo.num_components == 4 ? JCS_CMYK : JCS_RGB;
}

// Reads RGB rows straight into the image (rows of `stride` bytes from `out`) until `end`, up
// to an iMCU row's worth of rows a call. Runs inside Decompressor::run.
void read_rgb_rows(jpeg_decompress_struct& cinfo, std::uint8_t* out, std::size_t stride,
                   JDIMENSION end) {
    while (cinfo.output_scanline < end) {
        const std::size_t y = cinfo.output_scanline;
        JSAMPROW rows[kRowsPerCall];
        const JDIMENSION n = std::min(kRowsPerCall, JDIMENSION(end - y));
        for (JDIMENSION i = 0; i < n; ++i)
            rows[i] = out + (y + i) * stride;
        jpeg_read_scanlines(&cinfo, rows, n);
    }
}

// Reads CMYK rows a band at a time, each band converted to RGB on every thread: through a
// profile, Little CMS's 4-D table takes 40-60 ns a pixel, 4-6x libjpeg's decode. Runs inside
// Decompressor::run.
void read_cmyk_rows(jpeg_decompress_struct& cinfo, const CmykToSrgb* profile, std::uint8_t* out,
                    std::size_t stride, std::span<std::uint8_t> band) {
    const std::size_t width = cinfo.output_width;
    const std::size_t band_rows = band.size() / (width * 4);
    while (cinfo.output_scanline < cinfo.output_height) {
        const std::size_t y = cinfo.output_scanline;
        const std::size_t n = std::min(band_rows, std::size_t(cinfo.output_height) - y);
        for (std::size_t i = 0; i < n;) {
            JSAMPROW row = band.data() + i * width * 4;
            i += jpeg_read_scanlines(&cinfo, &row, 1);
        }
        convert_inks(profile, band.data(), out + y * stride, int(width), n);
    }
}

// The rows of the top half, [0, split) of `d`'s image, already started.
void decode_top(Decompressor& d, std::uint8_t* out, std::size_t stride, JDIMENSION split) {
    d.run([&] { read_rgb_rows(d.cinfo, out, stride, split); });
}

// The rest, [split, height), by a second decompressor of the same file: the top's iMCU rows
// are skipped (entropy-decoded only), then the bottom's rows read, and the file read to its
// end marker.
void decode_bottom(std::span<const std::uint8_t> jpeg, std::uint64_t work_bytes, std::uint8_t* out,
                   std::size_t stride, JDIMENSION split, std::string& passed_over) {
    Decompressor d;
    open(d, jpeg, work_bytes);
    jpeg_decompress_struct& cinfo = d.cinfo;
    d.run([&] {
        jpeg_start_decompress(&cinfo);
        jpeg_skip_scanlines(&cinfo, split);
        read_rgb_rows(cinfo, out, stride, cinfo.output_height);
        jpeg_finish_decompress(&cinfo);  // reads on to EOI: damage there warns too
    });
    passed_over = d.passed_over();
}

// A failure of either half: the top's first, as decoding in one pass would meet it first.
struct HalfOutcome {
    std::exception_ptr error;
    template <class Half>
    void run(Half&& half) {
        try {
            half();
        } catch (...) {
            error = std::current_exception();
        }
    }
};

}  // namespace

Image decode_jpeg(std::span<const std::uint8_t> jpeg, const JpegSizeCheck& check,
                  std::uint64_t work_bytes) {
    Decompressor d;
    open(d, jpeg, work_bytes);
    jpeg_decompress_struct& cinfo = d.cinfo;
    check(cinfo.image_width, cinfo.image_height, 3);
    const bool cmyk = cinfo.out_color_space == JCS_CMYK;
    const bool grey = cinfo.jpeg_color_space == JCS_GRAYSCALE;
    const bool split = !cmyk && !cinfo.progressive_mode &&
                       std::uint64_t(cinfo.image_width) * cinfo.image_height >= kSplitPixels &&
                       tbb::this_task_arena::max_concurrency() > 1;
    d.run([&] { jpeg_start_decompress(&cinfo); });
    // A CMYK file's inks through its own profile when it has a CMYK one, else as OpenCV does.
    const std::vector<std::uint8_t> icc = cmyk ? saved_icc(cinfo) : std::vector<std::uint8_t>{};
    const std::unique_ptr<CmykToSrgb> inks = icc.empty() ? nullptr : CmykToSrgb::from_icc(icc);

    Image image;
    image.width = int(cinfo.output_width);
    image.height = int(cinfo.output_height);
    image.channels = 3;
    image.source.channels = grey ? 1 : 3;
    image.source.bit_depth = 8;
    const std::size_t stride = std::size_t(image.width) * 3;
    // Large images populated by the arena's threads first (on the 12 MP photo that saves CPU
    // time over faulting the pages in one at a time), small ones zeroed on this thread.
    resize_populated(image.samples, stride * std::size_t(image.height));
    std::uint8_t* const out = image.samples.data();
    std::string passed_over;
    if (split) {
        const JDIMENSION rows = split_row(cinfo);
        HalfOutcome top, bottom;
        tbb::parallel_invoke(
            [&] { top.run([&] { decode_top(d, out, stride, rows); }); },
            [&] {
                bottom.run(
                    [&] { decode_bottom(jpeg, work_bytes, out, stride, rows, passed_over); });
            });
        for (const std::exception_ptr& error : {top.error, bottom.error})
            if (error)
                std::rethrow_exception(error);
    } else {
        std::vector<std::uint8_t> ink_band(
            cmyk ? rows_of(kInkBandPixels, image.width) * std::size_t(image.width) * 4 : 0);
        d.run([&] {
            if (cmyk)
                read_cmyk_rows(cinfo, inks.get(), out, stride, ink_band);
            else
                read_rgb_rows(cinfo, out, stride, cinfo.output_height);
            jpeg_finish_decompress(&cinfo);  // reads on to EOI: damage there warns too
        });
        passed_over = d.passed_over();
    }
    if (!passed_over.empty())
        image.source.warnings.push_back(passed_over);
    if (inks) {
        ColorProfile profile;
        profile.icc = icc;
        image.source.set_aside_profile = SetAsideProfile{describe_profile(profile), "CMYK", true};
    }
    return image;
}

}  // namespace quantize::detail
