// The GGUF type table: ids, names, block sizes and bytes agree with the block layouts.
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

}  // namespace
}  // namespace dsinfer::tensor
