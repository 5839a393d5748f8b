#include "detail/opencv_codecs.hpp"

#include <dlfcn.h>

#include <exception>
#include <mutex>
#include <stdexcept>

#include "detail/modules.hpp"

namespace quantize::detail {

namespace {

using DecodeFn = const char* (*)(const unsigned char*, std::size_t, int, cv::Mat*);
using EncodeFn = const char* (*)(const char*, const cv::Mat*, const int*, std::size_t,
                                 std::vector<unsigned char>*);
using CanWriteFn = int (*)(const char*);
using TiffSizeFn = int (*)(const unsigned char*, std::size_t, std::uint32_t*, std::uint32_t*);
using TiffPagesFn = std::uint32_t (*)(const unsigned char*, std::size_t);
using TiffWritePagesFn = const char* (*)(const unsigned char* const*, std::uint32_t, std::uint32_t,
                                         std::uint32_t, std::uint32_t, std::uint32_t, int,
                                         const unsigned char*, std::size_t, const unsigned char*,
                                         std::size_t, std::vector<unsigned char>*);
using TiffPageLayoutsFn = std::uint32_t (*)(const unsigned char*, std::size_t, std::uint32_t,
                                            std::uint16_t*, std::uint16_t*, std::uint64_t*);
using TiffReadPagesFn = const char* (*)(const unsigned char*, std::size_t, std::uint32_t,
                                        unsigned char* (*)(void*, std::uint32_t, std::uint32_t,
                                                           std::uint32_t),
                                        void*);

struct Module {
    DecodeFn decode = nullptr;
    EncodeFn encode = nullptr;
    CanWriteFn can_write = nullptr;
    TiffSizeFn tiff_size = nullptr;                 // optional: a module of an older build lacks it
    TiffPagesFn tiff_pages = nullptr;               // optional, as tiff_size
    TiffReadPagesFn tiff_read_pages = nullptr;      // optional, as tiff_size
    TiffPageLayoutsFn tiff_page_layouts = nullptr;  // optional, as tiff_size
    TiffWritePagesFn tiff_write_pages = nullptr;    // optional, as tiff_size
    std::string error;                              // why loading failed, when it did
};

Module load() {
    Module m;
    const ModuleLocation where{"OpenCV image codecs module", "QUANTIZE_CODECS_MODULE",
                               QUANTIZE_CODECS_MODULE_NAME, "quantize_codecs_decode"};
    void* handle = open_module(where, m.error);
    if (!handle)
        return m;
    m.decode = reinterpret_cast<DecodeFn>(::dlsym(handle, "quantize_codecs_decode"));
    m.encode = reinterpret_cast<EncodeFn>(::dlsym(handle, "quantize_codecs_encode"));
    m.can_write = reinterpret_cast<CanWriteFn>(::dlsym(handle, "quantize_codecs_can_write"));
    m.tiff_size = reinterpret_cast<TiffSizeFn>(::dlsym(handle, "quantize_codecs_tiff_size"));
    m.tiff_pages = reinterpret_cast<TiffPagesFn>(::dlsym(handle, "quantize_codecs_tiff_pages"));
    m.tiff_read_pages =
        reinterpret_cast<TiffReadPagesFn>(::dlsym(handle, "quantize_codecs_tiff_read_pages"));
    m.tiff_page_layouts =
        reinterpret_cast<TiffPageLayoutsFn>(::dlsym(handle, "quantize_codecs_tiff_page_layouts"));
    m.tiff_write_pages =
        reinterpret_cast<TiffWritePagesFn>(::dlsym(handle, "quantize_codecs_tiff_append_pages"));
    if (!m.encode || !m.can_write) {
        m = {};
        m.error = "OpenCV image codecs module incomplete (no encoder)";
    }
    return m;
}

// Loaded once per process, on first use; never unloaded.
const Module& module() {
    static std::once_flag once;
    static Module m;
    std::call_once(once, [] { m = load(); });
    return m;
}

const Module& loaded_module() {
    const Module& m = module();
    if (!m.decode)
        throw std::runtime_error(m.error);
    return m;
}

}  // namespace

cv::Mat opencv_decode(std::span<const std::uint8_t> data, int flags) {
    cv::Mat out;
    if (const char* error = loaded_module().decode(data.data(), data.size(), flags, &out))
        throw std::runtime_error(error);
    return out;
}

std::vector<std::uint8_t> opencv_encode(const std::string& ext, const cv::Mat& image,
                                        const std::vector<int>& params) {
    std::vector<std::uint8_t> out;
    if (const char* error =
            loaded_module().encode(ext.c_str(), &image, params.data(), params.size(), &out))
        throw std::runtime_error(error);
    return out;
}

std::optional<ImageSize> opencv_tiff_size(std::span<const std::uint8_t> data) {
    const Module& m = loaded_module();
    ImageSize size;
    if (!m.tiff_size || !m.tiff_size(data.data(), data.size(), &size.width, &size.height))
        return std::nullopt;
    return size;
}

std::uint32_t opencv_tiff_pages(std::span<const std::uint8_t> data) {
    const Module& m = loaded_module();
    return m.tiff_pages ? m.tiff_pages(data.data(), data.size()) : 1;
}

std::vector<TiffPageLayout> opencv_tiff_page_layouts(std::span<const std::uint8_t> data,
                                                     std::uint32_t pages) {
    const Module& m = loaded_module();
    if (!m.tiff_page_layouts)
        return {};
    std::vector<std::uint16_t> photometric(pages), alpha(pages);
    std::vector<std::uint64_t> data_end(pages);
    const std::uint32_t read = m.tiff_page_layouts(
        data.data(), data.size(), pages, photometric.data(), alpha.data(), data_end.data());
    std::vector<TiffPageLayout> layouts;
    for (std::uint32_t i = 0; i < read && i < pages; ++i)
        layouts.push_back({photometric[i], alpha[i], data_end[i]});
    return layouts;
}

void opencv_tiff_read_pages(
    std::span<const std::uint8_t> data, std::uint32_t pages,
    const std::function<std::uint8_t*(std::uint32_t, std::uint32_t, std::uint32_t)>& buffer) {
    const Module& m = loaded_module();
    if (!m.tiff_read_pages)
        throw std::runtime_error("the OpenCV image codecs module reads no TIFF pages");
    struct Context {  // no exception crosses the module: it waits here
        const std::function<std::uint8_t*(std::uint32_t, std::uint32_t, std::uint32_t)>* buffer;
        std::exception_ptr error;
    } context{&buffer, nullptr};
    const char* error = m.tiff_read_pages(
        data.data(), data.size(), pages,
        [](void* c, std::uint32_t page, std::uint32_t width,
           std::uint32_t height) -> unsigned char* {
            auto* context = static_cast<Context*>(c);
            try {
                return (*context->buffer)(page, width, height);
            } catch (...) {
                context->error = std::current_exception();
                return nullptr;
            }
        },
        &context);
    if (context.error)
        std::rethrow_exception(context.error);
    if (error)
        throw std::runtime_error(error);
}

std::vector<std::uint8_t> opencv_tiff_write_pages(std::span<const std::uint8_t* const> pages,
                                                  const TiffPages& where, std::uint32_t width,
                                                  std::uint32_t height, int channels,
                                                  std::span<const std::uint8_t> icc,
                                                  std::span<const std::uint8_t> xmp,
                                                  std::vector<std::uint8_t> before) {
    const Module& m = loaded_module();
    if (!m.tiff_write_pages)
        throw std::runtime_error("the OpenCV image codecs module writes no TIFF pages");
    if (const char* error = m.tiff_write_pages(
            pages.data(), std::uint32_t(pages.size()), where.first, where.total, width, height,
            channels, icc.data(), icc.size(), xmp.data(), xmp.size(), &before))
        throw std::runtime_error(error);
    return before;
}

bool opencv_can_write(const std::string& filename) {
    const Module& m = module();
    return m.can_write && m.can_write(filename.c_str()) != 0;
}

}  // namespace quantize::detail
