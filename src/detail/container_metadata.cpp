#include "detail/container_metadata.hpp"

#include "detail/exiv2_setup.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include <webp/demux.h>
#include <webp/mux.h>
#include <exiv2/exiv2.hpp>

namespace quantize::detail {

namespace {

struct MuxFree {
    void operator()(WebPMux* mux) const { WebPMuxDelete(mux); }
};
struct DemuxFree {
    void operator()(WebPDemuxer* demux) const { WebPDemuxDelete(demux); }
};

// WebP through libwebp's own mux API: its ICCP, EXIF and XMP chunks.
Metadata read_webp_metadata(std::span<const std::uint8_t> file) {
    Metadata metadata;
    const WebPData data{file.data(), file.size()};
    const std::unique_ptr<WebPDemuxer, DemuxFree> demux(WebPDemux(&data));
    if (!demux)
        return metadata;
    auto chunk = [&](const char* fourcc) {
        std::vector<std::uint8_t> bytes;
        WebPChunkIterator it;
        if (WebPDemuxGetChunk(demux.get(), fourcc, 1, &it)) {
            bytes.assign(it.chunk.bytes, it.chunk.bytes + it.chunk.size);
            WebPDemuxReleaseChunkIterator(&it);
        }
        return bytes;
    };
    metadata.profile.icc = chunk("ICCP");
    metadata.exif = chunk("EXIF");
    const std::vector<std::uint8_t> xmp = chunk("XMP ");
    metadata.xmp.assign(xmp.begin(), xmp.end());
    return metadata;
}

std::vector<std::uint8_t> write_webp_metadata(std::vector<std::uint8_t> file,
                                              const Metadata& metadata) {
    const WebPData data{file.data(), file.size()};
    const std::unique_ptr<WebPMux, MuxFree> mux(WebPMuxCreate(&data, 0));
    if (!mux)
        throw std::runtime_error("cannot write metadata: libwebp cannot read the image it wrote");
    auto set = [&](const char* fourcc, const std::uint8_t* bytes, std::size_t size) {
        const WebPData chunk{bytes, size};
        if (size > 0 && WebPMuxSetChunk(mux.get(), fourcc, &chunk, 1) != WEBP_MUX_OK)
            throw std::runtime_error(std::string("cannot write the WebP ") + fourcc + " chunk");
    };
    set("ICCP", metadata.profile.icc.data(), metadata.profile.icc.size());
    set("EXIF", metadata.exif.data(), metadata.exif.size());
    set("XMP ", reinterpret_cast<const std::uint8_t*>(metadata.xmp.data()), metadata.xmp.size());
    WebPData assembled{};
    if (WebPMuxAssemble(mux.get(), &assembled) != WEBP_MUX_OK)
        throw std::runtime_error("cannot write metadata: libwebp could not assemble the file");
    std::vector<std::uint8_t> out(assembled.bytes, assembled.bytes + assembled.size);
    WebPDataClear(&assembled);
    return out;
}

bool is_webp_file(std::span<const std::uint8_t> file) {
    return file.size() >= 12 && std::memcmp(file.data(), "RIFF", 4) == 0 &&
           std::memcmp(file.data() + 8, "WEBP", 4) == 0;
}

// The TIFF-structured EXIF block of parsed EXIF data; empty when there is none.
std::vector<std::uint8_t> exif_block(const Exiv2::ExifData& exif) {
    if (exif.empty())
        return {};
    Exiv2::Blob blob;
    Exiv2::ExifParser::encode(blob, Exiv2::littleEndian, exif);
    return {blob.begin(), blob.end()};
}

// Drops from a TIFF's EXIF the directories of its other images: exiv2 reads a TIFF's IFD1 as
// the "Thumbnail" group (as a JPEG's), IFD2 and IFD3 as "Image2" and "Image3", sub-IFDs as
// "SubImage"/"SubThumb" groups. They are pages of their own, not metadata of the first: written
// back with the EXIF, they came back as an extra page of a multi-page TIFF output (7 of 6).
void drop_other_tiff_images(Exiv2::ExifData& exif) {
    auto other_image = [](const std::string& group) {
        return group == "Thumbnail" || (group.rfind("Image", 0) == 0 && group != "Image") ||
               group.rfind("SubImage", 0) == 0 || group.rfind("SubThumb", 0) == 0;
    };
    for (auto it = exif.begin(); it != exif.end();)
        it = other_image(it->groupName()) ? exif.erase(it) : std::next(it);
}

}  // namespace

Metadata read_container_metadata(std::span<const std::uint8_t> file) {
    if (is_webp_file(file))
        return read_webp_metadata(file);
    use_exiv2();
    Metadata metadata;
    try {
        // auto: exiv2 0.27 returns std::auto_ptr, whose name clang flags as deprecated.
        const auto image = Exiv2::ImageFactory::open(file.data(), long(file.size()));
        if (!image.get())
            return metadata;
        image->readMetadata();
        if (image->imageType() == Exiv2::ImageType::tiff)
            drop_other_tiff_images(image->exifData());
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
    if (is_webp_file(file))
        return write_webp_metadata(std::move(file), metadata);
    use_exiv2();
    try {
        // auto: exiv2 0.27 returns std::auto_ptr, whose name clang flags as deprecated.
        const auto image = Exiv2::ImageFactory::open(file.data(), long(file.size()));
        if (!image.get())
            throw std::runtime_error("exiv2 does not know this format");
        // Each kind where the format keeps it (WebP has no comment, TIFF no XMP packet in
        // exiv2's writer, ...).
        if (!metadata.exif.empty() && image->supportsMetadata(Exiv2::mdExif)) {
            Exiv2::ExifData exif;
            Exiv2::ExifParser::decode(exif, metadata.exif.data(),
                                      std::uint32_t(metadata.exif.size()));
            image->setExifData(exif);
        }
        if (!metadata.xmp.empty() && image->supportsMetadata(Exiv2::mdXmp)) {
            image->setXmpPacket(metadata.xmp);
            image->writeXmpFromPacket(true);
        }
        if (!metadata.profile.icc.empty()) {  // exiv2 does not list it, but JPEG and TIFF keep it
            Exiv2::DataBuf icc(metadata.profile.icc.data(), long(metadata.profile.icc.size()));
            image->setIccProfile(icc, false);
        }
        if (comment != metadata.text.end() && image->supportsMetadata(Exiv2::mdComment))
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
