// Built-in byte-level BPE vocabulary for generated models (see make_model_vocab.h).
#include "cli/make_model_vocab.h"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>

#include <fmt/format.h>

#include "base/error.h"
#include "tokenizer/chat_template.h"

namespace dsinfer::cli {
namespace {

// Text the merges are learned from: short translation-style sentences in English and Chinese.
constexpr std::string_view kCorpus =
    "The translation service receives a document and returns it in the target language. "
    "Each paragraph is split into sentences, and the sentences are translated in parallel. "
    "The model reads the instruction, the glossary and the source text, then writes the answer. "
    "Please translate the following text from Chinese to English. Keep the formatting. "
    "The weather is nice today, and we will meet at the station at nine in the morning. "
    "请将以下文本翻译成英文。保持原有格式。今天天气很好，我们早上九点在车站见面。"
    "翻译服务接收文档并以目标语言返回。每个段落被拆分成句子，句子被并行翻译。"
    "模型读取指令、术语表和原文，然后写出答案。人工智能正在改变世界。"
    "In the beginning there was the word, and the word was translated into many languages. "
    "Large language models are trained on text from many sources and many languages. "
    "for (int i = 0; i < n; ++i) { sum += values[i]; } return sum;\n"
    "def translate(text, target):\n    return model.generate(prompt(text, target))\n";

// NOTE: byte-level BPE represents every byte as a printable character: bytes that are printable
// Latin-1 stand for themselves, the others are shifted to U+0100 upwards, in byte order.
std::vector<std::string> byte_symbols() {
  std::vector<int> printable;
  for (int b = '!'; b <= '~'; ++b) printable.push_back(b);
  for (int b = 0xA1; b <= 0xAC; ++b) printable.push_back(b);
  for (int b = 0xAE; b <= 0xFF; ++b) printable.push_back(b);
  std::vector<int> cp(256, -1);
  for (int b : printable) cp[b] = b;
  int next = 256;
  for (int b = 0; b < 256; ++b) {
    if (cp[b] < 0) cp[b] = next++;
  }
  std::vector<std::string> out(256);
  for (int b = 0; b < 256; ++b) {
    const int c = cp[b];
    std::string s;
    if (c < 0x80) {
      s += static_cast<char>(c);
    } else {
      s += static_cast<char>(0xC0 | (c >> 6));
      s += static_cast<char>(0x80 | (c & 0x3F));
    }
    out[b] = s;
  }
  return out;
}

// Words for learning merges: a space sticks to the word after it (as the pre-tokenizers split).
std::vector<std::vector<std::string>> corpus_words(const std::vector<std::string>& sym) {
  std::vector<std::vector<std::string>> words;
  std::vector<std::string> cur;
  for (size_t i = 0; i < kCorpus.size(); ++i) {
    const auto b = static_cast<unsigned char>(kCorpus[i]);
    if ((b == ' ' || b == '\n') && !cur.empty()) {
      words.push_back(cur);
      cur.clear();
    }
    cur.push_back(sym[b]);
  }
  if (!cur.empty()) words.push_back(cur);
  return words;
}

struct Specials {
  std::vector<std::string> tokens;
  std::string bos, eos, eot, pad;
  bool add_bos = true;
  std::string chat_template;
};

Specials specials_for(const std::string& pre) {
  const std::string bos = "<｜begin▁of▁sentence｜>";
  const std::string eos = "<｜end▁of▁sentence｜>";
  const std::string pad = "<｜▁pad▁｜>";
  if (pre == "deepseek-llm" || pre == "deepseek-coder") {
    return {{bos, eos, pad},
            bos,
            eos,
            "",
            pad,
            true,
            std::string(tokenizer::builtin_chat_template(tokenizer::ChatFamily::kDeepseekLlm))};
  }
  if (pre == "deepseek-v3") {
    return {{bos, eos, pad, "<｜User｜>", "<｜Assistant｜>", "<think>", "</think>"},
            bos,
            eos,
            "",
            pad,
            true,
            std::string(tokenizer::builtin_chat_template(tokenizer::ChatFamily::kDeepseekV3))};
  }
  if (pre == "deepseek-r1-qwen") {
    return {{"<|endoftext|>", "<|im_start|>", "<|im_end|>", bos, eos, pad, "<｜User｜>",
             "<｜Assistant｜>", "<think>", "</think>"},
            bos,
            eos,
            "",
            pad,
            true,
            std::string(tokenizer::builtin_chat_template(tokenizer::ChatFamily::kDeepseekR1))};
  }
  if (pre == "qwen2") {
    return {{"<|endoftext|>", "<|im_start|>", "<|im_end|>"},
            "",
            "<|im_end|>",
            "<|im_end|>",
            "<|endoftext|>",
            false,
            std::string(tokenizer::builtin_chat_template(tokenizer::ChatFamily::kChatml))};
  }
  fail(ErrorKind::kInvalidInput,
       "no built-in vocabulary for pre-tokenizer '{}' (deepseek-llm, deepseek-v3, "
       "deepseek-r1-qwen, qwen2); pass --vocab FILE.gguf",
       pre);
}

}  // namespace

BuiltVocab build_vocab(const std::string& pre, int64_t n_vocab) {
  if (n_vocab < 512) {
    fail(ErrorKind::kInvalidInput, "built-in vocabulary needs at least 512 tokens, got {}",
         n_vocab);
  }
  const Specials sp = specials_for(pre);
  BuiltVocab v;
  v.pre = pre;
  v.add_bos = sp.add_bos;
  v.chat_template = sp.chat_template;
  const auto sym = byte_symbols();
  std::set<std::string> known(sym.begin(), sym.end());
  v.tokens = sym;

  // NOTE: plain BPE training: repeatedly merge the most frequent adjacent pair (ties broken by
  // the pair's text, for determinism) until every word is one token or the vocabulary is full.
  const int64_t n_normal_max = n_vocab - static_cast<int64_t>(sp.tokens.size());
  auto words = corpus_words(sym);
  while (static_cast<int64_t>(v.tokens.size()) < n_normal_max) {
    std::map<std::pair<std::string, std::string>, int> counts;
    for (const auto& w : words) {
      for (size_t i = 0; i + 1 < w.size(); ++i) ++counts[{w[i], w[i + 1]}];
    }
    const std::pair<std::string, std::string>* best = nullptr;
    int best_count = 0;  // pairs seen once still merge: the corpus is small
    for (const auto& [pair, c] : counts) {
      if (c > best_count) {
        best = &pair;
        best_count = c;
      }
    }
    if (best == nullptr) break;
    const auto [a, b] = *best;
    const std::string merged = a + b;
    v.merges.push_back(a + " " + b);
    if (known.insert(merged).second) v.tokens.push_back(merged);
    for (auto& w : words) {
      std::vector<std::string> next;
      for (size_t i = 0; i < w.size(); ++i) {
        if (i + 1 < w.size() && w[i] == a && w[i + 1] == b) {
          next.push_back(merged);
          ++i;
        } else {
          next.push_back(w[i]);
        }
      }
      w = std::move(next);
    }
  }
  v.token_types.assign(v.tokens.size(), 1);
  for (int64_t i = 0; static_cast<int64_t>(v.tokens.size()) < n_normal_max; ++i) {
    v.tokens.push_back(fmt::format("<unused_{}>", i));
    v.token_types.push_back(5);
  }
  auto id_of = [&](const std::string& t) -> int64_t {
    if (t.empty()) return -1;
    const auto it = std::find(sp.tokens.begin(), sp.tokens.end(), t);
    return n_normal_max + (it - sp.tokens.begin());
  };
  for (const auto& t : sp.tokens) {
    v.tokens.push_back(t);
    v.token_types.push_back(3);
  }
  v.bos_id = id_of(sp.bos);
  v.eos_id = id_of(sp.eos);
  v.eot_id = id_of(sp.eot);
  v.pad_id = id_of(sp.pad);
  return v;
}

}  // namespace dsinfer::cli
