#include "detail/opencv_codecs.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <system_error>

namespace quantize::detail {

namespace {

using DecodeFn = const char* (*)(const unsigned char*, std::size_t, int, cv::Mat*);
using EncodeFn = const char* (*)(const char*, const cv::Mat*, const int*, std::size_t,
                                 std::vector<unsigned char>*);
using CanWriteFn = int (*)(const char*);
using TiffSizeFn = int (*)(const unsigned char*, std::size_t, std::uint32_t*, std::uint32_t*);

struct Module {
    DecodeFn decode = nullptr;
    EncodeFn encode = nullptr;
    CanWriteFn can_write = nullptr;
    TiffSizeFn tiff_size = nullptr;  // optional: a module of an older build lacks it
    std::string error;               // why loading failed, when it did
};

std::vector<std::string> candidate_paths() {
    std::vector<std::string> paths;
    if (const char* env = std::getenv("QUANTIZE_CODECS_MODULE"); env && *env)
        paths.push_back(env);
    std::error_code ec;
    const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec)
        paths.push_back((exe.parent_path() / QUANTIZE_CODECS_MODULE_NAME).string());
    paths.push_back(QUANTIZE_CODECS_BUILD_PATH);
    paths.push_back(QUANTIZE_CODECS_INSTALL_PATH);
    return paths;
}

Module load() {
    Module m;
    std::string tried;
    for (const std::string& path : candidate_paths()) {
        void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
            tried += (tried.empty() ? "" : "; ") + std::string(::dlerror());
            continue;
        }
        m.decode = reinterpret_cast<DecodeFn>(::dlsym(handle, "quantize_codecs_decode"));
        m.encode = reinterpret_cast<EncodeFn>(::dlsym(handle, "quantize_codecs_encode"));
        m.can_write = reinterpret_cast<CanWriteFn>(::dlsym(handle, "quantize_codecs_can_write"));
        m.tiff_size = reinterpret_cast<TiffSizeFn>(::dlsym(handle, "quantize_codecs_tiff_size"));
        if (m.decode && m.encode && m.can_write)
            return m;
        tried += "; " + path + ": not a quantize codecs module";
    }
    m = {};
    m.error = "OpenCV image codecs module not found (" + tried + ")";
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

bool opencv_can_write(const std::string& filename) {
    const Module& m = module();
    return m.can_write && m.can_write(filename.c_str()) != 0;
}

}  // namespace quantize::detail
