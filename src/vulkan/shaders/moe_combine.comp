#version 450
// Weighted sum of each token's expert outputs in selection order:
// out[t][d] = sum_j w[t k + j] * y[t k + j][d].
#include "common.glsl"

layout(local_size_x = 256) in;
layout(binding = 0) readonly buffer Y { float y[]; };  // [n_tokens * k, ldy]
layout(binding = 1) readonly buffer Wts { float wts[]; };
layout(binding = 2) writeonly buffer O { float o[]; };
layout(push_constant) uniform Params {
  uint n;
  uint n_tokens;
  uint k;
  uint ldy;
  uint ldo;
} p;

void main() {
  const uint d = gl_GlobalInvocationID.x;
  const uint t = gl_WorkGroupID.y;
  if (d >= p.n || t >= p.n_tokens) return;
  float s = 0.0;
  for (uint j = 0; j < p.k; ++j) s += wts[t * p.k + j] * y[(t * p.k + j) * p.ldy + d];
  o[t * p.ldo + d] = s;
}
