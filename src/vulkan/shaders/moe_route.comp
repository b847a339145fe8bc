#version 450
// MoE routing, one invocation per token (as model/deepseek2_moe.cpp's moe_select): softmax or
// sigmoid gate probabilities, selection scores = probs + optional bias, group-limited routing
// (a group scores its two best; only the n_groups_used best groups stay eligible), top-k with
// ties to the lower index, weights = the chosen probs (normalised to sum 1 when norm) * scale.
#include "common.glsl"

layout(local_size_x = 64) in;
layout(binding = 0) readonly buffer Logits { float logits[]; };  // [n_tokens, ld]
layout(binding = 1) readonly buffer Bias { float bias[]; };      // [n_expert] when has_bias
layout(binding = 2) writeonly buffer Ids { int ids[]; };         // [n_tokens, k]
layout(binding = 3) buffer Wts { float wts[]; };  // [n_tokens, k]
layout(push_constant) uniform Params {
  uint n_tokens;
  uint n_expert;  // <= 256
  uint k;
  uint ld;
  uint sigmoid;
  uint n_groups;
  uint n_groups_used;
  uint norm;
  float scale;
  uint has_bias;
} p;

const uint kMaxExpert = 256;
const float kNegInf = -1.0 / 0.0;

void main() {
  const uint t = gl_GlobalInvocationID.x;
  if (t >= p.n_tokens) return;
  const uint ne = p.n_expert;
  float probs[kMaxExpert];
  float sel[kMaxExpert];
  float mx = kNegInf;
  for (uint e = 0; e < ne; ++e) {
    probs[e] = logits[t * p.ld + e];
    mx = max(mx, probs[e]);
  }
  if (p.sigmoid != 0) {
    for (uint e = 0; e < ne; ++e) probs[e] = 1.0 / (1.0 + exp(-probs[e]));
  } else {
    float sum = 0.0;
    for (uint e = 0; e < ne; ++e) {
      probs[e] = exp(probs[e] - mx);
      sum += probs[e];
    }
    const float inv = 1.0 / sum;
    for (uint e = 0; e < ne; ++e) probs[e] *= inv;
  }
  for (uint e = 0; e < ne; ++e) sel[e] = probs[e] + (p.has_bias != 0 ? bias[e] : 0.0);

  if (p.n_groups > 1 && p.n_groups_used < p.n_groups) {
    const uint per = ne / p.n_groups;
    uint kept = 0;  // bit g: group g stays eligible (n_groups <= 32)
    for (uint pick = 0; pick < p.n_groups_used; ++pick) {
      float best_score = kNegInf;
      int best_group = -1;
      for (uint g = 0; g < p.n_groups; ++g) {
        if ((kept & (1u << g)) != 0) continue;
        float b1 = kNegInf, b2 = kNegInf;
        for (uint e = g * per; e < (g + 1) * per; ++e) {
          if (sel[e] > b1) {
            b2 = b1;
            b1 = sel[e];
          } else if (sel[e] > b2) {
            b2 = sel[e];
          }
        }
        const float gs = per >= 2 ? b1 + b2 : b1;
        if (best_group < 0 || gs > best_score) {
          best_score = gs;
          best_group = int(g);
        }
      }
      kept |= 1u << uint(best_group);
    }
    for (uint g = 0; g < p.n_groups; ++g) {
      if ((kept & (1u << g)) != 0) continue;
      for (uint e = g * per; e < (g + 1) * per; ++e) sel[e] = kNegInf;
    }
  }

  uint taken[kMaxExpert / 32];
  for (uint i = 0; i < kMaxExpert / 32; ++i) taken[i] = 0;
  float sum = 0.0;
  for (uint j = 0; j < p.k; ++j) {
    int best = -1;
    for (uint e = 0; e < ne; ++e) {
      if ((taken[e / 32] & (1u << (e % 32))) != 0) continue;
      if (best < 0 || sel[e] > sel[uint(best)]) best = int(e);
    }
    taken[uint(best) / 32] |= 1u << (uint(best) % 32);
    ids[t * p.k + j] = best;
    wts[t * p.k + j] = probs[uint(best)];
    sum += probs[uint(best)];
  }
  for (uint j = 0; j < p.k; ++j) {
    float w = wts[t * p.k + j];
    if (p.norm != 0) w /= sum;
    wts[t * p.k + j] = w * p.scale;
  }
}
