#version 450
// Residual add: y[i] += x[i] over rows.
#include "common.glsl"

layout(local_size_x = 256) in;
layout(binding = 0) buffer Y { float y[]; };
layout(binding = 1) readonly buffer X { float x[]; };
layout(push_constant) uniform Params {
  uint n;
  uint n_rows;
  uint ldy;
  uint ldx;
} p;

void main() {
  const uint i = gl_GlobalInvocationID.x;
  const uint row = gl_WorkGroupID.y;
  if (i >= p.n || row >= p.n_rows) return;
  y[row * p.ldy + i] += x[row * p.ldx + i];
}
