// Large buffers on transparent huge pages. A 12 MP image's pixels fill ~9,000 pages of 4 KiB
// but ~20 of 2 MiB, and on a virtual machine every page fault costs microseconds: for the
// buffers that hold whole images, fewer faults are a measurable share of the run.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace quantize::detail {

inline constexpr std::size_t kHugePage = std::size_t{2} << 20;  // x86-64 and arm64

// Asks the kernel to back the 2 MiB-aligned part of [data, data + bytes) with huge pages
// (madvise MADV_HUGEPAGE). Call it before the memory is first touched. A hint only: where the
// kernel has no huge pages to give, nothing changes.
inline void advise_huge_pages(void* data, std::size_t bytes) {
    const auto begin = reinterpret_cast<std::uintptr_t>(data);
    const std::uintptr_t first = (begin + kHugePage - 1) & ~(kHugePage - 1);
    const std::uintptr_t last = (begin + bytes) & ~(kHugePage - 1);
    if (last > first)
        ::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
}

// Resizes `v` to n value-initialized elements; when that needs new storage, the storage is
// advised onto huge pages before it is first touched.
template <class T>
void resize_on_huge_pages(std::vector<T>& v, std::size_t n) {
    if (n > v.capacity()) {
        std::vector<T>().swap(v);
        v.reserve(n);  // allocates without touching
        advise_huge_pages(v.data(), n * sizeof(T));
    }
    v.resize(n);
}

}  // namespace quantize::detail
