// Files and atomic writes: the one place that puts bytes on disk. Every output of the tool
// (images, palettes, swatches, manifests, ...) is checked by an OutputGuard against every input
// of the run, then written atomically, so no input is ever written over and no output is ever
// seen half-written.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "quantize/error.hpp"

namespace quantize {

// The cause of the Error(output) for an output that exists where overwrite is false: the fact
// alone. Each front end adds how its users ask to overwrite (the command's --force, Python's
// overwrite=True), which the library cannot know.
inline constexpr std::string_view kAlreadyExists = "already exists";

// True for that error.
inline bool is_already_exists(const Error& e) noexcept {
    return e.kind() == ErrorKind::output && e.cause() == kAlreadyExists;
}

// Throws Error(output) kAlreadyExists when something has the name `output` (a file, a folder, a
// link, even a dangling one) and overwrite is false: the refusal AtomicFile::commit makes
// atomically, made before any work.
void check_not_taken(const std::filesystem::path& output, bool overwrite);

// An output file under construction: an unnamed file in the target's folder (O_TMPFILE, or a
// hidden ".NAME.tmp-XXXXXX" where the file system has none) that appears under its name, whole,
// only on commit(). Destroyed uncommitted (an error, an exception), it leaves nothing behind.
class AtomicFile {
  public:
    // Throws Error(output) when no file can be created in the target's folder.
    AtomicFile(std::filesystem::path path, bool overwrite);
    ~AtomicFile();
    AtomicFile(AtomicFile&& other) noexcept;
    AtomicFile& operator=(AtomicFile&&) = delete;
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    // Appends bytes; throws Error(output) on any write error (ENOSPC, EIO, EFBIG, ...).
    void write(std::span<const std::uint8_t> bytes);
    void write(std::string_view text);
    // Records `value` in the extended attribute user.<name> of the file, which appears with it.
    // False when the file system keeps no extended attributes (nothing recorded then).
    bool set_attribute(const std::string& name, const std::string& value);
    // Moves the file into place: replaces an existing file when overwrite, else throws
    // Error(output) kAlreadyExists (checked atomically, by link(2)). Once only.
    void commit();

    const std::filesystem::path& path() const { return path_; }

  private:
    void discard() noexcept;

    std::filesystem::path path_;
    bool overwrite_ = false;
    int fd_ = -1;
    std::string named_temporary_;  // empty when the file is unnamed (O_TMPFILE)
};

// Writes bytes to `path` through an AtomicFile. Without overwrite an existing `path` is left
// alone (Error(output) kAlreadyExists).
void write_file_atomically(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
                           bool overwrite);

// The inputs of a run, held by identity (device and inode, links resolved) and by resolved
// path, so that no output is ever written over one, however the two are spelled: the same
// path, "./a.png", an absolute path, a symbolic link to the file, a hard link, or a folder
// reached through a link. A folder given as an input protects every file below it.
class OutputGuard {
  public:
    OutputGuard() = default;
    explicit OutputGuard(std::span<const std::filesystem::path> inputs);

    // Adds an input file or folder. One that does not exist (yet) is protected by its path.
    void protect(const std::filesystem::path& input);

    // Throws Error(output) when writing `output` could write over an input: it is an input
    // file (same device and inode), or its path reaches a protected file or folder through a
    // symbolic link (an output folder inside an input folder, spelled as such, is fine).
    void check(const std::filesystem::path& output) const;

    // check(), then the bytes written atomically; `tag`, when not empty, is recorded in the
    // file's extended attribute user.quantize (see AtomicFile::set_attribute).
    void write(const std::filesystem::path& output, std::span<const std::uint8_t> bytes,
               bool overwrite, const std::string& tag = {}) const;

    // check(), then an AtomicFile for an output written piece by piece (a manifest).
    AtomicFile open(const std::filesystem::path& output, bool overwrite) const;

  private:
    struct Identity {
        std::uint64_t device = 0, inode = 0;
        friend auto operator<=>(const Identity&, const Identity&) = default;
    };
    struct Protected {
        std::filesystem::path spelled;   // absolute, lexically normal: as the user named it
        std::filesystem::path resolved;  // every link resolved
        bool folder = false;
    };
    std::map<Identity, std::filesystem::path> identities_;  // -> the input as spelled
    std::vector<Protected> places_;
};

// The name of the extended attribute OutputGuard::write records a tag in.
inline constexpr const char* kTagAttribute = "quantize";

// The tag OutputGuard::write recorded on a file: `value` is empty when it has none;
// `supported` is false when its file system keeps no extended attributes (FAT, some network
// file systems), so a caller can fall back to another rule.
struct FileTag {
    bool supported = true;
    std::string value;
};
FileTag read_tag(const std::filesystem::path& path);

}  // namespace quantize
