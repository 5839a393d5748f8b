// The two errors of file input and output, naming the file: what every decoder and encoder
// throws.
#pragma once

#include <filesystem>
#include <string>

#include "quantize/error.hpp"

namespace quantize::detail {

[[noreturn]] inline void fail_input(const std::filesystem::path& path, const std::string& cause) {
    throw Error(ErrorKind::input, path.string(), cause);
}

[[noreturn]] inline void fail_output(const std::filesystem::path& path, const std::string& cause) {
    throw Error(ErrorKind::output, path.string(), cause);
}

}  // namespace quantize::detail
