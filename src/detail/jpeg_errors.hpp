// libjpeg's errors for the JPEG decoder and encoder: libjpeg's default handler prints and calls
// exit(), and a C++ exception must not unwind through libjpeg's C frames, so a fatal error
// keeps its message and jumps back (longjmp) to the step that called libjpeg.
#pragma once

#include <csetjmp>
#include <cstdio>
#include <cstring>

// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>
// After jpeglib.h: the message codes (JWRN_EXTRANEOUS_DATA).
#include <jerror.h>

namespace quantize::detail {

// libjpeg's error manager with where to jump back to. Standard layout, `pub` first: libjpeg
// holds a jpeg_error_mgr* to it.
struct JpegErrorManager {
    jpeg_error_mgr pub;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    bool warning;
    // The first warning decoding went on after, "" when none: no allocation inside libjpeg.
    char passed_over[JMSG_LENGTH_MAX];
};

inline JpegErrorManager& jpeg_manager_of(j_common_ptr cinfo) {
    return *reinterpret_cast<JpegErrorManager*>(cinfo->err);
}

// A fatal error: libjpeg's default would print and exit(); we keep the message and jump back
// to the step that called libjpeg.
inline void on_jpeg_error_exit(j_common_ptr cinfo) {
    JpegErrorManager& errors = jpeg_manager_of(cinfo);
    (*cinfo->err->format_message)(cinfo, errors.message);
    errors.warning = false;
    std::longjmp(errors.jump, 1);
}

// Trace messages (level >= 0) are dropped: the library never prints. A warning (level -1) is
// corrupt or missing data that libjpeg would paper over with gray, so the file is an error:
// stop at the first one. Except bytes skipped before a marker ("Corrupt JPEG data: N extraneous
// bytes before marker 0xd9"), which every scan's data was read before: kept as the image's
// warning, decoding goes on (as OpenCV, ImageMagick and Pillow decode such files; some cameras
// write them).
inline void on_jpeg_message(j_common_ptr cinfo, int level) {
    if (level >= 0)
        return;
    JpegErrorManager& errors = jpeg_manager_of(cinfo);
    ++cinfo->err->num_warnings;
    (*cinfo->err->format_message)(cinfo, errors.message);
    if (cinfo->err->msg_code == JWRN_EXTRANEOUS_DATA) {
        if (errors.passed_over[0] == 0)  // the first: a damaged file may repeat it per marker
            std::memcpy(errors.passed_over, errors.message, sizeof errors.message);
        return;
    }
    errors.warning = true;
    std::longjmp(errors.jump, 1);
}

// Points `pub` of `errors` at the handlers above; returns what cinfo.err takes.
inline jpeg_error_mgr* jpeg_error_handlers(JpegErrorManager& errors) {
    jpeg_error_mgr* pub = jpeg_std_error(&errors.pub);
    errors.pub.error_exit = on_jpeg_error_exit;
    errors.pub.emit_message = on_jpeg_message;
    return pub;
}

// Runs `step` (calls into libjpeg, and code whose locals all have trivial destructors: a
// longjmp skips them); false when libjpeg jumped out of it.
template <class Step>
bool jpeg_guarded(JpegErrorManager& errors, Step&& step) {
    if (setjmp(errors.jump) != 0)
        return false;
    step();
    return true;
}

}  // namespace quantize::detail
