// The frame every subcommand shares: parse, --help, read the invocation, run it, and turn
// errors into one line on stderr and a documented exit status.
#pragma once

#include <cxxopts.hpp>
#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include "exit_codes.hpp"
#include "quantize/error.hpp"

namespace quantize::cli {

// The line for a command line cxxopts refused. Its "Argument '-1' failed to parse" names the
// value, not the option: the option is found on the command line (the word before the value,
// or --name=value) and named with it.
inline std::string refused_command_line(const cxxopts::exceptions::exception& e, int argc,
                                        char** argv) {
    const std::string text = e.what();
    if (dynamic_cast<const cxxopts::exceptions::incorrect_argument_type*>(&e) == nullptr)
        return text;
    const std::size_t open = text.find(cxxopts::LQUOTE), close = text.rfind(cxxopts::RQUOTE);
    if (open == std::string::npos || close == std::string::npos || close < open)
        return text;
    const std::size_t from = open + cxxopts::LQUOTE.size();
    const std::string value = text.substr(from, close - from);
    auto refused = [&](std::string_view option) {
        return std::string(option) + " does not take '" + value + "'";
    };
    for (int i = 1; i < argc; ++i) {
        const std::string_view word = argv[i];
        if (!word.starts_with("-"))
            continue;
        const std::size_t equals = word.find('=');
        if (equals != std::string_view::npos && word.substr(equals + 1) == value)
            return refused(word.substr(0, equals));
        if (i + 1 < argc && argv[i + 1] == value)
            return refused(word);
    }
    return text;
}

// Runs `work` on what was read from `file`; an error the library said of "image" (the pixels
// it was given) or of an unreachable --quality is then said of the file, as every other error
// line names its file.
template <class Work>
auto said_of_file(const std::string& file, Work&& work) {
    try {
        return work();
    } catch (const Error& e) {
        if (e.subject() != "image" && e.kind() != ErrorKind::quality_too_low)
            throw;
        throw Error(e.kind(), file, e.cause());
    }
}

// `name` is the subcommand ("palette"), for the hint on usage errors. `help(parser)` gives the
// --help text, `read(args)` the invocation (throwing Error(invalid_argument) whose subject is
// the option's name), `run(invocation)` the exit status. Usage errors exit 2; errors thrown by
// run exit as exit_code_for says; std::bad_alloc exits 3.
template <class Help, class Read, class Run>
int run_subcommand(int argc, char** argv, const char* name, cxxopts::Options parser, Help help,
                   Read read, Run run) {
    decltype(read(std::declval<const cxxopts::ParseResult&>())) in;
    try {
        const cxxopts::ParseResult args = parser.parse(argc, argv);
        if (args.count("help")) {
            std::cout << help(parser);
            return kOk;
        }
        in = read(args);
    } catch (const cxxopts::exceptions::exception& e) {
        return fail(kUsage,
                    refused_command_line(e, argc, argv) + " (see quantize " + name + " --help)");
    } catch (const Error& e) {
        return fail(kUsage, "--" + e.subject() + " " + e.cause());
    }
    try {
        return run(in);
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::invalid_argument)
            return fail(kUsage, "--" + e.subject() + " " + e.cause());
        return fail(e);
    } catch (const std::bad_alloc&) {  // inputs too big for this machine: an input error
        return fail(kInputError, std::string("out of memory (") + name + ")");
    } catch (const std::exception& e) {
        return fail(kFailure, e.what());
    }
}

}  // namespace quantize::cli
