// Test helpers for comparing logits: reading a raw float32 file, greedy argmax, max |a - b|.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dsinfer::test {

// Little-endian float32 values of a whole file; throws std::runtime_error if it cannot be read.
std::vector<float> read_floats(const std::string& path);
// Index of the first maximum (ties -> lowest id, as the reference's greedy sampling).
int64_t argmax(const float* row, int64_t n);
// max_i |a[i] - b[i]|, computed in double.
double max_abs_diff(const float* a, const float* b, int64_t n);

}  // namespace dsinfer::test
