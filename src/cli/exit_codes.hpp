// The exit statuses of the quantize command, as documented in --help and the README.
#pragma once

#include <iostream>
#include <string>
#include <string_view>

#include "quantize/error.hpp"
#include "quantize/files.hpp"

namespace quantize::cli {

enum ExitCode : int {
    kOk = 0,
    kFailure = 1,         // an unexpected internal error
    kUsage = 2,           // bad command line: unknown option, bad value, missing input
    kInputError = 3,      // an input is missing, unreadable, corrupt, not an image or too large
    kOutputError = 4,     // an output cannot be written, exists (without --force) or is the input
    kSkipped = 5,         // --skip-if-larger: the output would have been larger, nothing written
    kSomeFailed = 6,      // batch: some files failed (reported), the others were done
    kQualityTooLow = 99,  // --quality MIN not reached even at the most colors (pngquant's 99)
    kCancelled = 130,     // interrupted (128 + SIGINT)
};

inline int exit_code_for(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::invalid_argument:
            return kUsage;
        case ErrorKind::input:
        case ErrorKind::too_large:
            return kInputError;
        case ErrorKind::output:
            return kOutputError;
        case ErrorKind::cancelled:
            return kCancelled;
        case ErrorKind::quality_too_low:
            return kQualityTooLow;
    }
    return kFailure;
}

// Text fit for one line of a terminal or log: control characters (a newline or an escape in
// a file name) written as C escapes, \n, \t, \r or \xNN; everything else as it is.
inline std::string printable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char ch : text) {
        const auto byte = static_cast<unsigned char>(ch);
        if (byte >= 0x20 && byte != 0x7f) {
            out += ch;
        } else if (ch == '\n') {
            out += "\\n";
        } else if (ch == '\t') {
            out += "\\t";
        } else if (ch == '\r') {
            out += "\\r";
        } else {
            static constexpr char kHex[] = "0123456789abcdef";
            out += "\\x";
            out += kHex[byte >> 4];
            out += kHex[byte & 15];
        }
    }
    return out;
}

// Prints the one line every error gets on stderr, "quantize: error: MESSAGE" (made printable),
// and returns `code` so a command can `return fail(...)`.
inline int fail(int code, const std::string& message) {
    std::cerr << "quantize: error: " << printable(message) << "\n";
    return code;
}

// The error line's message for an error the library threw: what() as the library says it, and
// for an output that exists, how to overwrite it here (the library knows no options).
inline std::string message_of(const Error& e) {
    if (is_already_exists(e))
        return std::string(e.what()) + " (use --force to overwrite)";
    return e.what();
}

// fail() with the exit status and message for the library's error `e`.
inline int fail(const Error& e) {
    return fail(exit_code_for(e.kind()), message_of(e));
}

inline constexpr const char* kExitStatusHelp =
    "Exit status:\n"
    "  0  success\n"
    "  1  unexpected internal error\n"
    "  2  bad command line (unknown option, value out of range, no input)\n"
    "  3  input missing, unreadable, corrupt, not an image, or larger than --limit-pixels\n"
    "  4  output not writable, already exists (without --force) or is the input\n"
    "  5  nothing written: the output would be larger than the input (--skip-if-larger)\n"
    "  6  batch: some files failed (each reported, the others done)\n"
    "  99  --quality: even the most colors allowed stay below MIN; nothing written (batch: those\n"
    "      files are listed apart, the others done, exit 99 when no file failed otherwise)\n"
    "  130  interrupted (Ctrl-C, SIGTERM); a batch prints its summary first\n";

}  // namespace quantize::cli
