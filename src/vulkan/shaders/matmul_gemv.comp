#version 450
// y[r][o] = sum_k w[o][k] x[r][k] for decode and small batches: each workgroup computes 4
// outputs with 16 threads each, for NR activation rows at once (compiled with NR = 1 and 8), so
// each weight row is read once for all of them. One barrier per workgroup.
// WITH_IDS (MoE experts, NR = 1): workgroup y = pair p, weight = expert ids[p] (rows
// expert_stride bytes apart), x row p / x_div, y row p.
#include "common.glsl"
#include "weight_dequant.glsl"

#ifndef NR
#define NR 1
#endif

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

const uint kOutputs = 4;  // outputs per workgroup
const uint kLanes = 16;   // threads per output
shared float partial[NR][64];

void main() {
  const uint tid = gl_LocalInvocationID.x;
  const uint lane = tid % kLanes;
  const uint group = gl_WorkGroupID.x + gl_WorkGroupID.z * gl_NumWorkGroups.x;
  const uint o = group * kOutputs + tid / kLanes;
  bool in_range = o < p.n_out;
#ifdef WITH_IDS
  const uint pair = gl_WorkGroupID.y;
  const int e = ids[pair];
  const bool valid = e >= 0 && uint(e) < p.n_expert;
  const uint rb = (valid ? uint(e) : 0) * p.expert_stride + o * p.row_stride;
  const uint nr = 1;
  const uint xr0 = pair / p.x_div;
  const uint yr0 = pair;
#else
  const uint r0 = gl_WorkGroupID.y * NR;
  const uint nr = min(NR, p.n_rows - r0);
  const uint rb = o * p.row_stride;
  const uint xr0 = r0;
  const uint yr0 = r0;
#endif
  float acc[NR];
  [[unroll]] for (uint r = 0; r < NR; ++r) acc[r] = 0.0;
  if (in_range) {
    for (uint k = lane * 4; k < p.n_in; k += kLanes * 4) {
      const vec4 w = dq4(rb, k);
#if NR == 1
      const uint xi = p.x_off + xr0 * p.ldx + k;
      acc[0] += dot(w, vec4(x[xi], x[xi + 1], x[xi + 2], x[xi + 3]));
#else
      for (uint r = 0; r < nr; ++r) {
        const uint xi = p.x_off + (xr0 + r) * p.ldx + k;
        acc[r] += dot(w, vec4(x[xi], x[xi + 1], x[xi + 2], x[xi + 3]));
      }
#endif
    }
  }
  [[unroll]] for (uint r = 0; r < NR; ++r) partial[r][tid] = acc[r];
  barrier();
  if (in_range && lane < nr) {
    const uint base = tid - lane;
    float s = 0.0;
    for (uint j = 0; j < kLanes; ++j) s += partial[lane][base + j];
#ifdef WITH_IDS
    y[p.y_off + (yr0 + lane) * p.ldy + o] = valid ? s : 0.0;
#else
    y[p.y_off + (yr0 + lane) * p.ldy + o] = s;
#endif
  }
}
