// Special-token partitioning of raw text (see special_tokens.h).
#include "tokenizer/special_tokens.h"

#include <algorithm>

namespace dsinfer::tokenizer {

SpecialTokenMatcher::SpecialTokenMatcher(const Vocab& vocab) : vocab_(vocab) {
  for (int32_t id = 0; id < vocab.size(); ++id) {
    const TokenType t = vocab.type(id);
    if ((t == TokenType::kControl || t == TokenType::kUserDefined || t == TokenType::kUnknown) &&
        !vocab.text(id).empty()) {
      specials_.push_back(id);
    }
  }
  std::stable_sort(specials_.begin(), specials_.end(), [&](int32_t a, int32_t b) {
    return vocab.text(a).size() > vocab.text(b).size();
  });
  root_children_.fill(-1);
  trie_.emplace_back();
  for (size_t i = 0; i < specials_.size(); ++i) {
    always_.push_back(vocab.type(specials_[i]) == TokenType::kUserDefined);
    int32_t node = 0;
    for (char c : vocab.text(specials_[i])) {
      const auto byte = static_cast<uint8_t>(c);
      int32_t next = child(node, byte);
      if (next < 0) {
        next = static_cast<int32_t>(trie_.size());
        trie_.emplace_back();
        if (node == 0) {
          root_children_[byte] = next;
        } else {
          trie_[static_cast<size_t>(node)].children.emplace_back(byte, next);
        }
      }
      node = next;
    }
    // Duplicate texts: the earlier (same length, lower id) entry keeps the node.
    if (trie_[static_cast<size_t>(node)].special < 0) {
      trie_[static_cast<size_t>(node)].special = static_cast<int32_t>(i);
    }
  }
}

int32_t SpecialTokenMatcher::child(int32_t node, uint8_t byte) const {
  if (node == 0) return root_children_[byte];
  for (const auto& [b, next] : trie_[static_cast<size_t>(node)].children) {
    if (b == byte) return next;
  }
  return -1;
}

void SpecialTokenMatcher::partition(std::string_view text, bool parse_special,
                                    const ByteRanges& untrusted,
                                    std::vector<TextFragment>& out) const {
  if (text.empty()) return;
  // Pass 1: which special tokens occur anywhere in the text.
  std::vector<int32_t> present;
  if (!specials_.empty()) {
    std::vector<bool> seen(specials_.size(), false);
    for (size_t start = 0; start < text.size(); ++start) {
      int32_t node = root_children_[static_cast<uint8_t>(text[start])];
      for (size_t pos = start + 1; node >= 0; ++pos) {
        const int32_t s = trie_[static_cast<size_t>(node)].special;
        if (s >= 0 && !seen[static_cast<size_t>(s)] &&
            (parse_special || always_[static_cast<size_t>(s)]) &&
            !overlaps(untrusted, start, pos)) {
          seen[static_cast<size_t>(s)] = true;
          present.push_back(s);
        }
        if (pos >= text.size()) break;
        node = child(node, static_cast<uint8_t>(text[pos]));
      }
    }
    std::sort(present.begin(), present.end());  // specials_ order: longest first
  }
  // Pass 2: split plain fragments by each present token in priority order.
  std::vector<TextFragment> current{{-1, text}};
  std::vector<TextFragment> next;
  for (int32_t s : present) {
    const int32_t id = specials_[static_cast<size_t>(s)];
    const std::string& token_text = vocab_.text(id);
    next.clear();
    for (const TextFragment& frag : current) {
      if (frag.token >= 0) {
        next.push_back(frag);
        continue;
      }
      const auto base = static_cast<size_t>(frag.text.data() - text.data());
      size_t from = 0;
      size_t search = 0;
      while (true) {
        const size_t hit = frag.text.find(token_text, search);
        if (hit == std::string_view::npos) break;
        if (overlaps(untrusted, base + hit, base + hit + token_text.size())) {
          search = hit + 1;  // caller text: not a token
          continue;
        }
        if (hit > from) next.push_back({-1, frag.text.substr(from, hit - from)});
        next.push_back({id, frag.text.substr(hit, token_text.size())});
        from = hit + token_text.size();
        search = from;
      }
      if (from < frag.text.size()) next.push_back({-1, frag.text.substr(from)});
    }
    current.swap(next);
  }
  out.insert(out.end(), current.begin(), current.end());
}

}  // namespace dsinfer::tokenizer
