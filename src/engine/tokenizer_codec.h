// TextCodec over the real tokenizer (tokenizer::Tokenizer + IncrementalDetokenizer).
#pragma once

#include <memory>

#include "engine/text_codec.h"
#include "tokenizer/tokenizer.h"

namespace dsinfer::engine {

// The codec and its decoders keep the tokenizer alive. Prompts are encoded with
// special tokens parsed (chat templates put control tokens in the text).
std::shared_ptr<const TextCodec> make_tokenizer_codec(
    std::shared_ptr<const tokenizer::Tokenizer> tokenizer);

}  // namespace dsinfer::engine
