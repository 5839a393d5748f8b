// The files one command writes, checked against its inputs and against each other: no output
// of a run is ever one of its inputs (OutputGuard), nor a file another of its outputs writes.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <system_error>

#include "quantize/error.hpp"
#include "quantize/files.hpp"

namespace quantize::cli {

class RunOutputs {
  public:
    RunOutputs() = default;
    explicit RunOutputs(OutputGuard guard) : guard_(std::move(guard)) {}

    const OutputGuard& guard() const { return guard_; }

    // Claims `output` for `writer` ("the output of a.png", "the --swatch file"); throws
    // Error(output) when another writer of the run claimed the same file (as resolved: ./x and
    // x are one). The same writer may claim its file again. `hint`, when given, is added to
    // that error in parentheses.
    void claim(const std::filesystem::path& output, const std::string& writer,
               const std::string& hint = {}) {
        namespace fs = std::filesystem;
        std::error_code ec;
        fs::path key = fs::weakly_canonical(fs::absolute(output), ec);
        if (ec)
            key = fs::absolute(output).lexically_normal();
        const auto [owner, first] = owners_.emplace(key, writer);
        if (!first && owner->second != writer) {
            throw Error(ErrorKind::output, output.string(),
                        "is also " + owner->second + " in this run" +
                            (hint.empty() ? "" : " (" + hint + ")"));
        }
    }

    // guard().check(output), check_not_taken(output, overwrite), then claim(output, writer):
    // every refusal before any work.
    void check_and_claim(const std::filesystem::path& output, const std::string& writer,
                         bool overwrite) {
        guard_.check(output);
        check_not_taken(output, overwrite);
        claim(output, writer);
    }

  private:
    OutputGuard guard_;
    std::map<std::filesystem::path, std::string> owners_;  // output, resolved -> its writer
};

}  // namespace quantize::cli
