// A libspng context that frees itself.
#pragma once

#include <memory>

#include <spng.h>

namespace quantize::detail {

struct SpngFree {
    void operator()(spng_ctx* ctx) const { spng_ctx_free(ctx); }
};
using SpngContext = std::unique_ptr<spng_ctx, SpngFree>;

}  // namespace quantize::detail
