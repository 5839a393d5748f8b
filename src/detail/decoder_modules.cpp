#include "detail/decoder_modules.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <exception>
#include <mutex>
#include <string>

#include "codecs/decoder_module.hpp"
#include "detail/memory.hpp"
#include "detail/modules.hpp"

namespace quantize::detail {

namespace {

struct Loaded {
    QuantizeDecodeFn decode = nullptr;
    std::string error;  // why loading failed, when it did
};

Loaded load(const ModuleLocation& where) {
    Loaded m;
    if (void* handle = open_module(where, m.error))
        m.decode = reinterpret_cast<QuantizeDecodeFn>(::dlsym(handle, where.entry_point));
    return m;
}

// Each module loaded once per process, on first use; never unloaded.
const Loaded& loaded(DecoderModule module) {
    static std::once_flag heif_once, jxl_once;
    static Loaded heif, jxl;
    switch (module) {
        case DecoderModule::heif:
            std::call_once(heif_once, [] {
                heif = load({"HEIF codec module", "QUANTIZE_HEIF_MODULE", QUANTIZE_HEIF_MODULE_NAME,
                             "quantize_heif_decode"});
            });
            return heif;
        case DecoderModule::jxl:
            std::call_once(jxl_once, [] {
                jxl = load({"JPEG XL codec module", "QUANTIZE_JXL_MODULE", QUANTIZE_JXL_MODULE_NAME,
                            "quantize_jxl_decode"});
            });
            return jxl;
    }
    return heif;
}

// What the sink's callbacks fill; an exception of theirs is kept here and rethrown once the
// module has returned, never thrown through it.
struct Target {
    Image image;
    const SizeCheck* check_size = nullptr;
    std::exception_ptr refused;
};

unsigned char* pixels(void* context, std::uint32_t width, std::uint32_t height, int channels,
                      int source_channels, int bit_depth) {
    auto& t = *static_cast<Target*>(context);
    try {
        (*t.check_size)(width, height, std::uint64_t(channels));
        t.image.width = int(width);
        t.image.height = int(height);
        t.image.channels = channels;
        t.image.source.channels = source_channels;
        t.image.source.bit_depth = std::clamp(bit_depth, 1, 16);
        resize_populated(t.image.samples, t.image.pixel_count() * std::size_t(channels));
        return t.image.samples.data();
    } catch (...) {
        t.refused = std::current_exception();
        return nullptr;
    }
}

void metadata(void* context, int kind, const unsigned char* bytes, std::size_t size) {
    auto& t = *static_cast<Target*>(context);
    try {
        Metadata& m = t.image.metadata;
        if (kind == 0)
            m.profile.icc.assign(bytes, bytes + size);
        else if (kind == 1 && m.exif.empty())
            m.exif.assign(bytes, bytes + size);
        else if (kind == 2 && m.xmp.empty())
            m.xmp.assign(bytes, bytes + size);
    } catch (const std::bad_alloc&) {
        // Metadata is kilobytes; without memory for it the pixels still count.
    }
}

}  // namespace

Image decode_with_module(DecoderModule module, std::span<const std::uint8_t> bytes, int threads,
                         const SizeCheck& check_size) {
    const Loaded& m = loaded(module);
    if (!m.decode)
        throw std::runtime_error(m.error);
    Target target;
    target.check_size = &check_size;
    const QuantizeDecodeSink sink{&target, threads, pixels, metadata};
    const char* error = m.decode(bytes.data(), bytes.size(), &sink);
    if (target.refused)
        std::rethrow_exception(target.refused);
    if (error) {
        std::string cause = error;  // libheif's messages may end in a newline
        while (!cause.empty() && (cause.back() == '\n' || cause.back() == ' '))
            cause.pop_back();
        throw ModuleDecodeError(cause);
    }
    return std::move(target.image);
}

}  // namespace quantize::detail
