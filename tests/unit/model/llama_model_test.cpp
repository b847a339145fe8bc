// llama / qwen2 model on small random files: weights read once per forward, batch validation,
// loading errors that name file, tensor and shapes, batch-of-N equals alone, KV accounting.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/error.h"
#include "base/thread_pool.h"
#include "gguf/gguf_file.h"
#include "kernels/matmul.h"
#include "model/model.h"
#include "support/fixtures.h"
#include "support/logits_compare.h"
#include "tiny_model.h"

namespace dsinfer::model {
namespace {

using test::max_abs_diff;
using test::TinyModelSpec;
using ::testing::HasSubstr;

std::string model_path(const std::string& name) { return test::temp_dir() + "/" + name + ".gguf"; }

struct Loaded {
  std::shared_ptr<gguf::GgufFile> file;
  std::unique_ptr<Model> model;
};

Loaded load_llama(const std::string& path, kernels::ExecContext& ctx, int64_t blocks = 64,
                  bool repack = true) {
  Loaded l;
  l.file = gguf::GgufFile::open(path);
  ModelOptions opt;
  opt.kv_block_size = 8;
  opt.kv_blocks = blocks;
  opt.ctx_size = 128;
  opt.repack_weights = repack;
  l.model = load_model(l.file, opt, ctx);
  return l;
}

std::string load_error(const TinyModelSpec& spec, const std::string& name) {
  const std::string path = model_path(name);
  test::write_tiny_model(path, spec);
  ThreadPool pool(1);
  kernels::ExecContext ctx(pool);
  try {
    load_llama(path, ctx);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

BatchSequence seq(int64_t id, std::vector<int32_t> tokens, int64_t start, std::vector<int32_t> bt,
                  bool all = false) {
  BatchSequence s;
  s.seq_id = id;
  s.tokens = std::move(tokens);
  s.start_pos = start;
  s.block_table = std::move(bt);
  s.want_all_logits = all;
  return s;
}

TEST(LlamaModel, EveryWeightIsReadOncePerForward) {
  for (const char* arch : {"llama", "qwen2"}) {
    for (bool tied : {false, true}) {
      TinyModelSpec spec;
      spec.arch = arch;
      spec.tied_output = tied;
      spec.weight_type = tensor::DType::kQ8_0;
      const std::string path = model_path(std::string("once-") + arch + (tied ? "-tied" : ""));
      test::write_tiny_model(path, spec);
      ThreadPool pool(2);
      kernels::ExecContext ctx(pool);
      // In place (no repack): reads are counted per weight address, looked up in the file.
      Loaded l = load_llama(path, ctx, 64, /*repack=*/false);
      Batch warm;
      warm.sequences = {seq(2, {1, 2, 3, 4, 5, 6, 7, 8, 9}, 0, {3, 4})};
      l.model->forward(warm);
      // A prompt, a chunk continuing a cached prefix, and a decode token in one batch.
      Batch b;
      b.sequences = {seq(1, {5, 6, 7, 8, 9, 10, 11}, 0, {0}, true), seq(2, {10, 11, 12}, 9, {3, 4}),
                     seq(3, {42}, 0, {7})};
      kernels::matmul_counting_enable(true);
      kernels::matmul_call_counts_reset();
      const Logits out = l.model->forward(b);
      kernels::matmul_counting_enable(false);
      ASSERT_EQ(out.data.size(), static_cast<size_t>((7 + 1 + 1) * spec.n_vocab));
      EXPECT_EQ(out.first_row, (std::vector<int64_t>{0, 7, 8}));
      EXPECT_EQ(out.row_count, (std::vector<int64_t>{7, 1, 1}));
      int checked = 0;
      for (const auto& t : l.file->tensors()) {
        if (t.shape.size() != 2) continue;
        // token_embd is only looked up row by row, unless it doubles as the output head.
        const uint64_t want = (t.name == "token_embd.weight" && !tied) ? 0u : 1u;
        EXPECT_EQ(kernels::matmul_call_count(t.data), want) << arch << " " << t.name;
        ++checked;
      }
      EXPECT_EQ(checked, spec.n_layer * 7 + (tied ? 1 : 2));
    }
  }
}

TEST(LlamaModel, BatchOfSequencesEqualsEachAloneAndChunksEqualWhole) {
  for (const char* arch : {"llama", "qwen2"}) {
    TinyModelSpec spec;
    spec.arch = arch;
    spec.weight_type = tensor::DType::kQ4_K;
    spec.n_embd = 256;
    spec.n_ff = 256;
    spec.n_head = 8;
    const std::string path = model_path(std::string("batch-") + arch);
    test::write_tiny_model(path, spec);
    ThreadPool pool(2);
    kernels::ExecContext ctx(pool);
    Loaded l = load_llama(path, ctx);
    const int64_t nv = spec.n_vocab;
    const std::vector<std::vector<int32_t>> prompts = {
        {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5},
        {2, 7, 1, 8},
        {1, 6, 1, 8, 0, 3, 3, 9, 8, 8, 7, 4, 9, 8, 9}};
    std::vector<std::vector<float>> alone;
    for (size_t i = 0; i < prompts.size(); ++i) {
      Batch b;
      b.sequences = {seq(0, prompts[i], 0,
                         {static_cast<int32_t>(10 + 2 * i), static_cast<int32_t>(11 + 2 * i)},
                         true)};
      const Logits o = l.model->forward(b);
      alone.push_back(o.data);
    }
    Batch together;
    for (size_t i = 0; i < prompts.size(); ++i) {
      together.sequences.push_back(
          seq(static_cast<int64_t>(i), prompts[i], 0,
              {static_cast<int32_t>(20 + 2 * i), static_cast<int32_t>(21 + 2 * i)}, true));
    }
    const Logits t = l.model->forward(together);
    for (size_t i = 0; i < prompts.size(); ++i) {
      const auto n = static_cast<int64_t>(prompts[i].size());
      ASSERT_EQ(t.row_count[i], n);
      // Bound 1e-4: rows are computed independently, so in practice they are identical.
      EXPECT_LE(max_abs_diff(t.row(t.first_row[i]), alone[i].data(), n * nv), 1e-4)
          << arch << " seq " << i;
    }
    // Chunks of 4 over blocks 30, 31 equal the whole prompt.
    const auto& p = prompts[2];
    for (size_t start = 0; start < p.size(); start += 4) {
      const size_t len = std::min<size_t>(4, p.size() - start);
      Batch b;
      b.sequences = {seq(9, std::vector<int32_t>(p.begin() + start, p.begin() + start + len),
                         static_cast<int64_t>(start), {30, 31}, true)};
      const Logits o = l.model->forward(b);
      EXPECT_LE(
          max_abs_diff(o.data.data(), alone[2].data() + start * nv, static_cast<int64_t>(len) * nv),
          1e-4)
          << arch << " chunk at " << start;
    }
  }
}

// Q4_K / Q6_K / Q8_0 weights are repacked into 8-row groups at load (kernels/weight_pack.h); the
// logits equal those computed from the file's layout, tied output included (the embedding rows
// are still read from the file after the repack released its pages).
TEST(LlamaModel, RepackedWeightsGiveTheSameLogitsAsTheFileLayout) {
  for (const auto type : {tensor::DType::kQ4_K, tensor::DType::kQ6_K, tensor::DType::kQ8_0}) {
    for (const bool tied : {false, true}) {
      TinyModelSpec spec;
      spec.arch = "qwen2";
      spec.weight_type = type;
      spec.tied_output = tied;
      spec.n_embd = 256;
      spec.n_ff = 512;
      spec.n_head = 8;
      const std::string path =
          model_path(std::string("repack-") + tensor::dtype_name(type) + (tied ? "-tied" : ""));
      test::write_tiny_model(path, spec);
      ThreadPool pool(2);
      kernels::ExecContext ctx(pool);
      Loaded packed = load_llama(path, ctx, 64, true);
      Loaded plain = load_llama(path, ctx, 64, false);
      Batch b;
      b.sequences = {seq(0, {5, 3, 7, 1, 9, 2, 8}, 0, {1}, true)};
      const Logits a = packed.model->forward(b);
      const Logits c = plain.model->forward(b);
      ASSERT_EQ(a.data.size(), c.data.size());
      const int64_t nv = spec.n_vocab;
      double max_logit = 0;
      for (float v : c.data) max_logit = std::max(max_logit, std::fabs(double(v)));
      // Same integer sums per super-block; only the float summation order differs, so rows agree
      // to ~1e-6 -- unless such a difference flips the rounding of one activation when it is
      // re-quantised to 8 bits in a later layer, which moves that row (and only that row) by a
      // fraction of a percent. A layout error would move every row by far more.
      int close_rows = 0;
      for (int64_t r = 0; r < 7; ++r) {
        const double d = max_abs_diff(a.row(r), c.row(r), nv);
        close_rows += d <= 1e-5 * max_logit ? 1 : 0;
        EXPECT_LE(d, 0.02 * max_logit)
            << tensor::dtype_name(type) << (tied ? " tied" : "") << " row " << r;
      }
      EXPECT_GE(close_rows, 5) << tensor::dtype_name(type) << (tied ? " tied" : "");
    }
  }
}

TEST(LlamaModel, ReportsInfoAndKvBytes) {
  TinyModelSpec spec;
  spec.arch = "qwen2";
  spec.tied_output = true;
  spec.weight_type = tensor::DType::kQ8_0;
  const std::string path = model_path("info-qwen2");
  test::write_tiny_model(path, spec);
  ThreadPool pool(1);
  kernels::ExecContext ctx(pool);
  Loaded l = load_llama(path, ctx, 10);
  const ModelInfo& info = l.model->info();
  EXPECT_EQ(info.architecture, "qwen2");
  EXPECT_EQ(info.name, "tiny-qwen2");
  EXPECT_EQ(info.weight_type, "Q8_0");
  EXPECT_EQ(info.n_vocab, spec.n_vocab);
  EXPECT_EQ(info.n_ctx_train, spec.n_ctx);
  // K and V rows of n_head_kv * head_dim halves per layer.
  EXPECT_EQ(info.kv_bytes_per_token,
            spec.n_layer * 2 * spec.n_head_kv * (spec.n_embd / spec.n_head) * 2);
  EXPECT_GT(info.weight_bytes_per_token, 0);
  EXPECT_EQ(l.model->kv_block_count(), 10);
  EXPECT_EQ(l.model->kv_block_size(), 8);
  EXPECT_EQ(l.model->ctx_size(), 128);
}

TEST(LlamaModel, MalformedBatchesAreInvalidInput) {
  TinyModelSpec spec;
  const std::string path = model_path("bad-batch");
  test::write_tiny_model(path, spec);
  ThreadPool pool(1);
  kernels::ExecContext ctx(pool);
  Loaded l = load_llama(path, ctx, 4);
  auto error_of = [&](BatchSequence s) -> std::string {
    Batch b;
    b.sequences = {std::move(s)};
    try {
      l.model->forward(b);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
      return e.what();
    }
    return "";
  };
  EXPECT_THAT(error_of(seq(5, {1, 96}, 0, {0})), HasSubstr("token id 96"));
  EXPECT_THAT(error_of(seq(5, {1, -1}, 0, {0})), HasSubstr("token id -1"));
  EXPECT_THAT(error_of(seq(5, {}, 0, {0})), HasSubstr("no tokens"));
  EXPECT_THAT(error_of(seq(5, {1, 2}, 7, {0})), HasSubstr("block table has 1 blocks, 2 needed"));
  EXPECT_THAT(error_of(seq(5, {1}, 0, {4})), HasSubstr("block id 4 outside the pool"));
  EXPECT_THAT(error_of(seq(5, {1}, 128, {0, 1, 2, 3})), HasSubstr("exceed the context size 128"));
  EXPECT_THAT(error_of(seq(5, {1}, -1, {0})), HasSubstr("start_pos -1"));
  Batch empty;
  EXPECT_THROW(l.model->forward(empty), Error);
}

TEST(LlamaModel, MissingTensorNamesFileTensorAndShape) {
  TinyModelSpec spec;
  spec.drop_tensor = "blk.1.ffn_up.weight";
  const std::string msg = load_error(spec, "missing");
  EXPECT_THAT(msg, HasSubstr("missing.gguf"));
  EXPECT_THAT(msg, HasSubstr("missing tensor 'blk.1.ffn_up.weight'"));
  EXPECT_THAT(msg, HasSubstr("[64, 128]"));
}

TEST(LlamaModel, MisShapedTensorNamesExpectedAndActual) {
  TinyModelSpec spec;
  spec.reshape_tensor = "blk.0.attn_k.weight";
  const std::string msg = load_error(spec, "misshaped");
  EXPECT_THAT(msg, HasSubstr("misshaped.gguf"));
  EXPECT_THAT(msg, HasSubstr("'blk.0.attn_k.weight' has shape [64, 33], expected [64, 32]"));
  spec.reshape_tensor = "output_norm.weight";
  EXPECT_THAT(load_error(spec, "misshaped-norm"), HasSubstr("has shape [65], expected [64]"));
}

TEST(LlamaModel, UnsupportedWeightTypeIsAClearError) {
  TinyModelSpec spec;
  spec.n_embd = 256;
  spec.n_ff = 256;
  spec.odd_type_tensor = "blk.0.attn_q.weight";
  const std::string msg = load_error(spec, "oddtype");
  EXPECT_THAT(msg, HasSubstr("'blk.0.attn_q.weight' has type Q2_K"));
  EXPECT_THAT(msg, HasSubstr("not support"));
}

TEST(LlamaModel, UnknownArchitectureIsUnsupported) {
  TinyModelSpec spec;
  spec.arch = "gpt2";
  EXPECT_THAT(load_error(spec, "arch"), HasSubstr("architecture 'gpt2' is not supported"));
}

}  // namespace
}  // namespace dsinfer::model
