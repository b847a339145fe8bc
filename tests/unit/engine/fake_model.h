// Test doubles for the engine: a deterministic toy Model whose logits depend on the whole token
// history as read back through the KV block tables (so a wrong block reuse changes the output),
// and a TextCodec whose token t decodes to one letter.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/text_codec.h"
#include "model/model.h"

namespace dsinfer::engine::test {

class FakeModel : public model::Model {
 public:
  FakeModel(int64_t n_vocab, int64_t block_size, int64_t n_blocks, int64_t ctx)
      : block_size_(block_size),
        n_blocks_(n_blocks),
        ctx_(ctx),
        kv_(static_cast<size_t>(block_size * n_blocks)) {
    info_.architecture = "fake";
    info_.name = "fake";
    info_.n_vocab = n_vocab;
    info_.n_ctx_train = ctx;
    info_.kv_bytes_per_token = 64;
  }

  const model::ModelInfo& info() const override { return info_; }
  int64_t kv_block_size() const override { return block_size_; }
  int64_t kv_block_count() const override { return n_blocks_; }
  int64_t ctx_size() const override { return ctx_; }

  // Called on the engine thread at the start of every forward (tests use it to cancel, block or
  // throw at a precise point).
  std::function<void(const model::Batch&)> on_forward;
  // Called on the engine thread with the logits of every forward before they are returned.
  std::function<void(model::Logits&)> on_logits;

  model::Logits forward(const model::Batch& batch) override {
    if (on_forward) on_forward(batch);
    ++forward_calls;
    model::Logits out;
    out.n_vocab = info_.n_vocab;
    for (const auto& s : batch.sequences) {
      const int64_t end = s.start_pos + static_cast<int64_t>(s.tokens.size());
      if (s.tokens.empty()) fail(ErrorKind::kInvalidInput, "fake model: empty sequence");
      if (static_cast<int64_t>(s.block_table.size()) * block_size_ < end) {
        fail(ErrorKind::kInvalidInput, "fake model: block table too short");
      }
      for (size_t i = 0; i < s.tokens.size(); ++i) {
        const int64_t pos = s.start_pos + static_cast<int64_t>(i);
        Slot& slot = at(s.block_table, pos);
        slot.token = s.tokens[i];
        slot.pos = pos;
      }
      tokens_computed += static_cast<int64_t>(s.tokens.size());
      out.first_row.push_back(static_cast<int64_t>(out.data.size()) / info_.n_vocab);
      const int64_t first = s.want_all_logits ? s.start_pos : end - 1;
      for (int64_t p = first; p < end; ++p) append_row(s.block_table, p, out.data);
      out.row_count.push_back(end - first);
    }
    if (on_logits) on_logits(out);
    return out;
  }

  std::atomic<int64_t> tokens_computed{0};
  std::atomic<int64_t> forward_calls{0};

 private:
  struct Slot {
    int32_t token = -1;
    int64_t pos = -1;
  };
  Slot& at(const std::vector<int32_t>& table, int64_t pos) {
    const int32_t block = table[static_cast<size_t>(pos / block_size_)];
    if (block < 0 || block >= n_blocks_) fail(ErrorKind::kInvalidInput, "fake model: bad block");
    return kv_[static_cast<size_t>(block * block_size_ + pos % block_size_)];
  }
  // Logits after position p: a hash of every (token, position) stored in the KV for [0, p].
  void append_row(const std::vector<int32_t>& table, int64_t p, std::vector<float>& data) {
    uint64_t h = 1469598103934665603ULL;
    for (int64_t q = 0; q <= p; ++q) {
      const Slot& slot = at(table, q);
      if (slot.pos != q) fail(ErrorKind::kInternal, "fake model: KV of position {} missing", q);
      h = (h ^ static_cast<uint64_t>(slot.token + 7)) * 1099511628211ULL;
    }
    for (int64_t v = 0; v < info_.n_vocab; ++v) {
      uint64_t x = h ^ (static_cast<uint64_t>(v) * 0x9E3779B97F4A7C15ULL);
      x ^= x >> 31;
      x *= 0xBF58476D1CE4E5B9ULL;
      x ^= x >> 29;
      data.push_back(static_cast<float>(x % 100000) / 10000.0f);
    }
  }

  model::ModelInfo info_;
  int64_t block_size_;
  int64_t n_blocks_;
  int64_t ctx_;
  std::vector<Slot> kv_;
};

// Token t decodes to the letter 'a' + t % 26; `eog` ends generation; encode maps letters back;
// decoding `undecodable` throws (as a real tokenizer does for an id it does not have).
class FakeCodec : public TextCodec {
 public:
  explicit FakeCodec(TokenId eog = -1, TokenId undecodable = -1)
      : eog_(eog), undecodable_(undecodable) {}
  std::vector<TokenId> encode(const std::string& text, std::optional<bool> add_bos,
                              bool /*parse_special*/) const override {
    std::vector<TokenId> out;
    if (add_bos.value_or(true)) out.push_back(1);
    for (char c : text) out.push_back(static_cast<TokenId>(c - 'a' + 2));
    return out;
  }
  bool is_end_of_generation(TokenId token) const override { return token == eog_; }
  std::unique_ptr<PieceDecoder> make_decoder() const override {
    struct Decoder : PieceDecoder {
      explicit Decoder(TokenId bad) : undecodable(bad) {}
      std::string push(TokenId t) override {
        if (t == undecodable) fail(ErrorKind::kInvalidInput, "fake codec: cannot decode {}", t);
        return std::string(1, static_cast<char>('a' + t % 26));
      }
      std::string flush() override { return {}; }
      TokenId undecodable;
    };
    return std::make_unique<Decoder>(undecodable_);
  }

 private:
  TokenId eog_;
  TokenId undecodable_;
};

}  // namespace dsinfer::engine::test
