// Sizing: memory-size parsing, percentages, KV pool sizing and its start-up error.
#include "engine/engine_config.h"

#include <gtest/gtest.h>

#include "base/error.h"

namespace dsinfer::engine {
namespace {

TEST(EngineConfig, ParsesByteSizes) {
  EXPECT_EQ(parse_byte_size("1024", "x"), 1024);
  EXPECT_EQ(parse_byte_size("2GiB", "x"), 2LL << 30);
  EXPECT_EQ(parse_byte_size("512mb", "x"), 512000000);
  EXPECT_EQ(parse_byte_size("1.5G", "x"), 1500000000);
  EXPECT_EQ(parse_byte_size(" 3 KiB ", "x"), 3072);
  EXPECT_THROW(parse_byte_size("", "x"), Error);
  EXPECT_THROW(parse_byte_size("12 parsecs", "x"), Error);
  EXPECT_THROW(parse_byte_size("-5", "x"), Error);
}

TEST(EngineConfig, PercentOfProcessMemory) {
  const int64_t limit = process_memory_limit_bytes();
  EXPECT_GT(limit, 0);
  const int64_t ten = resolve_kv_cache_bytes("10%");
  EXPECT_NEAR(static_cast<double>(ten), static_cast<double>(limit) / 10, 2.0);
  EXPECT_THROW(resolve_kv_cache_bytes("0%"), Error);
  EXPECT_THROW(resolve_kv_cache_bytes("150%"), Error);
  EXPECT_EQ(resolve_kv_cache_bytes("1MiB"), 1 << 20);
}

// With a device, a percentage is of the device's memory; bytes stay bytes.
TEST(EngineConfig, PercentOfDeviceMemory) {
  const int64_t gpu = int64_t{80} << 30;
  EXPECT_EQ(resolve_kv_cache_bytes("25%", gpu), int64_t{20} << 30);
  EXPECT_EQ(resolve_kv_cache_bytes("1MiB", gpu), 1 << 20);
  EXPECT_THROW(resolve_kv_cache_bytes("101%", gpu), Error);
}

TEST(EngineConfig, SizesPool) {
  EngineConfig c;
  c.kv_block_size = 16;
  // 1 MiB / (16 tokens * 1024 B) = 64 blocks = 1024 tokens.
  auto s = size_kv_pool(c, 1 << 20, 1024, 4096);
  EXPECT_EQ(s.block_count, 64);
  EXPECT_EQ(s.ctx_size, 1024);  // model's 4096 capped by the pool
  s = size_kv_pool(c, 1 << 20, 1024, 512);
  EXPECT_EQ(s.ctx_size, 512);
  c.ctx_size = 2048;
  try {
    size_kv_pool(c, 1 << 20, 1024, 4096);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("2048"), std::string::npos) << msg;
    EXPECT_NE(msg.find("1024 tokens"), std::string::npos) << msg;
  }
  c.ctx_size = 0;
  c.max_running = 0;
  EXPECT_THROW(size_kv_pool(c, 1 << 20, 1024, 4096), Error);
}

}  // namespace
}  // namespace dsinfer::engine
