// exiv2's process-wide state, set once before any use: its XMP toolkit (started lazily, and not
// thread-safely, while batches read files side by side) and its log, which prints what it finds
// wrong in malformed metadata to standard error. This library never prints, and exiv2 keeps
// that switch for the whole process only, so it is muted here; a program that wants exiv2's
// messages can raise Exiv2::LogMsg's level after its first call into quantize.
#pragma once

#include <mutex>

#include <exiv2/exiv2.hpp>

namespace quantize::detail {

inline void use_exiv2() {
    static std::once_flag once;
    std::call_once(once, [] {
        Exiv2::XmpParser::initialize();
        Exiv2::LogMsg::setLevel(Exiv2::LogMsg::mute);
    });
}

}  // namespace quantize::detail
