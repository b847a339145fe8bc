// Rotary position embeddings (RoPE) as the reference applies them: the normal layout (adjacent
// pairs, llama) and the NeoX layout (halves, qwen2), frequency base, linear scaling, and the YaRN
// ramp (used by deepseek2).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/exec_context.h"

namespace dsinfer::kernels {

enum class RopeLayout {
  kNormal,  // rotates (x[2i], x[2i+1])
  kNeox,    // rotates (x[i], x[i + n_dims/2])
};

struct RopeConfig {
  RopeLayout layout = RopeLayout::kNormal;
  int64_t n_dims = 0;          // rotated dimensions per head (even, <= head size); rest unchanged
  float freq_base = 10000.0f;  // theta_i = pos * base^(-2i/n_dims)
  float freq_scale = 1.0f;     // 1 / linear scaling factor (YaRN: 1 / factor too)
  float ext_factor = 0.0f;     // YaRN extrapolation mix; 0 = plain (linear) RoPE
  float attn_factor = 1.0f;    // multiplies cos and sin (YaRN magnitude scaling)
  float beta_fast = 32.0f;     // YaRN ramp bounds, in rotations
  float beta_slow = 1.0f;
  int64_t n_ctx_orig = 0;               // YaRN: the training context before scaling
  const float* freq_factors = nullptr;  // optional [n_dims/2] divisors of theta (rope_freqs)
};

// YaRN correction range: the dimension indices [lo, hi] between which the ramp moves from
// extrapolation to interpolation (ggml's rope_yarn_corr_dims).
void rope_yarn_corr_dims(int64_t n_dims, int64_t n_ctx_orig, float freq_base, float beta_fast,
                         float beta_slow, float dims[2]);
// Ramp weight of pair index i0/2 (i0 even) between the correction dims: 1 below lo, 0 above hi.
float rope_yarn_ramp(float lo, float hi, int64_t i0);

// Fills cos_sin[2*i], cos_sin[2*i+1] (i < n_dims/2) with cos/sin of the angle of pair i at
// position `pos`, including YaRN mixing and attn_factor. cos_sin: n_dims floats.
void rope_cos_sin(const RopeConfig& config, int64_t pos, float* cos_sin);

// Rotates n_heads heads of head_size floats at x (heads contiguous) with a cos_sin table from
// rope_cos_sin.
void rope_apply_heads(const RopeConfig& config, const float* cos_sin, float* x, int64_t n_heads,
                      int64_t head_size);

// Rotates every row of x: row r holds n_heads heads of head_size floats (at x + r * ldx) at
// position positions[r]. Rows are spread over `ctx`'s threads.
void rope_rows(const RopeConfig& config, float* x, int64_t ldx, int64_t n_rows,
               const int64_t* positions, int64_t n_heads, int64_t head_size, ExecContext& ctx);

}  // namespace dsinfer::kernels
