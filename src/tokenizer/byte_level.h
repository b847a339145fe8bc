// Byte-level BPE alphabet: the reversible map between the 256 byte values and 256 printable
// Unicode characters that GPT-2 style vocabularies store their tokens in.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace dsinfer::tokenizer {

// NOTE: GPT-2's byte-to-unicode table: printable Latin-1 bytes (0x21-0x7E, 0xA1-0xAC,
// 0xAE-0xFF) map to the same code point; the remaining 68 bytes map, in increasing byte order,
// to U+0100, U+0101, ... so every byte has a visible, non-space stand-in (space -> U+0120 'Ġ').
// Immutable after construction; thread-safe.
class ByteLevelCodec {
 public:
  ByteLevelCodec();

  // UTF-8 text of the stand-in character of `byte`.
  std::string_view encode_byte(uint8_t byte) const { return encoded_[byte]; }
  // Appends the stand-ins of every byte of `bytes` to `out`.
  void encode(std::string_view bytes, std::string& out) const;
  // Maps a token's stand-in text back to raw bytes, appending to `out`. A character that is not
  // a stand-in is copied as its UTF-8 bytes. Returns false when such a character was met.
  bool decode(std::string_view text, std::string& out) const;

 private:
  std::array<std::string, 256> encoded_;
  std::array<int16_t, 324> decoded_;  // code point (< 324) -> byte, -1 if not a stand-in
};

}  // namespace dsinfer::tokenizer
