// --files-from: parse_file_list. Every path it returns is non-empty, one per line at most.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "quantize/batch.hpp"
#include "quantize/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const auto paths = quantize::parse_file_list(text);
        const auto lines = std::size_t(std::count(text.begin(), text.end(), '\n')) + 1;
        if (paths.size() > lines ||
            std::any_of(paths.begin(), paths.end(), [](const auto& p) { return p.empty(); }))
            __builtin_trap();
    } catch (const quantize::Error&) {
        // A line holding a NUL byte: expected.
    }
    return 0;
}
