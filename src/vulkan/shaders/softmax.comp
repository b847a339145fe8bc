#version 450
// Softmax of each row in place, one workgroup per row: exp(x - max) * (1 / sum).
#include "common.glsl"

layout(local_size_x = 256) in;
layout(binding = 0) buffer X { float x[]; };
layout(push_constant) uniform Params {
  uint n;
  uint ldx;
  uint x_off;
} p;

shared float partial[256];

void main() {
  const uint tid = gl_LocalInvocationID.x;
  const uint xb = p.x_off + gl_WorkGroupID.x * p.ldx;
  float m = -1.0 / 0.0;
  for (uint i = tid; i < p.n; i += 256) m = max(m, x[xb + i]);
  partial[tid] = m;
  barrier();
  for (uint h = 128; h > 0; h >>= 1) {
    if (tid < h) partial[tid] = max(partial[tid], partial[tid + h]);
    barrier();
  }
  const float mx = partial[0];
  barrier();
  float s = 0.0;
  for (uint i = tid; i < p.n; i += 256) {
    const float e = exp(x[xb + i] - mx);
    x[xb + i] = e;
    s += e;
  }
  partial[tid] = s;
  barrier();
  for (uint h = 128; h > 0; h >>= 1) {
    if (tid < h) partial[tid] += partial[tid + h];
    barrier();
  }
  const float inv = 1.0 / partial[0];
  for (uint i = tid; i < p.n; i += 256) x[xb + i] *= inv;
}
