#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <string_view>

#include <tbb/task_arena.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <libdeflate.h>

#include "detail/png_decode.hpp"
#include "detail/png_encode.hpp"
#include "detail/webp_decode.hpp"
#include "profiles.hpp"
#include "quantize/error.hpp"
#include "quantize/io.hpp"
#include "quantize/quantize.hpp"
#include "support.hpp"

using namespace quantize;
namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

namespace {

struct PngHeader {
    std::uint32_t width, height;
    int bit_depth, color_type;
};

std::uint32_t big_endian(const std::vector<std::uint8_t>& b, std::size_t at) {
    return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
           (std::uint32_t{b[at + 2]} << 8) | b[at + 3];
}

// IHDR is always the first chunk: signature (8), length (4), "IHDR" (4), then its fields.
PngHeader png_header(const std::vector<std::uint8_t>& png) {
    REQUIRE(png.size() > 33);
    REQUIRE(std::string_view(reinterpret_cast<const char*>(png.data()) + 12, 4) == "IHDR");
    return {big_endian(png, 16), big_endian(png, 20), png[24], png[25]};
}

bool has_chunk(const std::vector<std::uint8_t>& png, std::string_view type) {
    return std::search(png.begin(), png.end(), type.begin(), type.end()) != png.end();
}

IndexedImage checkerboard(int width, int height, const Palette& palette) {
    IndexedImage image{width, height, palette, {}};
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x)
            image.indices.push_back(std::uint8_t((x * 7 + y * 3) % int(palette.size())));
    }
    return image;
}

Palette gray_palette(std::size_t n, std::uint8_t alpha = 255) {
    Palette p;
    for (std::size_t i = 0; i < n; ++i)
        p.push_back({{std::uint8_t(i), std::uint8_t(255 - i), std::uint8_t(i / 2), alpha}, 1});
    return p;
}

// Decodes with OpenCV (an independent decoder) and checks every pixel is the intended color.
void check_decodes_to(const fs::path& path, const IndexedImage& image) {
    const cv::Mat mat = cv::imread(path.string(), cv::IMREAD_UNCHANGED);
    REQUIRE(mat.rows == image.height);
    REQUIRE(mat.cols == image.width);
    REQUIRE(mat.depth() == CV_8U);
    const int ch = mat.channels();
    for (int y = 0; y < mat.rows; ++y) {
        for (int x = 0; x < mat.cols; ++x) {
            const Color want =
                color_at(image, std::size_t(y) * std::size_t(mat.cols) + std::size_t(x));
            const std::uint8_t* px = mat.ptr<std::uint8_t>(y) + x * ch;
            REQUIRE(px[2] == want.r);
            REQUIRE(px[1] == want.g);
            REQUIRE(px[0] == want.b);
            if (ch == 4)
                REQUIRE(px[3] == want.a);
        }
    }
}

}  // namespace

TEST_CASE("reads the sample photo as 8-bit RGB", "[io]") {
    const Image image = read_image(test::sample_path("kodim23.png"));
    CHECK(image.width == 768);
    CHECK(image.height == 512);
    CHECK(image.channels == 3);
    CHECK(image.source.channels == 3);
    CHECK(image.source.bit_depth == 8);
    // Top-left pixel of kodim23, in R, G, B order.
    const cv::Mat bgr = cv::imread(test::sample_path("kodim23.png").string());
    const cv::Vec3b p = bgr.at<cv::Vec3b>(0, 0);
    CHECK(image.pixel(0) == Color{p[2], p[1], p[0], 255});
}

TEST_CASE("gray, 16-bit and alpha inputs are converted and recorded", "[io]") {
    test::TempDir dir;
    cv::Mat gray16(4, 5, CV_16UC1, cv::Scalar(0x8080));
    gray16.at<std::uint16_t>(0, 0) = 65535;
    REQUIRE(cv::imwrite((dir / "g16.png").string(), gray16));
    const Image g = read_image(dir / "g16.png");
    CHECK(g.source.channels == 1);
    CHECK(g.source.bit_depth == 16);
    CHECK(g.channels == 3);
    CHECK(g.pixel(0) == Color{255, 255, 255, 255});
    CHECK(g.pixel(1) == Color{128, 128, 128, 255});

    const Image rgba = read_image(test::sample_path("basn6a08.png"));
    CHECK(rgba.channels == 4);
    CHECK(rgba.source.channels == 4);
    bool translucent = false;
    for (std::size_t i = 0; i < rgba.pixel_count(); ++i)
        translucent |= rgba.pixel(i).a < 255;
    CHECK(translucent);
}

namespace {

// The image OpenCV decodes from path, in our layout (RGB or RGBA, 16-bit rounded to 8).
Image opencv_reference(const fs::path& path) {
    cv::Mat mat = cv::imread(path.string(), cv::IMREAD_UNCHANGED);
    REQUIRE(!mat.empty());
    if (mat.depth() == CV_16U)
        mat.convertTo(mat, CV_8U, 1.0 / 257.0);
    const bool alpha = mat.channels() == 2 || mat.channels() == 4;
    Image image = make_image(mat.cols, mat.rows, {0, 0, 0, 255}, alpha ? 4 : 3);
    for (int y = 0; y < mat.rows; ++y) {
        for (int x = 0; x < mat.cols; ++x) {
            const std::uint8_t* p = mat.ptr<std::uint8_t>(y) + x * mat.channels();
            Color c;
            switch (mat.channels()) {
                case 1:
                    c = {p[0], p[0], p[0], 255};
                    break;
                case 2:
                    c = {p[0], p[0], p[0], p[1]};
                    break;
                case 3:
                    c = {p[2], p[1], p[0], 255};
                    break;
                default:
                    c = {p[2], p[1], p[0], p[3]};
                    break;
            }
            std::uint8_t* out =
                image.samples.data() + (std::size_t(y) * std::size_t(mat.cols) + std::size_t(x)) *
                                           std::size_t(image.channels);
            const std::uint8_t values[4] = {c.r, c.g, c.b, c.a};
            std::copy(values, values + image.channels, out);
        }
    }
    return image;
}

}  // namespace

namespace {

// Same size, channels and samples as OpenCV's decoding of the same file.
void check_same_pixels(const Image& ours, const Image& theirs) {
    CHECK(ours.width == theirs.width);
    CHECK(ours.height == theirs.height);
    CHECK(ours.channels == theirs.channels);
    CHECK(ours.samples == theirs.samples);
}

}  // namespace

TEST_CASE("PNG inputs decode to exactly the pixels OpenCV gives", "[io]") {
    test::TempDir dir;
    // Every PNG color type and depth OpenCV writes, plus real RGBA files.
    cv::Mat gray8(7, 9, CV_8UC1), gray16(7, 9, CV_16UC1), bgr16(7, 9, CV_16UC3),
        bgra16(7, 9, CV_16UC4), bgr8(7, 9, CV_8UC3), bgra8(7, 9, CV_8UC4);
    cv::RNG rng(3);
    for (cv::Mat* m : {&gray8, &gray16, &bgr16, &bgra16, &bgr8, &bgra8})
        rng.fill(*m, cv::RNG::UNIFORM, 0, m->depth() == CV_16U ? 65536 : 256);
    std::vector<fs::path> files;
    int n = 0;
    for (const cv::Mat* m : {&gray8, &gray16, &bgr16, &bgra16, &bgr8, &bgra8}) {
        files.push_back(dir / ("kind" + std::to_string(n++) + ".png"));
        REQUIRE(cv::imwrite(files.back().string(), *m));
    }
    files.push_back(test::sample_path("basn6a08.png"));
    files.push_back(test::sample_path("kodim23.png"));
    for (const fs::path& file : test::shared_images("alpha"))
        files.push_back(file);
    for (const fs::path& file : files) {
        INFO(file);
        check_same_pixels(read_image(file), opencv_reference(file));
    }
}

namespace {

// A PNG built by hand, so every row filter can be chosen: the filters applied here follow the
// PNG specification (section 9) independently of the decoder's code.
class HandMadePng {
  public:
    HandMadePng(int width, int height, int channels) : w_(width), h_(height), bpp_(channels) {
        cv::RNG rng(11);
        pixels_.resize(std::size_t(width * height * channels));
        for (std::size_t i = 0; i < pixels_.size(); ++i) {
            // Gradients with noise: every predictor wins somewhere.
            const std::size_t x = i / std::size_t(channels) % std::size_t(width);
            pixels_[i] = std::uint8_t(x * 5 + i % 7 * 30 + std::size_t(rng.uniform(0, 24)));
        }
    }

    const Bytes& pixels() const { return pixels_; }

    // The file with row y filtered by filter_of(y) (0..4, or 5 for an invalid filter byte). Its
    // image data comes in three IDAT chunks, the middle one empty, after an ancillary chunk.
    // `edit_rows` and `edit_stream`, when given, change the filtered rows before they are
    // compressed and the zlib stream after.
    Bytes file(const std::function<int(int)>& filter_of,
               const std::function<void(Bytes&)>& edit_rows = {},
               const std::function<void(Bytes&)>& edit_stream = {}) const {
        Bytes rows;
        const std::size_t stride = std::size_t(w_ * bpp_);
        const Bytes zeros(stride, 0);
        for (int y = 0; y < h_; ++y) {
            const std::uint8_t* row = pixels_.data() + std::size_t(y) * stride;
            const std::uint8_t* up = y == 0 ? zeros.data() : row - stride;
            const int filter = filter_of(y);
            rows.push_back(std::uint8_t(filter));
            for (std::size_t i = 0; i < stride; ++i) {
                const int a = i >= std::size_t(bpp_) ? row[i - std::size_t(bpp_)] : 0;
                const int b = up[i];
                const int c = i >= std::size_t(bpp_) ? up[i - std::size_t(bpp_)] : 0;
                rows.push_back(std::uint8_t(row[i] - predict(filter, a, b, c)));
            }
        }
        Bytes png{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
        Bytes ihdr;
        put_u32(ihdr, std::uint32_t(w_));
        put_u32(ihdr, std::uint32_t(h_));
        ihdr.insert(ihdr.end(), {8, std::uint8_t(bpp_ == 4 ? 6 : 2), 0, 0, 0});
        put_chunk(png, "IHDR", ihdr);
        put_chunk(png, "gAMA", {0, 0, 0xb1, 0x8f});  // 1 / 2.2, ignored by every decoder here
        if (edit_rows)
            edit_rows(rows);
        Bytes data = zlib(rows);
        if (edit_stream)
            edit_stream(data);
        const auto half = data.begin() + std::ptrdiff_t(data.size() / 2);
        put_chunk(png, "IDAT", Bytes(data.begin(), half));
        put_chunk(png, "IDAT", {});
        put_chunk(png, "IDAT", Bytes(half, data.end()));
        put_chunk(png, "IEND", {});
        return png;
    }

    static void put_u32(Bytes& out, std::uint32_t v) {
        for (int shift = 24; shift >= 0; shift -= 8)
            out.push_back(std::uint8_t(v >> shift));
    }
    static void put_chunk(Bytes& png, std::string_view type, const Bytes& data) {
        put_u32(png, std::uint32_t(data.size()));
        Bytes typed(type.begin(), type.end());
        typed.insert(typed.end(), data.begin(), data.end());
        png.insert(png.end(), typed.begin(), typed.end());
        put_u32(png, libdeflate_crc32(0, typed.data(), typed.size()));
    }

  private:
    static int predict(int filter, int a, int b, int c) {
        switch (filter) {
            case 1:
                return a;
            case 2:
                return b;
            case 3:
                return (a + b) / 2;
            case 4: {
                const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b),
                          pc = std::abs(p - c);
                return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
            }
            default:
                return 0;
        }
    }
    static Bytes zlib(const Bytes& data) {
        libdeflate_compressor* compressor = libdeflate_alloc_compressor(6);
        Bytes out(libdeflate_zlib_compress_bound(compressor, data.size()));
        out.resize(
            libdeflate_zlib_compress(compressor, data.data(), data.size(), out.data(), out.size()));
        libdeflate_free_compressor(compressor);
        return out;
    }

    int w_, h_, bpp_;
    Bytes pixels_;
};

}  // namespace

TEST_CASE("WebP inputs decode to exactly the pixels OpenCV gives", "[io]") {
    test::TempDir dir;
    const cv::Mat bgr = cv::imread(test::sample_path("kodim23.png").string(), cv::IMREAD_COLOR);
    cv::Mat bgra;
    cv::cvtColor(bgr, bgra, cv::COLOR_BGR2BGRA);
    for (int y = 0; y < bgra.rows; ++y) {
        for (int x = 0; x < bgra.cols; ++x)
            bgra.at<cv::Vec4b>(y, x)[3] = std::uint8_t((x + y) % 256);
    }
    // Lossless (quality above 100) and lossy, opaque and with alpha.
    int n = 0;
    for (const cv::Mat& m : {bgr, bgra}) {  // headers copied, pixels shared
        for (int quality : {101, 80}) {
            const fs::path file = dir / ("kind" + std::to_string(n++) + ".webp");
            REQUIRE(cv::imwrite(file.string(), m, {cv::IMWRITE_WEBP_QUALITY, quality}));
            INFO(file);
            const Image ours = read_image(file);
            const Image theirs = opencv_reference(file);
            check_same_pixels(ours, theirs);
            CHECK(ours.source.file_bytes == fs::file_size(file));
            // Through libwebp itself, not OpenCV: one thread or two, the same pixels.
            const Bytes bytes = test::read_bytes(file);
            for (bool threaded : {false, true}) {
                Image direct;
                REQUIRE(detail::decode_webp(bytes, direct, threaded));
                CHECK(direct.samples == theirs.samples);
            }
        }
    }
}

TEST_CASE("the fast PNG path undoes every row filter exactly", "[io]") {
    test::TempDir dir;
    for (int channels : {3, 4}) {
        const HandMadePng png(37, 25, channels);
        for (int first : {0, 1, 2, 3, 4}) {
            INFO("channels " << channels << ", first row filter " << first);
            const Bytes bytes = png.file([&](int y) { return (first + y) % 5; });
            Image fast;
            REQUIRE(detail::decode_common_png(bytes, fast));
            CHECK(fast.width == 37);
            CHECK(fast.height == 25);
            CHECK(fast.channels == channels);
            CHECK(fast.samples == png.pixels());
            // And read_image, which takes that path, agrees with OpenCV (libpng).
            const fs::path file = dir / "filters.png";
            test::write_bytes(file, bytes);
            CHECK(read_image(file).samples == opencv_reference(file).samples);
        }
    }
}

// The fast path's result on `arena_threads` threads; false when it leaves the file to libspng.
bool decode_fast_on(int arena_threads, const Bytes& bytes, Image& image) {
    tbb::task_arena arena(arena_threads);
    return arena.execute([&] { return detail::decode_common_png(bytes, image); });
}

// libpng's pixels (through OpenCV) in our channel order.
Bytes libpng_pixels(const Bytes& png) {
    const cv::Mat mat = cv::imdecode(png, cv::IMREAD_UNCHANGED);
    REQUIRE(!mat.empty());
    cv::Mat ours;
    cv::cvtColor(mat, ours, mat.channels() == 4 ? cv::COLOR_BGRA2RGBA : cv::COLOR_BGR2RGB);
    return Bytes(ours.data, ours.data + ours.total() * ours.elemSize());
}

TEST_CASE("the fast PNG path equals libpng on every filter at widths 1 to 17", "[io]") {
    // Widths 1-17 take the SIMD loops' tails: rows of one pixel, of all but the last pixel in
    // registers, and every length between. Each filter on every row, then all five mixed.
    for (int channels : {3, 4}) {
        for (int width = 1; width <= 17; ++width) {
            const HandMadePng png(width, 7, channels);
            for (int filter : {0, 1, 2, 3, 4, 5}) {
                INFO("channels " << channels << ", width " << width << ", filter "
                                 << (filter == 5 ? "mixed" : std::to_string(filter)));
                const Bytes bytes =
                    png.file([&](int y) { return filter == 5 ? (y * 3 + width) % 5 : filter; });
                for (int threads : {1, 2}) {
                    Image fast;
                    REQUIRE(decode_fast_on(threads, bytes, fast));
                    CHECK(fast.samples == png.pixels());
                }
                CHECK(libpng_pixels(bytes) == png.pixels());
            }
        }
    }
}

TEST_CASE("the fast PNG path inflates and unfilters side by side to the same pixels", "[io]") {
    // Over 4 MiB of filtered rows: on two threads one inflates while the other unfilters.
    for (int channels : {3, 4}) {
        INFO("channels " << channels);
        const HandMadePng png(1201, 899, channels);
        const Bytes bytes = png.file([](int y) { return (y / 3) % 5; });
        Image one, two;
        REQUIRE(decode_fast_on(1, bytes, one));
        REQUIRE(decode_fast_on(2, bytes, two));
        CHECK(one.samples == png.pixels());
        CHECK(two.samples == png.pixels());
        // A bad filter byte near the end stops both threads, and libspng gets the file.
        const Bytes bad = png.file([](int y) { return y == 890 ? 7 : 4; });
        CHECK_FALSE(decode_fast_on(2, bad, two));
        CHECK_FALSE(decode_fast_on(1, bad, one));
    }
}

// `png` with the image data's last `tail` bytes in IDAT chunks of one byte each.
Bytes last_bytes_in_own_chunks(const Bytes& png, std::size_t tail) {
    const Bytes idat_type{'I', 'D', 'A', 'T'};
    std::size_t last = 0;
    for (std::size_t at = 8; at + 12 <= png.size(); at += 12 + big_endian(png, at)) {
        if (std::equal(idat_type.begin(), idat_type.end(), png.begin() + std::ptrdiff_t(at) + 4))
            last = at;
    }
    const std::size_t length = big_endian(png, last);
    REQUIRE(length > tail);
    const auto data = png.begin() + std::ptrdiff_t(last) + 8;
    Bytes out(png.begin(), png.begin() + std::ptrdiff_t(last));
    HandMadePng::put_chunk(out, "IDAT", Bytes(data, data + std::ptrdiff_t(length - tail)));
    for (std::size_t i = length - tail; i < length; ++i)
        HandMadePng::put_chunk(out, "IDAT", {data[std::ptrdiff_t(i)]});
    out.insert(out.end(), data + std::ptrdiff_t(length) + 4, png.end());  // after the CRC: IEND
    return out;
}

TEST_CASE("the fast PNG path on two threads inflates what is held after the last input byte",
          "[io]") {
    // The stream's last bytes come a byte a chunk: the inflater takes them in before it has
    // given out all the rows they hold, and must still give those out when no input is left.
    const HandMadePng png(1201, 899, 4);
    const Bytes bytes = last_bytes_in_own_chunks(png.file([](int y) { return y % 5; }), 24);
    Image one, two;
    REQUIRE(decode_fast_on(1, bytes, one));
    REQUIRE(decode_fast_on(2, bytes, two));
    CHECK(one.samples == png.pixels());
    CHECK(two.samples == png.pixels());
}

TEST_CASE("the fast PNG path refuses image data short, long or with a wrong checksum", "[io]") {
    for (const bool large : {false, true}) {  // one thread's path and two threads'
        INFO((large ? "4.3 MB" : "small"));
        const HandMadePng png(large ? 1201 : 16, large ? 899 : 8, 4);
        auto any = [](int y) { return y % 5; };
        Image image;
        REQUIRE(decode_fast_on(2, png.file(any), image));
        const std::vector<std::pair<const char*, Bytes>> broken = {
            {"a byte short", png.file(any, [](Bytes& rows) { rows.pop_back(); })},
            {"a byte long", png.file(any, [](Bytes& rows) { rows.push_back(0); })},
            {"wrong Adler-32", png.file(any, {}, [](Bytes& zlib) { zlib.back() ^= 1; })},
            {"no Adler-32", png.file(any, {}, [](Bytes& zlib) { zlib.resize(zlib.size() - 4); })},
            {"cut in half", png.file(any, {}, [](Bytes& zlib) { zlib.resize(zlib.size() / 2); })},
        };
        for (const auto& [what, bytes] : broken) {
            INFO(what);
            CHECK_FALSE(decode_fast_on(1, bytes, image));
            CHECK_FALSE(decode_fast_on(2, bytes, image));
        }
    }
}

TEST_CASE("the fast PNG path leaves damaged and other PNGs to libspng", "[io]") {
    test::TempDir dir;
    const HandMadePng png(16, 8, 3);
    const Bytes good = png.file([](int y) { return y % 5; });
    Image image;
    REQUIRE(detail::decode_common_png(good, image));

    Bytes bad_crc = good;
    bad_crc[60] ^= 1;  // inside the first IDAT's data: its CRC no longer matches
    CHECK_FALSE(detail::decode_common_png(bad_crc, image));
    test::write_bytes(dir / "crc.png", bad_crc);
    CHECK_THROWS_WITH(read_image(dir / "crc.png"), Catch::Contains("corrupt PNG"));

    const Bytes bad_filter = png.file([](int y) { return y == 3 ? 5 : 0; });
    CHECK_FALSE(detail::decode_common_png(bad_filter, image));
    test::write_bytes(dir / "filter.png", bad_filter);
    CHECK_THROWS_WITH(read_image(dir / "filter.png"), Catch::Contains("corrupt PNG"));

    // A tRNS color key makes pixels transparent: libspng's job, and the result has alpha.
    Bytes keyed(good.begin(), good.begin() + 33);  // signature and IHDR
    HandMadePng::put_chunk(keyed, "tRNS",
                           {0, png.pixels()[0], 0, png.pixels()[1], 0, png.pixels()[2]});
    keyed.insert(keyed.end(), good.begin() + 33, good.end());
    CHECK_FALSE(detail::decode_common_png(keyed, image));
    // A truecolor image's suggested palette: libspng's job too, and the pixels are the same.
    Bytes suggested(good.begin(), good.begin() + 33);
    HandMadePng::put_chunk(suggested, "PLTE", {0, 0, 0, 255, 255, 255});
    suggested.insert(suggested.end(), good.begin() + 33, good.end());
    CHECK_FALSE(detail::decode_common_png(suggested, image));
    test::write_bytes(dir / "suggested.png", suggested);
    CHECK(read_image(dir / "suggested.png").samples == png.pixels());
    test::write_bytes(dir / "keyed.png", keyed);
    const Image transparent = read_image(dir / "keyed.png");
    CHECK(transparent.channels == 4);
    CHECK(transparent.pixel(0).a == 0);
}

TEST_CASE("bad inputs are refused with the file and the cause", "[io]") {
    test::TempDir dir;
    auto expect_input_error = [](const fs::path& path, const std::string& cause) {
        try {
            read_image(path);
            FAIL("no error for " << path);
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::input);
            CHECK(e.subject() == path.string());
            CHECK_THAT(e.cause(), Catch::Contains(cause));
        }
    };
    expect_input_error(dir / "missing.png", "no such file");
    test::write_bytes(dir / "empty.png", {});
    expect_input_error(dir / "empty.png", "empty file");
    test::write_bytes(dir / "text.png", {'h', 'e', 'l', 'l', 'o', '\n'});
    expect_input_error(dir / "text.png", "not an image");
    expect_input_error(dir.path(), "is a directory");

    const std::vector<std::uint8_t> png = test::read_bytes(test::sample_path("kodim23.png"));
    test::write_bytes(dir / "cut.png", {png.begin(), png.begin() + std::ptrdiff_t(png.size() / 2)});
    expect_input_error(dir / "cut.png", "truncated PNG");

    std::vector<std::uint8_t> jpeg;
    REQUIRE(cv::imencode(".jpg", cv::imread(test::sample_path("kodim23.png").string()), jpeg));
    test::write_bytes(dir / "cut.jpg",
                      {jpeg.begin(), jpeg.begin() + std::ptrdiff_t(jpeg.size() / 2)});
    expect_input_error(dir / "cut.jpg", "truncated JPEG");

    std::vector<std::uint8_t> webp;
    REQUIRE(cv::imencode(".webp", cv::imread(test::sample_path("kodim23.png").string()), webp));
    test::write_bytes(dir / "cut.webp", {webp.begin(), webp.begin() + 1000});
    expect_input_error(dir / "cut.webp",
                       "truncated WebP (1000 of " + std::to_string(webp.size()) + " bytes)");
}

// Found by fuzz_webp, fuzz_decode and fuzz_opencv (tests/fuzz/regressions/*/gdcm-assert-*): data
// no earlier reader takes goes to OpenCV, which hands anything with "DICM" at offset 128 to
// GDCM, whose assertions aborted the process on these damaged ones: a RIFF file libwebp refuses,
// a PNG signature one byte off, a Radiance HDR magic cut short.
TEST_CASE("DICOM data is refused and never handed to GDCM", "[io]") {
    const std::string_view crash(
        "\x52\x49\x46\x46\x7e\x00\x00\x00\x57\x45\x42\x50\x52\x49\x46\x46\x5a\x00\x00\x00"
        "\x5d\x45\x42\x50\x56\x50\x38\x20\x4e\x00\x00\x00\x10\x02\x00\x9d\x01\x2a\x45\x42"
        "\x50\x56\x50\x3b\x05\x00\x06\x00\x02\xc0\x4c\x25\x88\x02\x74\x7f\x00\x15\xc4\x9f"
        "\x75\x7c\x00\xd6\x42\x07\x45\x58\x49\x46\xa0\x22\x21\xb8\x7e\xb2\xd5\xcd\x26\xd4"
        "\x07\xeb\xef\x89\xa5\x8f\x57\x9e\x89\x32\x8b\xa2\x06\x5f\xe2\xe9\x89\x00\x00\x2f"
        "\x8f\x57\x9e\x89\x32\x8b\xa2\x06\x5f\xe2\xe9\x89\x00\x00\x2f\x00\x00\x00\x00\x00"
        "\x00\x00\x00\x00\x00\x00\x3b\x63\x44\x49\x43\x4d\x00\x00",
        134);
    const std::string_view png_like(
        "\x89\x50\x4e\x47\x0d\x0a\x1b\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x07"
        "\x00\x00\x00\x04\x04\x03\x6d\x00\x00\xb0\xe8\x38\x4e\x00\x00\x00\x0c\x50\x4c\x54"
        "\x45\xff\x00\x00\x00\xff\x05\x66\x93\x00\x00\x00\xff\x4e\x00\x00\x00\x0c\xfb\x00"
        "\x60\xf6\x00\x00\x32\x02\x74\x52\x4e\x53\xff\x80\x08\x0f\xb3\x6a\x00\x00\x00\x3c"
        "\x00\x00\x00\x0d\x49\x48\x44\x52\x49\x44\x41\x54\x78\xda\x63\x60\x54\x66\x54\x60"
        "\x14\x92\x7b\x24\xc7\x24\x78\x51\xf0\x02\x49\x45\x4e\x44\xb3\xfc\x2f\x00\x24\x4a"
        "\x05\x66\xa1\x19\x93\x7e\x00\x00\x44\x49\x43\x4d\x02\x00\x49\x45\x49\x44\xae\x42"
        "\x60\x82",
        142);
    Bytes hdr_like = {'#', '?', 'M', '/', '1'};
    hdr_like.resize(128, 0);
    for (char ch : {'D', 'I', 'C', 'M', '\r', '\n'})
        hdr_like.push_back(std::uint8_t(ch));
    Bytes plain(128, 0);
    for (char ch : {'D', 'I', 'C', 'M', '\x02', '\0', '\0', '\0', 'U', 'L', '\x04', '\0'})
        plain.push_back(std::uint8_t(ch));
    for (const Bytes& bytes : {Bytes(crash.begin(), crash.end()),
                               Bytes(png_like.begin(), png_like.end()), hdr_like, plain}) {
        try {
            decode_image(bytes, "scan.dcm");
            FAIL("no error");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::input);
            CHECK(e.subject() == "scan.dcm");
            // Refused before GDCM: as DICOM, or (the RIFF/WEBP one) as the WebP it claims to be.
            CHECK_THAT(e.cause(), Catch::Contains("DICOM files are not supported") ||
                                      Catch::Contains("corrupt WebP"));
        }
    }
}

TEST_CASE("PNG output is a palette image at the smallest bit depth", "[io]") {
    test::TempDir dir;
    for (auto [colors, depth] : {std::pair{2, 1}, {3, 2}, {4, 2}, {16, 4}, {17, 8}, {256, 8}}) {
        const IndexedImage image = checkerboard(37, 23, gray_palette(std::size_t(colors)));
        const fs::path path = dir / ("p" + std::to_string(colors) + ".png");
        const auto bytes = encode_image(image, path);
        const PngHeader h = png_header(bytes);
        CHECK(h.width == 37);
        CHECK(h.height == 23);
        CHECK(h.color_type == 3);
        CHECK(h.bit_depth == depth);
        CHECK(has_chunk(bytes, "PLTE"));
        CHECK_FALSE(has_chunk(bytes, "tRNS"));
        write_file_atomically(path, bytes, false);
        check_decodes_to(path, image);
    }
}

// The image data of a PNG with one IDAT chunk: the zlib stream.
Bytes idat_stream(const Bytes& png) {
    const std::string_view type = "IDAT";
    const auto at = std::search(png.begin(), png.end(), type.begin(), type.end());
    REQUIRE(at != png.end());
    const std::size_t data = std::size_t(at - png.begin()) + 4;
    return {png.begin() + std::ptrdiff_t(data),
            png.begin() + std::ptrdiff_t(data + big_endian(png, data - 8))};
}

// 16 colors in horizontal stripes 50 rows high whose edges step with x: nearly every byte
// repeats the one before, as in photos with large smooth areas. 3000 x 800 at 4 bits is
// 1.2 MB of scanlines, two bands.
IndexedImage stripes(const Palette& palette) {
    IndexedImage image{3000, 800, palette, {}};
    for (int y = 0; y < image.height; ++y) {
        for (int x = 0; x < image.width; ++x)
            image.indices.push_back(std::uint8_t((y + x / 250) / 50 % 16));
    }
    return image;
}

TEST_CASE("run-heavy PNG output is deflated by libdeflate's level 9 and decodes exactly", "[io]") {
    test::TempDir dir;
    const IndexedImage runs = stripes(gray_palette(16));
    const Bytes png = encode_image(runs, dir / "runs.png");
    const Bytes stream = idat_stream(png);
    // The setting picked for these scanlines, and the stream is that setting's.
    using detail::DeflateEngine;
    const Bytes scanlines = detail::palette_scanlines(runs);
    const detail::DeflateSetting picked =
        detail::deflate_setting_for(scanlines, EncodeOptions::kAutoPngLevel, Dither::none);
    CHECK(picked.engine == DeflateEngine::libdeflate);
    CHECK(picked.level == 9);
    CHECK(stream == detail::deflate_image_data("runs.png", scanlines, picked));

    // libdeflate inflates it and checks its Adler-32: every scanline byte is back, filter type
    // 0 and two indices a byte.
    const std::size_t row_bytes = 1 + 3000 / 2;
    Bytes rows(row_bytes * 800);
    std::size_t got = 0;
    libdeflate_decompressor* d = libdeflate_alloc_decompressor();
    const libdeflate_result rc =
        libdeflate_zlib_decompress(d, stream.data(), stream.size(), rows.data(), rows.size(), &got);
    libdeflate_free_decompressor(d);
    REQUIRE(rc == LIBDEFLATE_SUCCESS);
    REQUIRE(got == rows.size());
    bool exact = true;
    for (std::size_t y = 0; y < 800; ++y) {
        exact = exact && rows[y * row_bytes] == 0;
        for (std::size_t x = 0; x < 3000; ++x) {
            const std::uint8_t byte = rows[y * row_bytes + 1 + x / 2];
            const int index = x % 2 ? byte & 15 : byte >> 4;
            exact = exact && index == runs.indices[y * 3000 + x];
        }
    }
    CHECK(exact);

    // An explicit level is kept, and an image without long runs gets its mapping method's
    // level: 7 undithered, 6 dithered. Long runs take level 9 however they were mapped.
    const detail::DeflateSetting explicit8 =
        detail::deflate_setting_for(scanlines, 8, Dither::none);
    CHECK(explicit8.engine == DeflateEngine::libdeflate);
    CHECK(explicit8.level == 8);
    const Bytes busy = detail::palette_scanlines(checkerboard(3000, 800, gray_palette(16)));
    for (const DitherMethod& method : dither_methods()) {
        constexpr int kAuto = EncodeOptions::kAutoPngLevel;
        const detail::DeflateSetting plain =
            detail::deflate_setting_for(busy, kAuto, method.dither);
        CHECK(plain.engine == DeflateEngine::libdeflate);
        CHECK(plain.level == (method.dither == Dither::none ? 7 : 6));
        CHECK(detail::deflate_setting_for(scanlines, kAuto, method.dither).level == 9);
    }

    write_file_atomically(dir / "runs.png", png, false);
    const cv::Mat back = cv::imread((dir / "runs.png").string(), cv::IMREAD_COLOR);
    REQUIRE(back.rows == 800);
    REQUIRE(back.cols == 3000);
    for (auto [y, x] : {std::pair{0, 0}, {400, 1600}, {799, 2999}}) {
        const Color want = color_at(runs, std::size_t(y) * 3000 + std::size_t(x));
        const cv::Vec3b got_bgr = back.at<cv::Vec3b>(y, x);
        CHECK(got_bgr == cv::Vec3b(want.b, want.g, want.r));
    }
}

TEST_CASE("every deflate engine's bands inflate exactly, the same bytes on 1 and 2 threads",
          "[io]") {
    // 3.5 MB of scanlines: four bands, the last one short; noise between runs, so every
    // engine finds matches across the bands' cuts.
    cv::RNG rng(5);
    Bytes rows(3'500'000);
    for (std::size_t i = 0; i < rows.size(); ++i)
        rows[i] = i % 4096 < 3000 ? std::uint8_t(i / 4096 % 7) : std::uint8_t(rng.uniform(0, 16));
    using detail::DeflateEngine;
    for (const detail::DeflateSetting setting :
         {detail::DeflateSetting{DeflateEngine::libdeflate, 7},
          {DeflateEngine::zlib_bands, 6},
          {DeflateEngine::zlib_deep_bands, 9},
          {DeflateEngine::isal_bands, 2},
          {DeflateEngine::libdeflate_bands, 7}}) {
        INFO("engine " << int(setting.engine) << ", level " << setting.level);
        Bytes on[2];
        for (int threads : {1, 2}) {
            tbb::task_arena arena(threads);
            on[threads - 1] =
                arena.execute([&] { return detail::deflate_image_data("x.png", rows, setting); });
        }
        CHECK(on[0] == on[1]);
        REQUIRE(on[0].size() > 2);
        CHECK((on[0][0] * 256 + on[0][1]) % 31 == 0);  // a valid zlib header
        Bytes back(rows.size());
        std::size_t got = 0;
        libdeflate_decompressor* d = libdeflate_alloc_decompressor();
        const libdeflate_result rc = libdeflate_zlib_decompress(d, on[0].data(), on[0].size(),
                                                                back.data(), back.size(), &got);
        libdeflate_free_decompressor(d);
        CHECK(rc == LIBDEFLATE_SUCCESS);  // the Adler-32 of the whole checked too
        CHECK(got == rows.size());
        const bool exact = back == rows;  // not 3.5 MB in a message
        CHECK(exact);
    }
}

// Inflates a zlib stream of `size` bytes (Adler-32 checked): empty when it does not inflate.
Bytes zlib_inflated(const Bytes& stream, std::size_t size) {
    Bytes back(size);
    std::size_t got = 0;
    libdeflate_decompressor* d = libdeflate_alloc_decompressor();
    const libdeflate_result rc =
        libdeflate_zlib_decompress(d, stream.data(), stream.size(), back.data(), size, &got);
    libdeflate_free_decompressor(d);
    return rc == LIBDEFLATE_SUCCESS && got == size ? back : Bytes();
}

TEST_CASE("libdeflate's bands join at any bit of a byte and inflate exactly", "[io]") {
    // Each band ends its last block at some bit of its last byte, and the join differs for each
    // of the 8 (and for 6 and 7 needs one more byte). 24 inputs of 4 bands, each band ending on
    // its own data: 72 joins, so every bit position occurs.
    cv::RNG rng(11);
    for (int input = 0; input < 24; ++input) {
        INFO("input " << input);
        Bytes rows(std::size_t(2'100'000 + input * 977));
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const bool run = (i / (300 + std::size_t(input) * 7)) % 3 != 0;
            rows[i] = run ? std::uint8_t(i / 5000 % 9) : std::uint8_t(rng.uniform(0, 256));
        }
        const detail::DeflateSetting setting{detail::DeflateEngine::libdeflate_bands, 1};
        const Bytes stream = detail::deflate_image_data("x.png", rows, setting);
        const bool exact = zlib_inflated(stream, rows.size()) == rows;  // not 2 MB in a message
        CHECK(exact);
    }
}

TEST_CASE("PNG image data over one band is deflated in libdeflate's bands, under it in one call",
          "[io]") {
    using detail::DeflateEngine;
    const Bytes small(2u << 20, 7), large((2u << 20) + 1, 7);
    for (const int level : {EncodeOptions::kAutoPngLevel, 6}) {
        CHECK(detail::deflate_setting_for(small, level, Dither::none).engine ==
              DeflateEngine::libdeflate);
        CHECK(detail::deflate_setting_for(large, level, Dither::none).engine ==
              DeflateEngine::libdeflate_bands);
    }
    CHECK(detail::deflate_setting_for(large, 6, Dither::none).level == 6);
    // And a whole PNG over that size: the same bytes on 1 and 2 threads, its pixels exact.
    test::TempDir dir;
    const IndexedImage image = checkerboard(2400, 1000, gray_palette(200));  // 2.4 MB of rows
    Bytes on[2];
    for (int threads : {1, 2}) {
        tbb::task_arena arena(threads);
        on[threads - 1] = arena.execute([&] { return encode_image(image, dir / "big.png"); });
    }
    CHECK(on[0] == on[1]);
    write_file_atomically(dir / "big.png", on[0], false);
    check_decodes_to(dir / "big.png", image);
}

TEST_CASE("PNG output with translucent colors carries tRNS", "[io]") {
    test::TempDir dir;
    Palette palette = gray_palette(5);
    palette[1].color.a = 0;
    palette[3].color.a = 100;
    const IndexedImage image = checkerboard(20, 9, palette);
    const auto bytes = encode_image(image, dir / "a.png");
    CHECK(png_header(bytes).color_type == 3);
    CHECK(has_chunk(bytes, "tRNS"));
    write_file_atomically(dir / "a.png", bytes, false);
    check_decodes_to(dir / "a.png", image);
}

TEST_CASE("other formats store full colors through OpenCV", "[io]") {
    test::TempDir dir;
    const IndexedImage image = checkerboard(16, 8, gray_palette(4));
    for (const char* ext : {".bmp", ".tif", ".webp", ".jpg"}) {
        const fs::path path = dir / (std::string("x") + ext);
        write_file_atomically(path, encode_image(image, path), false);
        const cv::Mat back = cv::imread(path.string());
        CHECK(back.cols == 16);
        CHECK(back.rows == 8);
    }
    check_decodes_to(dir / "x.bmp", image);  // lossless
    CHECK(keeps_palette("a.PNG"));
    CHECK_FALSE(keeps_palette("a.bmp"));
}

TEST_CASE("PAM files keep red as red, with and without alpha, at 8 and 16 bits", "[io]") {
    // Two pixels, (200, 100, 10) and (5, 60, 250), alpha 255 and 128 when there is alpha.
    auto pam = [](int depth, int maxval) {
        const std::string tuple = depth == 4 ? "RGB_ALPHA" : "RGB";
        const std::string header = "P7\nWIDTH 2\nHEIGHT 1\nDEPTH " + std::to_string(depth) +
                                   "\nMAXVAL " + std::to_string(maxval) + "\nTUPLTYPE " + tuple +
                                   "\nENDHDR\n";
        Bytes bytes(header.begin(), header.end());
        const int samples[2][4] = {{200, 100, 10, 255}, {5, 60, 250, 128}};
        for (const auto& pixel : samples) {
            for (int c = 0; c < depth; ++c) {
                if (maxval > 255)
                    bytes.push_back(std::uint8_t(pixel[c]));  // high byte: value * 257
                bytes.push_back(std::uint8_t(pixel[c]));
            }
        }
        return bytes;
    };
    for (const int depth : {3, 4}) {
        for (const int maxval : {255, 65535}) {
            INFO("depth " << depth << ", maxval " << maxval);
            const Image image = decode_image(pam(depth, maxval), "p.pam");
            REQUIRE(image.channels == depth);
            const std::vector<std::uint8_t> expected =
                depth == 4 ? std::vector<std::uint8_t>{200, 100, 10, 255, 5, 60, 250, 128}
                           : std::vector<std::uint8_t>{200, 100, 10, 5, 60, 250};
            CHECK(image.samples == expected);
        }
    }
}

TEST_CASE("true-color Sun rasters stored R, G, B (type 3) decode with their colors", "[io]") {
    // Two pixels, (200, 100, 10) and (5, 60, 250), at 24 bits (rows padded to 16 bits) and at
    // 32 (X, R, G, B), as ImageMagick writes them.
    auto raster = [](int depth) {
        const int row = depth == 24 ? 6 : 8;
        Bytes bytes{0x59, 0xa6, 0x6a, 0x95,
                    0,    0,    0,    2,
                    0,    0,    0,    1,
                    0,    0,    0,    std::uint8_t(depth),
                    0,    0,    0,    std::uint8_t(row),
                    0,    0,    0,    3,
                    0,    0,    0,    0,
                    0,    0,    0,    0};
        for (const auto& pixel :
             {std::array<int, 3>{200, 100, 10}, std::array<int, 3>{5, 60, 250}}) {
            if (depth == 32)
                bytes.push_back(0);
            for (const int v : pixel)
                bytes.push_back(std::uint8_t(v));
        }
        return bytes;
    };
    for (const int depth : {24, 32}) {
        INFO(depth << " bits");
        const Image image = decode_image(raster(depth), "r.ras");
        CHECK(image.samples == std::vector<std::uint8_t>{200, 100, 10, 5, 60, 250});
    }
}

TEST_CASE("BMPs that OpenCV misreads keep their colors: OS/2 headers, 16-bit masks in a V5 header",
          "[io]") {
    // Two pixels, (200, 100, 10) and (5, 60, 250).
    auto le = [](Bytes& out, std::uint32_t value, int bytes) {
        for (int i = 0; i < bytes; ++i)
            out.push_back(std::uint8_t(value >> (8 * i)));
    };
    auto file_header = [&](Bytes& out, std::uint32_t offset) {
        out = {'B', 'M'};
        le(out, 0, 4);  // size, set below
        le(out, 0, 4);
        le(out, offset, 4);
    };
    auto finish = [&](Bytes out) {
        for (int i = 0; i < 4; ++i)
            out[2 + std::size_t(i)] = std::uint8_t(out.size() >> (8 * i));
        return out;
    };
    const std::vector<std::uint8_t> expected{200, 100, 10, 5, 60, 250};
    SECTION("OS/2 header, 24 bits") {
        Bytes bmp;
        file_header(bmp, 26);
        le(bmp, 12, 4);  // BITMAPCOREHEADER
        le(bmp, 2, 2);
        le(bmp, 1, 2);
        le(bmp, 1, 2);
        le(bmp, 24, 2);
        bmp.insert(bmp.end(), {10, 100, 200, 250, 60, 5, 0, 0});  // B, G, R; row to 4 bytes
        CHECK(decode_image(finish(bmp), "os2.bmp").samples == expected);
    }
    SECTION("OS/2 header, 8-bit palette") {
        Bytes bmp;
        file_header(bmp, 26 + 256 * 3);  // a core header's palette has 2^bits entries
        le(bmp, 12, 4);
        le(bmp, 2, 2);
        le(bmp, 1, 2);
        le(bmp, 1, 2);
        le(bmp, 8, 2);
        bmp.insert(bmp.end(), {10, 100, 200, 250, 60, 5});  // 3-byte entries, B, G, R
        bmp.resize(26 + 256 * 3, 0);
        bmp.insert(bmp.end(), {0, 1, 0, 0});
        CHECK(decode_image(finish(bmp), "os2p.bmp").samples == expected);
    }
    SECTION("16 bits, 5-6-5 masks in a V5 header") {
        Bytes bmp;
        file_header(bmp, 14 + 124);
        le(bmp, 124, 4);  // BITMAPV5HEADER
        le(bmp, 2, 4);
        le(bmp, 1, 4);
        le(bmp, 1, 2);
        le(bmp, 16, 2);
        le(bmp, 3, 4);  // BI_BITFIELDS
        for (int i = 0; i < 5; ++i)
            le(bmp, 0, 4);  // image size, resolution, colors
        le(bmp, 0xf800, 4);
        le(bmp, 0x07e0, 4);
        le(bmp, 0x001f, 4);
        le(bmp, 0, 4);  // alpha mask
        bmp.resize(14 + 124, 0);
        // 5-6-5 of (200, 100, 10) and (5, 60, 250): (25, 25, 1) and (0, 15, 31).
        le(bmp, (25u << 11) | (25u << 5) | 1u, 2);
        le(bmp, (0u << 11) | (15u << 5) | 31u, 2);
        const Image image = decode_image(finish(bmp), "565.bmp");
        REQUIRE(image.samples.size() == 6);
        // OpenCV widens 5 and 6 bits by shifting: 25 << 3, 25 << 2, 1 << 3, ...
        CHECK(image.samples == std::vector<std::uint8_t>{200, 100, 8, 0, 60, 248});
    }
}

TEST_CASE("JPEG and WebP outputs are the bytes OpenCV's encoders write, without OpenCV", "[io]") {
    // A photo's colors through a 64-color palette, and a variant with transparent entries.
    const Image photo = read_image(test::sample_path("kodim23.png"));
    Options options;
    options.clustering.colors = 64;
    const IndexedImage opaque = quantize::quantize(photo, options).image;
    IndexedImage clear = opaque;
    for (std::size_t i = 0; i < clear.palette.size(); i += 3)
        clear.palette[i].color.a = std::uint8_t(i * 4);
    // The same colors as OpenCV's encoders take them: BGR, or BGRA with alpha.
    auto full_color = [](const IndexedImage& image, bool alpha) {
        cv::Mat rgba(image.height, image.width, CV_8UC4);
        for (std::size_t i = 0; i < image.indices.size(); ++i) {
            const Color c = color_at(image, i);
            rgba.at<cv::Vec4b>(int(i) / image.width, int(i) % image.width) = {c.r, c.g, c.b, c.a};
        }
        cv::Mat out;
        cv::cvtColor(rgba, out, alpha ? cv::COLOR_RGBA2BGRA : cv::COLOR_RGBA2BGR);
        return out;
    };
    auto opencv = [](const char* ext, const cv::Mat& mat, std::vector<int> params) {
        Bytes bytes;
        REQUIRE(cv::imencode(ext, mat, bytes, params));
        return bytes;
    };
    for (const int quality : {95, 60}) {
        EncodeOptions o;
        o.jpeg_quality = quality;
        INFO("JPEG quality " << quality);
        CHECK(encode_image(opaque, "x.jpg", o) ==
              opencv(".jpg", full_color(opaque, false), {cv::IMWRITE_JPEG_QUALITY, quality}));
    }
    for (const int quality : {0, 80}) {
        EncodeOptions o;
        o.webp_quality = quality;
        const int theirs = quality == 0 ? 101 : quality;  // OpenCV's lossless: over 100
        INFO("WebP quality " << quality);
        CHECK(encode_image(opaque, "x.webp", o) ==
              opencv(".webp", full_color(opaque, false), {cv::IMWRITE_WEBP_QUALITY, theirs}));
        CHECK(encode_image(clear, "x.webp", o) ==
              opencv(".webp", full_color(clear, true), {cv::IMWRITE_WEBP_QUALITY, theirs}));
    }
}

TEST_CASE("outputs embed an RGB profile but never a gray or CMYK one", "[io][profile]") {
    const IndexedImage image = checkerboard(8, 8, gray_palette(2));
    Metadata rgb, gray, cmyk;
    rgb.profile.icc = test::adobe_rgb_icc();  // made once: it holds the time
    gray.profile.icc = test::gray_gamma22_icc();
    cmyk.profile.icc = test::cmyk_print_icc();
    for (const std::string name : {"p.png", "p.jpg", "p.webp", "p.tif"}) {
        INFO(name);
        CHECK(decode_image(encode_image(image, name, {}, rgb), name).metadata.profile.icc ==
              rgb.profile.icc);
        CHECK(decode_image(encode_image(image, name, {}, gray), name).metadata.profile.empty());
        const Image from_cmyk = decode_image(encode_image(image, name, {}, cmyk), name);
        CHECK(from_cmyk.metadata.profile.empty());
        CHECK_FALSE(from_cmyk.source.set_aside_profile);  // none was there to set aside
    }
}

TEST_CASE("writes are atomic and never replace a file unless asked", "[io]") {
    test::TempDir dir;
    const fs::path path = dir / "out.png";
    write_file_atomically(path, Bytes{1, 2, 3}, false);
    CHECK(test::read_bytes(path) == std::vector<std::uint8_t>{1, 2, 3});
    // The cause alone: how to overwrite is the front end's to say (--force, overwrite=True).
    CHECK_THROWS_WITH(write_file_atomically(path, Bytes{9}, false),
                      path.string() + ": already exists");
    CHECK(test::read_bytes(path) == std::vector<std::uint8_t>{1, 2, 3});
    write_file_atomically(path, Bytes{4, 5}, true);
    CHECK(test::read_bytes(path) == std::vector<std::uint8_t>{4, 5});
    CHECK(test::hidden_files(dir.path()).empty());
    CHECK((fs::status(path).permissions() & fs::perms::others_read) != fs::perms::none);
}

TEST_CASE("output paths that would lose data or cannot work are refused up front", "[io]") {
    test::TempDir dir;
    const fs::path input = dir / "in.png";
    test::write_bytes(input, {1});
    auto expect_output_error = [&](const fs::path& out, bool overwrite, const std::string& cause) {
        try {
            check_output_path(input, out, overwrite);
            FAIL("no error for " << out);
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::output);
            CHECK_THAT(e.cause(), Catch::Contains(cause));
        }
    };
    expect_output_error(input, true, "is the input file");
    expect_output_error(dir / "." / "in.png", true, "is the input file");
    test::write_bytes(dir / "old.png", {1});
    CHECK_THROWS_WITH(check_output_path(input, dir / "old.png", false),
                      (dir / "old.png").string() + ": already exists");
    CHECK_NOTHROW(check_output_path(input, dir / "old.png", true));
    // A link that leads nowhere takes the name too: commit() could not link over it.
    fs::create_symlink(dir / "nowhere.png", dir / "dangling.png");
    CHECK_THROWS_WITH(check_not_taken(dir / "dangling.png", false),
                      (dir / "dangling.png").string() + ": already exists");
    CHECK_NOTHROW(check_not_taken(dir / "dangling.png", true));
    CHECK_NOTHROW(check_not_taken(dir / "free.png", false));
    expect_output_error(dir / "nodir" / "x.png", false, "does not exist");
    expect_output_error(dir / "in.png" / "x.png", false, "not a directory");
    expect_output_error(dir / "x.unknownformat", false, "unknown output format");
    expect_output_error(dir / "noext", false, "no extension");
    expect_output_error("/proc/quantize.png", false, "cannot create files");
    CHECK(test::hidden_files(dir.path()).empty());
}
