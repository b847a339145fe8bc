// Logits comparison helpers shared by the golden and model tests.
#include "support/logits_compare.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <stdexcept>

namespace dsinfer::test {

std::vector<float> read_floats(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<float> v(static_cast<size_t>(in.tellg()) / sizeof(float));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(v.data()),
          static_cast<std::streamsize>(v.size() * sizeof(float)));
  return v;
}

int64_t argmax(const float* row, int64_t n) { return std::max_element(row, row + n) - row; }

double max_abs_diff(const float* a, const float* b, int64_t n) {
  double m = 0;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, std::fabs(double(a[i]) - double(b[i])));
  return m;
}

}  // namespace dsinfer::test
