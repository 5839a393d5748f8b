#include "detail/modules.hpp"

#include <dlfcn.h>

#include <array>
#include <cstdlib>
#include <vector>

namespace quantize::detail {

namespace {

// Module folders relative to the library's folder, set by CMakeLists.txt from the install
// layout: "." for the build tree (modules beside the library), the module folder as seen from
// the library folder (e.g. "quantize") and from the program folder (e.g. "../lib/quantize").
constexpr std::array<const char*, 3> kModuleFolders{".", QUANTIZE_MODULE_DIR_FROM_LIB,
                                                    QUANTIZE_MODULE_DIR_FROM_BIN};

std::vector<std::string> candidate_paths(const ModuleLocation& where) {
    std::vector<std::string> paths;
    if (const char* env = std::getenv(where.env_var); env && *env)
        paths.push_back(env);
    const std::filesystem::path here = library_folder();
    if (!here.empty()) {
        for (const char* folder : kModuleFolders)
            paths.push_back((here / folder / where.file_name).lexically_normal().string());
    }
    return paths;
}

}  // namespace

std::filesystem::path library_folder() {
    Dl_info info{};
    if (::dladdr(reinterpret_cast<const void*>(&library_folder), &info) == 0 || !info.dli_fname)
        return {};
    std::error_code ec;
    const std::filesystem::path file = std::filesystem::canonical(info.dli_fname, ec);
    return ec ? std::filesystem::path() : file.parent_path();
}

void* open_module(const ModuleLocation& where, std::string& error) {
    std::string tried;
    for (const std::string& path : candidate_paths(where)) {
        void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
            tried += (tried.empty() ? "" : "; ") + std::string(::dlerror());
            continue;
        }
        if (::dlsym(handle, where.entry_point))
            return handle;
        ::dlclose(handle);
        tried += (tried.empty() ? "" : "; ") + path + ": not a quantize module (no " +
                 where.entry_point + ")";
    }
    error = std::string(where.description) + " not found (" + tried + ")";
    return nullptr;
}

}  // namespace quantize::detail
