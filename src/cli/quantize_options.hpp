// Command-line options shared by every command that quantizes images (one image, batch):
// declared once so they read and validate the same everywhere.
#pragma once

#include <cxxopts.hpp>
#include <string>

#include "quantize/quantize.hpp"

namespace quantize::cli {

// What -k means to a command: the colors of the output (and --quality beside it), or the
// largest K a sweep analyzes (no --quality).
enum class ColorsMeaning { colors, largest_k };

// Adds -k/--colors, --quality (for ColorsMeaning::colors), --sample, --seed, --max-iter,
// --tolerance, --threads, --space, --fixed and --limit-pixels, with the library's defaults.
void add_quantize_options(cxxopts::Options& parser, ColorsMeaning colors = ColorsMeaning::colors);

// Adds the options of commands that write images: --dither and --dither-level (how pixels are
// mapped to the palette), --png-level, --jpeg-quality and --webp-quality.
void add_encode_options(cxxopts::Options& parser);

// Adds -q/--quiet (described by `quiet`), -h/--help and the positional INPUT... that every
// command takes, in that order, after the options declared so far.
void add_common_options(cxxopts::Options& parser, const std::string& quiet);

// The options as given (--limit-pixels, else $QUANTIZE_LIMIT_PIXELS, in limits.max_pixels;
// dithering and encode options too, when add_encode_options declared
// them), checked with quantize::validate. Throws Error(invalid_argument) whose subject is the
// option's name (without dashes) when a value is malformed or out of range.
Options read_quantize_options(const cxxopts::ParseResult& args);

}  // namespace quantize::cli
