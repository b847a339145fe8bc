// Dispatch of the per-row and element-wise shaders.
#include "vulkan/ops_layer.h"

#include <vector>

#include "base/error.h"
#include "vulkan/op_args.h"

namespace dsinfer::vulkan {
namespace {

// Element offsets are not supported by the element-wise shaders: the slice must start at row 0.
void require_no_offset(const FloatRows& rows, const char* what) {
  if (rows.offset != 0) fail(ErrorKind::kInternal, "Vulkan {}: rows must start at offset 0", what);
}

}  // namespace

void rms_norm(CommandRecorder& rec, const FloatRows& x, int64_t n_rows, int64_t n,
              const BufferSlice& weight, float eps, const FloatRows& y) {
  check_rows(x, n_rows, n, "rms_norm x");
  check_rows(y, n_rows, n, "rms_norm y");
  if (n_rows == 0 || n == 0) return;
  const bool has_weight = weight.buffer != nullptr;
  if (has_weight && weight.bytes < static_cast<size_t>(n) * sizeof(float)) {
    fail(ErrorKind::kInternal, "Vulkan rms_norm: weight holds {} bytes for {} floats", weight.bytes,
         n);
  }
  struct {
    uint32_t n, ldx, ldy, x_off, y_off, has_weight;
    float eps;
  } p{u32(n, "n"),
      u32(x.ld, "ldx"),
      u32(y.ld, "ldy"),
      u32(x.offset, "x offset"),
      u32(y.offset, "y offset"),
      has_weight ? 1u : 0u,
      eps};
  const auto& pipe = rec.pipelines().get("rms_norm", 3, sizeof(p));
  // Without a weight, bind x again in its place (never read).
  rec.dispatch(pipe, {x.slice, has_weight ? weight : x.slice, y.slice}, &p, sizeof(p),
               u32(n_rows, "rows"));
}

void rope(CommandRecorder& rec, const kernels::RopeConfig& config, const FloatRows& x,
          int64_t n_rows, const int64_t* positions, int64_t n_heads, int64_t head_size) {
  if (config.n_dims <= 0 || config.n_dims % 2 != 0 || config.n_dims > head_size) {
    fail(ErrorKind::kInternal, "Vulkan rope: n_dims {} for head size {}", config.n_dims, head_size);
  }
  check_rows(x, n_rows, n_heads * head_size, "rope x");
  if (n_rows == 0 || n_heads == 0) return;
  std::vector<float> table(static_cast<size_t>(n_rows * config.n_dims));
  for (int64_t r = 0; r < n_rows; ++r) {
    kernels::rope_cos_sin(config, positions[r], table.data() + r * config.n_dims);
  }
  const BufferSlice cs = rec.stage(table.data(), table.size() * sizeof(float));
  struct {
    uint32_t n_rows, ldx, x_off, n_heads, head_size, n_dims, neox;
  } p{u32(n_rows, "rows"),
      u32(x.ld, "ldx"),
      u32(x.offset, "x offset"),
      u32(n_heads, "heads"),
      u32(head_size, "head size"),
      u32(config.n_dims, "n_dims"),
      config.layout == kernels::RopeLayout::kNeox ? 1u : 0u};
  const auto& pipe = rec.pipelines().get("rope", 2, sizeof(p));
  rec.dispatch(pipe, {x.slice, cs}, &p, sizeof(p), groups(n_heads * config.n_dims / 2, 64),
               u32(n_rows, "rows"));
}

void softmax(CommandRecorder& rec, const FloatRows& x, int64_t n_rows, int64_t n) {
  check_rows(x, n_rows, n, "softmax x");
  if (n_rows == 0 || n == 0) return;
  struct {
    uint32_t n, ldx, x_off;
  } p{u32(n, "n"), u32(x.ld, "ldx"), u32(x.offset, "x offset")};
  const auto& pipe = rec.pipelines().get("softmax", 1, sizeof(p));
  rec.dispatch(pipe, {x.slice}, &p, sizeof(p), u32(n_rows, "rows"));
}

void silu_mul(CommandRecorder& rec, const FloatRows& gate, const FloatRows& up,
              const FloatRows& out, int64_t n_rows, int64_t n) {
  check_rows(gate, n_rows, n, "silu_mul gate");
  check_rows(up, n_rows, n, "silu_mul up");
  check_rows(out, n_rows, n, "silu_mul out");
  require_no_offset(gate, "silu_mul");
  require_no_offset(up, "silu_mul");
  require_no_offset(out, "silu_mul");
  if (n_rows > 1 && (gate.ld != up.ld || gate.ld != out.ld)) {
    fail(ErrorKind::kInternal, "Vulkan silu_mul: row strides differ");
  }
  if (n_rows == 0 || n == 0) return;
  struct {
    uint32_t n, n_rows, ld;
  } p{u32(n, "n"), u32(n_rows, "rows"), u32(n_rows > 1 ? gate.ld : n, "ld")};
  const auto& pipe = rec.pipelines().get("silu_mul", 3, sizeof(p));
  rec.dispatch(pipe, {gate.slice, up.slice, out.slice}, &p, sizeof(p), groups(n, 256),
               u32(n_rows, "rows"));
}

void add(CommandRecorder& rec, const FloatRows& y, const FloatRows& x, int64_t n_rows, int64_t n) {
  check_rows(y, n_rows, n, "add y");
  check_rows(x, n_rows, n, "add x");
  require_no_offset(y, "add");
  require_no_offset(x, "add");
  if (n_rows == 0 || n == 0) return;
  struct {
    uint32_t n, n_rows, ldy, ldx;
  } p{u32(n, "n"), u32(n_rows, "rows"), u32(n_rows > 1 ? y.ld : n, "ldy"),
      u32(n_rows > 1 ? x.ld : n, "ldx")};
  const auto& pipe = rec.pipelines().get("add", 2, sizeof(p));
  rec.dispatch(pipe, {y.slice, x.slice}, &p, sizeof(p), groups(n, 256), u32(n_rows, "rows"));
}

void copy_rows(CommandRecorder& rec, const FloatRows& x, const FloatRows& y, int64_t n_rows,
               int64_t n) {
  check_rows(x, n_rows, n, "copy_rows x");
  check_rows(y, n_rows, n, "copy_rows y");
  if (n_rows == 0 || n == 0) return;
  struct {
    uint32_t n, n_rows, ldy, ldx, y_off, x_off;
  } p{u32(n, "n"),      u32(n_rows, "rows"),       u32(y.ld, "ldy"),
      u32(x.ld, "ldx"), u32(y.offset, "y offset"), u32(x.offset, "x offset")};
  const auto& pipe = rec.pipelines().get("copy_rows", 2, sizeof(p));
  rec.dispatch(pipe, {y.slice, x.slice}, &p, sizeof(p), groups(n, 64), u32(n_rows, "rows"));
}

void add_bias(CommandRecorder& rec, const FloatRows& y, const BufferSlice& bias, int64_t n_rows,
              int64_t n) {
  check_rows(y, n_rows, n, "add_bias y");
  require_no_offset(y, "add_bias");
  if (bias.buffer == nullptr || bias.bytes < static_cast<size_t>(n) * sizeof(float)) {
    fail(ErrorKind::kInternal, "Vulkan add_bias: bias holds {} bytes for {} floats", bias.bytes, n);
  }
  if (n_rows == 0 || n == 0) return;
  // The add shader with a row stride of 0 for x: every row adds the same n floats.
  struct {
    uint32_t n, n_rows, ldy, ldx;
  } p{u32(n, "n"), u32(n_rows, "rows"), u32(n_rows > 1 ? y.ld : n, "ldy"), 0};
  const auto& pipe = rec.pipelines().get("add", 2, sizeof(p));
  rec.dispatch(pipe, {y.slice, bias}, &p, sizeof(p), groups(n, 256), u32(n_rows, "rows"));
}

}  // namespace dsinfer::vulkan
