// Engine settings validation and KV pool sizing from memory limits.
#include "engine/engine_config.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>

#include "base/error.h"
#include "engine/device_select.h"

namespace dsinfer::engine {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::optional<int64_t> read_int_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string word;
  in >> word;
  if (word.empty() || word == "max") return std::nullopt;
  try {
    size_t used = 0;
    const long long v = std::stoll(word, &used);
    if (used != word.size() || v <= 0) return std::nullopt;
    return static_cast<int64_t>(v);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

int64_t parse_byte_size(const std::string& text, const std::string& what) {
  std::string s = lower(text);
  s.erase(std::remove_if(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); }),
          s.end());
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  const std::string number = s.substr(0, i);
  const std::string unit = s.substr(i);
  double value = 0;
  try {
    size_t used = 0;
    value = number.empty() ? -1 : std::stod(number, &used);
    if (used != number.size()) value = -1;
  } catch (const std::exception&) {
    value = -1;
  }
  double mult = 0;
  static const std::pair<const char*, double> kUnits[] = {{"", 1},
                                                          {"b", 1},
                                                          {"k", 1e3},
                                                          {"kb", 1e3},
                                                          {"m", 1e6},
                                                          {"mb", 1e6},
                                                          {"g", 1e9},
                                                          {"gb", 1e9},
                                                          {"t", 1e12},
                                                          {"tb", 1e12},
                                                          {"kib", 1024.0},
                                                          {"mib", 1048576.0},
                                                          {"gib", 1073741824.0},
                                                          {"tib", 1099511627776.0},
                                                          {"ki", 1024.0},
                                                          {"mi", 1048576.0},
                                                          {"gi", 1073741824.0},
                                                          {"ti", 1099511627776.0}};
  for (const auto& [name, m] : kUnits) {
    if (unit == name) mult = m;
  }
  if (value < 0 || mult == 0 || !std::isfinite(value * mult) || value * mult > 9.0e18) {
    fail(ErrorKind::kInvalidInput,
         "{}: '{}' is not a memory size (examples: 2GiB, 512MB, 1073741824, 20%)", what, text);
  }
  return static_cast<int64_t>(value * mult);
}

int64_t process_memory_limit_bytes() {
  int64_t total = 0;
  std::ifstream meminfo("/proc/meminfo");
  std::string line;
  while (std::getline(meminfo, line)) {
    if (line.rfind("MemTotal:", 0) == 0) {
      std::istringstream ls(line.substr(9));
      int64_t kib = 0;
      ls >> kib;
      total = kib * 1024;
    }
  }
  // cgroup v2, then v1 (an unlimited v1 cgroup reports a huge number: keep MemTotal then).
  for (const char* path :
       {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    if (auto limit = read_int_file(path)) {
      if (total == 0 || *limit < total) return *limit;
      return total;
    }
  }
  if (total <= 0) fail(ErrorKind::kInternal, "cannot read the memory limit (/proc/meminfo)");
  return total;
}

int64_t resolve_kv_cache_bytes(const std::string& kv_cache_mem, int64_t percent_base) {
  std::string s = kv_cache_mem;
  s.erase(std::remove_if(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); }),
          s.end());
  if (!s.empty() && s.back() == '%') {
    double pct = -1;
    try {
      size_t used = 0;
      pct = std::stod(s.substr(0, s.size() - 1), &used);
      if (used != s.size() - 1) pct = -1;
    } catch (const std::exception&) {
      pct = -1;
    }
    if (!(pct > 0 && pct <= 100)) {
      fail(ErrorKind::kInvalidInput, "--kv-cache-mem: '{}' must be a percentage in (0, 100]",
           kv_cache_mem);
    }
    const int64_t base = percent_base > 0 ? percent_base : process_memory_limit_bytes();
    return static_cast<int64_t>(static_cast<double>(base) * pct / 100.0);
  }
  return parse_byte_size(kv_cache_mem, "--kv-cache-mem");
}

void validate_engine_config(const EngineConfig& c) {
  if (c.kv_block_size < 1 || c.kv_block_size > 4096) {
    fail(ErrorKind::kInvalidInput, "--kv-block-size must be in [1, 4096], got {}", c.kv_block_size);
  }
  if (c.ctx_size < 0) fail(ErrorKind::kInvalidInput, "--ctx-size must be >= 0, got {}", c.ctx_size);
  if (c.max_batched_tokens < 1) {
    fail(ErrorKind::kInvalidInput, "--max-batched-tokens must be >= 1, got {}",
         c.max_batched_tokens);
  }
  if (c.max_running < 1) {
    fail(ErrorKind::kInvalidInput, "--max-running must be >= 1, got {}", c.max_running);
  }
  if (c.max_waiting < 0) {
    fail(ErrorKind::kInvalidInput, "--max-waiting must be >= 0, got {}", c.max_waiting);
  }
  parse_device(c.device);
}

KvSizing size_kv_pool(const EngineConfig& config, int64_t kv_bytes, int64_t kv_bytes_per_token,
                      int64_t n_ctx_train) {
  validate_engine_config(config);
  if (kv_bytes_per_token <= 0) {
    fail(ErrorKind::kInternal, "KV bytes per token must be > 0, got {}", kv_bytes_per_token);
  }
  KvSizing s;
  s.block_size = config.kv_block_size;
  const int64_t block_bytes = s.block_size * kv_bytes_per_token;
  s.block_count = std::min<int64_t>(kv_bytes / block_bytes, INT32_MAX);
  s.pool_bytes = s.block_count * block_bytes;
  const int64_t pool_tokens = s.block_count * s.block_size;
  if (config.ctx_size > 0) {
    s.ctx_size = config.ctx_size;
  } else {
    s.ctx_size = std::min(n_ctx_train > 0 ? n_ctx_train : pool_tokens, pool_tokens);
  }
  if (s.ctx_size < 1 || s.ctx_size > pool_tokens) {
    fail(ErrorKind::kInvalidInput,
         "the KV cache cannot hold one sequence of --ctx-size {} tokens: --kv-cache-mem gives {} "
         "bytes = {} blocks of {} tokens ({} tokens, {} bytes per token); raise --kv-cache-mem to "
         "at least {} bytes or lower --ctx-size",
         std::max<int64_t>(s.ctx_size, 1), kv_bytes, s.block_count, s.block_size, pool_tokens,
         kv_bytes_per_token,
         ((std::max<int64_t>(s.ctx_size, 1) + s.block_size - 1) / s.block_size) * block_bytes);
  }
  return s;
}

}  // namespace dsinfer::engine
