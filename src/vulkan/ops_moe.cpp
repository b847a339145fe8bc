// MoE routing and combination dispatch.
#include "vulkan/ops_moe.h"

#include "base/error.h"
#include "vulkan/op_args.h"

namespace dsinfer::vulkan {

void moe_route(CommandRecorder& rec, const DeviceMoeRouting& r, const FloatRows& logits,
               int64_t n_tokens, const BufferSlice& bias, const BufferSlice& ids,
               const BufferSlice& weights) {
  if (r.n_expert <= 0 || r.n_expert > 256 || r.n_used <= 0 || r.n_used > r.n_expert ||
      r.n_groups <= 0 || r.n_groups > 32 || r.n_expert % r.n_groups != 0 || r.n_groups_used <= 0 ||
      r.n_groups_used > r.n_groups) {
    fail(ErrorKind::kUnsupported,
         "Vulkan MoE routing: {} experts (<= 256), k {}, {} groups (<= 32), {} used", r.n_expert,
         r.n_used, r.n_groups, r.n_groups_used);
  }
  check_rows(logits, n_tokens, r.n_expert, "moe_route logits");
  if (logits.offset != 0) fail(ErrorKind::kInternal, "Vulkan moe_route: logits offset");
  const auto out_bytes = static_cast<size_t>(n_tokens * r.n_used) * 4;
  if (ids.bytes < out_bytes || weights.bytes < out_bytes ||
      (bias.buffer != nullptr && bias.bytes < static_cast<size_t>(r.n_expert) * 4)) {
    fail(ErrorKind::kInternal, "Vulkan moe_route: output or bias buffers too small");
  }
  if (n_tokens == 0) return;
  struct {
    uint32_t n_tokens, n_expert, k, ld, sigmoid, n_groups, n_groups_used, norm;
    float scale;
    uint32_t has_bias;
  } p{u32(n_tokens, "tokens"),
      u32(r.n_expert, "experts"),
      u32(r.n_used, "k"),
      u32(n_tokens > 1 ? logits.ld : r.n_expert, "ld"),
      r.sigmoid ? 1u : 0u,
      u32(r.n_groups, "groups"),
      u32(r.n_groups_used, "groups used"),
      r.norm ? 1u : 0u,
      r.scale,
      bias.buffer != nullptr ? 1u : 0u};
  const auto& pipe = rec.pipelines().get("moe_route", 4, sizeof(p));
  rec.dispatch(pipe, {logits.slice, bias.buffer != nullptr ? bias : logits.slice, ids, weights}, &p,
               sizeof(p), groups(n_tokens, 64));
}

void moe_combine(CommandRecorder& rec, const FloatRows& y, const BufferSlice& weights, int64_t k,
                 const FloatRows& out, int64_t n_tokens, int64_t n) {
  check_rows(y, n_tokens * k, n, "moe_combine y");
  check_rows(out, n_tokens, n, "moe_combine out");
  if (y.offset != 0 || out.offset != 0 ||
      weights.bytes < static_cast<size_t>(n_tokens * k) * sizeof(float)) {
    fail(ErrorKind::kInternal, "Vulkan moe_combine: offsets or weights");
  }
  if (n_tokens == 0 || n == 0) return;
  struct {
    uint32_t n, n_tokens, k, ldy, ldo;
  } p{u32(n, "n"), u32(n_tokens, "tokens"), u32(k, "k"), u32(y.ld, "ldy"),
      u32(n_tokens > 1 ? out.ld : n, "ldo")};
  const auto& pipe = rec.pipelines().get("moe_combine", 3, sizeof(p));
  rec.dispatch(pipe, {y.slice, weights, out.slice}, &p, sizeof(p), groups(n, 256),
               u32(n_tokens, "tokens"));
}

}  // namespace dsinfer::vulkan
