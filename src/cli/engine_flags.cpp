// Engine flags: one declaration per EngineConfig field (flag, env var, default, help).
#include "cli/engine_flags.h"

namespace dsinfer::cli {

void add_engine_flags(CLI::App* cmd, engine::EngineConfig& c) {
  cmd->add_option("--ctx-size", c.ctx_size,
                  "Max tokens per sequence (0 = the model's context length, capped by the KV pool)")
      ->envname("DSINFER_CTX_SIZE")
      ->capture_default_str();
  cmd->add_option("--kv-cache-mem", c.kv_cache_mem,
                  "KV cache memory: bytes (2GiB, 512MB) or a percentage of the memory this "
                  "process may use (cgroup limit in a pod, else MemTotal), e.g. 20%")
      ->envname("DSINFER_KV_CACHE_MEM")
      ->capture_default_str();
  cmd->add_option("--kv-block-size", c.kv_block_size, "Tokens per KV block")
      ->envname("DSINFER_KV_BLOCK_SIZE")
      ->capture_default_str();
  cmd->add_option("--max-batched-tokens", c.max_batched_tokens,
                  "Tokens computed per engine step (decode tokens first, then prefill chunks)")
      ->envname("DSINFER_MAX_BATCHED_TOKENS")
      ->capture_default_str();
  cmd->add_option("--max-running", c.max_running, "Sequences decoding at once")
      ->envname("DSINFER_MAX_RUNNING")
      ->capture_default_str();
  cmd->add_option("--max-waiting", c.max_waiting,
                  "Queued requests beyond which submissions fail as overloaded")
      ->envname("DSINFER_MAX_WAITING")
      ->capture_default_str();
  cmd->add_flag("!--no-prefix-cache", c.prefix_cache, "Disable reuse of cached prompt prefixes")
      ->envname("DSINFER_NO_PREFIX_CACHE");
}

}  // namespace dsinfer::cli
