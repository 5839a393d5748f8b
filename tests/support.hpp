// Helpers shared by the tests: temporary folders, file bytes, synthetic images, and running
// the quantize binary as a user would.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "quantize/pixels.hpp"

extern char** environ;

namespace test {

namespace fs = std::filesystem;

// A fresh folder under the system temp dir, removed with everything in it at scope exit.
class TempDir {
  public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "quantize-test-XXXXXX").string();
        if (!::mkdtemp(pattern.data()))
            throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const fs::path& path() const { return path_; }
    fs::path operator/(const std::string& name) const { return path_ / name; }

  private:
    fs::path path_;
};

inline std::vector<std::uint8_t> read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

inline fs::path sample_path(const std::string& name) {
    return fs::path(QUANTIZE_SAMPLES_DIR) / name;
}

// The files of a folder of the shared test images (../shared/images/<folder> beside the
// repository), sorted; empty where that folder is not there.
inline std::vector<fs::path> shared_images(const std::string& folder) {
    const fs::path dir =
        fs::path(QUANTIZE_SAMPLES_DIR) / ".." / ".." / "shared" / "images" / folder;
    std::vector<fs::path> files;
    if (fs::is_directory(dir)) {
        for (const auto& entry : fs::directory_iterator(dir))
            files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

// Every pixel drawn at random from `colors`, reproducibly.
inline quantize::Image image_of_colors(int width, int height,
                                       const std::vector<quantize::Color>& colors,
                                       unsigned seed = 7) {
    bool alpha = false;
    for (const auto& c : colors)
        alpha = alpha || c.a != 255;
    quantize::Image image = quantize::make_image(width, height, colors.front(), alpha ? 4 : 3);
    std::mt19937 rng(seed);
    for (std::size_t i = 0; i < image.pixel_count(); ++i) {
        const quantize::Color c = colors[rng() % colors.size()];
        std::uint8_t* p = image.samples.data() + i * std::size_t(image.channels);
        p[0] = c.r;
        p[1] = c.g;
        p[2] = c.b;
        if (alpha)
            p[3] = c.a;
    }
    return image;
}

// Uniform random noise: as many distinct colors as pixels, near enough.
inline quantize::Image noise_image(int width, int height, bool alpha = false, unsigned seed = 3) {
    quantize::Image image = quantize::make_image(width, height, {0, 0, 0, 255}, alpha ? 4 : 3);
    std::mt19937 rng(seed);
    for (auto& s : image.samples)
        s = static_cast<std::uint8_t>(rng());
    return image;
}

struct RunResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// Starts `program args...` (no shell) with standard input from /dev/null, standard output to
// the file `out_path` and standard error to the file `err_path`, or to the descriptor err_fd
// when it is >= 0 (close_fd, when >= 0, is closed in the child). Returns the child's pid.
inline pid_t spawn(const std::string& program, const std::vector<std::string>& args,
                   const std::string& out_path, const std::string& err_path, int err_fd = -1,
                   int close_fd = -1) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    if (err_fd >= 0) {
        posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
        posix_spawn_file_actions_addclose(&actions, err_fd);
    } else {
        posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
    if (close_fd >= 0)
        posix_spawn_file_actions_addclose(&actions, close_fd);
    std::vector<std::string> words{program};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& w : words)
        argv.push_back(w.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
        throw std::runtime_error("cannot start " + program);
    return pid;
}

// Waits for the child; its exit status, or 128 + the signal that ended it.
inline int wait_exit_code(pid_t pid) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Runs `program args...` with stdout and stderr captured (no shell involved).
inline RunResult run(const std::string& program, const std::vector<std::string>& args) {
    TempDir capture;
    const std::string out_path = (capture / "stdout").string();
    const std::string err_path = (capture / "stderr").string();
    RunResult result;
    result.exit_code = wait_exit_code(spawn(program, args, out_path, err_path));
    result.out = read_text(out_path);
    result.err = read_text(err_path);
    return result;
}

// Files in `dir` whose names start with a dot: leftover temporaries.
inline std::vector<std::string> hidden_files(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        if (!name.empty() && name[0] == '.')
            names.push_back(name);
    }
    return names;
}

}  // namespace test
