#include "quantize/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <string>
#include <utility>

#include "detail/io_errors.hpp"

namespace quantize {

namespace fs = std::filesystem;

namespace {

using detail::fail_output;

std::string errno_text(int error) {
    return std::strerror(error);
}

fs::path directory_of(const fs::path& path) {
    return path.has_parent_path() ? path.parent_path() : fs::path(".");
}

// ".NAME.tmp-" beside `path`: hidden, so folder walks pass it over.
std::string temporary_prefix(const fs::path& path) {
    return (directory_of(path) / ("." + path.filename().string() + ".tmp-")).string();
}

// A new, empty, private file with a hidden name beside `path`; its descriptor, or -1.
int create_named_temporary(const fs::path& path, std::string& name) {
    name = temporary_prefix(path) + "XXXXXX";
    return ::mkstemp(name.data());
}

// An unnamed file in the folder of `path` (Linux O_TMPFILE): it has no name to leave behind
// when the process dies; -1 where the file system cannot make one.
int create_unnamed(const fs::path& path) {
#ifdef O_TMPFILE
    return ::open(directory_of(path).c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
#else
    (void)path;
    return -1;
#endif
}

// Gives the unnamed file `fd` the name `target` (link(2) semantics: fails with EEXIST when the
// name is taken). Through /proc, as open(2) documents for unprivileged processes.
int link_unnamed(int fd, const std::string& target) {
    const std::string proc = "/proc/self/fd/" + std::to_string(fd);
    if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, target.c_str(), AT_SYMLINK_FOLLOW) == 0)
        return 0;
#ifdef AT_EMPTY_PATH
    if (errno == ENOENT)  // no /proc: AT_EMPTY_PATH works where the process may use it
        return ::linkat(fd, "", AT_FDCWD, target.c_str(), AT_EMPTY_PATH);
#endif
    return -1;
}

// Links the unnamed file `fd` under a fresh hidden name beside `path`; that name, or "" with
// errno set.
std::string link_hidden(int fd, const fs::path& path) {
    std::random_device random;
    for (int attempt = 0; attempt < 100; ++attempt) {
        char suffix[16];
        std::snprintf(suffix, sizeof suffix, "%06x", random() & 0xffffffu);
        std::string name = temporary_prefix(path) + suffix;
        if (link_unnamed(fd, name) == 0)
            return name;
        if (errno != EEXIST)
            return {};
    }
    errno = EEXIST;
    return {};
}

// Absolute and lexically normal: the path as the user spelled it, links not followed.
fs::path spelled_form(const fs::path& path) {
    std::error_code ec;
    const fs::path absolute = fs::absolute(path, ec);
    return (ec ? path : absolute).lexically_normal();
}

// Every link followed; the path need not exist.
fs::path resolved_form(const fs::path& path) {
    std::error_code ec;
    fs::path resolved = fs::weakly_canonical(spelled_form(path), ec);
    return ec ? spelled_form(path) : resolved;
}

// Both in the same form; true when `path` is `dir` or anything under it.
bool is_within(const fs::path& path, const fs::path& dir) {
    const fs::path relative = path.lexically_relative(dir);
    return !relative.empty() && *relative.begin() != "..";
}

// The cause for an output that is an input: named when spelled otherwise (a link, "./", ...).
std::string is_the_input(const fs::path& output, const fs::path& input) {
    if (output == input)
        return "is the input file; refusing to write over it";
    return "is the input file " + input.string() + " by another name; refusing to write over it";
}

}  // namespace

void check_not_taken(const fs::path& output, bool overwrite) {
    std::error_code ec;
    if (!overwrite && fs::exists(fs::symlink_status(output, ec)))
        fail_output(output, std::string(kAlreadyExists));
}

AtomicFile::AtomicFile(fs::path path, bool overwrite)
    : path_(std::move(path)), overwrite_(overwrite) {
    if (path_.empty() || !path_.has_filename())
        fail_output(path_, "not a file name");
    fd_ = create_unnamed(path_);
    if (fd_ < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL))
        fd_ = create_named_temporary(path_, named_temporary_);
    if (fd_ < 0) {
        named_temporary_.clear();
        fail_output(path_, "cannot create files in " + directory_of(path_).string() + ": " +
                               errno_text(errno));
    }
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : path_(std::move(other.path_)),
      overwrite_(other.overwrite_),
      fd_(std::exchange(other.fd_, -1)),
      named_temporary_(std::move(other.named_temporary_)) {
    other.named_temporary_.clear();
}

AtomicFile::~AtomicFile() {
    discard();
}

void AtomicFile::discard() noexcept {
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = -1;
    if (!named_temporary_.empty())
        ::unlink(named_temporary_.c_str());
    named_temporary_.clear();
}

void AtomicFile::write(std::span<const std::uint8_t> bytes) {
    if (fd_ < 0)
        fail_output(path_, "write after commit");
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            const int error = n < 0 ? errno : EIO;  // 0 bytes written for a non-empty request
            discard();
            fail_output(path_, "write failed: " + errno_text(error));
        }
        done += std::size_t(n);
    }
}

void AtomicFile::write(std::string_view text) {
    write(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

bool AtomicFile::set_attribute(const std::string& name, const std::string& value) {
    return fd_ >= 0 &&
           ::fsetxattr(fd_, ("user." + name).c_str(), value.data(), value.size(), 0) == 0;
}

void AtomicFile::commit() {
    if (fd_ < 0)
        fail_output(path_, "committed twice");
    // mkstemp and O_TMPFILE make the file private (0600); an image is an ordinary file (0644),
    // and a file replaced keeps the permissions it had (a private input stays private).
    struct stat existing = {};
    const mode_t mode =
        overwrite_ && ::stat(path_.c_str(), &existing) == 0 ? existing.st_mode & 07777 : 0644;
    if (::fchmod(fd_, mode) != 0) {
        const int error = errno;
        discard();
        fail_output(path_, "chmod failed: " + errno_text(error));
    }
    // A write error that only shows at close (network file systems) must stop the file from
    // taking the name, so the unnamed one is closed only after, and a named one before.
    const std::string target = path_.string();
    if (named_temporary_.empty()) {
        std::string hidden;
        if (overwrite_) {
            hidden = link_hidden(fd_, path_);
            if (hidden.empty() || ::rename(hidden.c_str(), target.c_str()) != 0) {
                const int error = errno;
                if (!hidden.empty())
                    ::unlink(hidden.c_str());
                discard();
                fail_output(path_, "cannot move into place: " + errno_text(error));
            }
        } else if (link_unnamed(fd_, target) != 0) {
            const int error = errno;
            discard();
            if (error == EEXIST)
                fail_output(path_, std::string(kAlreadyExists));
            fail_output(path_, "cannot move into place: " + errno_text(error));
        }
        const int closed = ::close(fd_);
        const int error = errno;
        fd_ = -1;
        if (closed != 0) {
            ::unlink(target.c_str());
            fail_output(path_, "write failed: " + errno_text(error));
        }
        return;
    }
    const int closed = ::close(fd_);
    fd_ = -1;
    if (closed != 0) {
        const int error = errno;
        discard();
        fail_output(path_, "write failed: " + errno_text(error));
    }
    if (overwrite_) {
        if (::rename(named_temporary_.c_str(), target.c_str()) != 0) {
            const int error = errno;
            discard();
            fail_output(path_, "cannot rename into place: " + errno_text(error));
        }
        named_temporary_.clear();
        return;
    }
    // link() refuses an existing target atomically, where rename() would replace it.
    if (::link(named_temporary_.c_str(), target.c_str()) != 0) {
        const int error = errno;
        discard();
        if (error == EEXIST)
            fail_output(path_, std::string(kAlreadyExists));
        fail_output(path_, "cannot move into place: " + errno_text(error));
    }
    discard();  // unlinks the temporary name; the file stays under its own
}

void write_file_atomically(const fs::path& path, std::span<const std::uint8_t> bytes,
                           bool overwrite) {
    AtomicFile file(path, overwrite);
    file.write(bytes);
    file.commit();
}

OutputGuard::OutputGuard(std::span<const fs::path> inputs) {
    for (const fs::path& input : inputs)
        protect(input);
}

void OutputGuard::protect(const fs::path& input) {
    struct stat st = {};
    bool folder = false;
    if (::stat(input.c_str(), &st) == 0) {
        identities_.emplace(Identity{std::uint64_t(st.st_dev), std::uint64_t(st.st_ino)},
                            spelled_form(input));
        folder = S_ISDIR(st.st_mode);
    }
    places_.push_back({spelled_form(input), resolved_form(input), folder});
}

void OutputGuard::check(const fs::path& output) const {
    struct stat st = {};
    if (::stat(output.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
        const auto input =
            identities_.find(Identity{std::uint64_t(st.st_dev), std::uint64_t(st.st_ino)});
        if (input != identities_.end())
            fail_output(output, is_the_input(spelled_form(output), input->second));
    }
    const fs::path spelled = spelled_form(output);
    const fs::path resolved = resolved_form(output);
    for (const Protected& place : places_) {
        if (!place.folder && resolved == place.resolved)
            fail_output(output, is_the_input(spelled, place.spelled));
        if (place.folder && is_within(resolved, place.resolved) &&
            !is_within(spelled, place.spelled)) {
            fail_output(output, "leads through a symbolic link into the input folder " +
                                    place.spelled.string() + "; refusing to write there");
        }
    }
}

void OutputGuard::write(const fs::path& output, std::span<const std::uint8_t> bytes, bool overwrite,
                        const std::string& tag) const {
    AtomicFile file = open(output, overwrite);
    file.write(bytes);
    if (!tag.empty())
        file.set_attribute(kTagAttribute, tag);
    file.commit();
}

AtomicFile OutputGuard::open(const fs::path& output, bool overwrite) const {
    check(output);
    return AtomicFile(output, overwrite);
}

FileTag read_tag(const fs::path& path) {
    FileTag tag;
    char value[4096];
    const ssize_t n = ::getxattr(path.c_str(), (std::string("user.") + kTagAttribute).c_str(),
                                 value, sizeof value);
    if (n >= 0) {
        tag.value.assign(value, std::size_t(n));
    } else if (errno == ENOTSUP) {
        tag.supported = false;
    } else if (errno == ERANGE) {
        tag.value = "(longer than any tag quantize writes)";
    }
    return tag;
}

}  // namespace quantize
