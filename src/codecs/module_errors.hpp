// Errors of a decoder module as its C interface gives them (src/codecs/decoder_module.hpp): a
// message valid until the calling thread's next call, and no exception out of the module.
#pragma once

#include <exception>
#include <new>
#include <string>

namespace quantize_module {

// The thread's last message; one per module (each is its own shared library).
inline thread_local std::string last_error;

inline const char* failure(const std::string& message) {
    last_error = message;
    return last_error.c_str();
}

// decode(), its exceptions turned into messages.
template <class Decode>
const char* guarded(Decode&& decode) noexcept {
    try {
        return decode();
    } catch (const std::bad_alloc&) {
        return failure("out of memory");
    } catch (const std::exception& e) {
        return failure(e.what());
    } catch (...) {
        return failure("unknown error");
    }
}

}  // namespace quantize_module
