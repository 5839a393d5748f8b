// The only code of quantize that links OpenCV's image codecs, built as a module that the library
// loads the first time an image needs it (see src/detail/opencv_codecs.hpp): Debian's
// libopencv_imgcodecs pulls in GDAL, GDCM and some 130 other libraries, whose loading takes
// about 90 ms, longer than quantizing a Kodak photo. PNG never needs it.
//
// A C interface, so the library finds the functions by name; errors come back as messages, no
// exception crosses the boundary.
#include <algorithm>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <tiffio.h>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>

namespace {

thread_local std::string last_error;

// OpenCV's codecs print warnings of their own on stderr ("[ WARN:0@0.1] global grfmt_tiff.cpp
// ...", libtiff's relayed): the command's rule is one error line per bad file, and the
// library never prints. Silenced once, when this module loads: only it runs OpenCV's codecs.
[[maybe_unused]] const bool silenced = [] {
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
    return true;
}();

// A TIFF held in memory, read through libtiff's client callbacks.
struct MemoryFile {
    const unsigned char* data;
    std::uint64_t size;
    std::uint64_t at;
};

tmsize_t read_memory(thandle_t handle, void* out, tmsize_t n) {
    auto* f = static_cast<MemoryFile*>(handle);
    const std::uint64_t count =
        n <= 0 || f->at >= f->size ? 0 : std::min<std::uint64_t>(std::uint64_t(n), f->size - f->at);
    std::memcpy(out, f->data + f->at, count);
    f->at += count;
    return tmsize_t(count);
}
tmsize_t write_nothing(thandle_t, void*, tmsize_t) {
    return 0;
}
toff_t seek_memory(thandle_t handle, toff_t offset, int whence) {
    auto* f = static_cast<MemoryFile*>(handle);
    const std::uint64_t base = whence == SEEK_CUR ? f->at : whence == SEEK_END ? f->size : 0;
    f->at = base + offset;
    return f->at;
}
int close_nothing(thandle_t) {
    return 0;
}
toff_t memory_size(thandle_t handle) {
    return static_cast<MemoryFile*>(handle)->size;
}
int no_map(thandle_t, void**, toff_t*) {
    return 0;
}
void no_unmap(thandle_t, void*, toff_t) {}

// A TIFF being written into memory through libtiff's client callbacks.
struct GrowingFile {
    std::vector<unsigned char>* bytes;
    std::uint64_t at;
};

tmsize_t read_growing(thandle_t handle, void* out, tmsize_t n) {
    auto* f = static_cast<GrowingFile*>(handle);
    MemoryFile view{f->bytes->data(), f->bytes->size(), f->at};
    const tmsize_t count = read_memory(&view, out, n);
    f->at = view.at;
    return count;
}
tmsize_t write_growing(thandle_t handle, void* in, tmsize_t n) {
    auto* f = static_cast<GrowingFile*>(handle);
    if (n <= 0)
        return 0;
    if (f->bytes->size() < f->at + std::uint64_t(n))
        f->bytes->resize(f->at + std::uint64_t(n));
    std::memcpy(f->bytes->data() + f->at, in, std::size_t(n));
    f->at += std::uint64_t(n);
    return n;
}
toff_t seek_growing(thandle_t handle, toff_t offset, int whence) {
    auto* f = static_cast<GrowingFile*>(handle);
    const std::uint64_t base = whence == SEEK_CUR   ? f->at
                               : whence == SEEK_END ? f->bytes->size()
                                                    : 0;
    f->at = base + offset;
    return f->at;
}
toff_t growing_size(thandle_t handle) {
    return static_cast<GrowingFile*>(handle)->bytes->size();
}

// libtiff's messages for this handle: dropped (1 = handled, the global handler not called).
int drop_message(TIFF*, void*, const char*, const char*, va_list) {
    return 1;
}

const char* failure(const std::string& message) {
    last_error = message;
    return last_error.c_str();
}

// OpenCV hands any data with "DICM" at offset 128 to GDCM, and Debian's GDCM is built with its
// assertions on: a damaged DICOM file (138 bytes are enough) aborts the whole process instead
// of failing, and even a refused one prints GDCM's warnings on stderr. Medical images are no
// input for color quantization, so such data is refused before OpenCV sees it. OpenCV tries
// the BMP, Radiance HDR, JPEG and PNG readers first, each by its exact magic alone, so data
// that starts with one of those still goes to it (WebP's reader wants a valid header, not
// just "RIFF"). The magics must be OpenCV's whole ones: "#?" or "\x89PNG" alone let damaged
// DICOM data through to GDCM (found by fuzz_opencv and fuzz_decode).
bool is_dicom(const unsigned char* data, std::size_t size) {
    auto starts = [&](std::string_view magic) {
        return size >= magic.size() && std::memcmp(data, magic.data(), magic.size()) == 0;
    };
    const bool earlier_reader = starts("BM") || starts("#?RGBE") || starts("#?RADIANCE") ||
                                starts("\xff\xd8\xff") ||
                                starts(std::string_view("\x89PNG\r\n\x1a\n", 8));
    return size >= 132 && std::memcmp(data + 128, "DICM", 4) == 0 && !earlier_reader;
}

// A TIFF opened by libtiff from memory, its messages dropped, its allocations held to 16 MiB (a
// directory's arrays, kilobytes in real files); nullptr when libtiff cannot read it.
TIFF* open_tiff(MemoryFile& file) {
    TIFFOpenOptions* options = TIFFOpenOptionsAlloc();
    if (!options)
        return nullptr;
    TIFFOpenOptionsSetErrorHandlerExtR(options, drop_message, nullptr);
    TIFFOpenOptionsSetWarningHandlerExtR(options, drop_message, nullptr);
    TIFFOpenOptionsSetMaxSingleMemAlloc(options, tmsize_t{16} << 20);
    TIFF* tiff = TIFFClientOpenExt("memory", "rm", &file, read_memory, write_nothing, seek_memory,
                                   close_nothing, memory_size, no_map, no_unmap, options);
    TIFFOpenOptionsFree(options);
    return tiff;
}

// Has libtiff's RGBA interface pass a CMYK page's inks through as they are stored (0 no ink),
// each in its byte of the pixel (C, M, Y, K where R, G, B, A go), 8- or 16-bit, rather than
// convert them naively without the file's profile (and refuse 16-bit ones): the directory, held
// in memory only, is told it is RGB whose fourth sample is associated alpha, which the
// interface passes through as stored, in strips or tiles, planes or not, turned upright. A
// fifth sample and further ones, alpha or not, are left out, as the interface's own CMYK
// conversion leaves them. Other pages, and separations of other inks than CMYK (InkSet 2,
// which the interface refuses), are left as they are. False when libtiff refuses the change.
bool pass_inks_through(TIFF* tiff) {
    std::uint16_t photometric = 0, ink_set = INKSET_CMYK, samples = 1;
    if (TIFFGetField(tiff, TIFFTAG_PHOTOMETRIC, &photometric) != 1 ||
        photometric != PHOTOMETRIC_SEPARATED)
        return true;
    TIFFGetFieldDefaulted(tiff, TIFFTAG_INKSET, &ink_set);
    TIFFGetFieldDefaulted(tiff, TIFFTAG_SAMPLESPERPIXEL, &samples);
    if (ink_set != INKSET_CMYK || samples < 4)
        return true;
    // Past R, G and B: K as associated alpha, the others of no meaning.
    std::vector<std::uint16_t> extra_samples(samples - 3u, EXTRASAMPLE_UNSPECIFIED);
    extra_samples.front() = EXTRASAMPLE_ASSOCALPHA;
    return TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB) == 1 &&
           TIFFSetField(tiff, TIFFTAG_EXTRASAMPLES, std::uint16_t(extra_samples.size()),
                        extra_samples.data()) == 1;
}

}  // namespace

extern "C" {

// Decodes data with cv::imdecode(flags) into *out (left empty when OpenCV does not recognize
// the data). Returns nullptr, or a message when OpenCV raised an error.
__attribute__((visibility("default"))) const char* quantize_codecs_decode(const unsigned char* data,
                                                                          std::size_t size,
                                                                          int flags,
                                                                          cv::Mat* out) noexcept {
    try {
        if (is_dicom(data, size))
            return failure("DICOM files are not supported");
        *out =
            cv::imdecode(cv::Mat(1, int(size), CV_8UC1, const_cast<unsigned char*>(data)), flags);
        return nullptr;
    } catch (const cv::Exception& e) {
        return failure(e.err);
    } catch (const std::exception& e) {
        return failure(e.what());
    }
}

// Encodes image in the format of extension ext (".jpg", ...) with cv::imencode and the given
// (id, value) parameter pairs. Returns nullptr, or a message.
__attribute__((visibility("default"))) const char* quantize_codecs_encode(
    const char* ext, const cv::Mat* image, const int* params, std::size_t param_count,
    std::vector<unsigned char>* out) noexcept {
    try {
        if (!cv::imencode(ext, *image, *out, std::vector<int>(params, params + param_count)))
            return failure(std::string("OpenCV could not encode ") + ext);
        return nullptr;
    } catch (const cv::Exception& e) {
        return failure(e.err);
    } catch (const std::exception& e) {
        return failure(e.what());
    }
}

// The first image's width and height from a TIFF's header and first directory (no strip read,
// OpenCV has no header-only read). 1 when read, 0 when libtiff cannot read it (OpenCV then
// words the error).
__attribute__((visibility("default"))) int quantize_codecs_tiff_size(
    const unsigned char* data, std::size_t size, std::uint32_t* width,
    std::uint32_t* height) noexcept {
    MemoryFile file{data, size, 0};
    TIFF* tiff = open_tiff(file);
    if (!tiff)
        return 0;
    const int ok = TIFFGetField(tiff, TIFFTAG_IMAGEWIDTH, width) == 1 &&
                   TIFFGetField(tiff, TIFFTAG_IMAGELENGTH, height) == 1;
    TIFFClose(tiff);
    return ok ? 1 : 0;
}

// The pages (directories) of a TIFF, 1..65535 (libtiff stops at a loop in the chain); 1 when
// libtiff cannot read it. OpenCV's imdecode reads the first page only.
__attribute__((visibility("default"))) std::uint32_t quantize_codecs_tiff_pages(
    const unsigned char* data, std::size_t size) noexcept {
    MemoryFile file{data, size, 0};
    TIFF* tiff = open_tiff(file);
    if (!tiff)
        return 1;
    const tdir_t pages = TIFFNumberOfDirectories(tiff);
    TIFFClose(tiff);
    return std::uint32_t(std::clamp<tdir_t>(pages, 1, 65535));
}

// Pages 0..pages-1 of a TIFF as 8-bit RGBA, upright (libtiff's RGBA interface, which reads
// every photometric kind and bit depth and applies the Orientation tag), but a CMYK page
// (Photometric separated) as its 8-bit inks, as stored (pass_inks_through); read one after the
// other in one pass over the directories (opening the file anew for each page and walking to
// it took time quadratic in the pages). buffer(context, page, width, height) returns width x
// height x 4 bytes to fill (4-byte aligned), or nullptr to stop. Returns nullptr when every
// page is delivered, else the cause.
__attribute__((visibility("default"))) const char* quantize_codecs_tiff_read_pages(
    const unsigned char* data, std::size_t size, std::uint32_t pages,
    unsigned char* (*buffer)(void* context, std::uint32_t page, std::uint32_t width,
                             std::uint32_t height),
    void* context) noexcept {
    MemoryFile file{data, size, 0};
    TIFF* tiff = open_tiff(file);
    if (!tiff)
        return failure("libtiff cannot read it");
    const char* error = nullptr;
    for (std::uint32_t page = 0; !error && page < pages; ++page) {
        std::uint32_t width = 0, height = 0;
        unsigned char* out = nullptr;
        if (page > 0 && TIFFReadDirectory(tiff) != 1)
            error = failure("libtiff cannot read page " + std::to_string(page));
        else if (TIFFGetField(tiff, TIFFTAG_IMAGEWIDTH, &width) != 1 ||
                 TIFFGetField(tiff, TIFFTAG_IMAGELENGTH, &height) != 1)
            error = failure("page " + std::to_string(page) + " has no size");
        else if (!(out = buffer(context, page, width, height)))
            error = failure("refused");
        else if (!pass_inks_through(tiff))
            error = failure("libtiff cannot read the inks of page " + std::to_string(page));
        else if (!TIFFReadRGBAImageOriented(tiff, width, height,
                                            reinterpret_cast<std::uint32_t*>(out),
                                            ORIENTATION_TOPLEFT, 0))
            error = failure("truncated or corrupt page " + std::to_string(page));
    }
    TIFFClose(tiff);
    return error;
}

// What the first `pages` pages of a TIFF hold beyond their pixels, from their directories, read
// one after the other (libtiff reads the tags of either byte order and integer type): for page
// i, photometric[i] (tag 262; 0xffff when absent), alpha[i] the first ExtraSamples value (338:
// 0 unspecified, 1 associated, 2 unassociated; 0xffff when the page has none), and data_end[i]
// the furthest byte its strips or tiles reach (offset + byte count, saturating). Returns the
// pages read: `pages`, or fewer where libtiff cannot read on.
__attribute__((visibility("default"))) std::uint32_t quantize_codecs_tiff_page_layouts(
    const unsigned char* data, std::size_t size, std::uint32_t pages, std::uint16_t* photometric,
    std::uint16_t* alpha, std::uint64_t* data_end) noexcept {
    MemoryFile file{data, size, 0};
    TIFF* tiff = open_tiff(file);
    if (!tiff)
        return 0;
    std::uint32_t read = 0;
    for (; read < pages && (read == 0 || TIFFReadDirectory(tiff) == 1); ++read) {
        photometric[read] = 0xffff;
        TIFFGetField(tiff, TIFFTAG_PHOTOMETRIC, &photometric[read]);
        std::uint16_t count = 0;
        const std::uint16_t* kinds = nullptr;
        alpha[read] = TIFFGetField(tiff, TIFFTAG_EXTRASAMPLES, &count, &kinds) == 1 && count > 0
                          ? kinds[0]
                          : 0xffff;
        data_end[read] = 0;
        const std::uint32_t striles =
            TIFFIsTiled(tiff) ? TIFFNumberOfTiles(tiff) : TIFFNumberOfStrips(tiff);
        for (std::uint32_t i = 0; i < striles; ++i) {
            const std::uint64_t offset = TIFFGetStrileOffset(tiff, i);
            const std::uint64_t bytes = TIFFGetStrileByteCount(tiff, i);
            const std::uint64_t end = offset > UINT64_MAX - bytes ? UINT64_MAX : offset + bytes;
            data_end[read] = std::max(data_end[read], end);
        }
    }
    TIFFClose(tiff);
    return read;
}

// `count` pages of a multi-page TIFF of `total`, numbered from `first`, each width x height
// pixels of `channels` (3 RGB or 4 RGBA, unassociated alpha) 8-bit samples, rows packed,
// deflated; every page marked a page of the document (SubfileType, PageNumber) and carrying
// the ICC profile when icc_size > 0, the first one given the XMP packet when xmp_size > 0.
// Into an empty *out, a new TIFF; else the pages are appended to the TIFF *out holds (libtiff's
// append mode: its directories and bytes are kept, the new ones linked after them). Returns
// nullptr with the file in *out, else the cause.
__attribute__((visibility("default"))) const char* quantize_codecs_tiff_append_pages(
    const unsigned char* const* pages, std::uint32_t count, std::uint32_t first,
    std::uint32_t total, std::uint32_t width, std::uint32_t height, int channels,
    const unsigned char* icc, std::size_t icc_size, const unsigned char* xmp, std::size_t xmp_size,
    std::vector<unsigned char>* out) noexcept {
    try {
        const char* mode = out->empty() ? "w" : "a";
        GrowingFile file{out, 0};
        TIFFOpenOptions* options = TIFFOpenOptionsAlloc();
        if (!options)
            return failure("out of memory");
        TIFFOpenOptionsSetErrorHandlerExtR(options, drop_message, nullptr);
        TIFFOpenOptionsSetWarningHandlerExtR(options, drop_message, nullptr);
        TIFF* tiff =
            TIFFClientOpenExt("memory", mode, &file, read_growing, write_growing, seek_growing,
                              close_nothing, growing_size, no_map, no_unmap, options);
        TIFFOpenOptionsFree(options);
        if (!tiff)
            return failure("libtiff cannot start a TIFF");
        const std::size_t row = std::size_t(width) * std::size_t(channels);
        bool ok = true;
        for (std::uint32_t p = 0; ok && p < count; ++p) {
            ok = TIFFSetField(tiff, TIFFTAG_IMAGEWIDTH, width) &&
                 TIFFSetField(tiff, TIFFTAG_IMAGELENGTH, height) &&
                 TIFFSetField(tiff, TIFFTAG_BITSPERSAMPLE, 8) &&
                 TIFFSetField(tiff, TIFFTAG_SAMPLESPERPIXEL, channels) &&
                 TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB) &&
                 TIFFSetField(tiff, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG) &&
                 TIFFSetField(tiff, TIFFTAG_COMPRESSION, COMPRESSION_ADOBE_DEFLATE) &&
                 TIFFSetField(tiff, TIFFTAG_ROWSPERSTRIP, TIFFDefaultStripSize(tiff, 0)) &&
                 TIFFSetField(tiff, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE) &&
                 TIFFSetField(tiff, TIFFTAG_PAGENUMBER, std::uint16_t(first + p),
                              std::uint16_t(total));
            if (ok && channels == 4) {
                const std::uint16_t extra[] = {EXTRASAMPLE_UNASSALPHA};
                ok = TIFFSetField(tiff, TIFFTAG_EXTRASAMPLES, 1, extra);
            }
            if (ok && icc_size > 0)
                ok = TIFFSetField(tiff, TIFFTAG_ICCPROFILE, std::uint32_t(icc_size), icc);
            if (ok && xmp_size > 0 && p == 0)
                ok = TIFFSetField(tiff, TIFFTAG_XMLPACKET, std::uint32_t(xmp_size), xmp);
            for (std::uint32_t y = 0; ok && y < height; ++y)
                ok = TIFFWriteScanline(tiff, const_cast<unsigned char*>(pages[p] + y * row), y,
                                       0) == 1;
            ok = ok && TIFFWriteDirectory(tiff);
        }
        TIFFClose(tiff);
        return ok ? nullptr : failure("libtiff could not write the pages");
    } catch (const std::exception& e) {
        return failure(e.what());
    }
}

// 1 when OpenCV has a writer for the file name's extension.
__attribute__((visibility("default"))) int quantize_codecs_can_write(
    const char* filename) noexcept {
    try {
        return cv::haveImageWriter(filename) ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

}  // extern "C"
