// Hostile input files, made at test time (no binaries in the repository): decompression bombs
// whose headers claim billions of pixels, truncated and corrupt files of every format read, and
// things that are not images. Each comes with what the command must do with it, so any test
// (unit, command line, a batch load test) can reuse every kind.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace test {

struct HostileFile {
    std::string name;                 // file name; its extension is part of the trap
    std::vector<std::uint8_t> bytes;  // the whole file
    int expected_exit = 3;            // of `quantize FILE` with default options
    std::string cause_substring;      // in the one error line, after "quantize: error: FILE: "
    bool directory = false;           // a directory of that name instead of a file (bytes empty)
    // Refused by DecodeLimits (ErrorKind::too_large) rather than as corrupt (ErrorKind::input).
    bool too_large = false;
};

// Every kind, with distinct stems (so batch outputs never collide): PNGs claiming 100000x100000,
// 1x2^31, 2^31x1 and 30000x30000 pixels (valid CRCs, a tiny IDAT), one of 15000x15000 (within the
// limit, its data far too short), a 30000x30000 JPEG with its scan cut and EOI appended, a
// 16384x16384 WebP, BMP, PNM and TIFF headers of 30000x30000 to 100000x100000; truncated PNG, JPEG
// (with and without EOI), WebP and TIFF (strips and tiles, either byte order); an empty file,
// random bytes named .png, text named .jpg, a PNG with a bad CRC, a GIF cut inside its color table,
// a GIF claiming 65535x65535 and a directory named x.png.
std::vector<HostileFile> hostile_corpus();

// Creates `file` inside `dir` (the file, or the directory) and returns its path.
std::filesystem::path place(const HostileFile& file, const std::filesystem::path& dir);

// A PNG (8-bit RGB) whose IHDR claims width x height pixels, with valid CRCs and an IDAT of a
// few bytes.
std::vector<std::uint8_t> png_claiming(std::uint32_t width, std::uint32_t height);

}  // namespace test
