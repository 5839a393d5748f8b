// EXIF blocks and JPEG files carrying them, for tests: built with exiv2 and OpenCV, so other
// tests can make oriented photos without sample files.
#pragma once

#include <exiv2/exiv2.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace test {

// A TIFF-structured EXIF block (what follows "Exif\0\0") with the orientation tag (1..8; 0 for
// none) and, when not empty, an Artist tag. Little-endian unless big_endian.
inline std::vector<std::uint8_t> exif_block(int orientation, const std::string& artist = {},
                                            bool big_endian = false) {
    Exiv2::ExifData data;
    if (orientation != 0)
        data["Exif.Image.Orientation"] = static_cast<std::uint16_t>(orientation);
    if (!artist.empty())
        data["Exif.Image.Artist"] = artist;
    Exiv2::Blob blob;
    Exiv2::ExifParser::encode(blob, big_endian ? Exiv2::bigEndian : Exiv2::littleEndian, data);
    return {blob.begin(), blob.end()};
}

// The Artist tag of an EXIF block, "" when none.
inline std::string exif_artist(const std::vector<std::uint8_t>& exif) {
    Exiv2::ExifData data;
    Exiv2::ExifParser::decode(data, exif.data(), static_cast<std::uint32_t>(exif.size()));
    const auto it = data.findKey(Exiv2::ExifKey("Exif.Image.Artist"));
    return it == data.end() ? std::string() : it->toString();
}

// A JPEG (quality 100) of `bgr` whose APP1 segment, right after SOI, holds an EXIF block with
// that orientation: what a camera writes. OpenCV's imdecode applies it with IMREAD_COLOR.
inline std::vector<std::uint8_t> jpeg_with_orientation(const cv::Mat& bgr, int orientation) {
    std::vector<std::uint8_t> jpeg;
    if (!cv::imencode(".jpg", bgr, jpeg, {cv::IMWRITE_JPEG_QUALITY, 100}) || jpeg.size() < 2)
        throw std::runtime_error("cannot encode the test JPEG");
    const std::vector<std::uint8_t> tiff = exif_block(orientation);
    const std::size_t length = 2 + 6 + tiff.size();  // the length field counts itself
    if (length > 0xffff)
        throw std::runtime_error("EXIF block too large for one APP1 segment");
    std::vector<std::uint8_t> app1 = {0xff,
                                      0xe1,
                                      static_cast<std::uint8_t>(length >> 8),
                                      static_cast<std::uint8_t>(length & 0xff),
                                      'E',
                                      'x',
                                      'i',
                                      'f',
                                      0,
                                      0};
    app1.insert(app1.end(), tiff.begin(), tiff.end());
    jpeg.insert(jpeg.begin() + 2, app1.begin(), app1.end());  // after SOI (ff d8)
    return jpeg;
}

}  // namespace test
