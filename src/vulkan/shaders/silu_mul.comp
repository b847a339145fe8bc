#version 450
// SiLU-gated product: out[i] = gate[i] / (1 + exp(-gate[i])) * up[i] over rows.
#include "common.glsl"

layout(local_size_x = 256) in;
layout(binding = 0) readonly buffer G { float g[]; };
layout(binding = 1) readonly buffer U { float u[]; };
layout(binding = 2) writeonly buffer O { float o[]; };
layout(push_constant) uniform Params {
  uint n;  // elements per row
  uint n_rows;
  uint ld;  // row stride of all three
} p;

void main() {
  const uint i = gl_GlobalInvocationID.x;
  const uint row = gl_WorkGroupID.y;
  if (i >= p.n || row >= p.n_rows) return;
  const uint e = row * p.ld + i;
  const float v = g[e];
  o[e] = v / (1.0 + exp(-v)) * u[e];
}
