// The quantize command: argument parsing and printing live in src/cli, the work in the library.
#include "single_command.hpp"

int main(int argc, char** argv) {
    return quantize::cli::run_single(argc, argv);
}
