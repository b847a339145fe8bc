#version 450
// y[r][o] = sum_k w[o][k] x[r][k] for up to 8 activation rows per workgroup (decode and small
// batches): one workgroup per output row o reads the row once for all its activation rows.
// WITH_IDS (MoE experts): workgroup y = pair p, weight = expert ids[p] (rows expert_stride bytes
// apart), x row p / x_div, y row p.
#include "common.glsl"
#include "weight_dequant.glsl"

layout(local_size_x = 64) in;
layout(binding = 1) readonly buffer X { float x[]; };
layout(binding = 2) writeonly buffer Y { float y[]; };
#ifdef WITH_IDS
layout(binding = 3) readonly buffer Ids { int ids[]; };
#endif
layout(push_constant) uniform Params {
  uint n_in;
  uint n_out;
  uint n_rows;      // activation rows (WITH_IDS: pairs)
  uint row_stride;  // bytes between weight rows
  uint ldx;
  uint ldy;
  uint x_off;  // element offsets into x and y
  uint y_off;
  uint expert_stride;  // WITH_IDS: bytes between experts
  uint n_expert;       // WITH_IDS: ids must be below it (others give 0)
  uint x_div;          // WITH_IDS: x row = pair / x_div
} p;

const uint kRows = 8;
shared float partial[kRows][64];

void main() {
  const uint o = gl_WorkGroupID.x + gl_WorkGroupID.z * gl_NumWorkGroups.x;
  if (o >= p.n_out) return;  // uniform across the workgroup
  const uint tid = gl_LocalInvocationID.x;
#ifdef WITH_IDS
  const uint pair = gl_WorkGroupID.y;
  const int e = ids[pair];
  const bool valid = e >= 0 && uint(e) < p.n_expert;
  const uint rb = (valid ? uint(e) : 0) * p.expert_stride + o * p.row_stride;
  const uint nr = 1;
  const uint xr0 = pair / p.x_div;
  const uint yr0 = pair;
#else
  const uint r0 = gl_WorkGroupID.y * kRows;
  const uint nr = min(kRows, p.n_rows - r0);
  const uint rb = o * p.row_stride;
  const uint xr0 = r0;
  const uint yr0 = r0;
#endif
  float acc[kRows];
  [[unroll]] for (uint r = 0; r < kRows; ++r) acc[r] = 0.0;
  for (uint k = tid * 4; k < p.n_in; k += 256) {
    const vec4 w = dq4(rb, k);
    [[unroll]] for (uint r = 0; r < kRows; ++r) {
      if (r < nr) {
        const uint xi = p.x_off + (xr0 + r) * p.ldx + k;
        acc[r] += dot(w, vec4(x[xi], x[xi + 1], x[xi + 2], x[xi + 3]));
      }
    }
  }
  [[unroll]] for (uint r = 0; r < kRows; ++r) partial[r][tid] = acc[r];
  barrier();
  for (uint s = 32; s > 0; s >>= 1) {
    if (tid < s) {
      [[unroll]] for (uint r = 0; r < kRows; ++r) partial[r][tid] += partial[r][tid + s];
    }
    barrier();
  }
  if (tid < nr) {
#ifdef WITH_IDS
    y[p.y_off + (yr0 + tid) * p.ldy + o] = valid ? partial[tid][0] : 0.0;
#else
    y[p.y_off + (yr0 + tid) * p.ldy + o] = partial[tid][0];
#endif
  }
}
