#version 450
// RoPE on rows of heads, in place, with a per-row cos/sin table from the host (the CPU's
// rope_cos_sin, so YaRN and frequency factors match it exactly). Normal layout rotates
// (x[2i], x[2i+1]); NeoX rotates (x[i], x[i + n_dims/2]).
#include "common.glsl"

layout(local_size_x = 64) in;
layout(binding = 0) buffer X { float x[]; };
layout(binding = 1) readonly buffer CosSin { float cs[]; };  // [n_rows, n_dims]
layout(push_constant) uniform Params {
  uint n_rows;
  uint ldx;
  uint x_off;
  uint n_heads;
  uint head_size;
  uint n_dims;
  uint neox;
} p;

void main() {
  const uint row = gl_WorkGroupID.y;
  const uint half_dims = p.n_dims / 2;
  const uint idx = gl_GlobalInvocationID.x;
  if (idx >= p.n_heads * half_dims) return;
  const uint h = idx / half_dims;
  const uint i = idx % half_dims;
  const float c = cs[row * p.n_dims + 2 * i];
  const float s = cs[row * p.n_dims + 2 * i + 1];
  const uint base = p.x_off + row * p.ldx + h * p.head_size;
  const uint a = base + (p.neox != 0 ? i : 2 * i);
  const uint b = base + (p.neox != 0 ? i + half_dims : 2 * i + 1);
  const float x0 = x[a];
  const float x1 = x[b];
  x[a] = x0 * c - x1 * s;
  x[b] = x0 * s + x1 * c;
}
