// Deterministic parallel loops: work is cut into chunks whose bounds depend only on the problem
// size, never on the thread count, and per-chunk results are combined in chunk order. This is
// what makes output byte-identical with 1 or N threads.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

namespace quantize::detail {

inline std::size_t chunk_count(std::size_t n, std::size_t chunk) {
    return (n + chunk - 1) / chunk;
}

// Calls body(chunk_index, begin, end) for every chunk [begin, end) of [0, n), in parallel.
template <class Body>
void for_each_chunk(std::size_t n, std::size_t chunk, Body&& body) {
    const std::size_t chunks = chunk_count(n, chunk);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, chunks, 1),
                      [&](const tbb::blocked_range<std::size_t>& r) {
                          for (std::size_t c = r.begin(); c != r.end(); ++c) {
                              body(c, c * chunk, std::min(n, (c + 1) * chunk));
                          }
                      });
}

// Runs partial = body(begin, end) on every chunk in parallel and returns the partials in chunk
// order, for the caller to combine sequentially.
template <class T, class Body>
std::vector<T> map_chunks(std::size_t n, std::size_t chunk, Body&& body) {
    std::vector<T> partials(chunk_count(n, chunk));
    for_each_chunk(n, chunk, [&](std::size_t c, std::size_t begin, std::size_t end) {
        partials[c] = body(begin, end);
    });
    return partials;
}

}  // namespace quantize::detail
