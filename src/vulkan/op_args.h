// Helpers the op files share: 32-bit push-constant values with range checks, and extent checks
// of row views against their buffers (a failure is a caller's bug: Error(kInternal)).
#pragma once

#include <cstdint>

#include "vulkan/device_buffer.h"

namespace dsinfer::vulkan {

// `v` as a push-constant word; throws Error(kInternal) naming `what` when it does not fit.
uint32_t u32(int64_t v, const char* what);

// Throws Error(kInternal) unless rows [0, n_rows) of n elements fit inside rows.slice.
void check_rows(const FloatRows& rows, int64_t n_rows, int64_t n, const char* what);

// Ceiling division for group counts.
inline uint32_t groups(int64_t n, int64_t per) { return u32((n + per - 1) / per, "group count"); }

}  // namespace dsinfer::vulkan
