// Codec modules: shared libraries the library opens with dlopen the first time an image needs
// them, so a run never loads a codec its files do not use (OpenCV's codecs pull in some 130
// libraries, ~90 ms; libheif brings x265, libaom, dav1d and libde265). Each module is looked
// for, in order: at the path its environment variable gives, then relative to the file that
// holds this library's code (libquantize.so, or the program it is linked into statically):
// beside it (the build tree) and in the install tree's module folder, reached from the library
// folder or from the program folder. No absolute path is compiled in, so an installed tree
// can be moved anywhere.
#pragma once

#include <filesystem>
#include <string>

namespace quantize::detail {

// Where one module is found and what proves a file is it.
struct ModuleLocation {
    const char* description;  // "OpenCV image codecs module", for the error
    const char* env_var;      // e.g. "QUANTIZE_CODECS_MODULE"
    const char* file_name;    // e.g. "libquantize-opencv-codecs.so"
    const char* entry_point;  // a symbol every build of the module exports
};

// The folder of the shared object or program that holds the library's code (dladdr); empty if
// it cannot be told.
std::filesystem::path library_folder();

// The module's handle for dlsym, or nullptr with `error` saying what every candidate gave.
// Not cached: callers load once (std::call_once) and keep the handle.
void* open_module(const ModuleLocation& where, std::string& error);

}  // namespace quantize::detail
