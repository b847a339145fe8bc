// RoPE angle tables and rotations (normal and NeoX layouts), with linear and YaRN scaling.
#include "kernels/rope.h"

#include <algorithm>
#include <cmath>

namespace dsinfer::kernels {
namespace {

constexpr float kPi = 3.14159265358979323846f;

float yarn_corr_dim(int64_t n_dims, int64_t n_ctx_orig, float n_rot, float base) {
  return static_cast<float>(n_dims) * std::log(static_cast<float>(n_ctx_orig) / (n_rot * 2 * kPi)) /
         (2 * std::log(base));
}

}  // namespace

void rope_yarn_corr_dims(int64_t n_dims, int64_t n_ctx_orig, float freq_base, float beta_fast,
                         float beta_slow, float dims[2]) {
  const float start = std::floor(yarn_corr_dim(n_dims, n_ctx_orig, beta_fast, freq_base));
  const float end = std::ceil(yarn_corr_dim(n_dims, n_ctx_orig, beta_slow, freq_base));
  dims[0] = std::max(0.0f, start);
  dims[1] = std::min(static_cast<float>(n_dims - 1), end);
}

float rope_yarn_ramp(float lo, float hi, int64_t i0) {
  const float y = (static_cast<float>(i0 / 2) - lo) / std::max(0.001f, hi - lo);
  return 1.0f - std::min(1.0f, std::max(0.0f, y));
}

// NOTE: the angle of pair i is pos * base^(-2i/n_dims), produced by repeated multiplication in
// float exactly as the reference does (so the rounding matches); YaRN mixes the interpolated
// (freq_scale * theta) and extrapolated (theta) angles by a ramp over the pair index and scales
// the magnitude by 1 + 0.1 ln(1/freq_scale) (arXiv:2309.00071, ggml rope_yarn).
void rope_cos_sin(const RopeConfig& config, int64_t pos, float* cos_sin) {
  const float theta_scale = std::pow(config.freq_base, -2.0f / static_cast<float>(config.n_dims));
  float corr[2] = {0.0f, 0.0f};
  if (config.ext_factor != 0.0f) {
    rope_yarn_corr_dims(config.n_dims, config.n_ctx_orig, config.freq_base, config.beta_fast,
                        config.beta_slow, corr);
  }
  float theta = static_cast<float>(pos);
  for (int64_t i0 = 0; i0 < config.n_dims; i0 += 2) {
    const float ff = config.freq_factors != nullptr ? config.freq_factors[i0 / 2] : 1.0f;
    const float theta_extrap = theta / ff;
    const float theta_interp = config.freq_scale * theta_extrap;
    float angle = theta_interp;
    float mscale = config.attn_factor;
    if (config.ext_factor != 0.0f) {
      const float ramp_mix = rope_yarn_ramp(corr[0], corr[1], i0) * config.ext_factor;
      angle = theta_interp * (1 - ramp_mix) + theta_extrap * ramp_mix;
      mscale *= 1.0f + 0.1f * std::log(1.0f / config.freq_scale);
    }
    cos_sin[i0] = std::cos(angle) * mscale;
    cos_sin[i0 + 1] = std::sin(angle) * mscale;
    theta *= theta_scale;
  }
}

void rope_apply_heads(const RopeConfig& config, const float* cos_sin, float* x, int64_t n_heads,
                      int64_t head_size) {
  const int64_t n_dims = config.n_dims;
  for (int64_t h = 0; h < n_heads; ++h) {
    float* v = x + h * head_size;
    if (config.layout == RopeLayout::kNormal) {
      for (int64_t i0 = 0; i0 < n_dims; i0 += 2) {
        const float c = cos_sin[i0];
        const float s = cos_sin[i0 + 1];
        const float x0 = v[i0];
        const float x1 = v[i0 + 1];
        v[i0] = x0 * c - x1 * s;
        v[i0 + 1] = x0 * s + x1 * c;
      }
    } else {
      const int64_t half = n_dims / 2;
      for (int64_t i0 = 0; i0 < n_dims; i0 += 2) {
        const float c = cos_sin[i0];
        const float s = cos_sin[i0 + 1];
        const float x0 = v[i0 / 2];
        const float x1 = v[i0 / 2 + half];
        v[i0 / 2] = x0 * c - x1 * s;
        v[i0 / 2 + half] = x0 * s + x1 * c;
      }
    }
  }
}

void rope_rows(const RopeConfig& config, float* x, int64_t ldx, int64_t n_rows,
               const int64_t* positions, int64_t n_heads, int64_t head_size, ExecContext& ctx) {
  ctx.parallel_for(n_rows, 1, [&](int64_t begin, int64_t end, int /*thread*/) {
    std::vector<float> cos_sin(static_cast<size_t>(config.n_dims));
    int64_t cached_pos = -1;
    for (int64_t r = begin; r < end; ++r) {
      if (positions[r] != cached_pos) {
        rope_cos_sin(config, positions[r], cos_sin.data());
        cached_pos = positions[r];
      }
      rope_apply_heads(config, cos_sin.data(), x + r * ldx, n_heads, head_size);
    }
  });
}

}  // namespace dsinfer::kernels
