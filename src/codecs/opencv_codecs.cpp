// The only code of quantize that links OpenCV's image codecs, built as a module that the library
// loads the first time an image needs it (see src/detail/opencv_codecs.hpp): Debian's
// libopencv_imgcodecs pulls in GDAL, GDCM and some 130 other libraries, whose loading takes
// about 90 ms, longer than quantizing a Kodak photo. PNG never needs it.
//
// A C interface, so the library finds the functions by name; errors come back as messages, no
// exception crosses the boundary.
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/imgcodecs.hpp>

namespace {

thread_local std::string last_error;

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
