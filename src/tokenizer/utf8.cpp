// UTF-8 well-formedness checks and lossy decoding (see utf8.h).
#include "tokenizer/utf8.h"

namespace dsinfer::tokenizer {

namespace {

// Expected length of a sequence starting with `lead` and the valid range of its second byte
// (Unicode Table 3-7, "Well-Formed UTF-8 Byte Sequences"). Length 0: never a valid lead byte.
struct LeadInfo {
  int length;
  uint8_t second_lo;
  uint8_t second_hi;
};

LeadInfo lead_info(uint8_t lead) {
  if (lead < 0x80) return {1, 0, 0};
  if (lead < 0xC2) return {0, 0, 0};
  if (lead < 0xE0) return {2, 0x80, 0xBF};
  if (lead == 0xE0) return {3, 0xA0, 0xBF};
  if (lead == 0xED) return {3, 0x80, 0x9F};
  if (lead < 0xF0) return {3, 0x80, 0xBF};
  if (lead == 0xF0) return {4, 0x90, 0xBF};
  if (lead < 0xF4) return {4, 0x80, 0xBF};
  if (lead == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

// Length of the maximal valid prefix of the sequence at `p` (1..4), whether it is complete.
struct SeqCheck {
  size_t valid;    // bytes that belong to a well-formed (possibly incomplete) prefix, >= 1
  bool complete;   // the whole sequence is present and well-formed
  bool truncated;  // stopped only because the input ended
};

SeqCheck check_sequence(const uint8_t* p, size_t n) {
  const LeadInfo info = lead_info(p[0]);
  if (info.length == 0) return {1, false, false};
  if (info.length == 1) return {1, true, false};
  size_t i = 1;
  for (; i < static_cast<size_t>(info.length); ++i) {
    if (i >= n) return {i, false, true};
    const uint8_t lo = (i == 1) ? info.second_lo : 0x80;
    const uint8_t hi = (i == 1) ? info.second_hi : 0xBF;
    if (p[i] < lo || p[i] > hi) return {i, false, false};
  }
  return {i, true, false};
}

}  // namespace

void utf8_append(uint32_t cp, std::string& out) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    out += kReplacementChar;
  } else if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

size_t utf8_decode_lossy(std::string_view bytes, bool final, std::string& out) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t n = bytes.size();
  size_t pos = 0;
  while (pos < n) {
    if (p[pos] < 0x80) {
      out += static_cast<char>(p[pos]);
      ++pos;
      continue;
    }
    const SeqCheck c = check_sequence(p + pos, n - pos);
    if (c.complete) {
      out.append(bytes.data() + pos, c.valid);
    } else if (c.truncated && !final) {
      return pos;  // may still complete with more bytes
    } else {
      out += kReplacementChar;
    }
    pos += c.valid;
  }
  return pos;
}

bool utf8_is_valid(std::string_view bytes) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t pos = 0;
  while (pos < bytes.size()) {
    if (p[pos] < 0x80) {
      ++pos;
      continue;
    }
    const SeqCheck c = check_sequence(p + pos, bytes.size() - pos);
    if (!c.complete) return false;
    pos += c.valid;
  }
  return true;
}

uint32_t utf8_next(std::string_view text, size_t& pos) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  const SeqCheck c = check_sequence(p + pos, text.size() - pos);
  if (!c.complete) {
    pos += 1;
    return 0xFFFD;
  }
  uint32_t cp = 0;
  switch (c.valid) {
    case 1:
      cp = p[pos];
      break;
    case 2:
      cp = ((p[pos] & 0x1Fu) << 6) | (p[pos + 1] & 0x3Fu);
      break;
    case 3:
      cp = ((p[pos] & 0x0Fu) << 12) | ((p[pos + 1] & 0x3Fu) << 6) | (p[pos + 2] & 0x3Fu);
      break;
    default:
      cp = ((p[pos] & 0x07u) << 18) | ((p[pos + 1] & 0x3Fu) << 12) | ((p[pos + 2] & 0x3Fu) << 6) |
           (p[pos + 3] & 0x3Fu);
      break;
  }
  pos += c.valid;
  return cp;
}

}  // namespace dsinfer::tokenizer
