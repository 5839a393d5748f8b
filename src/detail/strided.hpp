#pragma once

// Every n-th entry of a list: the even spread over a training set (in Morton order, so over
// the colors) that the restarts' scouting and --quality's K search train on.

#include <cstddef>
#include <span>
#include <vector>

namespace quantize::detail {

// items[0], items[stride], items[2 * stride], ...; stride >= 1.
template <class T>
std::vector<T> every_nth(std::span<const T> items, std::size_t stride) {
    std::vector<T> some;
    some.reserve((items.size() + stride - 1) / stride);
    for (std::size_t i = 0; i < items.size(); i += stride)
        some.push_back(items[i]);
    return some;
}

}  // namespace quantize::detail
