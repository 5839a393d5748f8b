#include "detail/modules.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <vector>

namespace quantize::detail {

namespace {

std::vector<std::string> candidate_paths(const ModuleLocation& where) {
    std::vector<std::string> paths;
    if (const char* env = std::getenv(where.env_var); env && *env)
        paths.push_back(env);
    std::error_code ec;
    const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec)
        paths.push_back((exe.parent_path() / where.file_name).string());
    paths.push_back(where.build_path);
    paths.push_back(where.install_path);
    return paths;
}

}  // namespace

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
