// The quantize command: argument parsing and printing live in src/cli, the work in the library.
// The first argument may name a subcommand; anything else is the one-image command.
#include <string_view>

#include "batch_command.hpp"
#include "palette_command.hpp"
#include "single_command.hpp"

int main(int argc, char** argv) {
    const std::string_view command = argc > 1 ? argv[1] : "";
    if (command == "palette")
        return quantize::cli::run_palette(argc - 1, argv + 1);
    if (command == "batch")
        return quantize::cli::run_batch(argc - 1, argv + 1);
    return quantize::cli::run_single(argc, argv);
}
