// Writes small random llama / qwen2 GGUF files for model tests.
#include "tiny_model.h"

#include <random>
#include <vector>

#include "gguf/gguf_writer.h"
#include "tensor/quantize.h"

namespace dsinfer::test {

void write_tiny_model(const std::string& path, const TinyModelSpec& s) {
  using tensor::DType;
  gguf::GgufWriter w;
  auto& md = w.metadata();
  const std::string a = s.arch;
  md.set("general.architecture", gguf::Value::from_string(a));
  md.set("general.name", gguf::Value::from_string("tiny-" + a));
  md.set(a + ".block_count", gguf::Value::from_u32(static_cast<uint32_t>(s.n_layer)));
  md.set(a + ".context_length", gguf::Value::from_u32(static_cast<uint32_t>(s.n_ctx)));
  md.set(a + ".embedding_length", gguf::Value::from_u32(static_cast<uint32_t>(s.n_embd)));
  md.set(a + ".feed_forward_length", gguf::Value::from_u32(static_cast<uint32_t>(s.n_ff)));
  md.set(a + ".attention.head_count", gguf::Value::from_u32(static_cast<uint32_t>(s.n_head)));
  md.set(a + ".attention.head_count_kv", gguf::Value::from_u32(static_cast<uint32_t>(s.n_head_kv)));
  md.set(a + ".attention.layer_norm_rms_epsilon", gguf::Value::from_f32(1e-6f));
  md.set(a + ".rope.freq_base", gguf::Value::from_f32(10000.0f));
  md.set(a + ".vocab_size", gguf::Value::from_u32(static_cast<uint32_t>(s.n_vocab)));

  const int64_t hd = s.n_embd / s.n_head;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, DType type) {
    if (name == s.drop_tensor) return;
    if (name == s.reshape_tensor) shape.back() += 1;
    if (name == s.odd_type_tensor) type = DType::kQ2_K;
    w.add_tensor({name, type, shape});
  };
  add("token_embd.weight", {s.n_embd, s.n_vocab}, s.weight_type);
  add("output_norm.weight", {s.n_embd}, DType::kF32);
  if (!s.tied_output) add("output.weight", {s.n_embd, s.n_vocab}, s.weight_type);
  for (int64_t i = 0; i < s.n_layer; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    add(p + "attn_norm.weight", {s.n_embd}, DType::kF32);
    add(p + "attn_q.weight", {s.n_embd, s.n_head * hd}, s.weight_type);
    add(p + "attn_k.weight", {s.n_embd, s.n_head_kv * hd}, s.weight_type);
    add(p + "attn_v.weight", {s.n_embd, s.n_head_kv * hd}, s.weight_type);
    if (a == "qwen2") {
      add(p + "attn_q.bias", {s.n_head * hd}, DType::kF32);
      add(p + "attn_k.bias", {s.n_head_kv * hd}, DType::kF32);
      add(p + "attn_v.bias", {s.n_head_kv * hd}, DType::kF32);
    }
    add(p + "attn_output.weight", {s.n_head * hd, s.n_embd}, s.weight_type);
    add(p + "ffn_norm.weight", {s.n_embd}, DType::kF32);
    add(p + "ffn_gate.weight", {s.n_embd, s.n_ff}, s.weight_type);
    add(p + "ffn_up.weight", {s.n_embd, s.n_ff}, s.weight_type);
    add(p + "ffn_down.weight", {s.n_ff, s.n_embd}, s.weight_type);
  }

  std::mt19937 rng(s.seed);
  w.write(path, [&](size_t, const gguf::TensorDecl& d, std::vector<uint8_t>& out) {
    const int64_t n_in = d.shape[0];
    int64_t rows = 1;
    for (size_t i = 1; i < d.shape.size(); ++i) rows *= d.shape[i];
    const bool is_norm = d.name.find("norm") != std::string::npos;
    std::normal_distribution<float> dist(is_norm ? 1.0f : 0.0f, is_norm ? 0.1f : 0.3f);
    std::vector<float> row(static_cast<size_t>(n_in));
    out.resize(d.n_bytes());
    const size_t rb = d.n_bytes() / static_cast<size_t>(rows);
    for (int64_t r = 0; r < rows; ++r) {
      for (auto& x : row) x = dist(rng);
      tensor::quantize_row(d.type, row.data(), out.data() + rb * static_cast<size_t>(r), n_in);
    }
  });
}

}  // namespace dsinfer::test
