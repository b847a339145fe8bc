#version 450
// RMSNorm, one workgroup per row: y = (x * 1/sqrt(mean(x^2) + eps)) * w (w optional).
#include "common.glsl"

layout(local_size_x = 256) in;
layout(binding = 0) readonly buffer X { float x[]; };
layout(binding = 1) readonly buffer Wt { float w[]; };
layout(binding = 2) writeonly buffer Y { float y[]; };
layout(push_constant) uniform Params {
  uint n;
  uint ldx;
  uint ldy;
  uint x_off;
  uint y_off;
  uint has_weight;
  float eps;
} p;

shared float partial[256];

void main() {
  const uint row = gl_WorkGroupID.x;
  const uint tid = gl_LocalInvocationID.x;
  const uint xb = p.x_off + row * p.ldx;
  float s = 0.0;
  for (uint i = tid; i < p.n; i += 256) s += x[xb + i] * x[xb + i];
  partial[tid] = s;
  barrier();
  for (uint h = 128; h > 0; h >>= 1) {
    if (tid < h) partial[tid] += partial[tid + h];
    barrier();
  }
  const float scale = 1.0 / sqrt(partial[0] / float(p.n) + p.eps);
  const uint yb = p.y_off + row * p.ldy;
  for (uint i = tid; i < p.n; i += 256) {
    const float v = x[xb + i] * scale;
    y[yb + i] = p.has_weight != 0 ? v * w[i] : v;
  }
}
