// Engine settings (one plain struct; the CLI binds each field to --flag and DSINFER_<FLAG>) and
// KV pool sizing: --kv-cache-mem as bytes or a percentage of the memory this process may use,
// --ctx-size defaulting to the model's, capped by the pool.
#pragma once

#include <cstdint>
#include <string>

namespace dsinfer::engine {

struct EngineConfig {
  int64_t ctx_size = 0;              // --ctx-size: max tokens per sequence (0 = model's, capped)
  std::string kv_cache_mem = "20%";  // --kv-cache-mem: "2GiB", "512MB", "1073741824" or "20%"
  int64_t kv_block_size = 16;        // --kv-block-size: tokens per KV block
  int64_t max_batched_tokens = 512;  // --max-batched-tokens: tokens computed per step
  int64_t max_running = 16;          // --max-running: sequences decoding at once
  int64_t max_waiting = 256;         // --max-waiting: queued requests before "overloaded"
  bool prefix_cache = true;          // --prefix-cache / --no-prefix-cache
  std::string device = "cpu";        // --device: cpu, vulkan or vulkan:N (engine/device_select.h)
};

// Parses a memory size: plain bytes, or a number with K/M/G/T (powers of 1000) or KiB/MiB/GiB/TiB
// (powers of 1024) suffix, case-insensitive. Throws Error(kInvalidInput) naming `what`.
int64_t parse_byte_size(const std::string& text, const std::string& what);

// Memory this process may use: the cgroup v2 memory.max (or v1 limit_in_bytes) when set, else
// MemTotal from /proc/meminfo. Throws Error(kInternal) when none can be read.
int64_t process_memory_limit_bytes();

// --kv-cache-mem resolved to bytes: "N%" of `percent_base` when > 0 (a device's memory), else
// of process_memory_limit_bytes().
int64_t resolve_kv_cache_bytes(const std::string& kv_cache_mem, int64_t percent_base = 0);

struct KvSizing {
  int64_t block_size = 0;
  int64_t block_count = 0;
  int64_t ctx_size = 0;
  int64_t pool_bytes = 0;
};

// Sizes the pool: block_count = kv_bytes / (block_size * kv_bytes_per_token); ctx_size =
// config.ctx_size or min(n_ctx_train, pool tokens). Throws Error(kInvalidInput) with the numbers
// when the pool cannot hold one sequence of ctx_size tokens or a setting is out of range.
KvSizing size_kv_pool(const EngineConfig& config, int64_t kv_bytes, int64_t kv_bytes_per_token,
                      int64_t n_ctx_train);

// Checks the scheduler settings (positive budget, limits) and the --device text. Throws
// Error(kInvalidInput).
void validate_engine_config(const EngineConfig& config);

}  // namespace dsinfer::engine
