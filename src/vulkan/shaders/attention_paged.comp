#version 450
// Causal attention over the paged F16 KV cache, one workgroup per (query head, token); GQA by
// head groups; MLA's latent attention is the case n_head_kv = 1 with V = the first head_dim_v
// elements of each K row (same pool bound twice).
// NOTE: two passes over the keys keep the CPU path's numerics (kernels/attention.h) without a
// score buffer: pass 1 finds max and sum of exp (online, per thread, then combined); pass 2
// recomputes the scores a tile of 64 positions at a time, rounds the normalised probabilities
// to F16 and accumulates V. q is rounded to F16 first, as the reference does with an F16 cache.
#include "common.glsl"

layout(local_size_x = 64) in;
layout(binding = 0) readonly buffer Q { float q[]; };
layout(binding = 1) readonly buffer K { float16_t kc[]; };
layout(binding = 2) readonly buffer V { float16_t vc[]; };
layout(binding = 3) readonly buffer Tok { uint tok[]; };  // per token: n_ctx, block-table offset
layout(binding = 4) readonly buffer Bt { int bt[]; };
layout(binding = 5) writeonly buffer O { float o[]; };
layout(push_constant) uniform Params {
  uint n_head;
  uint n_head_kv;
  uint dk;
  uint dv;
  uint ldq;
  uint ldo;
  uint block_size;
  uint k_block_stride;
  uint v_block_stride;
  uint k_row_stride;
  uint v_row_stride;
  float scale;
  uint q_off;
  uint o_off;
} p;

const uint kMaxDk = 1024;
const uint kPerThread = 8;  // dv <= 512
shared float qs[kMaxDk];
shared float probs[64];
shared float red_m[64];
shared float red_s[64];

uint k_row(uint pos, uint hk) {
  return uint(bt[tok[2 * gl_WorkGroupID.y + 1] + pos / p.block_size]) * p.k_block_stride +
         (pos % p.block_size) * p.k_row_stride + hk * p.dk;
}

uint v_row(uint pos, uint hk) {
  return uint(bt[tok[2 * gl_WorkGroupID.y + 1] + pos / p.block_size]) * p.v_block_stride +
         (pos % p.block_size) * p.v_row_stride + hk * p.dv;
}

float score(uint pos, uint hk) {
  const uint kr = k_row(pos, hk);
  float s = 0.0;
  for (uint d = 0; d < p.dk; ++d) s += qs[d] * float(kc[kr + d]);
  return s * p.scale;
}

void main() {
  const uint h = gl_WorkGroupID.x;
  const uint t = gl_WorkGroupID.y;
  const uint tid = gl_LocalInvocationID.x;
  const uint n_ctx = tok[2 * t];
  const uint hk = h / (p.n_head / p.n_head_kv);
  for (uint d = tid; d < p.dk; d += 64) qs[d] = round_f16(q[p.q_off + t * p.ldq + h * p.dk + d]);
  barrier();

  float m = -1.0 / 0.0;
  float s = 0.0;
  for (uint pos = tid; pos < n_ctx; pos += 64) {
    const float x = score(pos, hk);
    if (x > m) {
      s = s * exp(m - x) + 1.0;
      m = x;
    } else {
      s += exp(x - m);
    }
  }
  red_m[tid] = m;
  red_s[tid] = s;
  barrier();
  for (uint w = 32; w > 0; w >>= 1) {
    if (tid < w) {
      const float m1 = red_m[tid], s1 = red_s[tid];
      const float m2 = red_m[tid + w], s2 = red_s[tid + w];
      const float mm = max(m1, m2);
      float ss = 0.0;
      if (s1 > 0.0) ss += s1 * exp(m1 - mm);
      if (s2 > 0.0) ss += s2 * exp(m2 - mm);
      red_m[tid] = mm;
      red_s[tid] = ss;
    }
    barrier();
  }
  const float mx = red_m[0];
  const float inv = 1.0 / red_s[0];

  float acc[kPerThread];
  [[unroll]] for (uint i = 0; i < kPerThread; ++i) acc[i] = 0.0;
  for (uint base = 0; base < n_ctx; base += 64) {
    const uint pos = base + tid;
    probs[tid] = pos < n_ctx ? round_f16(exp(score(pos, hk) - mx) * inv) : 0.0;
    barrier();
    const uint count = min(64u, n_ctx - base);
    for (uint j = 0; j < count; ++j) {
      const uint vr = v_row(base + j, hk);
      const float pj = probs[j];
      [[unroll]] for (uint i = 0; i < kPerThread; ++i) {
        const uint d = tid + 64 * i;
        if (d < p.dv) acc[i] += pj * float(vc[vr + d]);
      }
    }
    barrier();
  }
  [[unroll]] for (uint i = 0; i < kPerThread; ++i) {
    const uint d = tid + 64 * i;
    if (d < p.dv) o[p.o_off + t * p.ldo + h * p.dv + d] = acc[i];
  }
}
