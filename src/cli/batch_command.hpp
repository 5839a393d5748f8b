// `quantize batch INPUT... -o OUT_DIR -k K`: every image of folders and lists, concurrently,
// with progress, a summary, a manifest, resume, shards and a shared palette.
#pragma once

namespace quantize::cli {

// argv[0] is "batch". Parses, runs, prints; returns the process exit status.
int run_batch(int argc, char** argv);

}  // namespace quantize::cli
