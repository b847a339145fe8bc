// BPE merge table construction and rank-ordered merging (see bpe_model.h).
#include "tokenizer/bpe_model.h"

#include <queue>

#include "base/error.h"
#include "tokenizer/utf8.h"

namespace dsinfer::tokenizer {

namespace {

struct Symbol {
  int32_t id;
  int32_t prev;
  int32_t next;
  bool alive;
};

struct Candidate {
  int32_t rank;
  int32_t left;
  int32_t right;
  int32_t left_id;
  int32_t right_id;
  int32_t result;
};

struct CandidateAfter {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

}  // namespace

BpeModel::BpeModel(const Vocab& vocab, bool ignore_merges)
    : vocab_(vocab),
      ignore_merges_(ignore_merges),
      cache_(std::make_unique<std::array<CacheShard, kCacheShards>>()) {
  for (int b = 0; b < 256; ++b) {
    byte_symbol_[static_cast<size_t>(b)] = intern(codec_.encode_byte(static_cast<uint8_t>(b)));
  }
  const auto& merges = vocab.spec().merges;
  merges_.reserve(merges.size());
  std::string joined;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const std::string& m = merges[rank];
    // The separator is the first space after the first character (a token text never holds a
    // raw space in byte-level vocabularies, but search from 1 as the reference does).
    const size_t sep = m.size() > 1 ? m.find(' ', 1) : std::string::npos;
    if (sep == std::string::npos || sep + 1 >= m.size()) {
      fail(ErrorKind::kBadFile, "{}: merge #{} '{}' is not of the form 'A B'", vocab.origin(), rank,
           m);
    }
    const std::string_view left(m.data(), sep);
    const std::string_view right(m.data() + sep + 1, m.size() - sep - 1);
    joined.assign(left);
    joined.append(right);
    const int32_t l = intern(left);
    const int32_t r = intern(right);
    const int32_t result = intern(joined);
    // First (highest-priority) occurrence of a pair wins.
    merges_.try_emplace(pair_key(l, r), Merge{static_cast<int32_t>(rank), result});
  }
}

int32_t BpeModel::intern(std::string_view text) {
  if (auto id = vocab_.find(text)) return *id;
  std::string key(text);
  const auto it = extra_ids_.find(key);
  if (it != extra_ids_.end()) return it->second;
  const auto id = static_cast<int32_t>(vocab_.size() + static_cast<int64_t>(extra_symbols_.size()));
  extra_symbols_.push_back(key);
  extra_ids_.emplace(std::move(key), id);
  return id;
}

void BpeModel::emit_symbol(int32_t symbol, std::vector<int32_t>& out) const {
  if (symbol < vocab_.size()) {
    out.push_back(symbol);
    return;
  }
  // Not a token: emit the tokens of its characters (byte stand-ins); unknown ones are dropped,
  // as in the reference.
  const std::string& text = extra_symbols_[static_cast<size_t>(symbol - vocab_.size())];
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    utf8_next(text, pos);
    if (auto id = vocab_.find(std::string_view(text).substr(start, pos - start))) {
      out.push_back(*id);
    }
  }
}

void BpeModel::encode_word(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (word.size() > kCacheMaxWordBytes) {
    merge_word(word, out);
    return;
  }
  const size_t hash = std::hash<std::string_view>{}(word);
  auto& shard = (*cache_)[(hash >> 7) % kCacheShards];
  {
    std::lock_guard<std::mutex> lock(shard.mutex);
    const auto it = shard.words.find(word);
    if (it != shard.words.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const size_t first = out.size();
  merge_word(word, out);
  std::vector<int32_t> ids(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
  std::lock_guard<std::mutex> lock(shard.mutex);
  if (shard.words.size() >= kCacheEntriesPerShard) shard.words.clear();
  shard.words.emplace(std::string(word), std::move(ids));
}

void BpeModel::merge_word(std::string_view word, std::vector<int32_t>& out) const {
  if (ignore_merges_) {
    std::string encoded;
    codec_.encode(word, encoded);
    if (auto id = vocab_.find(encoded)) {
      out.push_back(*id);
      return;
    }
  }
  const auto n = static_cast<int32_t>(word.size());
  std::vector<Symbol> symbols(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) {
    symbols[static_cast<size_t>(i)] = {
        byte_symbol_[static_cast<uint8_t>(word[static_cast<size_t>(i)])], i - 1,
        i + 1 < n ? i + 1 : -1, true};
  }
  std::priority_queue<Candidate, std::vector<Candidate>, CandidateAfter> heap;
  const auto consider = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const int32_t left_id = symbols[static_cast<size_t>(left)].id;
    const int32_t right_id = symbols[static_cast<size_t>(right)].id;
    const auto it = merges_.find(pair_key(left_id, right_id));
    if (it != merges_.end()) {
      heap.push({it->second.rank, left, right, left_id, right_id, it->second.result});
    }
  };
  for (int32_t i = 0; i + 1 < n; ++i) consider(i, i + 1);
  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    Symbol& left = symbols[static_cast<size_t>(c.left)];
    Symbol& right = symbols[static_cast<size_t>(c.right)];
    // Stale: either side was merged (away or into something longer) since this pair was queued.
    if (!left.alive || !right.alive || left.next != c.right || left.id != c.left_id ||
        right.id != c.right_id) {
      continue;
    }
    left.id = c.result;
    right.alive = false;
    left.next = right.next;
    if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = c.left;
    consider(left.prev, c.left);
    consider(c.left, left.next);
  }
  for (int32_t i = 0; i >= 0; i = symbols[static_cast<size_t>(i)].next) {
    emit_symbol(symbols[static_cast<size_t>(i)].id, out);
  }
}

}  // namespace dsinfer::tokenizer
