#version 450
// Writes new K or V rows into the paged F16 cache: row t of src goes to the element offset
// dst_row[t] of the pool (the host resolves block table, block and row strides).
#include "common.glsl"

layout(local_size_x = 256) in;
layout(binding = 0) readonly buffer Src { float src[]; };
layout(binding = 1) buffer Pool { float16_t pool[]; };
layout(binding = 2) readonly buffer Dst { uint dst_row[]; };
layout(push_constant) uniform Params {
  uint width;  // elements per row
  uint n_tokens;
  uint lds;
  uint src_off;
} p;

void main() {
  const uint i = gl_GlobalInvocationID.x;
  const uint t = gl_WorkGroupID.y;
  if (i >= p.width || t >= p.n_tokens) return;
  pool[dst_row[t] + i] = float16_t(src[p.src_off + t * p.lds + i]);
}
