// Engine flags: one add_setting declaration per EngineConfig field (flag, DSINFER_* env var, YAML
// key, default and help together; values are validated by validate_engine_config before a load).
#include "cli/engine_flags.h"

#include "cli/config_yaml.h"

namespace dsinfer::cli {

void add_engine_flags(CLI::App* cmd, engine::EngineConfig& c) {
  add_setting(cmd, "ctx-size", c.ctx_size,
              "Max tokens per sequence (0 = the model's context length, capped by the KV pool)");
  add_setting(cmd, "kv-cache-mem", c.kv_cache_mem,
              "KV cache memory: bytes (2GiB, 512MB) or a percentage of the memory this process "
              "may use (cgroup limit in a pod, else MemTotal; with --device vulkan[:N] of the "
              "device's memory), e.g. 20%");
  add_setting(cmd, "kv-block-size", c.kv_block_size, "Tokens per KV block");
  add_setting(cmd, "max-batched-tokens", c.max_batched_tokens,
              "Tokens computed per engine step (decode tokens first, then prefill chunks)");
  add_setting(cmd, "max-running", c.max_running, "Sequences decoding at once");
  add_setting(cmd, "max-waiting", c.max_waiting,
              "Queued requests beyond which submissions fail as overloaded");
  add_setting(cmd, "prefix-cache", c.prefix_cache,
              "Reuse cached prompt prefixes (--no-prefix-cache disables it)");
  add_device_flag(cmd, c.device);
}

void add_device_flag(CLI::App* cmd, std::string& device) {
  add_setting(cmd, "device", device,
              "Where the model runs: cpu, vulkan or vulkan:N (a device `dsinfer --version` lists; "
              "the Vulkan backend runs llama, qwen2 and deepseek2 models)");
}

}  // namespace dsinfer::cli
