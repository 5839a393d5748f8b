// `quantize INPUT -k K [-o OUTPUT]`: one image in, one K-color image out.
#pragma once

namespace quantize::cli {

// Parses argv, runs, prints; returns the process exit status.
int run_single(int argc, char** argv);

}  // namespace quantize::cli
