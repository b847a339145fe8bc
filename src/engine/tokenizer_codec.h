// TextCodec over the real tokenizer (tokenizer::Tokenizer + IncrementalDetokenizer).
#pragma once

#include <memory>

#include "engine/text_codec.h"
#include "tokenizer/tokenizer.h"

namespace dsinfer::engine {

// The codec and its decoders keep the tokenizer alive. Prompts are plain text unless the
// caller asks for special-token parsing (TextCodec::encode).
std::shared_ptr<const TextCodec> make_tokenizer_codec(
    std::shared_ptr<const tokenizer::Tokenizer> tokenizer);

}  // namespace dsinfer::engine
