// One exception type for every failure the library reports.
#pragma once

#include <stdexcept>
#include <string>

namespace quantize {

// What went wrong, coarse enough for a command-line tool to map to an exit code.
enum class ErrorKind {
    invalid_argument,  // an option value out of range (K, sample size, threads, ...)
    input,             // an input file is missing, unreadable, corrupt or not an image
    too_large,         // an input's header claims more pixels or bytes than DecodeLimits allow
    output,            // an output cannot be written (exists, directory missing, read-only, ...)
    cancelled,         // the progress callback asked to stop
    quality_too_low,   // --quality MIN: even the most colors allowed stay below MIN
};

// what() reads "<subject>: <cause>", e.g. "photo.jpg: not an image OpenCV can decode".
// The subject is a file path or an option name; the cause says what is wrong.
class Error : public std::runtime_error {
  public:
    Error(ErrorKind kind, std::string subject, std::string cause)
        : std::runtime_error(subject + ": " + cause),
          kind_(kind),
          subject_(std::move(subject)),
          cause_(std::move(cause)) {}

    ErrorKind kind() const noexcept { return kind_; }
    const std::string& subject() const noexcept { return subject_; }
    const std::string& cause() const noexcept { return cause_; }

  private:
    ErrorKind kind_;
    std::string subject_;
    std::string cause_;
};

}  // namespace quantize
