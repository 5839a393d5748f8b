#include "quantize/orientation.hpp"

#include <exiv2/exiv2.hpp>
#include <opencv2/core.hpp>

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>

#include "detail/exiv2_setup.hpp"
#include "quantize/error.hpp"

namespace quantize {
namespace detail {
namespace {

constexpr const char* orientation_key = "Exif.Image.Orientation";

// The TIFF structure of an EXIF block: without the "Exif\0\0" of a JPEG APP1 if one is there
// (some PNG eXIf writers keep it).
std::span<const std::uint8_t> tiff_part(std::span<const std::uint8_t> exif) {
    static constexpr std::uint8_t prefix[6] = {'E', 'x', 'i', 'f', 0, 0};
    if (exif.size() >= 6 && std::memcmp(exif.data(), prefix, 6) == 0)
        return exif.subspan(6);
    return exif;
}

void check_orientation(int orientation) {
    if (orientation < 1 || orientation > 8) {
        throw Error(ErrorKind::invalid_argument, "orientation",
                    "EXIF orientation must be 1..8, not " + std::to_string(orientation));
    }
}

// Decodes `tiff` into `data`; the byte order it was in. Throws what exiv2 throws.
Exiv2::ByteOrder decode(Exiv2::ExifData& data, std::span<const std::uint8_t> tiff) {
    use_exiv2();
    if (tiff.size() > std::numeric_limits<std::uint32_t>::max())
        throw std::length_error("EXIF block over 4 GiB");
    return Exiv2::ExifParser::decode(data, tiff.data(), static_cast<std::uint32_t>(tiff.size()));
}

}  // namespace
}  // namespace detail

int exif_orientation(std::span<const std::uint8_t> exif) {
    const std::span<const std::uint8_t> tiff = detail::tiff_part(exif);
    if (tiff.empty())
        return 1;
    try {
        Exiv2::ExifData data;
        detail::decode(data, tiff);
        const auto it = data.findKey(Exiv2::ExifKey(detail::orientation_key));
        if (it == data.end() || it->count() == 0)
            return 1;
        const long value = it->toLong(0);
        return value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const Exiv2::AnyError&) {
        return 1;
    } catch (const std::exception&) {  // exiv2 also lets std::out_of_range and the like out
        return 1;
    }
}

std::vector<std::uint8_t> exif_with_orientation(std::span<const std::uint8_t> exif,
                                                int orientation) {
    detail::check_orientation(orientation);
    const std::span<const std::uint8_t> tiff = detail::tiff_part(exif);
    try {
        Exiv2::ExifData data;
        Exiv2::ByteOrder order = Exiv2::littleEndian;
        if (!tiff.empty())
            order = detail::decode(data, tiff);
        data[detail::orientation_key] = static_cast<std::uint16_t>(orientation);
        // exiv2 first tries to patch a copy of the block in place (non-intrusive: maker notes
        // and offsets it does not understand stay as they were), and rewrites the whole
        // structure only when it must; `blob` is empty in the first case.
        std::vector<std::uint8_t> copy(tiff.begin(), tiff.end());
        Exiv2::Blob blob;
        const Exiv2::WriteMethod method =
            Exiv2::ExifParser::encode(blob, copy.empty() ? nullptr : copy.data(),
                                      static_cast<std::uint32_t>(copy.size()), order, data);
        if (method == Exiv2::wmNonIntrusive && blob.empty())
            return copy;
        return {blob.begin(), blob.end()};
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const Exiv2::AnyError&) {
        return {};
    } catch (const std::exception&) {  // as in exif_orientation
        return {};
    }
}

void apply_orientation(Image& image, int orientation) {
    detail::check_orientation(orientation);
    if (orientation == 1 || image.pixel_count() == 0)
        return;
    // cv::Mat views the samples without copying; every operation writes a new matrix.
    const cv::Mat stored(image.height, image.width, CV_8UC(image.channels), image.samples.data());
    cv::Mat upright;
    switch (orientation) {
        case 2:
            cv::flip(stored, upright, 1);
            break;  // around the vertical axis
        case 3:
            cv::rotate(stored, upright, cv::ROTATE_180);
            break;
        case 4:
            cv::flip(stored, upright, 0);
            break;  // around the horizontal axis
        case 5:
            cv::transpose(stored, upright);
            break;
        case 6:
            cv::rotate(stored, upright, cv::ROTATE_90_CLOCKWISE);
            break;
        case 7: {
            cv::Mat transposed;
            cv::transpose(stored, transposed);
            cv::flip(transposed, upright, -1);  // transpose, then rotate 180
            break;
        }
        case 8:
            cv::rotate(stored, upright, cv::ROTATE_90_COUNTERCLOCKWISE);
            break;
    }
    CV_Assert(upright.isContinuous());
    image.width = upright.cols;
    image.height = upright.rows;
    std::memcpy(image.samples.data(), upright.data, image.samples.size());
}

}  // namespace quantize
