// The GGUF type table: ids, names, block sizes and bytes agree with the block layouts.
#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "base/error.h"
#include "tensor/dtype.h"
#include "tensor/quant_blocks.h"
#include "tensor/quantize.h"

namespace dsinfer::tensor {
namespace {

TEST(DType, BlockBytesMatchLayouts) {
  EXPECT_EQ(dtype_info(DType::kQ4_0).block_bytes, sizeof(BlockQ4_0));
  EXPECT_EQ(dtype_info(DType::kQ4_1).block_bytes, sizeof(BlockQ4_1));
  EXPECT_EQ(dtype_info(DType::kQ5_0).block_bytes, sizeof(BlockQ5_0));
  EXPECT_EQ(dtype_info(DType::kQ5_1).block_bytes, sizeof(BlockQ5_1));
  EXPECT_EQ(dtype_info(DType::kQ8_0).block_bytes, sizeof(BlockQ8_0));
  EXPECT_EQ(dtype_info(DType::kQ8_1).block_bytes, sizeof(BlockQ8_1));
  EXPECT_EQ(dtype_info(DType::kQ2_K).block_bytes, sizeof(BlockQ2_K));
  EXPECT_EQ(dtype_info(DType::kQ3_K).block_bytes, sizeof(BlockQ3_K));
  EXPECT_EQ(dtype_info(DType::kQ4_K).block_bytes, sizeof(BlockQ4_K));
  EXPECT_EQ(dtype_info(DType::kQ5_K).block_bytes, sizeof(BlockQ5_K));
  EXPECT_EQ(dtype_info(DType::kQ6_K).block_bytes, sizeof(BlockQ6_K));
  EXPECT_EQ(dtype_info(DType::kQ8_K).block_bytes, sizeof(BlockQ8_K));
  EXPECT_EQ(row_bytes(dtype_info(DType::kQ4_K), 4096), 16u * 144u);
  EXPECT_EQ(row_bytes(dtype_info(DType::kBF16), 3), 6u);
}

TEST(DType, IdsNamesAndParsing) {
  int known = 0;
  for (uint32_t id = 0; id < 64; ++id) {
    const DTypeInfo* info = dtype_info(id);
    if (info == nullptr) continue;
    ++known;
    EXPECT_EQ(static_cast<uint32_t>(info->type), id);
    EXPECT_EQ(parse_dtype(info->name), info->type);
    EXPECT_EQ(info->dequantizable(), can_dequantize(info->type)) << info->name;
    EXPECT_EQ(info->quantizable(), can_quantize(info->type)) << info->name;
  }
  EXPECT_EQ(known, 32);
  EXPECT_EQ(dtype_info(4u), nullptr);  // retired Q4_2
  EXPECT_EQ(parse_dtype("q4_k"), DType::kQ4_K);
  EXPECT_EQ(parse_dtype("bf16"), DType::kBF16);
  EXPECT_THROW(parse_dtype("q4_k_m"), Error);
  EXPECT_THROW(dtype_info(static_cast<DType>(5)), Error);
}

// The half_scales of a row name exactly the block's fp16 scale fields: the value of a block is
// linear in them, so doubling every named field (2^-8 -> 2^-7) must double every dequantised
// value exactly; a wrong offset (into the quants) or a missed field breaks that.
TEST(DType, HalfScaleFieldsAreTheBlockScales) {
  std::mt19937 rng(7);
  int checked = 0;
  for (const DTypeInfo& info : dtype_table()) {
    if (info.block_size == 1 || !info.dequantizable()) continue;
    if (info.type == DType::kQ8_K) {  // its d is a float: no fp16 scale
      EXPECT_EQ(info.half_scales.count, 0);
      continue;
    }
    ASSERT_GE(info.half_scales.count, 1) << info.name << " names no fp16 scale field";
    std::vector<uint8_t> block(info.block_bytes);
    for (auto& b : block) b = static_cast<uint8_t>(rng());
    auto set_scales = [&](uint16_t half) {
      for (int f = 0; f < info.half_scales.count; ++f) {
        ASSERT_LE(info.half_scales.offset[f] + 2, info.block_bytes) << info.name;
        std::memcpy(block.data() + info.half_scales.offset[f], &half, 2);
      }
    };
    std::vector<float> once(static_cast<size_t>(info.block_size));
    std::vector<float> twice(once.size());
    set_scales(0x1c00);  // 2^-8
    info.dequantize(block.data(), once.data(), info.block_size);
    set_scales(0x2000);  // 2^-7
    info.dequantize(block.data(), twice.data(), info.block_size);
    bool any_nonzero = false;
    for (size_t i = 0; i < once.size(); ++i) {
      ASSERT_EQ(twice[i], 2.0f * once[i]) << info.name << " element " << i;
      any_nonzero |= once[i] != 0.0f;
    }
    EXPECT_TRUE(any_nonzero) << info.name;
    ++checked;
  }
  EXPECT_EQ(checked, 11);  // Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q8_1 Q2_K Q3_K Q4_K Q5_K Q6_K
}

}  // namespace
}  // namespace dsinfer::tensor
