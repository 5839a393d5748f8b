// GIF: the decoder against frames giflib writes with known indices, and round trips through
// the encoder.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <set>
#include <stdexcept>

#include "detail/gif_lzw.hpp"
#include "gif.hpp"
#include "quantize/quantize.hpp"
#include "support.hpp"

using namespace quantize;

namespace {

std::set<std::uint32_t> colors_of(const Image& image) {
    std::set<std::uint32_t> colors;
    for (std::size_t i = 0; i < image.pixel_count(); ++i)
        colors.insert(pack(image.pixel(i)));
    return colors;
}

// The 2^n entries of a GIF's global color table from its logical screen descriptor.
int global_table_size(const std::vector<std::uint8_t>& gif) {
    REQUIRE(gif.size() > 13);
    REQUIRE((gif[10] & 0x80) != 0);
    return 2 << (gif[10] & 7);
}

}  // namespace

TEST_CASE("GIF pixels are what giflib's frame says, interlaced or not", "[gif]") {
    const bool interlaced = GENERATE(false, true);
    constexpr int kWidth = 13, kHeight = 11;  // odd sizes: every interlace pass is partial
    std::vector<std::uint8_t> rgb(3 * 8);
    for (std::size_t i = 0; i < rgb.size(); ++i)
        rgb[i] = std::uint8_t(i * 37 + 5);
    test::GifTestFrame frame;
    frame.width = kWidth;
    frame.height = kHeight;
    frame.interlaced = interlaced;
    frame.transparent = 5;
    for (int i = 0; i < kWidth * kHeight; ++i)
        frame.indices.push_back(std::uint8_t((i * 7 + i / kWidth) % 8));
    const auto bytes = test::write_gif(kWidth, kHeight, rgb, {frame});
    const Image image = decode_image(bytes, "known.gif");
    REQUIRE(image.width == kWidth);
    REQUIRE(image.height == kHeight);
    REQUIRE(image.channels == 4);
    for (std::size_t i = 0; i < image.pixel_count(); ++i) {
        const std::uint8_t index = frame.indices[i];
        const Color expected =
            index == 5 ? Color{0, 0, 0, 0}
                       : Color{rgb[3 * index], rgb[3 * index + 1], rgb[3 * index + 2], 255};
        INFO("pixel " << i);
        CHECK(image.pixel(i) == expected);
    }
}

TEST_CASE("a GIF without transparent pixels decodes as RGB", "[gif]") {
    const test::GifTestFrame frame = test::gif_frame(0, 0, 4, 2, {0, 1, 1, 0, 1, 0, 0, 1});
    const Image image = decode_image(test::write_gif(4, 2, {255, 0, 0, 0, 0, 255}, {frame}), "x");
    CHECK(image.channels == 3);
    CHECK(image.pixel(1) == Color{0, 0, 255, 255});
}

TEST_CASE("GIF round trip keeps the size, at most K colors and the transparency", "[gif]") {
    std::vector<Color> colors;
    for (int i = 0; i < 60; ++i)
        colors.push_back(
            {std::uint8_t(i * 4), std::uint8_t(255 - i * 3), std::uint8_t(i * 9), 255});
    colors.push_back({0, 0, 0, 0});
    const Image original = test::image_of_colors(61, 37, colors);
    Options options;
    options.clustering.colors = 16;
    const Quantized q = quantize::quantize(original, options);
    const auto bytes = encode_image(q.image, ImageFormat::gif, "out.gif");
    const Image decoded = decode_image(bytes, "out.gif");
    REQUIRE(decoded.width == 61);
    REQUIRE(decoded.height == 37);
    CHECK(colors_of(decoded).size() <= 16);
    for (std::size_t i = 0; i < original.pixel_count(); ++i) {
        INFO("pixel " << i);
        CHECK((original.pixel(i).a == 0) == (decoded.pixel(i).a == 0));
        if (original.pixel(i).a != 0)
            CHECK(decoded.pixel(i) == color_at(q.image, i));
    }
    CHECK(test::read_gif_structure(bytes).transparent.front() != NO_TRANSPARENT_COLOR);
}

TEST_CASE("GIF color tables hold every K from 2 to 256 at the next power of two", "[gif]") {
    for (int k = 2; k <= 256; ++k) {
        IndexedImage image;
        image.width = 16;
        image.height = 16;
        for (int i = 0; i < k; ++i)
            image.palette.push_back({{std::uint8_t(i), std::uint8_t(255 - i), 7, 255}});
        for (int i = 0; i < 256; ++i)
            image.indices.push_back(std::uint8_t(i % k));
        const auto bytes = encode_image(image, ImageFormat::gif, "k.gif");
        int expected = 2;
        while (expected < k)
            expected *= 2;
        INFO("K = " << k);
        REQUIRE(global_table_size(bytes) == expected);
        const Image decoded = decode_image(bytes, "k.gif");
        for (std::size_t i = 0; i < decoded.pixel_count(); ++i)
            REQUIRE(decoded.pixel(i) == image.palette[i % std::size_t(k)].color);
    }
}

TEST_CASE("a GIF whose frames lie partly off the canvas decodes the part on it", "[gif]") {
    const test::GifTestFrame frame = test::gif_frame(3, 1, 4, 4, std::vector<std::uint8_t>(16, 1));
    const Image image =
        decode_image(test::write_gif(5, 3, {0, 0, 0, 9, 9, 9}, {frame}), "offset.gif");
    REQUIRE(image.width == 5);
    CHECK(image.pixel(0).a == 0);                          // not covered: clear
    CHECK(image.pixel(5 + 3) == Color{9, 9, 9, 255});      // (3, 1)
    CHECK(image.pixel(2 * 5 + 4) == Color{9, 9, 9, 255});  // (4, 2)
}

TEST_CASE("an animation whose frames together are over the byte limit is refused as it grows",
          "[gif][animation][hostile]") {
    std::vector<test::GifTestFrame> frames(5, test::gif_frame(0, 0, 1, 1, {1}));
    const auto bytes = test::write_gif(1000, 1000, {0, 0, 0, 9, 9, 9}, frames);
    DecodeLimits limits;
    limits.max_bytes = 8'000'000;  // two frames of 4 MB
    try {
        decode_animation(bytes, "many.gif", limits);
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::too_large);
        CHECK(std::string(e.what()) ==
              "many.gif: 3 frames of 1000x1000 pixels (12.0 MB decoded) are over the limit of "
              "8.0 MB decoded");
    }
    CHECK(decode_image(bytes, "many.gif", limits).width == 1000);  // the first frame alone fits
}

namespace {

// Frames of a 40x30 canvas over one palette of `colors` colors: a gradient, the same again,
// then two corners of a 5x4 patch changed, then frame 0 again.
IndexedAnimation patched_animation(int colors) {
    IndexedAnimation animation;
    animation.width = 40;
    animation.height = 30;
    Palette palette;
    for (int i = 0; i < colors; ++i)
        palette.push_back({{std::uint8_t(i), std::uint8_t(255 - i), std::uint8_t(i * 7), 255}});
    IndexedImage frame{40, 30, palette, {}};
    for (int i = 0; i < 40 * 30; ++i)
        frame.indices.push_back(std::uint8_t((i * 13 + i / 40) % colors));
    animation.frames.push_back({frame, 50});
    animation.frames.push_back({frame, 70});
    IndexedImage patched = frame;  // two corners of a 5x4 patch changed, the rest as before
    for (const int i : {10 * 40 + 20, 13 * 40 + 24}) {
        std::uint8_t& index = patched.indices[std::size_t(i)];
        index = std::uint8_t((index + 1) % colors);
    }
    animation.frames.push_back({patched, 30});
    animation.frames.push_back({frame, 100});
    return animation;
}

}  // namespace

TEST_CASE("an opaque animated GIF is written as changed rectangles and reads back whole",
          "[gif][animation]") {
    const int colors = GENERATE(16, 255, 256);
    INFO("K = " << colors);
    const IndexedAnimation animation = patched_animation(colors);
    const auto bytes = encode_animation(animation, ImageFormat::gif, "delta.gif");
    const test::GifStructure s = test::read_gif_structure(bytes);
    REQUIRE(s.frames == 4);
    CHECK(s.delays_cs == std::vector<int>{5, 7, 3, 10});
    CHECK(s.indices[0].size() == 40 * 30);  // the first frame whole
    CHECK(s.indices[1].size() == 1);        // equal to the one before: one pixel
    CHECK(s.indices[2].size() == 5 * 4);    // the patch alone
    CHECK(s.indices[3].size() == 5 * 4);
    // A spare entry past the palette marks the unchanged pixels when the table has room, else
    // an index that neither changed pixel has.
    if (colors < 256) {
        CHECK(s.transparent[2] == colors);
    } else {
        const IndexedImage& patched = animation.frames[2].image;
        REQUIRE(s.transparent[2] != NO_TRANSPARENT_COLOR);
        CHECK(s.transparent[2] != patched.indices[10 * 40 + 20]);
        CHECK(s.transparent[2] != patched.indices[13 * 40 + 24]);
    }
    const Animation decoded = decode_animation(bytes, "delta.gif");
    REQUIRE(decoded.frames.size() == 4);
    for (std::size_t f = 0; f < 4; ++f) {
        const IndexedImage& expected = animation.frames[f].image;
        REQUIRE(decoded.frames[f].image.channels == 3);
        for (std::size_t i = 0; i < expected.indices.size(); ++i) {
            INFO("frame " << f << " pixel " << i);
            REQUIRE(decoded.frames[f].image.pixel(i) == color_at(expected, i));
        }
    }
}

TEST_CASE("a frame with two changed pixels far apart costs a fraction of the whole frame",
          "[gif][animation]") {
    // Noise over 200x150 (LZW cannot shrink it), then the same with its opposite corners
    // changed: the changed rectangle is the whole canvas, so only the unchanged pixels written
    // as a transparent index keep the second frame small, at every K (256: a full table, whose
    // transparent index is one that no changed pixel has).
    const int colors = GENERATE(16, 255, 256);
    INFO("K = " << colors);
    constexpr int kWidth = 200, kHeight = 150;
    Palette palette;
    for (int i = 0; i < colors; ++i)
        palette.push_back({{std::uint8_t(i), std::uint8_t(255 - i), std::uint8_t(i * 7), 255}});
    IndexedImage noise{kWidth, kHeight, palette, {}};
    std::uint32_t state = 99u;
    for (int i = 0; i < kWidth * kHeight; ++i) {
        state = state * 1664525u + 1013904223u;
        noise.indices.push_back(std::uint8_t((state >> 24) % std::uint32_t(colors)));
    }
    IndexedImage corners = noise;
    for (const std::size_t i : {std::size_t{0}, corners.indices.size() - 1})
        corners.indices[i] = std::uint8_t((corners.indices[i] + 1) % colors);
    IndexedAnimation one{kWidth, kHeight, {{noise, 40}}, 0};
    IndexedAnimation two = one;
    two.frames.push_back({corners, 40});
    const auto first = encode_animation(one, ImageFormat::gif, "one.gif");
    const auto both = encode_animation(two, ImageFormat::gif, "two.gif");
    const std::size_t second = both.size() - first.size();  // the second frame's bytes
    CHECK(second * 20 < first.size());
    const test::GifStructure s = test::read_gif_structure(both);
    REQUIRE(s.frames == 2);
    CHECK(s.indices[1].size() == std::size_t(kWidth * kHeight));  // the whole canvas
    CHECK(s.transparent[1] != NO_TRANSPARENT_COLOR);
    const Animation decoded = decode_animation(both, "two.gif");
    REQUIRE(decoded.frames.size() == 2);
    for (std::size_t i = 0; i < corners.indices.size(); ++i) {
        INFO("pixel " << i);
        REQUIRE(decoded.frames[1].image.pixel(i) == color_at(corners, i));
    }
}

TEST_CASE("frames with their own palettes are written as changes of colors, not indices",
          "[gif][animation]") {
    IndexedAnimation animation = patched_animation(8);
    // Frame 1 shows frame 0's colors through a reversed palette: no pixel changes color.
    IndexedImage& reversed = animation.frames[1].image;
    std::reverse(reversed.palette.begin(), reversed.palette.end());
    for (std::uint8_t& index : reversed.indices)
        index = std::uint8_t(7 - index);
    const auto bytes = encode_animation(animation, ImageFormat::gif, "local.gif");
    const test::GifStructure s = test::read_gif_structure(bytes);
    CHECK(s.frames_with_local_table == 1);
    CHECK(s.indices[1].size() == 1);
    const Animation decoded = decode_animation(bytes, "local.gif");
    for (std::size_t f = 0; f < 4; ++f) {
        for (std::size_t i = 0; i < animation.frames[f].image.indices.size(); ++i) {
            INFO("frame " << f << " pixel " << i);
            REQUIRE(decoded.frames[f].image.pixel(i) == color_at(animation.frames[f].image, i));
        }
    }
}

TEST_CASE("a GIF frame claiming a huge rectangle costs no more than the canvas", "[gif][hostile]") {
    const test::GifTestFrame frame = test::gif_frame(3, 1, 4, 4, std::vector<std::uint8_t>(16, 1));
    std::vector<std::uint8_t> bytes = test::write_gif(5, 3, {0, 0, 0, 9, 9, 9}, {frame});
    // The image descriptor: separator 0x2C, left 3, top 1 (16-bit little-endian), width, height.
    const std::uint8_t descriptor[] = {0x2C, 3, 0, 1, 0, 4, 0, 4, 0};
    const auto at =
        std::search(bytes.begin(), bytes.end(), std::begin(descriptor), std::end(descriptor));
    REQUIRE(at != bytes.end());
    at[5] = at[7] = 0x20;  // 4 x 4 -> 20000 x 20000 (0x4e20): 400 million indices claimed
    at[6] = at[8] = 0x4e;
    try {
        decode_animation(bytes, "huge.gif");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::input);  // the data ends long before: truncated
    }
}

TEST_CASE("a GIF frame wholly off the canvas draws nothing", "[gif][hostile]") {
    const test::GifTestFrame off = test::gif_frame(10, 1, 2, 2, {1, 1, 1, 1});
    const test::GifTestFrame on = test::gif_frame(0, 0, 1, 1, {1});
    const Animation animation =
        decode_animation(test::write_gif(5, 3, {0, 0, 0, 9, 9, 9}, {off, on}), "off.gif");
    REQUIRE(animation.frames.size() == 2);
    for (std::size_t i = 0; i < 15; ++i)
        CHECK(animation.frames[0].image.pixel(i).a == 0);
    CHECK(animation.frames[1].image.pixel(0) == Color{9, 9, 9, 255});
}

namespace {

// The LZW data of a GIF's first frame as giflib reads it (DGifGetCode): its sub-blocks' bytes
// one after the other, and the code size byte before them.
std::vector<std::uint8_t> first_frame_lzw(const std::vector<std::uint8_t>& bytes, int& code_size) {
    test::GifMemoryReader reader{&bytes};
    GifFileType* gif = test::open_gif(reader);
    int error = 0;
    REQUIRE(gif);
    GifRecordType type = UNDEFINED_RECORD_TYPE;
    while (DGifGetRecordType(gif, &type) == GIF_OK && type == EXTENSION_RECORD_TYPE) {
        int function = 0;
        GifByteType* block = nullptr;
        REQUIRE(DGifGetExtension(gif, &function, &block) == GIF_OK);
        while (block)
            REQUIRE(DGifGetExtensionNext(gif, &block) == GIF_OK);
    }
    REQUIRE(type == IMAGE_DESC_RECORD_TYPE);
    REQUIRE(DGifGetImageDesc(gif) == GIF_OK);
    std::vector<std::uint8_t> data;
    GifByteType* block = nullptr;
    REQUIRE(DGifGetCode(gif, &code_size, &block) == GIF_OK);
    while (block) {
        data.insert(data.end(), block + 1, block + 1 + block[0]);
        REQUIRE(DGifGetCodeNext(gif, &block) == GIF_OK);
    }
    DGifCloseFile(gif, &error);
    return data;
}

}  // namespace

TEST_CASE("the LZW encoder writes giflib's bytes for every code size", "[gif]") {
    // Code sizes 2..8; a single pixel, runs (long strings, the width growing), noise (the
    // table filling and cleared, many times over at 300 x 300) and a gradient.
    const int bits = GENERATE(1, 2, 3, 4, 5, 6, 7, 8);
    const int colors = 1 << bits;
    const int code_size = std::max(2, bits);
    struct Shape {
        int width, height;
        int kind;  // 0 noise, 1 runs, 2 gradient
    };
    const Shape shape = GENERATE(Shape{1, 1, 0}, Shape{7, 3, 0}, Shape{300, 300, 0},
                                 Shape{300, 200, 1}, Shape{257, 129, 2});
    std::vector<std::uint8_t> indices;
    std::uint32_t state = 12345u + std::uint32_t(bits);
    for (int i = 0; i < shape.width * shape.height; ++i) {
        state = state * 1664525u + 1013904223u;  // a fixed linear congruential sequence
        switch (shape.kind) {
            case 0:
                indices.push_back(std::uint8_t((state >> 24) % std::uint32_t(colors)));
                break;
            case 1:
                indices.push_back(std::uint8_t((i / 97) % colors));
                break;
            default:
                indices.push_back(std::uint8_t((i % shape.width + i / shape.width) % colors));
        }
    }
    std::vector<std::uint8_t> rgb(std::size_t(3 * std::max(colors, 2)));
    test::GifTestFrame frame = test::gif_frame(0, 0, shape.width, shape.height, indices);
    int giflib_code_size = 0;
    const auto reference =
        first_frame_lzw(test::write_gif(shape.width, shape.height, rgb, {frame}), giflib_code_size);
    REQUIRE(giflib_code_size == code_size);
    detail::GifLzwEncoder encoder;
    INFO(shape.width << "x" << shape.height << " kind " << shape.kind << ", " << colors
                     << " colors");
    CHECK(encoder.encode(indices, code_size) == reference);
    CHECK(encoder.encode(indices, code_size) == reference);  // the table left empty after use
}

namespace {

// LZW data as a GIF frame holds it: the code size byte, then sub-blocks of up to 255 bytes and
// the zero-length terminator.
std::vector<std::uint8_t> in_sub_blocks(int code_size, const std::vector<std::uint8_t>& lzw) {
    std::vector<std::uint8_t> out{std::uint8_t(code_size)};
    for (std::size_t at = 0; at < lzw.size(); at += 255) {
        const std::size_t n = std::min<std::size_t>(255, lzw.size() - at);
        out.push_back(std::uint8_t(n));
        out.insert(out.end(), lzw.begin() + std::ptrdiff_t(at),
                   lzw.begin() + std::ptrdiff_t(at + n));
    }
    out.push_back(0);
    return out;
}

}  // namespace

TEST_CASE("the LZW decoder reads giflib's data back for every code size, in pieces or whole",
          "[gif]") {
    // Noise fills the table and clears it many times over; runs make long strings, which
    // pieces of odd sizes end inside.
    const int bits = GENERATE(1, 2, 3, 4, 5, 6, 7, 8);
    const int kind = GENERATE(0, 1);  // 0 noise, 1 runs
    const int colors = 1 << bits, code_size = std::max(2, bits);
    constexpr int kWidth = 300, kHeight = 200;
    std::vector<std::uint8_t> indices;
    std::uint32_t state = 777u + std::uint32_t(bits);
    for (int i = 0; i < kWidth * kHeight; ++i) {
        state = state * 1664525u + 1013904223u;
        indices.push_back(std::uint8_t(kind == 0 ? (state >> 24) % std::uint32_t(colors)
                                                 : std::uint32_t(i / 97) % std::uint32_t(colors)));
    }
    std::vector<std::uint8_t> rgb(std::size_t(3 * std::max(colors, 2)));
    int giflib_code_size = 0;
    const auto lzw = first_frame_lzw(
        test::write_gif(kWidth, kHeight, rgb, {test::gif_frame(0, 0, kWidth, kHeight, indices)}),
        giflib_code_size);
    const auto data = in_sub_blocks(giflib_code_size, lzw);
    INFO(colors << " colors, kind " << kind);
    std::vector<std::uint8_t> whole(indices.size());
    detail::GifLzwDecoder(data).read(whole.data(), whole.size());
    CHECK(whole == indices);
    std::vector<std::uint8_t> pieces(indices.size());
    detail::GifLzwDecoder decoder(data);
    for (std::size_t at = 0, piece = 1; at < pieces.size(); at += piece, piece = piece * 3 % 1001)
        decoder.read(pieces.data() + at, std::min(piece, pieces.size() - at));
    CHECK(pieces == indices);
    // Our encoder's data reads back too.
    detail::GifLzwEncoder encoder;
    std::vector<std::uint8_t> again(indices.size());
    detail::GifLzwDecoder(in_sub_blocks(code_size, encoder.encode(indices, code_size)))
        .read(again.data(), again.size());
    CHECK(again == indices);
}

TEST_CASE(
    "the LZW decoder refuses data that ends early, codes past its table and code sizes "
    "past 8",
    "[gif][hostile]") {
    detail::GifLzwEncoder encoder;
    const std::vector<std::uint8_t> indices = {0, 1, 2, 3, 0, 1, 2, 3, 3, 3};
    const auto data = in_sub_blocks(2, encoder.encode(indices, 2));
    std::vector<std::uint8_t> out(indices.size() + 1);
    CHECK_THROWS_AS(detail::GifLzwDecoder(data).read(out.data(), out.size()), std::runtime_error);
    auto cut = data;
    cut.resize(3);  // the code size, a sub-block length and one byte of it
    CHECK_THROWS_AS(detail::GifLzwDecoder(cut).read(out.data(), indices.size()),
                    std::runtime_error);
    // Code size 2: clear 4, end 5, then 3-bit codes; 7 right after a clear is past the table.
    const std::vector<std::uint8_t> past = {2, 1, 0x3C, 0};  // codes 4, 7 (LSB first)
    CHECK_THROWS_AS(detail::GifLzwDecoder(past).read(out.data(), 1), std::runtime_error);
    const std::vector<std::uint8_t> wide = {9, 1, 0, 0};
    CHECK_THROWS_AS(detail::GifLzwDecoder(wide), std::runtime_error);
}

TEST_CASE("pixels free to be transparent decode as their index or the transparent one", "[gif]") {
    // Runs of free pixels (made transparent) and scattered ones (left as they are) in noise.
    constexpr int kWidth = 97, kHeight = 61, kTransparent = 200;
    std::vector<std::uint8_t> indices, free;
    std::uint32_t state = 4242u;
    for (int i = 0; i < kWidth * kHeight; ++i) {
        state = state * 1664525u + 1013904223u;
        indices.push_back(std::uint8_t((state >> 24) % 199u));  // never the transparent index
        free.push_back((i / 40) % 3 == 0 || (state >> 8) % 5 == 0 ? 1 : 0);
    }
    detail::GifLzwEncoder encoder;
    const auto data =
        encoder.encode(indices.data(), kWidth, kHeight, kWidth, 8, free.data(), kTransparent);
    std::vector<std::uint8_t> out(indices.size());
    detail::GifLzwDecoder(in_sub_blocks(8, data)).read(out.data(), out.size());
    std::size_t made_transparent = 0;
    for (std::size_t i = 0; i < indices.size(); ++i) {
        INFO("pixel " << i);
        REQUIRE((out[i] == indices[i] || (free[i] && out[i] == kTransparent)));
        made_transparent += out[i] == kTransparent ? 1 : 0;
    }
    CHECK(made_transparent > indices.size() / 4);  // the runs at least
    CHECK(data.size() < encoder.encode(indices, 8).size());
    CHECK_THROWS_AS(encoder.encode(indices.data(), kWidth, kHeight, kWidth, 2, free.data(), 4),
                    std::invalid_argument);
}

TEST_CASE("the LZW encoder refuses an index past its table", "[gif]") {
    detail::GifLzwEncoder encoder;
    const std::vector<std::uint8_t> indices = {0, 1, 4};
    CHECK_THROWS_AS(encoder.encode(indices, 2), std::invalid_argument);
    CHECK_THROWS_AS(encoder.encode(indices, 9), std::invalid_argument);
}

TEST_CASE("frames made one at a time encode to the same GIF and WebP bytes as frames held",
          "[gif][animation]") {
    IndexedAnimation held;
    held.width = 40;
    held.height = 30;
    held.loops = 3;
    for (int f = 0; f < 4; ++f) {
        Image image = make_image(40, 30, {0, 0, 0, 255});
        for (std::size_t i = 0; i < image.samples.size(); ++i)
            image.samples[i] = std::uint8_t((i * 7 + std::size_t(f) * 50) % 256);
        Options options;
        options.clustering.colors = 8 + 8 * f;
        held.frames.push_back({quantize::quantize(image, options).image, 40 + 10 * f});
    }
    held.frames[2] = held.frames[1];  // an unchanged frame: an empty change rectangle
    int asked = 0;
    std::array<IndexedFrame, 2> slots;
    AnimationSource source;
    source.width = held.width;
    source.height = held.height;
    source.count = held.frames.size();
    source.loops = held.loops;
    source.frame = [&](std::size_t i) -> const IndexedFrame& {
        CHECK(i == std::size_t(asked++));  // in order, each once
        slots[i % 2] = held.frames[i];
        return slots[i % 2];
    };
    for (const ImageFormat format : {ImageFormat::gif, ImageFormat::webp}) {
        asked = 0;
        CHECK(encode_animation(source, format, "a") == encode_animation(held, format, "a"));
        CHECK(asked == 4);
    }
    CHECK_THROWS_AS(encode_animation(source, ImageFormat::tiff, "a.tif"), Error);
}

TEST_CASE("an animation's SSIM is measured on every n-th frame, its MSE on every frame",
          "[gif][animation][report]") {
    // 36 frames of 256x256: 2.36 MP, over the 2 MP measured, so every 2nd frame. Even frames
    // are noise, odd ones flat bands: the mean over even frames differs from the mean over all.
    constexpr int kSide = 256, kFrames = 36;
    const std::vector<std::uint8_t> rgb = test::ramp_table(64, 4, 3, 7);
    std::vector<test::GifTestFrame> frames;
    std::uint32_t state = 99;
    for (int f = 0; f < kFrames; ++f) {
        std::vector<std::uint8_t> indices;
        for (int i = 0; i < kSide * kSide; ++i) {
            state = state * 1664525u + 1013904223u;
            indices.push_back(
                std::uint8_t(f % 2 == 0 ? (state >> 24) % 64 : (i % kSide / 4 + f) % 64));
        }
        frames.push_back(test::gif_frame(0, 0, kSide, kSide, indices));
    }
    const auto bytes = test::write_gif(kSide, kSide, rgb, frames, 0);
    Options options;
    options.clustering.colors = 8;
    const EncodedImage encoded =
        quantize_encoded(bytes, "in.gif", ImageFormat::gif, "out.gif", options);
    // The same quantization in memory, measured frame by frame.
    const Animation animation = decode_animation(bytes, "in.gif");
    const QuantizedAnimation q = quantize_animation(animation, options);
    REQUIRE(encoded.report.frames.size() == std::size_t(kFrames));
    double even = 0, all = 0;
    for (std::size_t f = 0; f < std::size_t(kFrames); ++f) {
        const Quality frame =
            measure_quality(animation.frames[f].image, q.animation.frames[f].image);
        INFO("frame " << f);
        CHECK(encoded.report.frames[f].mse == Approx(frame.mse));
        all += frame.ssim / kFrames;
        if (f % 2 == 0)
            even += frame.ssim / (kFrames / 2);
    }
    CHECK(encoded.report.quality.ssim == Approx(even));
    CHECK(encoded.report.quality.ssim != Approx(all));
    // Sizes count every frame: bits a pixel over all of them, uncompressed as all of them.
    const Report& r = encoded.report;
    const double pixels = double(kSide) * kSide * kFrames;
    CHECK(r.baseline_bytes() == std::uint64_t(pixels) * 3);
    CHECK(r.input_bits_per_pixel() == Approx(8.0 * double(bytes.size()) / pixels));
    CHECK(r.output_bits_per_pixel() == Approx(8.0 * double(r.output_bytes) / pixels));
}

TEST_CASE("an animation run that is not measured writes the same file, its quality unmeasured",
          "[gif][animation][report]") {
    // Four frames of 64x64, the third a copy of the second: delays and reuse are reported alike.
    constexpr int kSide = 64;
    const std::vector<std::uint8_t> rgb = test::ramp_table(16, 16, 9, 5);
    std::vector<test::GifTestFrame> frames;
    for (int f = 0; f < 4; ++f) {
        std::vector<std::uint8_t> indices;
        for (int i = 0; i < kSide * kSide; ++i)
            indices.push_back(
                std::uint8_t((i % kSide / 4 + i / kSide / 8 + (f == 2 ? 1 : f)) % 16));
        frames.push_back(test::gif_frame(0, 0, kSide, kSide, indices));
        frames.back().delay_cs = 3 + f;
    }
    const auto bytes = test::write_gif(kSide, kSide, rgb, frames, 0);
    Options measured;
    measured.clustering.colors = 6;
    Options unmeasured = measured;
    unmeasured.running.measure = false;
    const EncodedImage on =
        quantize_encoded(bytes, "in.gif", ImageFormat::gif, "out.gif", measured);
    const EncodedImage off =
        quantize_encoded(bytes, "in.gif", ImageFormat::gif, "out.gif", unmeasured);
    CHECK(on.bytes == off.bytes);
    CHECK(on.report.quality.mse > 0);
    CHECK(off.report.quality.mse == 0);
    CHECK(off.report.quality.delta_e_mean == 0);
    REQUIRE(off.report.frames.size() == 4);
    REQUIRE(on.report.frames.size() == 4);
    for (std::size_t f = 0; f < 4; ++f) {
        INFO("frame " << f);
        CHECK(off.report.frames[f].mse == 0);
        CHECK(off.report.frames[f].delay_ms == 10 * (3 + int(f)));
        CHECK(on.report.frames[f].delay_ms == 10 * (3 + int(f)));
        CHECK(off.report.frames[f].reused == on.report.frames[f].reused);
    }
    CHECK(off.report.frames[2].reused);
}

TEST_CASE("a first frame of disposal previous leaves the transparent canvas from before it",
          "[gif]") {
    // Frame 0 covers the 4x2 canvas opaquely and is then disposed of to the canvas before it
    // (transparent); frame 1 draws one pixel. Browsers show frame 1 clear but for that pixel.
    test::GifTestFrame cover = test::gif_frame(0, 0, 4, 2, std::vector<std::uint8_t>(8, 1));
    cover.disposal = DISPOSE_PREVIOUS;
    const test::GifTestFrame dot = test::gif_frame(1, 1, 1, 1, {0});
    const Animation animation =
        decode_animation(test::write_gif(4, 2, {200, 10, 10, 9, 9, 9}, {cover, dot}), "prev.gif");
    REQUIRE(animation.frames.size() == 2);
    REQUIRE(animation.frames[1].image.channels == 4);
    CHECK(animation.frames[0].image.pixel(0) == Color{9, 9, 9, 255});
    const Image& second = animation.frames[1].image;
    for (std::size_t i = 0; i < 8; ++i)
        CHECK(second.pixel(i) == (i == 5 ? Color{200, 10, 10, 255} : Color{0, 0, 0, 0}));
}
