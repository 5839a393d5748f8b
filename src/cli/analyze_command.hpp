// `quantize analyze INPUT [-k KMAX] [--plot FILE.png] [--json | --csv] [-o FILE]`: the measures
// at every K up to KMAX and the K to pick, nothing quantized written.
#pragma once

namespace quantize::cli {

// argv[0] is "analyze". Parses, runs, prints; returns the process exit status.
int run_analyze(int argc, char** argv);

}  // namespace quantize::cli
