// Anonymous memory for long-lived data that is streamed in full again and again (packed weights):
// 2 MiB-aligned and asked for transparent huge pages before anything touches it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace dsinfer {

inline constexpr size_t kHugePageBytes = size_t{1} << 21;

struct HugeFree {
  void operator()(uint8_t* p) const;
};
using HugeBuffer = std::unique_ptr<uint8_t[], HugeFree>;

// `bytes` of uninitialised memory at a 2 MiB boundary; its whole 2 MiB pages are advised
// MADV_HUGEPAGE, so the faults of the first writes map huge pages where the kernel has them (THP
// "always" or "madvise"; otherwise, or with no free 2 MiB frames, plain pages). With 4 KiB pages
// a full pass over the data costs a TLB miss per page (a two-level walk under virtualisation)
// and restarts the hardware prefetcher at every page boundary. Throws std::bad_alloc.
HugeBuffer allocate_huge_backed(size_t bytes);

}  // namespace dsinfer
