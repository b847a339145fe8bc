#version 450
// Tiled y[r][o] = sum_k w[o][k] x[r][k] for prefill and batched decode: each workgroup computes
// a 32-row x 64-output tile, staging 32-wide K slices of dequantised weights and activations in
// shared memory so each weight element is dequantised once per 32 activation rows.
#include "common.glsl"
#include "weight_dequant.glsl"

layout(local_size_x = 256) in;
layout(binding = 1) readonly buffer X { float x[]; };
layout(binding = 2) writeonly buffer Y { float y[]; };
layout(push_constant) uniform Params {
  uint n_in;
  uint n_out;
  uint n_rows;
  uint row_stride;  // bytes between weight rows
  uint ldx;
  uint ldy;
  uint x_off;
  uint y_off;
} p;

const uint BM = 32;  // activation rows per tile
const uint BN = 64;  // outputs per tile
const uint BK = 32;
shared float ws[BK][BN + 1];
shared float xs[BK][BM + 1];

void main() {
  const uint tid = gl_LocalInvocationID.x;
  const uint o0 = gl_WorkGroupID.x * BN;
  const uint r0 = gl_WorkGroupID.y * BM;
  const uint tx = tid % 16;  // outputs o0 + tx*4 .. +3
  const uint ty = tid / 16;  // rows r0 + ty*2 .. +1
  float acc[2][4];
  [[unroll]] for (uint i = 0; i < 2; ++i) {
    [[unroll]] for (uint j = 0; j < 4; ++j) acc[i][j] = 0.0;
  }
  for (uint k0 = 0; k0 < p.n_in; k0 += BK) {
    // Weights: 64 outputs x 8 groups of 4 = 512 groups, two per thread.
    [[unroll]] for (uint i = 0; i < 2; ++i) {
      const uint g = tid + i * 256;
      const uint on = g / 8;
      const uint kq = (g % 8) * 4;
      vec4 w = vec4(0.0);
      if (o0 + on < p.n_out && k0 + kq < p.n_in) w = dq4((o0 + on) * p.row_stride, k0 + kq);
      [[unroll]] for (uint t = 0; t < 4; ++t) ws[kq + t][on] = w[t];
    }
    // Activations: 32 rows x 8 groups of 4, one per thread.
    {
      const uint rm = tid / 8;
      const uint kq = (tid % 8) * 4;
      const uint r = r0 + rm;
      [[unroll]] for (uint t = 0; t < 4; ++t) {
        const uint k = k0 + kq + t;
        xs[kq + t][rm] = (r < p.n_rows && k < p.n_in) ? x[p.x_off + r * p.ldx + k] : 0.0;
      }
    }
    barrier();
    [[unroll]] for (uint kk = 0; kk < BK; ++kk) {
      const float a0 = xs[kk][ty * 2];
      const float a1 = xs[kk][ty * 2 + 1];
      [[unroll]] for (uint j = 0; j < 4; ++j) {
        const float b = ws[kk][tx * 4 + j];
        acc[0][j] += a0 * b;
        acc[1][j] += a1 * b;
      }
    }
    barrier();
  }
  [[unroll]] for (uint i = 0; i < 2; ++i) {
    const uint r = r0 + ty * 2 + i;
    if (r >= p.n_rows) continue;
    [[unroll]] for (uint j = 0; j < 4; ++j) {
      const uint o = o0 + tx * 4 + j;
      if (o < p.n_out) y[p.y_off + r * p.ldy + o] = acc[i][j];
    }
  }
}
