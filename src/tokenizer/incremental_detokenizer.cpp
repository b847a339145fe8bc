// Streaming detokenization with UTF-8 boundary handling (see incremental_detokenizer.h).
#include "tokenizer/incremental_detokenizer.h"

#include "tokenizer/utf8.h"

namespace dsinfer::tokenizer {

std::string IncrementalDetokenizer::push(int32_t id) {
  pending_ += tokenizer_.token_piece(id);
  std::string out;
  const size_t consumed = utf8_decode_lossy(pending_, /*final=*/false, out);
  pending_.erase(0, consumed);
  return out;
}

std::string IncrementalDetokenizer::flush() {
  std::string out;
  utf8_decode_lossy(pending_, /*final=*/true, out);
  pending_.clear();
  return out;
}

}  // namespace dsinfer::tokenizer
