#include "detail/container_metadata.hpp"

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <string>

#include <exiv2/exiv2.hpp>

namespace quantize::detail {

namespace {

// exiv2 starts its XMP toolkit lazily, and not thread-safely; batches read files side by side.
void initialize_exiv2() {
    static std::once_flag once;
    std::call_once(once, [] { Exiv2::XmpParser::initialize(); });
}

// The TIFF-structured EXIF block of parsed EXIF data; empty when there is none.
std::vector<std::uint8_t> exif_block(const Exiv2::ExifData& exif) {
    if (exif.empty())
        return {};
    Exiv2::Blob blob;
    Exiv2::ExifParser::encode(blob, Exiv2::littleEndian, exif);
    return {blob.begin(), blob.end()};
}

}  // namespace

Metadata read_container_metadata(std::span<const std::uint8_t> file) {
    initialize_exiv2();
    Metadata metadata;
    try {
        Exiv2::Image::AutoPtr image = Exiv2::ImageFactory::open(file.data(), long(file.size()));
        if (!image.get())
            return metadata;
        image->readMetadata();
        metadata.exif = exif_block(image->exifData());
        metadata.xmp = image->xmpPacket();
        if (image->iccProfileDefined()) {
            const Exiv2::DataBuf* icc = image->iccProfile();
            metadata.profile.icc.assign(icc->pData_, icc->pData_ + icc->size_);
        }
        if (const std::string comment = image->comment(); !comment.empty())
            metadata.text.push_back(TextEntry{"Comment", comment, false, false, {}, {}});
    } catch (const Exiv2::AnyError&) {
        return {};  // no metadata is better than a file refused for its metadata
    }
    return metadata;
}

std::vector<std::uint8_t> write_container_metadata(std::vector<std::uint8_t> file,
                                                   const Metadata& metadata) {
    const auto comment =
        std::find_if(metadata.text.begin(), metadata.text.end(),
                     [](const TextEntry& entry) { return entry.keyword == "Comment"; });
    if (metadata.exif.empty() && metadata.xmp.empty() && metadata.profile.icc.empty() &&
        comment == metadata.text.end())
        return file;
    initialize_exiv2();
    try {
        Exiv2::Image::AutoPtr image = Exiv2::ImageFactory::open(file.data(), long(file.size()));
        if (!image.get())
            throw std::runtime_error("exiv2 does not know this format");
        if (!metadata.exif.empty()) {
            Exiv2::ExifData exif;
            Exiv2::ExifParser::decode(exif, metadata.exif.data(),
                                      std::uint32_t(metadata.exif.size()));
            image->setExifData(exif);
        }
        if (!metadata.xmp.empty()) {
            image->setXmpPacket(metadata.xmp);
            image->writeXmpFromPacket(true);
        }
        if (!metadata.profile.icc.empty()) {
            Exiv2::DataBuf icc(metadata.profile.icc.data(), long(metadata.profile.icc.size()));
            image->setIccProfile(icc, false);
        }
        if (comment != metadata.text.end())
            image->setComment(comment->text);
        image->writeMetadata();
        Exiv2::BasicIo& io = image->io();
        io.seek(0, Exiv2::BasicIo::beg);
        const Exiv2::DataBuf written = io.read(long(io.size()));
        return {written.pData_, written.pData_ + written.size_};
    } catch (const Exiv2::AnyError& e) {
        throw std::runtime_error(std::string("cannot write metadata: ") + e.what());
    }
}

}  // namespace quantize::detail
