// The quantize command: argument parsing and printing live in src/cli, the work in the library.
// The first argument may name a subcommand; anything else is the one-image command.
#include <string_view>

#include "single_command.hpp"

int main(int argc, char** argv) {
    const std::string_view command = argc > 1 ? argv[1] : "";
    (void)command;  // subcommands dispatch here: `if (command == "batch") return ...;`
    return quantize::cli::run_single(argc, argv);
}
