// The quantize command: argument parsing and printing live in src/cli, the work in the library.
// The first argument may name a subcommand; anything else is the one-image command.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>

#include "analyze_command.hpp"
#include "batch_command.hpp"
#include "exit_codes.hpp"
#include "palette_command.hpp"
#include "single_command.hpp"

namespace {

int run_command(int argc, char** argv) {
    const std::string_view command = argc > 1 ? argv[1] : "";
    if (command == "palette")
        return quantize::cli::run_palette(argc - 1, argv + 1);
    if (command == "analyze")
        return quantize::cli::run_analyze(argc - 1, argv + 1);
    if (command == "batch")
        return quantize::cli::run_batch(argc - 1, argv + 1);
    return quantize::cli::run_single(argc, argv);
}

// A report, palette or image on standard output that did not all get written (a full disk,
// /dev/full, a closed pipe) is an output error, never a silent success.
int check_standard_output(int status) {
    errno = 0;
    const bool failed = std::fflush(stdout) != 0 || std::ferror(stdout) || !std::cout;
    if (!failed)
        return status;
    const std::string cause = errno != 0 ? std::strerror(errno) : "write error";
    const int code =
        quantize::cli::fail(quantize::cli::kOutputError, "standard output: write failed: " + cause);
    return status == quantize::cli::kOk ? code : status;
}

}  // namespace

int main(int argc, char** argv) {
    // A file size limit (ulimit -f) then fails the write with EFBIG, reported as an output
    // error, instead of killing the process.
    std::signal(SIGXFSZ, SIG_IGN);
    // So is a closed pipe (`quantize ... -o - | head -c 10`): EPIPE, exit 4 with its line,
    // rather than a silent death by SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    return check_standard_output(run_command(argc, argv));
}
