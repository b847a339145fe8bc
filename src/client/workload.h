// Workloads of the load generator: the built-in translation workload (fixed instruction +
// distinct Chinese/English segments of a chosen length distribution, deterministic for a seed,
// with repeats only on request) and prompts read from a JSONL file.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "client/api_protocol.h"

namespace dsinfer::client {

enum class LengthDistribution {
  kFixed,      // every segment has prompt_len estimated tokens
  kUniform,    // uniform in [prompt_len / 2, prompt_len * 3 / 2]
  kLognormal,  // median prompt_len, sigma 0.5 (a long right tail, like real documents)
};

// "fixed" | "uniform" | "lognormal"; throws Error(kInvalidInput) otherwise.
LengthDistribution parse_length_distribution(std::string_view name);
const char* length_distribution_name(LengthDistribution d);

struct WorkloadOptions {
  Api api = Api::kChat;
  int prompt_len = 64;  // estimated tokens of the varied segment (the instruction is extra)
  LengthDistribution distribution = LengthDistribution::kFixed;
  std::string source_lang = "mixed";  // "zh", "en" or "mixed" (each prompt picks one)
  std::uint64_t seed = 1;
  // Share of prompts that repeat an earlier prompt of the sequence (a translation-cache hit
  // rate modelled on purpose), in [0, 0.99]; 0 = every segment distinct.
  double repeat_share = 0;
};

// A rough token count without a tokenizer: one token per CJK character and one per four bytes
// of other text (at least 1 for non-empty text). Only used to size built-in segments; reports
// use the server's `usage` counts.
int estimate_tokens(std::string_view text);

// `count` prompts of the built-in translation workload. Deterministic: the same options give
// the same prompts on every platform (own integer-only sampling over mt19937_64). For
// chat/completions each prompt is the instruction + segment; for translate the segment alone
// with its languages.
// NOTE: segments are distinct, so a server's translation cache cannot answer them: a drawn
// segment already in the sequence is redrawn, and when the sentence combinations run out a
// reference number ("Ref. 17: " / "编号17：") leads the segment. With repeat_share P > 0,
// exactly floor((i + 1) * P) of the first i + 1 prompts repeat an earlier distinct prompt
// (evenly spaced, which one drawn uniformly), so every slice of the sequence has the share.
// Throws Error(kInvalidInput) for prompt_len < 1, a bad source_lang or repeat_share, or when
// prompt_len is too short to make `count` distinct segments.
std::vector<Prompt> make_translation_workload(const WorkloadOptions& options, std::size_t count);

// Reads a JSONL workload: one JSON object per non-empty line with "prompt" or "text" (string;
// translate also reads "source_lang"/"target_lang") or "messages" (chat only), and optionally
// "max_tokens". Throws Error(kBadFile / kNotFound) naming the file and line.
std::vector<Prompt> load_jsonl_workload(const std::string& path, Api api);

// A uniform double in [0, 1) from the top 53 bits of one mt19937_64 draw (portable, unlike
// std::uniform_real_distribution whose algorithm is implementation-defined).
double uniform01(std::mt19937_64& rng);

}  // namespace dsinfer::client
