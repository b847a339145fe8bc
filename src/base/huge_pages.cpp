// allocate_huge_backed: aligned operator new + madvise(MADV_HUGEPAGE).
#include "base/huge_pages.h"

#include <sys/mman.h>

#include <new>

namespace dsinfer {

void HugeFree::operator()(uint8_t* p) const {
  ::operator delete[](p, std::align_val_t{kHugePageBytes});
}

HugeBuffer allocate_huge_backed(size_t bytes) {
  HugeBuffer data(static_cast<uint8_t*>(::operator new[](bytes, std::align_val_t{kHugePageBytes})));
  const size_t whole = bytes & ~(kHugePageBytes - 1);
  if (whole > 0) ::madvise(data.get(), whole, MADV_HUGEPAGE);  // best effort
  return data;
}

}  // namespace dsinfer
