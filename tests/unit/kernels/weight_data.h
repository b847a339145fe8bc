// Random weights and activations for the kernel tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "tensor/dtype.h"
#include "tensor/quant_blocks.h"
#include "tensor/quantize.h"

namespace dsinfer::kernels::testing_data {

using tensor::DType;

inline bool is_float_type(DType t) {
  return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16;
}

inline uint16_t small_half(std::mt19937& rng) {
  // A positive fp16 in [2^-10, 2^-6): sane scales for random blocks.
  std::uniform_int_distribution<int> exp(5, 8), mant(0, 1023);
  return static_cast<uint16_t>((exp(rng) << 10) | mant(rng));
}

// Random valid blocks: random bytes everywhere, then sane fp16 scale fields (where the type's
// row in tensor/dtype.cpp says they sit).
inline std::vector<uint8_t> random_blocks(DType type, int64_t n_in, int64_t n_out,
                                          std::mt19937& rng) {
  const auto& info = tensor::dtype_info(type);
  const size_t row = tensor::row_bytes(info, n_in);
  std::vector<uint8_t> data(row * static_cast<size_t>(n_out));
  std::uniform_int_distribution<int> byte(0, 255);
  for (auto& b : data) b = static_cast<uint8_t>(byte(rng));
  const size_t nblocks = data.size() / info.block_bytes;
  for (size_t k = 0; k < nblocks; ++k) {
    uint8_t* blk = data.data() + k * info.block_bytes;
    for (int f = 0; f < info.half_scales.count; ++f) {
      const uint16_t h = small_half(rng);
      std::memcpy(blk + info.half_scales.offset[f], &h, 2);
    }
    // Quantisers never write the int8 -128 into a Q8_0 block (they round to +-127): keep
    // random blocks within what files hold.
    if (type == DType::kQ8_0) {
      for (size_t i = offsetof(tensor::BlockQ8_0, qs); i < info.block_bytes; ++i) {
        if (blk[i] == 0x80) blk[i] = 0x81;
      }
    }
  }
  return data;
}

inline std::vector<float> random_floats(size_t n, std::mt19937& rng, float scale = 1.0f) {
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

inline std::vector<float> random_floats(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  return random_floats(n, rng, scale);
}

// Weights: float types and half the quantised cases from quantize_row of random floats (what
// model files hold); the other quantised cases are random valid blocks (every bit pattern).
inline std::vector<uint8_t> make_weights(DType type, int64_t n_in, int64_t n_out, bool random_bits,
                                         std::mt19937& rng) {
  if (!is_float_type(type) && random_bits) return random_blocks(type, n_in, n_out, rng);
  const auto f = random_floats(static_cast<size_t>(n_in * n_out), rng, 0.05f);
  std::vector<uint8_t> data(tensor::row_bytes(tensor::dtype_info(type), n_in) *
                            static_cast<size_t>(n_out));
  tensor::quantize_rows(type, f.data(), data.data(), n_out, n_in);
  return data;
}

}  // namespace dsinfer::kernels::testing_data
