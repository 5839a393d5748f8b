// End-to-end tests of GIF and animation input and output.
#include <catch2/catch.hpp>

#include <set>

#include <nlohmann/json.hpp>

#include "gif.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

namespace {

test::RunResult quantize_cli(const std::vector<std::string>& args) {
    return test::run(QUANTIZE_CLI, args);
}

}  // namespace

TEST_CASE("a JPEG to a 256-color GIF, and that GIF to 64 colors", "[cli][gif]") {
    test::TempDir dir;
    const fs::path jpeg = dir / "photo.jpg";
    REQUIRE(quantize_cli(
                {test::sample_path("kodim23.png").string(), "-k", "256", "-o", jpeg.string(), "-q"})
                .exit_code == 0);
    const auto r = quantize_cli({jpeg.string(), "-k", "256", "-o", (dir / "photo.gif").string()});
    REQUIRE(r.exit_code == 0);
    const test::GifStructure big = test::read_gif_structure(test::read_bytes(dir / "photo.gif"));
    CHECK(big.width == 768);
    CHECK(big.global_colors == 256);
    CHECK(big.frames == 1);
    const auto small = quantize_cli(
        {(dir / "photo.gif").string(), "-k", "64", "-o", (dir / "small.gif").string(), "--json"});
    REQUIRE(small.exit_code == 0);
    const auto report = nlohmann::json::parse(small.out);
    CHECK(report["palette"].size() <= 64);
    const test::GifStructure s = test::read_gif_structure(test::read_bytes(dir / "small.gif"));
    CHECK(s.global_colors == 64);
    CHECK(std::set<std::uint8_t>(s.indices[0].begin(), s.indices[0].end()).size() <= 64);
}
