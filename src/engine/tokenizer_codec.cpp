// Adapter from the tokenizer layer to the engine's TextCodec interface.
#include "engine/tokenizer_codec.h"

#include "tokenizer/incremental_detokenizer.h"

namespace dsinfer::engine {

namespace {

class TokenizerDecoder : public PieceDecoder {
 public:
  TokenizerDecoder(std::shared_ptr<const tokenizer::Tokenizer> tok)
      : tok_(std::move(tok)), detok_(*tok_) {}
  std::string push(TokenId token) override { return detok_.push(token); }
  std::string flush() override { return detok_.flush(); }

 private:
  std::shared_ptr<const tokenizer::Tokenizer> tok_;  // keeps the tokenizer alive
  tokenizer::IncrementalDetokenizer detok_;
};

class TokenizerCodec : public TextCodec {
 public:
  explicit TokenizerCodec(std::shared_ptr<const tokenizer::Tokenizer> tok) : tok_(std::move(tok)) {}
  std::vector<TokenId> encode(const std::string& text, std::optional<bool> add_bos,
                              bool parse_special) const override {
    const bool bos = add_bos.value_or(tok_->add_bos_default());
    if (parse_special) return tok_->encode(text, bos, /*parse_special=*/true);
    return tok_->encode(tokenizer::MarkedText::from_caller(text), bos);
  }
  bool is_end_of_generation(TokenId token) const override {
    return tok_->is_end_of_generation(token);
  }
  std::unique_ptr<PieceDecoder> make_decoder() const override {
    return std::make_unique<TokenizerDecoder>(tok_);
  }

 private:
  std::shared_ptr<const tokenizer::Tokenizer> tok_;
};

}  // namespace

std::shared_ptr<const TextCodec> make_tokenizer_codec(
    std::shared_ptr<const tokenizer::Tokenizer> tokenizer) {
  return std::make_shared<TokenizerCodec>(std::move(tokenizer));
}

}  // namespace dsinfer::engine
