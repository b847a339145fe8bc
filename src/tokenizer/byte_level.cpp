// GPT-2 byte <-> unicode stand-in table (see byte_level.h).
#include "tokenizer/byte_level.h"

#include "tokenizer/utf8.h"

namespace dsinfer::tokenizer {

namespace {
bool is_printable_latin1(int b) {
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}
}  // namespace

ByteLevelCodec::ByteLevelCodec() {
  decoded_.fill(-1);
  uint32_t next_extra = 256;
  for (int b = 0; b < 256; ++b) {
    const uint32_t cp = is_printable_latin1(b) ? static_cast<uint32_t>(b) : next_extra++;
    utf8_append(cp, encoded_[b]);
    decoded_[cp] = static_cast<int16_t>(b);
  }
}

void ByteLevelCodec::encode(std::string_view bytes, std::string& out) const {
  for (char c : bytes) out += encoded_[static_cast<uint8_t>(c)];
}

bool ByteLevelCodec::decode(std::string_view text, std::string& out) const {
  bool all_mapped = true;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    const uint32_t cp = utf8_next(text, pos);
    if (cp < decoded_.size() && decoded_[cp] >= 0) {
      out += static_cast<char>(decoded_[cp]);
    } else {
      out.append(text.substr(start, pos - start));
      all_mapped = false;
    }
  }
  return all_mapped;
}

}  // namespace dsinfer::tokenizer
