// `quantize palette INPUT... -k K [--format F] [-o FILE] [--swatch FILE.png]`: the dominant
// colors of images as a palette file, no image written.
#pragma once

namespace quantize::cli {

// argv[0] is "palette". Parses, runs, prints; returns the process exit status.
int run_palette(int argc, char** argv);

}  // namespace quantize::cli
