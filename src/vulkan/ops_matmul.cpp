// Matmul dispatch: the shader variant per weight type and path, push constants, group counts.
#include "vulkan/ops_matmul.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "base/error.h"
#include "vulkan/op_args.h"

namespace dsinfer::vulkan {
namespace {

struct GemvParams {
  uint32_t n_in, n_out, n_rows, row_stride, ldx, ldy, x_off, y_off, expert_stride, n_expert, x_div;
};
struct GemmParams {
  uint32_t n_in, n_out, n_rows, row_stride, ldx, ldy, x_off, y_off;
};

std::string shader_name(const char* kind, tensor::DType type) {
  std::string name = std::string("matmul_") + kind + "_" + tensor::dtype_name(type);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

void check_weight(const DeviceWeight& w) {
  if (!vulkan_matmul_supports(w.type) || w.buffer.device() == nullptr) {
    fail(ErrorKind::kInternal, "Vulkan matmul: weight not uploaded or of type {}",
         tensor::dtype_name(w.type));
  }
}

// Outputs per GEMV workgroup (kOutputs in matmul_gemv.comp).
constexpr int64_t kGemvOutputs = 4;

// Workgroups spread over x and z, since one dimension holds at most 65535 groups.
void output_groups(int64_t n_groups, uint32_t& gx, uint32_t& gz) {
  gx = u32(std::min<int64_t>(n_groups, 65535), "output groups");
  gz = groups(n_groups, gx);
}

}  // namespace

void matmul(CommandRecorder& rec, const DeviceWeight& w, const FloatRows& x, int64_t n_rows,
            const FloatRows& y, MatmulPath path) {
  check_weight(w);
  check_rows(x, n_rows, w.n_in, "matmul x");
  check_rows(y, n_rows, w.n_out, "matmul y");
  if (n_rows == 0) return;
  if (path == MatmulPath::kAuto)
    path = n_rows <= kGemvMaxRows ? MatmulPath::kGemv : MatmulPath::kGemm;
  if (path == MatmulPath::kGemv) {
    const GemvParams p{u32(w.n_in, "n_in"),
                       u32(w.n_out, "n_out"),
                       u32(n_rows, "n_rows"),
                       u32(static_cast<int64_t>(w.row_bytes), "row bytes"),
                       u32(x.ld, "ldx"),
                       u32(y.ld, "ldy"),
                       u32(x.offset, "x offset"),
                       u32(y.offset, "y offset"),
                       0,
                       0,
                       1};
    const auto& pipe =
        rec.pipelines().get(shader_name(n_rows == 1 ? "gemv" : "gemv8", w.type), 3, sizeof(p));
    uint32_t gx, gz;
    output_groups((w.n_out + kGemvOutputs - 1) / kGemvOutputs, gx, gz);
    rec.dispatch(pipe, {w.slice(), x.slice, y.slice}, &p, sizeof(p), gx,
                 groups(n_rows, kGemvMaxRows), gz);
  } else {
    const GemmParams p{
        u32(w.n_in, "n_in"),       u32(w.n_out, "n_out"),
        u32(n_rows, "n_rows"),     u32(static_cast<int64_t>(w.row_bytes), "row bytes"),
        u32(x.ld, "ldx"),          u32(y.ld, "ldy"),
        u32(x.offset, "x offset"), u32(y.offset, "y offset")};
    const auto& pipe = rec.pipelines().get(shader_name("gemm", w.type), 3, sizeof(p));
    rec.dispatch(pipe, {w.slice(), x.slice, y.slice}, &p, sizeof(p), groups(w.n_out, 64),
                 groups(n_rows, 32));
  }
}

void matmul_experts(CommandRecorder& rec, const DeviceWeight& w, const FloatRows& x,
                    const BufferSlice& ids, int64_t n_pairs, int64_t x_div, const FloatRows& y) {
  check_weight(w);
  if (x_div <= 0 || n_pairs % x_div != 0) {
    fail(ErrorKind::kInternal, "Vulkan matmul_experts: {} pairs, x_div {}", n_pairs, x_div);
  }
  check_rows(x, n_pairs / x_div, w.n_in, "matmul_experts x");
  check_rows(y, n_pairs, w.n_out, "matmul_experts y");
  if (n_pairs == 0) return;
  if (ids.bytes < static_cast<size_t>(n_pairs) * sizeof(int32_t)) {
    fail(ErrorKind::kInternal, "Vulkan matmul_experts: ids hold {} bytes for {} pairs", ids.bytes,
         n_pairs);
  }
  const GemvParams p{u32(w.n_in, "n_in"),
                     u32(w.n_out, "n_out"),
                     u32(n_pairs, "n_pairs"),
                     u32(static_cast<int64_t>(w.row_bytes), "row bytes"),
                     u32(x.ld, "ldx"),
                     u32(y.ld, "ldy"),
                     u32(x.offset, "x offset"),
                     u32(y.offset, "y offset"),
                     u32(static_cast<int64_t>(w.expert_bytes), "expert bytes"),
                     u32(w.n_expert, "n_expert"),
                     u32(x_div, "x_div")};
  const auto& pipe = rec.pipelines().get(shader_name("gemv_ids", w.type), 4, sizeof(p));
  uint32_t gx, gz;
  output_groups((w.n_out + kGemvOutputs - 1) / kGemvOutputs, gx, gz);
  rec.dispatch(pipe, {w.slice(), x.slice, y.slice, ids}, &p, sizeof(p), gx, u32(n_pairs, "pairs"),
               gz);
}

}  // namespace dsinfer::vulkan
