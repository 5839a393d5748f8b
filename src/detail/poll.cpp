#include "detail/poll.hpp"

#include "quantize/error.hpp"

namespace quantize::detail {

void Poll::ask() const {
    if (!stopped_.load(std::memory_order_relaxed)) {
        const std::lock_guard lock(one_call_at_a_time_);
        if (!stopped_.load(std::memory_order_relaxed) && !(*progress_)(stage_))
            stopped_.store(true, std::memory_order_relaxed);
    }
    if (stopped_.load(std::memory_order_relaxed))
        throw Error(ErrorKind::cancelled, stage_name(stage_), "cancelled");
}

}  // namespace quantize::detail
