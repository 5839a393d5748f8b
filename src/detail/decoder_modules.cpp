#include "detail/decoder_modules.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <exception>
#include <mutex>
#include <string>
#include <vector>

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
    // Animations: the frames after the first, every frame's delay (ms) and the loops; and what
    // checks the frames held decoded so far against the limits (nullptr: the first frame only).
    std::vector<Image> more;
    std::vector<int> delays;
    std::uint32_t loops = 1;
    const FramesCheck* check_frames = nullptr;
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

unsigned char* frame(void* context, std::uint32_t index, int delay_ms, std::uint32_t loops) {
    auto& t = *static_cast<Target*>(context);
    try {
        t.delays.push_back(std::max(delay_ms, 0));
        t.loops = loops;
        if (index == 0)
            return t.image.samples.data();
        (*t.check_frames)(std::uint64_t(index) + 1);
        Image& next = t.more.emplace_back();
        next.width = t.image.width;
        next.height = t.image.height;
        next.channels = t.image.channels;
        next.source = t.image.source;
        resize_populated(next.samples, t.image.samples.size());
        return next.samples.data();
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

// Runs the module into `target`, its frames too when target.check_frames is set.
void run_module(DecoderModule module, std::span<const std::uint8_t> bytes, int threads,
                Target& target) {
    const Loaded& m = loaded(module);
    if (!m.decode)
        throw std::runtime_error(m.error);
    const QuantizeDecodeSink sink{&target, threads, pixels, metadata,
                                  target.check_frames ? frame : nullptr};
    const char* error = m.decode(bytes.data(), bytes.size(), &sink);
    if (target.refused)
        std::rethrow_exception(target.refused);
    if (error) {
        std::string cause = error;  // libheif's messages may end in a newline
        while (!cause.empty() && (cause.back() == '\n' || cause.back() == ' '))
            cause.pop_back();
        throw ModuleDecodeError(cause);
    }
}

}  // namespace

Image decode_with_module(DecoderModule module, std::span<const std::uint8_t> bytes, int threads,
                         const SizeCheck& check_size) {
    Target target;
    target.check_size = &check_size;
    run_module(module, bytes, threads, target);
    return std::move(target.image);
}

Animation decode_animation_with_module(DecoderModule module, std::span<const std::uint8_t> bytes,
                                       int threads, const SizeCheck& check_size,
                                       const FramesCheck& check_frames) {
    Target target;
    target.check_size = &check_size;
    target.check_frames = &check_frames;
    run_module(module, bytes, threads, target);
    Animation animation;
    animation.width = target.image.width;
    animation.height = target.image.height;
    animation.loops = target.delays.empty() ? 1 : int(target.loops);
    animation.source = target.image.source;
    animation.metadata = target.image.metadata;
    target.image.metadata = {};
    target.image.metadata.profile = animation.metadata.profile;
    animation.frames.push_back(
        {std::move(target.image), target.delays.empty() ? 0 : target.delays[0]});
    for (std::size_t i = 0; i < target.more.size(); ++i) {
        target.more[i].metadata.profile = animation.metadata.profile;
        animation.frames.push_back({std::move(target.more[i]), target.delays[i + 1]});
    }
    return animation;
}

}  // namespace quantize::detail
