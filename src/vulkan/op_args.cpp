// Range checks shared by the ops.
#include "vulkan/op_args.h"

#include "base/error.h"

namespace dsinfer::vulkan {

uint32_t u32(int64_t v, const char* what) {
  if (v < 0 || v > static_cast<int64_t>(UINT32_MAX)) {
    fail(ErrorKind::kInternal, "Vulkan op: {} = {} does not fit 32 bits", what, v);
  }
  return static_cast<uint32_t>(v);
}

void check_rows(const FloatRows& rows, int64_t n_rows, int64_t n, const char* what) {
  if (rows.slice.buffer == nullptr || rows.offset < 0 || n < 0 || n_rows < 0 ||
      (n_rows > 1 && rows.ld < n)) {
    fail(ErrorKind::kInternal, "Vulkan op: {} is not a valid row view", what);
  }
  if (n_rows == 0 || n == 0) return;
  const int64_t last = rows.offset + (n_rows - 1) * rows.ld + n;  // one past, in floats
  if (static_cast<uint64_t>(last) * sizeof(float) > rows.slice.bytes) {
    fail(ErrorKind::kInternal, "Vulkan op: {} [{} x {}, ld {}, offset {}] exceeds its {} bytes",
         what, n_rows, n, rows.ld, rows.offset, rows.slice.bytes);
  }
}

}  // namespace dsinfer::vulkan
