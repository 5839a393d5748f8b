// End-to-end tests of GIF and animation input and output.
#include <catch2/catch.hpp>

#include <regex>
#include <set>

#include <webp/demux.h>
#include <webp/mux.h>
#include <nlohmann/json.hpp>

#include "exif.hpp"
#include "gif.hpp"
#include "profiles.hpp"
#include "quantize/orientation.hpp"
#include "quantize/profile.hpp"
#include "quantize/quantize.hpp"
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

namespace {

// A 3-frame animated GIF, 40x30, looped forever: frames of random indices into a 64-color
// global table, delays 50, 100 and 200 ms; the middle frame has its top rows transparent.
std::vector<std::uint8_t> three_frame_gif() {
    const std::vector<std::uint8_t> rgb = test::ramp_table(64, 4, 4, 13);
    std::vector<test::GifTestFrame> frames;
    for (int f = 0; f < 3; ++f) {
        std::vector<std::uint8_t> indices;
        for (int i = 0; i < 40 * 30; ++i)
            indices.push_back(std::uint8_t((i * (7 + f * 6) + i / 40 * (f + 1)) % 63));
        test::GifTestFrame frame = test::gif_frame(0, 0, 40, 30, indices);
        frame.delay_cs = 5 << f;
        if (f == 1) {
            std::fill(frame.indices.begin(), frame.indices.begin() + 40 * 5, 63);
            frame.transparent = 63;
            frame.disposal = DISPOSE_BACKGROUND;
        }
        frames.push_back(frame);
    }
    frames[0].disposal = DISPOSE_BACKGROUND;  // the transparent rows of frame 1 show clear
    return test::write_gif(40, 30, rgb, frames, 0);
}

std::set<std::uint32_t> colors_of(const quantize::Animation& animation) {
    std::set<std::uint32_t> colors;
    for (const auto& frame : animation.frames)
        for (std::size_t i = 0; i < frame.image.pixel_count(); ++i)
            colors.insert(quantize::pack(frame.image.pixel(i)));
    return colors;
}

}  // namespace

TEST_CASE("an animated GIF comes out as one, with one palette", "[cli][gif][animation]") {
    test::TempDir dir;
    test::write_bytes(dir / "in.gif", three_frame_gif());
    const auto r = quantize_cli(
        {(dir / "in.gif").string(), "-k", "16", "-o", (dir / "out.gif").string(), "--json"});
    REQUIRE(r.exit_code == 0);
    const auto report = nlohmann::json::parse(r.out);
    REQUIRE(report["frames"].size() == 3);
    CHECK(report["frames"][2]["delay_ms"] == 200);
    CHECK(report["loops"] == 0);
    // What k-means did for the shared palette: 63 colors into 16 take Lloyd iterations.
    CHECK(report["kmeans"]["iterations"].get<int>() > 0);
    CHECK(report["kmeans"]["inertia"].get<double>() > 0);
    CHECK(report["kmeans"]["exact"] == false);
    const auto bytes = test::read_bytes(dir / "out.gif");
    const test::GifStructure s = test::read_gif_structure(bytes);
    CHECK(s.frames == 3);
    CHECK(s.delays_cs == std::vector<int>{5, 10, 20});
    CHECK(s.loop_count == 0);
    CHECK(s.global_colors == 16);
    CHECK(s.frames_with_local_table == 0);
    const quantize::Animation in = quantize::read_animation(dir / "in.gif");
    const quantize::Animation out = quantize::decode_animation(bytes, "out.gif");
    REQUIRE(out.frames.size() == 3);
    CHECK(colors_of(out).size() <= 16);
    for (std::size_t f = 0; f < 3; ++f) {
        for (std::size_t i = 0; i < in.frames[f].image.pixel_count(); ++i) {
            INFO("frame " << f << " pixel " << i);
            REQUIRE((in.frames[f].image.pixel(i).a == 0) == (out.frames[f].image.pixel(i).a == 0));
        }
    }
    CHECK(in.frames.front().image.samples != in.frames.back().image.samples);
    CHECK(out.frames.front().image.samples != out.frames.back().image.samples);
}

TEST_CASE("an animated GIF to an animated lossless WebP and back", "[cli][gif][animation]") {
    test::TempDir dir;
    test::write_bytes(dir / "in.gif", three_frame_gif());
    REQUIRE(quantize_cli(
                {(dir / "in.gif").string(), "-k", "16", "-o", (dir / "out.webp").string(), "-q"})
                .exit_code == 0);
    const quantize::Animation webp = quantize::read_animation(dir / "out.webp");
    REQUIRE(webp.frames.size() == 3);
    CHECK(webp.loops == 0);
    CHECK(webp.frames[0].delay_ms == 50);
    CHECK(webp.frames[1].delay_ms == 100);
    CHECK(webp.frames[2].delay_ms == 200);
    CHECK(colors_of(webp).size() <= 16);  // one palette shared by every frame
    CHECK(webp.frames[1].image.pixel(0).a == 0);
    CHECK(webp.frames[0].image.pixel(0).a == 255);
    CHECK(webp.frames.front().image.samples != webp.frames.back().image.samples);
    REQUIRE(quantize_cli(
                {(dir / "out.webp").string(), "-k", "16", "-o", (dir / "back.gif").string(), "-q"})
                .exit_code == 0);
    CHECK(test::read_gif_structure(test::read_bytes(dir / "back.gif")).frames == 3);
}

TEST_CASE(
    "an animated WebP whose only transparency is a border libwebp trims is marked as "
    "having alpha",
    "[cli][gif][animation]") {
    // 60 x 40, the left 20 columns transparent (index 0) in both frames, the rest colors 1, 2.
    auto frame = [](std::uint8_t color) {
        std::vector<std::uint8_t> indices(60 * 40, color);
        for (int y = 0; y < 40; ++y)
            std::fill_n(indices.begin() + y * 60, 20, std::uint8_t{0});
        test::GifTestFrame f = test::gif_frame(0, 0, 60, 40, std::move(indices));
        f.transparent = 0;
        f.delay_cs = 10;
        return f;
    };
    test::TempDir dir;
    test::write_bytes(dir / "in.gif",
                      test::write_gif(60, 40, test::ramp_table(4, 60, 0, 0), {frame(1), frame(2)}));
    REQUIRE(quantize_cli(
                {(dir / "in.gif").string(), "-k", "4", "-o", (dir / "out.webp").string(), "-q"})
                .exit_code == 0);
    const std::vector<std::uint8_t> bytes = test::read_bytes(dir / "out.webp");
    const WebPData data{bytes.data(), bytes.size()};
    const std::unique_ptr<WebPDemuxer, decltype(&WebPDemuxDelete)> demux(WebPDemux(&data),
                                                                         &WebPDemuxDelete);
    REQUIRE(demux);
    CHECK((WebPDemuxGetI(demux.get(), WEBP_FF_FORMAT_FLAGS) & ALPHA_FLAG) != 0);
    const quantize::Animation back = quantize::read_animation(dir / "out.webp");
    CHECK(back.frames[0].image.pixel(0).a == 0);
}

TEST_CASE("a palette per frame (--palette-per-frame) fits each frame its own",
          "[cli][gif][animation]") {
    test::TempDir dir;
    test::write_bytes(dir / "in.gif", three_frame_gif());
    const auto r = quantize_cli({(dir / "in.gif").string(), "-k", "8", "--palette-per-frame", "-o",
                                 (dir / "out.gif").string()});
    REQUIRE(r.exit_code == 0);
    // The frames' k-means runs together, at least one iteration each.
    std::smatch ran;
    REQUIRE(std::regex_search(r.out, ran, std::regex("k-means +([0-9]+) iterations")));
    CHECK(std::stoi(ran[1]) >= 3);
    const test::GifStructure s = test::read_gif_structure(test::read_bytes(dir / "out.gif"));
    CHECK(s.frames == 3);
    CHECK(s.frames_with_local_table >= 1);
    const quantize::Animation out = quantize::read_animation(dir / "out.gif");
    for (const auto& frame : out.frames) {
        quantize::Animation one;
        one.frames.push_back(frame);
        CHECK(colors_of(one).size() <= 8);
    }
}

TEST_CASE("an animation to a still format writes the first frame and says so, and --frame picks",
          "[cli][gif][animation]") {
    test::TempDir dir;
    test::write_bytes(dir / "in.gif", three_frame_gif());
    const auto r =
        quantize_cli({(dir / "in.gif").string(), "-k", "16", "-o", (dir / "first.png").string()});
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("only the first frame was written (--frame N"));
    const auto picked = quantize_cli({(dir / "in.gif").string(), "-k", "256", "--frame", "1", "-o",
                                      (dir / "one.gif").string(), "-q"});
    REQUIRE(picked.exit_code == 0);
    const quantize::Animation in = quantize::read_animation(dir / "in.gif");
    const quantize::Animation one = quantize::read_animation(dir / "one.gif");
    REQUIRE(one.frames.size() == 1);
    CHECK(one.frames[0].image.samples == in.frames[1].image.samples);  // <= 256 colors: exact
    const auto past = quantize_cli(
        {(dir / "in.gif").string(), "--frame", "3", "-o", (dir / "none.png").string()});
    CHECK(past.exit_code == 3);
    CHECK_THAT(past.err, Catch::Contains("has 3 frames: --frame takes 0 to 2 (got 3)"));
}

TEST_CASE("animated output is the same bytes whatever the thread count", "[cli][animation]") {
    test::TempDir dir;
    test::write_bytes(dir / "in.gif", three_frame_gif());
    for (const std::string ext : {".gif", ".webp"}) {
        for (const std::string threads : {"1", "2", "3"}) {
            REQUIRE(quantize_cli({(dir / "in.gif").string(), "-k", "12", "--threads", threads, "-o",
                                  (dir / ("t" + threads + ext)).string(), "-q"})
                        .exit_code == 0);
        }
        INFO(ext);
        CHECK(test::read_bytes(dir / ("t1" + ext)) == test::read_bytes(dir / ("t2" + ext)));
        CHECK(test::read_bytes(dir / ("t1" + ext)) == test::read_bytes(dir / ("t3" + ext)));
    }
}

namespace {

// `webp` with its chunks of the fourccs given set to the bytes given (libwebp's mux).
std::vector<std::uint8_t> with_chunks(
    const std::vector<std::uint8_t>& webp,
    const std::vector<std::pair<const char*, std::vector<std::uint8_t>>>& chunks) {
    const WebPData data{webp.data(), webp.size()};
    WebPMux* mux = WebPMuxCreate(&data, 1);
    REQUIRE(mux != nullptr);
    for (const auto& [fourcc, bytes] : chunks) {
        const WebPData chunk{bytes.data(), bytes.size()};
        REQUIRE(WebPMuxSetChunk(mux, fourcc, &chunk, 1) == WEBP_MUX_OK);
    }
    WebPData out{};
    REQUIRE(WebPMuxAssemble(mux, &out) == WEBP_MUX_OK);
    WebPMuxDelete(mux);
    std::vector<std::uint8_t> result(out.bytes, out.bytes + out.size);
    WebPDataClear(&out);
    return result;
}

// The chunk `fourcc` of a WebP file (libwebp's demux), empty when it has none.
std::vector<std::uint8_t> chunk_of(const std::vector<std::uint8_t>& webp, const char* fourcc) {
    const WebPData data{webp.data(), webp.size()};
    WebPDemuxer* demux = WebPDemux(&data);
    REQUIRE(demux != nullptr);
    std::vector<std::uint8_t> bytes;
    WebPChunkIterator it;
    if (WebPDemuxGetChunk(demux, fourcc, 1, &it)) {
        bytes.assign(it.chunk.bytes, it.chunk.bytes + it.chunk.size);
        WebPDemuxReleaseChunkIterator(&it);
    }
    WebPDemuxDelete(demux);
    return bytes;
}

// dir/in.gif (three_frame_gif) and dir/plain.webp, its frames at K = 64, as the command writes
// them (no metadata).
void write_plain_webp(const fs::path& dir) {
    test::write_bytes(dir / "in.gif", three_frame_gif());
    REQUIRE(quantize_cli(
                {(dir / "in.gif").string(), "-k", "64", "-o", (dir / "plain.webp").string(), "-q"})
                .exit_code == 0);
}

}  // namespace

TEST_CASE("an animated WebP keeps or drops its profile and metadata as a still does",
          "[cli][animation][metadata]") {
    test::TempDir dir;
    write_plain_webp(dir.path());
    const std::vector<std::uint8_t> icc = test::adobe_rgb_icc();
    const std::vector<std::uint8_t> exif = test::exif_block(1, "Frames");
    const std::string xmp_text = "<x:xmpmeta xmlns:x='adobe:ns:meta/'/>";
    const std::vector<std::uint8_t> xmp(xmp_text.begin(), xmp_text.end());
    test::write_bytes(dir / "in.webp", with_chunks(test::read_bytes(dir / "plain.webp"),
                                                   {{"ICCP", icc}, {"EXIF", exif}, {"XMP ", xmp}}));
    auto run = [&](const std::string& name, std::vector<std::string> extra) {
        std::vector<std::string> args = {(dir / "in.webp").string(), "-k", "16", "-o",
                                         (dir / name).string()};
        args.insert(args.end(), extra.begin(), extra.end());
        const auto r = quantize_cli(args);
        REQUIRE(r.exit_code == 0);
        const auto bytes = test::read_bytes(dir / name);
        CHECK(quantize::read_animation(dir / name).frames.size() == 3);
        return std::make_pair(r.out, bytes);
    };
    const auto [kept_text, kept] = run("kept.webp", {});
    CHECK(chunk_of(kept, "ICCP") == icc);
    CHECK(chunk_of(kept, "EXIF") == exif);
    CHECK(chunk_of(kept, "XMP ") == xmp);
    CHECK_THAT(kept_text, Catch::Contains("kept: quantized in its RGB"));
    const auto [stripped_text, stripped] = run("stripped.webp", {"--strip"});
    CHECK(chunk_of(stripped, "ICCP") == icc);
    CHECK(chunk_of(stripped, "EXIF").empty());
    CHECK(chunk_of(stripped, "XMP ").empty());
    const auto [dropped_text, dropped] = run("dropped.webp", {"--profile", "drop"});
    CHECK(chunk_of(dropped, "ICCP").empty());
    CHECK(chunk_of(dropped, "EXIF") == exif);
    // Converted: every frame's pixels are sRGB's numbers, and the file says no other profile.
    const auto [srgb_text, srgb] = run("srgb.webp", {"--profile", "srgb"});
    CHECK(chunk_of(srgb, "ICCP").empty());
    CHECK_THAT(srgb_text, Catch::Contains("converted to sRGB (Little CMS) before quantizing"));
    const quantize::Animation in = quantize::read_animation(dir / "in.webp");
    quantize::Animation converted = in;
    const quantize::Animation out = quantize::read_animation(dir / "srgb.webp");
    for (std::size_t f = 0; f < 3; ++f) {
        quantize::convert_to_srgb(converted.frames[f].image);
        double error = 0, unconverted = 0;  // squared distances to the sRGB frame, summed
        const quantize::Image& want = converted.frames[f].image;
        for (std::size_t i = 0; i < want.pixel_count(); ++i) {
            for (int c = 0; c < 3; ++c) {
                const double d = double(want.samples[want.channels * i + c]) -
                                 out.frames[f].image.samples[out.frames[f].image.channels * i + c];
                const double u = double(want.samples[want.channels * i + c]) -
                                 in.frames[f].image.samples[in.frames[f].image.channels * i + c];
                error += d * d;
                unconverted += u * u;
            }
        }
        INFO("frame " << f);
        CHECK(error < unconverted);  // nearer the converted frame than the original numbers
    }
    // GIF keeps none of it, and says so.
    const auto gif =
        quantize_cli({(dir / "in.webp").string(), "-k", "16", "-o", (dir / "out.gif").string()});
    REQUIRE(gif.exit_code == 0);
    CHECK_THAT(gif.out, Catch::Contains("lost: gif keeps no profile"));
}

TEST_CASE("an animated GIF to .tif is a multi-page TIFF, a page a frame", "[cli][animation]") {
    test::TempDir dir;
    test::write_bytes(dir / "in.gif", three_frame_gif());
    REQUIRE(quantize_cli(
                {(dir / "in.gif").string(), "-k", "16", "-o", (dir / "out.gif").string(), "-q"})
                .exit_code == 0);
    REQUIRE(quantize_cli(
                {(dir / "in.gif").string(), "-k", "16", "-o", (dir / "out.tif").string(), "-q"})
                .exit_code == 0);
    const quantize::Animation gif = quantize::read_animation(dir / "out.gif");
    const quantize::Animation tif = quantize::read_animation(dir / "out.tif");
    REQUIRE(tif.frames.size() == 3);
    for (std::size_t f = 0; f < 3; ++f) {
        INFO("page " << f);
        CHECK(tif.frames[f].image.samples == gif.frames[f].image.samples);  // the same colors
    }
    CHECK(tif.frames[1].image.pixel(0).a == 0);  // the clear rows stay clear
}

TEST_CASE("an animated WebP is turned upright by its EXIF orientation, every frame",
          "[cli][animation][metadata]") {
    test::TempDir dir;
    write_plain_webp(dir.path());
    // Stored as 40x30, to be shown turned 90 degrees clockwise (orientation 6): 30x40.
    test::write_bytes(dir / "in.webp", with_chunks(test::read_bytes(dir / "plain.webp"),
                                                   {{"EXIF", test::exif_block(6, "Turned")}}));
    const quantize::Animation stored = quantize::read_animation(dir / "plain.webp");
    const quantize::Animation turned = quantize::read_animation(dir / "in.webp");
    REQUIRE(turned.frames.size() == 3);
    CHECK(turned.width == 30);
    CHECK(turned.height == 40);
    CHECK(turned.metadata.orientation == 6);
    CHECK(quantize::exif_orientation(turned.metadata.exif) == 1);
    for (std::size_t f = 0; f < 3; ++f) {
        INFO("frame " << f);
        quantize::Image want = stored.frames[f].image;
        quantize::apply_orientation(want, 6);
        CHECK(turned.frames[f].image.width == 30);
        CHECK(turned.frames[f].image.samples == want.samples);
    }
    // Written upright, its EXIF saying so; the report tells.
    const auto r =
        quantize_cli({(dir / "in.webp").string(), "-k", "64", "-o", (dir / "out.webp").string()});
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("turned upright by its EXIF orientation 6"));
    const quantize::Animation out = quantize::read_animation(dir / "out.webp");
    REQUIRE(out.frames.size() == 3);
    CHECK(out.width == 30);
    CHECK(out.height == 40);
    CHECK(quantize::exif_orientation(chunk_of(test::read_bytes(dir / "out.webp"), "EXIF")) == 1);
    // A GIF keeps no EXIF: the frames themselves are upright.
    REQUIRE(quantize_cli(
                {(dir / "in.webp").string(), "-k", "64", "-o", (dir / "out.gif").string(), "-q"})
                .exit_code == 0);
    const test::GifStructure s = test::read_gif_structure(test::read_bytes(dir / "out.gif"));
    CHECK(s.width == 30);
    CHECK(s.height == 40);
}

TEST_CASE("a multi-page TIFF keeps the EXIF and XMP of an animated WebP, upright, every page",
          "[cli][animation][metadata]") {
    test::TempDir dir;
    // Six frames (more pages than exiv2 names directories for: IFD0 to IFD3).
    std::vector<std::uint8_t> rgb;
    for (int i = 0; i < 8; ++i)
        rgb.insert(rgb.end(), {std::uint8_t(i * 30), std::uint8_t(200 - i * 20), 77});
    std::vector<test::GifTestFrame> frames;
    for (int f = 0; f < 6; ++f) {
        std::vector<std::uint8_t> indices;
        for (int i = 0; i < 20 * 10; ++i)
            indices.push_back(std::uint8_t(i % 20 < 3 * f ? f : 7 - f % 2));
        frames.push_back(test::gif_frame(0, 0, 20, 10, indices));
        frames.back().delay_cs = 10;
    }
    test::write_bytes(dir / "in.gif", test::write_gif(20, 10, rgb, frames, 0));
    REQUIRE(quantize_cli(
                {(dir / "in.gif").string(), "-k", "8", "-o", (dir / "plain.webp").string(), "-q"})
                .exit_code == 0);
    const std::string xmp_text = "<x:xmpmeta xmlns:x='adobe:ns:meta/'/>";
    test::write_bytes(
        dir / "in.webp",
        with_chunks(test::read_bytes(dir / "plain.webp"),
                    {{"EXIF", test::exif_block(6, "Pages")},
                     {"XMP ", std::vector<std::uint8_t>(xmp_text.begin(), xmp_text.end())}}));
    const auto r =
        quantize_cli({(dir / "in.webp").string(), "-k", "8", "-o", (dir / "out.tif").string()});
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, !Catch::Contains("EXIF was dropped"));
    CHECK_THAT(r.out, Catch::Contains("turned upright by its EXIF orientation 6"));
    const quantize::Animation in = quantize::read_animation(dir / "in.webp");  // upright
    const quantize::Animation out = quantize::read_animation(dir / "out.tif");
    REQUIRE(out.frames.size() == 6);
    CHECK(out.width == 10);  // 20x10 stored, turned
    CHECK(out.height == 20);
    for (std::size_t f = 0; f < 6; ++f) {
        INFO("page " << f);
        CHECK(out.frames[f].image.samples == in.frames[f].image.samples);  // 8 colors in 8
    }
    // The EXIF round trip: the artist kept, the orientation now 1 (the pages are upright).
    CHECK(test::exif_artist(out.metadata.exif) == "Pages");
    CHECK(quantize::exif_orientation(out.metadata.exif) == 1);
    CHECK(out.metadata.orientation == 1);
    // Again from the TIFF: its EXIF is the first page's alone, the other pages' directories
    // (exiv2's IFD1 "Thumbnail") not carried into the output as a page more.
    REQUIRE(quantize_cli(
                {(dir / "out.tif").string(), "-k", "8", "-o", (dir / "again.tif").string(), "-q"})
                .exit_code == 0);
    const quantize::Animation again = quantize::read_animation(dir / "again.tif");
    CHECK(again.frames.size() == 6);
    CHECK(test::exif_artist(again.metadata.exif) == "Pages");
    const std::vector<std::uint8_t> tif = test::read_bytes(dir / "out.tif");
    CHECK_THAT(std::string(tif.begin(), tif.end()), Catch::Contains(xmp_text));
    // --frame N from the multi-page TIFF to a still: page N alone, one page, with the file's
    // EXIF (the artist kept, orientation 1), whatever the still format.
    for (const std::string name : {"page3.png", "page3.jpg", "page3.tif"}) {
        INFO(name);
        REQUIRE(quantize_cli({(dir / "out.tif").string(), "-k", "8", "--frame", "3", "-o",
                              (dir / name).string(), "-q"})
                    .exit_code == 0);
        const quantize::Animation page = quantize::read_animation(dir / name);
        CHECK(page.frames.size() == 1);
        CHECK(page.width == 10);
        CHECK(page.height == 20);
        CHECK(test::exif_artist(page.metadata.exif) == "Pages");
        CHECK(quantize::exif_orientation(page.metadata.exif) == 1);
        CHECK(page.metadata.orientation == 1);
        if (name != "page3.jpg")  // lossless: page 3's colors exactly
            CHECK(page.frames.front().image.samples == in.frames[3].image.samples);
    }
    // --strip: none of it.
    REQUIRE(quantize_cli({(dir / "in.webp").string(), "-k", "8", "-o",
                          (dir / "stripped.tif").string(), "--strip", "-q"})
                .exit_code == 0);
    const quantize::Animation stripped = quantize::read_animation(dir / "stripped.tif");
    CHECK(stripped.frames.size() == 6);
    CHECK(test::exif_artist(stripped.metadata.exif).empty());
    const std::vector<std::uint8_t> bare = test::read_bytes(dir / "stripped.tif");
    CHECK_THAT(std::string(bare.begin(), bare.end()), !Catch::Contains(xmp_text));
}
