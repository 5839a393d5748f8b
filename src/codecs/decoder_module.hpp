// The C interface of the decoder modules (HEIF/AVIF through libheif, JPEG XL through libjxl),
// loaded on first use as the OpenCV codecs are (src/detail/modules.hpp): each exports one
// function of type QuantizeDecodeFn, under its own name. Plain C types only, no exception
// crosses it: the library and a module need not share a C++ runtime's view of anything.
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" {

// Where a module delivers what it decodes; `context` is the caller's.
struct QuantizeDecodeSink {
    void* context;
    // Threads the decoder may use, >= 1 (libjxl's runner; libheif 1.15 takes no count).
    int threads;
    // Called once, before any pixel is decoded, with the size of the image as delivered (its
    // rotation and mirroring applied), the channels delivered (3 RGB or 4 RGBA, 8 bits each) and
    // what the file holds (channels 1..4, bits per sample 1..16). Returns a buffer of width x
    // height x channels bytes, rows packed, that the caller owns; nullptr refuses the image
    // (over the limits, out of memory: the caller keeps why), and the module stops.
    unsigned char* (*pixels)(void* context, std::uint32_t width, std::uint32_t height, int channels,
                             int source_channels, int bit_depth);
    // Called for each metadata block found: kind 0 an ICC profile, 1 EXIF (TIFF-structured,
    // the container's offset field and any "Exif\0\0" already skipped), 2 an XMP packet.
    void (*metadata)(void* context, int kind, const unsigned char* bytes, std::size_t size);
    // Animations (JPEG XL): nullptr to decode the first frame alone; else called as each frame
    // starts, with its index (0, 1, ...), how long it shows in milliseconds and the times the
    // animation plays (0 = forever). Frame 0 returns the buffer `pixels` gave; each later one a
    // new buffer of the same size, or nullptr to stop (over the limits).
    unsigned char* (*frame)(void* context, std::uint32_t index, int delay_ms, std::uint32_t loops);
};

// Decodes the file held in data[0, size) through `sink`: nullptr when the pixels are all
// delivered, else the cause as text, valid until the calling thread's next call (also when the
// sink refused: the caller knows why then).
using QuantizeDecodeFn = const char* (*)(const unsigned char* data, std::size_t size,
                                         const QuantizeDecodeSink* sink);

}  // extern "C"
