// Fresh large buffers: transparent huge pages for tables read at random, and whole-image
// buffers populated by every thread before their first use.
#pragma once

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "detail/parallel.hpp"

namespace quantize::detail {

inline constexpr std::size_t kHugePage = std::size_t{2} << 20;  // x86-64 and arm64

// Asks the kernel to back the 2 MiB-aligned part of [data, data + bytes) with huge pages
// (madvise MADV_HUGEPAGE), for a table read at random, where 4 KiB pages cost a TLB miss a
// lookup (the 32 MiB color table of Lab and Oklab remaps: 8% faster on the 12 MP photo). Call
// it before the memory is first touched. A hint only: where the kernel has no huge pages to
// give, nothing changes.
inline void advise_huge_pages(void* data, std::size_t bytes) {
    const auto begin = reinterpret_cast<std::uintptr_t>(data);
    const std::uintptr_t first = (begin + kHugePage - 1) & ~(kHugePage - 1);
    const std::uintptr_t last = (begin + bytes) & ~(kHugePage - 1);
    if (last > first)
        ::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
}

// Has the kernel back [data, data + bytes) with zeroed pages now (madvise MADV_POPULATE_WRITE,
// Linux 5.14), 2 MiB at a time from every thread of the arena: the zeroing that a first touch
// does is most of the cost of a fresh buffer, and one thread did it all. Where the kernel
// cannot, nothing happens and the first touch faults as before.
inline void populate(void* data, std::size_t bytes) {
#ifdef MADV_POPULATE_WRITE
    const auto begin = reinterpret_cast<std::uintptr_t>(data);
    const std::uintptr_t page = begin & ~std::uintptr_t{4095};  // madvise wants page starts
    const std::uintptr_t base = begin & ~(kHugePage - 1);       // chunks 2 MiB-aligned
    for_each_chunk(begin + bytes - base, kHugePage,
                   [&](std::size_t, std::size_t from, std::size_t to) {
                       const std::uintptr_t lo = std::max(base + from, page);
                       ::madvise(reinterpret_cast<void*>(lo), base + to - lo, MADV_POPULATE_WRITE);
                   });
#else
    (void)data;
    (void)bytes;
#endif
}

// Resizes `v` to n value-initialized elements; when that needs new storage of kPopulatedBytes
// or more, the storage is populated in parallel before it is first touched. On 4 KiB pages: buffers
// read in order gain nothing from huge ones, and where a virtual machine hands its freed memory
// back to the host, fresh huge pages cost 2 ms a MiB to fault in, four times 4 KiB ones (12 MP
// photo at K = 256 three seconds after the last run: 10% slower on huge pages; back to back, even).
// Buffers from this size (8 MiB: a 2.8 MP RGB photo) are populated by the arena's threads;
// smaller ones are faulted in by their first touch: handing a few 2 MiB chunks to the other
// thread cost more than it saved (Kodak's 1.2 MB JPEG: 14% of its decode; a 1 MP PNG on two
// threads 8.2 ms against 3.5 ms on one, `bench/run decode`, an AMD EPYC virtual machine).
inline constexpr std::size_t kPopulatedBytes = std::size_t{8} << 20;

template <class T>
void resize_populated(std::vector<T>& v, std::size_t n) {
    if (n > v.capacity() && n * sizeof(T) >= kPopulatedBytes) {
        std::vector<T>().swap(v);
        v.reserve(n);  // allocates without touching
        populate(v.data(), n * sizeof(T));
    }
    v.resize(n);
}

}  // namespace quantize::detail
