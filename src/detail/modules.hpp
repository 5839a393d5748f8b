// Codec modules: shared libraries the library opens with dlopen the first time an image needs
// them, so a run never loads a codec its files do not use (OpenCV's codecs pull in some 130
// libraries, ~90 ms; libheif brings x265, libaom, dav1d and libde265). Each module is looked
// for, in order: at the path its environment variable gives, beside the running executable, in
// the build tree, and in the install tree; the first that opens and holds the module's entry
// point is kept for the life of the process.
#pragma once

#include <string>

namespace quantize::detail {

// Where one module is found and what proves a file is it.
struct ModuleLocation {
    const char* description;   // "OpenCV image codecs module", for the error
    const char* env_var;       // e.g. "QUANTIZE_CODECS_MODULE"
    const char* file_name;     // e.g. "libquantize-opencv-codecs.so"
    const char* build_path;    // the build tree's copy
    const char* install_path;  // the install tree's copy
    const char* entry_point;   // a symbol every build of the module exports
};

// The module's handle for dlsym, or nullptr with `error` saying what every candidate gave.
// Not cached: callers load once (std::call_once) and keep the handle.
void* open_module(const ModuleLocation& where, std::string& error);

}  // namespace quantize::detail
