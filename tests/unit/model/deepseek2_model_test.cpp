// deepseek2 on small synthetic files: MoE routing (softmax / sigmoid + bias, groups, norm, scale),
// the older attn_kv_b layout equals the split attn_k_b / attn_v_b layout, batch-of-N equals
// alone, each expert's weights read once per batch, latent KV accounting, loading errors.
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/error.h"
#include "base/thread_pool.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "kernels/matmul.h"
#include "model/architecture.h"
#include "model/deepseek2_model.h"
#include "model/deepseek2_moe.h"
#include "model/model.h"
#include "support/fixtures.h"
#include "tensor/quantize.h"
#include "tiny_model.h"

namespace dsinfer::model {
namespace {

using tensor::DType;
using ::testing::HasSubstr;

struct DsSpec {
  bool q_lora = true;
  bool old_kv_b = false;  // one attn_kv_b instead of attn_k_b / attn_v_b
  bool sigmoid = true;
  DType type = DType::kF32;
  std::string drop_tensor;
};

constexpr int64_t kEmbd = 64, kHead = 4, kNope = 32, kRope = 16, kV = 32, kLora = 64, kQLora = 32,
                  kFf = 96, kFfExp = 32, kExp = 8, kVocab = 80, kLayers = 3;

// Deterministic values per tensor name and element index (so two files share their weights):
// a splitmix64 hash to two uniforms, Box-Muller to a normal sample.
float value_of(const std::string& name, int64_t i) {
  auto mix = [](uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  const uint64_t h = mix(std::hash<std::string>{}(name) ^ mix(static_cast<uint64_t>(i)));
  const double u1 = (static_cast<double>(h >> 40) + 1.0) / 16777217.0;
  const double u2 = static_cast<double>(mix(h) >> 40) / 16777216.0;
  const double n = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  const bool norm = name.find("norm") != std::string::npos;
  return static_cast<float>(norm ? 1.0 + 0.1 * n : 0.3 * n);
}

void write_ds(const std::string& path, const DsSpec& s) {
  gguf::GgufWriter w;
  auto& md = w.metadata();
  const std::string a = "deepseek2.";
  auto u32 = [&](const std::string& k, int64_t v) {
    md.set(a + k, gguf::Value::from_u32(static_cast<uint32_t>(v)));
  };
  md.set("general.architecture", gguf::Value::from_string("deepseek2"));
  u32("block_count", kLayers);
  u32("context_length", 128);
  u32("embedding_length", kEmbd);
  u32("feed_forward_length", kFf);
  u32("attention.head_count", kHead);
  u32("attention.head_count_kv", 1);
  md.set(a + "attention.layer_norm_rms_epsilon", gguf::Value::from_f32(1e-6f));
  u32("vocab_size", kVocab);
  u32("leading_dense_block_count", 1);
  u32("attention.q_lora_rank", s.q_lora ? kQLora : 0);
  u32("attention.kv_lora_rank", kLora);
  if (s.old_kv_b) {
    u32("attention.key_length", kNope + kRope);
    u32("attention.value_length", kV);
  } else {
    u32("attention.key_length", kLora + kRope);
    u32("attention.value_length", kLora);
    u32("attention.key_length_mla", kNope + kRope);
    u32("attention.value_length_mla", kV);
  }
  u32("expert_feed_forward_length", kFfExp);
  u32("expert_count", kExp);
  u32("expert_used_count", 3);
  u32("expert_shared_count", 1);
  u32("expert_group_count", s.sigmoid ? 4 : 1);
  u32("expert_group_used_count", s.sigmoid ? 2 : 1);
  u32("expert_gating_func", s.sigmoid ? 2 : 1);
  md.set(a + "expert_weights_scale", gguf::Value::from_f32(s.sigmoid ? 2.5f : 1.0f));
  md.set(a + "expert_weights_norm", gguf::Value::from_bool(s.sigmoid));
  u32("rope.dimension_count", kRope);
  md.set(a + "rope.scaling.type", gguf::Value::from_string("yarn"));
  md.set(a + "rope.scaling.factor", gguf::Value::from_f32(40.0f));
  u32("rope.scaling.original_context_length", 4096);
  md.set(a + "rope.scaling.yarn_log_multiplier", gguf::Value::from_f32(0.1f));

  auto add = [&](const std::string& name, std::vector<int64_t> shape, DType type) {
    if (name != s.drop_tensor) w.add_tensor({name, type, std::move(shape)});
  };
  add("token_embd.weight", {kEmbd, kVocab}, s.type);
  add("output_norm.weight", {kEmbd}, DType::kF32);
  add("output.weight", {kEmbd, kVocab}, s.type);
  for (int64_t i = 0; i < kLayers; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    add(p + "attn_norm.weight", {kEmbd}, DType::kF32);
    if (s.q_lora) {
      add(p + "attn_q_a.weight", {kEmbd, kQLora}, s.type);
      add(p + "attn_q_a_norm.weight", {kQLora}, DType::kF32);
      add(p + "attn_q_b.weight", {kQLora, kHead * (kNope + kRope)}, s.type);
    } else {
      add(p + "attn_q.weight", {kEmbd, kHead * (kNope + kRope)}, s.type);
    }
    add(p + "attn_kv_a_mqa.weight", {kEmbd, kLora + kRope}, s.type);
    add(p + "attn_kv_a_norm.weight", {kLora}, DType::kF32);
    if (s.old_kv_b) {
      add(p + "attn_kv_b.weight", {kLora, kHead * (kNope + kV)}, DType::kF32);
    } else {
      add(p + "attn_k_b.weight", {kNope, kLora, kHead}, DType::kF32);
      add(p + "attn_v_b.weight", {kLora, kV, kHead}, DType::kF32);
    }
    add(p + "attn_output.weight", {kHead * kV, kEmbd}, s.type);
    add(p + "ffn_norm.weight", {kEmbd}, DType::kF32);
    if (i == 0) {
      add(p + "ffn_gate.weight", {kEmbd, kFf}, s.type);
      add(p + "ffn_up.weight", {kEmbd, kFf}, s.type);
      add(p + "ffn_down.weight", {kFf, kEmbd}, s.type);
    } else {
      add(p + "ffn_gate_inp.weight", {kEmbd, kExp}, DType::kF32);
      if (s.sigmoid) add(p + "exp_probs_b.bias", {kExp}, DType::kF32);
      add(p + "ffn_gate_exps.weight", {kEmbd, kFfExp, kExp}, s.type);
      add(p + "ffn_up_exps.weight", {kEmbd, kFfExp, kExp}, s.type);
      add(p + "ffn_down_exps.weight", {kFfExp, kEmbd, kExp}, s.type);
      add(p + "ffn_gate_shexp.weight", {kEmbd, kFfExp}, s.type);
      add(p + "ffn_up_shexp.weight", {kEmbd, kFfExp}, s.type);
      add(p + "ffn_down_shexp.weight", {kFfExp, kEmbd}, s.type);
    }
  }
  w.write(path, [&](size_t, const gguf::TensorDecl& d, std::vector<uint8_t>& out) {
    const int64_t n_in = d.shape[0];
    int64_t total = 1;
    for (auto x : d.shape) total *= x;
    std::vector<float> all(static_cast<size_t>(total));
    const auto kv_b = d.name.find("attn_kv_b") != std::string::npos;
    for (int64_t i = 0; i < total; ++i) {
      if (!kv_b) {
        all[static_cast<size_t>(i)] = value_of(d.name, i);
        continue;
      }
      // attn_kv_b row (h, r): key rows from attn_k_b[h] transposed, then attn_v_b[h] rows.
      const std::string p = d.name.substr(0, d.name.find("attn_kv_b"));
      const int64_t c = i % kLora;
      const int64_t row = i / kLora;
      const int64_t h = row / (kNope + kV);
      const int64_t r = row % (kNope + kV);
      all[static_cast<size_t>(i)] =
          r < kNope ? value_of(p + "attn_k_b.weight", h * kLora * kNope + c * kNope + r)
                    : value_of(p + "attn_v_b.weight", h * kV * kLora + (r - kNope) * kLora + c);
    }
    out.resize(d.n_bytes());
    const int64_t rows = total / n_in;
    const size_t rb = d.n_bytes() / static_cast<size_t>(rows);
    for (int64_t r = 0; r < rows; ++r) {
      tensor::quantize_row(d.type, all.data() + r * n_in, out.data() + rb * static_cast<size_t>(r),
                           n_in);
    }
  });
}

// repack = false keeps the weights at their file addresses (tests that count reads per tensor).
std::unique_ptr<Model> load_deepseek2(const std::string& path, kernels::ExecContext& ctx,
                                      std::shared_ptr<gguf::GgufFile>* file_out = nullptr,
                                      bool repack = true) {
  ModelOptions opt;
  opt.repack_weights = repack;
  opt.kv_block_size = 8;
  opt.kv_blocks = 64;
  opt.ctx_size = 128;
  std::shared_ptr<gguf::GgufFile> file = gguf::GgufFile::open(path);
  if (file_out != nullptr) *file_out = file;
  return load_model(file, opt, ctx);
}

std::vector<float> run_prompt(Model& m, const std::vector<int32_t>& tokens,
                              std::vector<int32_t> bt) {
  BatchSequence s;
  s.tokens = tokens;
  s.block_table = std::move(bt);
  s.want_all_logits = true;
  Batch b;
  b.sequences = {s};
  return m.forward(b).data;
}

const std::vector<int32_t> kPrompt = {1, 5, 9, 17, 33, 2, 70, 41, 8, 8, 3, 60};

TEST(Deepseek2Moe, SoftmaxTopKWithoutNormalisation) {
  MoeRouting r;
  r.n_expert = 4;
  r.n_used = 2;
  const std::vector<float> logits = {0.0f, 2.0f, 1.0f, -1.0f};
  MoeSelection sel;
  moe_select(r, {}, logits.data(), 1, sel);
  EXPECT_EQ(sel.expert, (std::vector<int32_t>{1, 2}));
  const double z = 1 + std::exp(2.0) + std::exp(1.0) + std::exp(-1.0);
  EXPECT_NEAR(sel.weight[0], std::exp(2.0) / z, 1e-6);
  EXPECT_NEAR(sel.weight[1], std::exp(1.0) / z, 1e-6);
}

TEST(Deepseek2Moe, SigmoidBiasSelectsGroupsNormalisesAndScales) {
  MoeRouting r;
  r.n_expert = 8;
  r.n_used = 2;
  r.gating = ExpertGating::kSigmoid;
  r.n_groups = 4;
  r.n_groups_used = 1;
  r.norm = true;
  r.scale = 2.5f;
  // Expert 0 has the highest probability alone, but group 3 (experts 6, 7) has the best pair
  // once the selection bias is added; the weights use the unbiased probabilities.
  const std::vector<float> logits = {3.0f, -3.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1.0f, 0.5f};
  const std::vector<float> bias = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.2f, 0.2f};
  MoeSelection sel;
  moe_select(r, bias, logits.data(), 1, sel);
  EXPECT_EQ(sel.expert, (std::vector<int32_t>{6, 7}));
  const float p6 = 1.0f / (1.0f + std::exp(-1.0f));
  const float p7 = 1.0f / (1.0f + std::exp(-0.5f));
  EXPECT_NEAR(sel.weight[0], 2.5f * p6 / (p6 + p7), 1e-6);
  EXPECT_NEAR(sel.weight[1], 2.5f * p7 / (p6 + p7), 1e-6);
}

TEST(Deepseek2Model, OldKvBLayoutEqualsSplitLayout) {
  ThreadPool pool(2);
  kernels::ExecContext ctx(pool);
  for (const bool q_lora : {true, false}) {
    SCOPED_TRACE(q_lora);
    DsSpec split;
    split.q_lora = q_lora;
    DsSpec old = split;
    old.old_kv_b = true;
    write_ds(test::tiny_model_path("ds_split"), split);
    write_ds(test::tiny_model_path("ds_old"), old);
    auto a = load_deepseek2(test::tiny_model_path("ds_split"), ctx);
    auto b = load_deepseek2(test::tiny_model_path("ds_old"), ctx);
    const auto la = run_prompt(*a, kPrompt, {0, 1});
    const auto lb = run_prompt(*b, kPrompt, {0, 1});
    ASSERT_EQ(la.size(), lb.size());
    double d = 0;
    for (size_t i = 0; i < la.size(); ++i) d = std::max(d, double(std::fabs(la[i] - lb[i])));
    EXPECT_LE(d, 1e-4);
  }
}

// The registry's facts (read before loading, for KV sizing) agree with what the model allocates.
TEST(Deepseek2Model, ArchitectureFactsMatchTheLoadedModel) {
  ThreadPool pool(1);
  kernels::ExecContext ctx(pool);
  write_ds(test::tiny_model_path("ds_facts"), DsSpec{});
  const auto file = gguf::GgufFile::open(test::tiny_model_path("ds_facts"));
  EXPECT_STREQ(architecture_of(*file).name, "deepseek2");
  const ArchitectureFacts facts = read_architecture_facts(*file);
  auto m = load_deepseek2(test::tiny_model_path("ds_facts"), ctx);
  const auto& ds = dynamic_cast<const Deepseek2Model&>(*m);
  EXPECT_EQ(facts.kv_bytes_per_token, ds.kv_pool_bytes_per_token());
  EXPECT_EQ(facts.kv_bytes_per_token, m->info().kv_bytes_per_token);
  EXPECT_EQ(facts.n_ctx_train, m->info().n_ctx_train);
}

TEST(Deepseek2Model, BatchEqualsAloneAndExpertsReadOncePerBatch) {
  ThreadPool pool(2);
  kernels::ExecContext ctx(pool);
  for (const bool sigmoid : {true, false}) {
    DsSpec s;
    s.sigmoid = sigmoid;
    s.q_lora = sigmoid;
    s.type = sigmoid ? DType::kQ8_0 : DType::kF16;
    write_ds(test::tiny_model_path("ds_batch"), s);
    std::shared_ptr<gguf::GgufFile> file;
    auto m = load_deepseek2(test::tiny_model_path("ds_batch"), ctx, &file, /*repack=*/false);
    const std::vector<std::vector<int32_t>> prompts = {kPrompt, {4, 4, 4}, {7, 11, 13, 19, 23}};
    std::vector<std::vector<float>> alone;
    for (size_t i = 0; i < prompts.size(); ++i) {
      alone.push_back(run_prompt(*m, prompts[i],
                                 {static_cast<int32_t>(2 * i), static_cast<int32_t>(2 * i + 1)}));
    }
    Batch b;
    for (size_t i = 0; i < prompts.size(); ++i) {
      BatchSequence s2;
      s2.tokens = prompts[i];
      s2.block_table = {static_cast<int32_t>(10 + 2 * i), static_cast<int32_t>(11 + 2 * i)};
      s2.want_all_logits = true;
      b.sequences.push_back(s2);
    }
    kernels::matmul_call_counts_reset();
    kernels::matmul_counting_enable(true);
    const Logits out = m->forward(b);
    kernels::matmul_counting_enable(false);
    for (const char* name : {"blk.1.ffn_gate_exps.weight", "blk.2.ffn_down_exps.weight"}) {
      const auto* t = file->find_tensor(name);
      ASSERT_NE(t, nullptr);
      uint64_t used = 0;
      for (int64_t e = 0; e < kExp; ++e) {
        const uint64_t calls = kernels::matmul_call_count(static_cast<const uint8_t*>(t->data) +
                                                          e * (t->n_bytes / kExp));
        EXPECT_LE(calls, 1u) << name << " expert " << e;
        used += calls;
      }
      EXPECT_GE(used, 3u) << name;  // 3 experts per token, 20 tokens: several experts ran
    }
    for (size_t i = 0; i < prompts.size(); ++i) {
      for (int64_t r = 0; r < out.row_count[i]; ++r) {
        for (int64_t v = 0; v < kVocab; ++v) {
          ASSERT_NEAR(out.row(out.first_row[i] + r)[v],
                      alone[i][static_cast<size_t>(r * kVocab + v)], 1e-4);
        }
      }
    }
    const auto* ds = dynamic_cast<const Deepseek2Model*>(m.get());
    ASSERT_NE(ds, nullptr);
    EXPECT_EQ(ds->kv_pool_bytes_per_token(), (kLora + kRope) * kLayers * 2);
  }
}

TEST(Deepseek2Model, MissingTensorNamesFileAndTensor) {
  DsSpec s;
  s.drop_tensor = "blk.2.ffn_up_exps.weight";
  write_ds(test::tiny_model_path("ds_missing"), s);
  ThreadPool pool(1);
  kernels::ExecContext ctx(pool);
  try {
    load_deepseek2(test::tiny_model_path("ds_missing"), ctx);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("blk.2.ffn_up_exps.weight"));
    EXPECT_THAT(e.what(), HasSubstr("ds_missing"));
  }
}

}  // namespace
}  // namespace dsinfer::model
