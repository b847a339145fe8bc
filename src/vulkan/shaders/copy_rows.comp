#version 450
// Strided row copy: y[y_off + row * ldy + i] = x[x_off + row * ldx + i] for i < n.
#include "common.glsl"

layout(local_size_x = 64) in;
layout(binding = 0) buffer Y { float y[]; };
layout(binding = 1) readonly buffer X { float x[]; };
layout(push_constant) uniform Params {
  uint n;
  uint n_rows;
  uint ldy;
  uint ldx;
  uint y_off;
  uint x_off;
} p;

void main() {
  const uint i = gl_GlobalInvocationID.x;
  const uint row = gl_WorkGroupID.y;
  if (i >= p.n || row >= p.n_rows) return;
  y[p.y_off + row * p.ldy + i] = x[p.x_off + row * p.ldx + i];
}
