// Built-in translation workload and JSONL prompt files.
#include "client/workload.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <unordered_set>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "client/translation_corpus.h"

namespace dsinfer::client {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kMaxRepeatShare = 0.99;
constexpr int kRedraws = 16;  // draws of sentences before a reference number makes it distinct

// Length in bytes of the UTF-8 sequence starting with `lead` (1 for invalid leads).
std::size_t utf8_length(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

// Truncates `text` to at most `tokens` estimated tokens, at a character boundary.
std::string truncate_to_tokens(std::string_view text, int tokens) {
  std::string out;
  int used = 0;
  int ascii_run = 0;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t len =
        std::min(utf8_length(static_cast<unsigned char>(text[i])), text.size() - i);
    int cost = 0;
    if (len >= 3) {
      cost = 1;
      ascii_run = 0;
    } else if (ascii_run++ % 4 == 0) {
      cost = 1;
    }
    if (used + cost > tokens) break;
    used += cost;
    out.append(text.substr(i, len));
    i += len;
  }
  return out;
}

// Segment length in estimated tokens, drawn from the distribution (>= 1).
int draw_length(const WorkloadOptions& o, std::mt19937_64& rng) {
  double len = o.prompt_len;
  switch (o.distribution) {
    case LengthDistribution::kFixed:
      break;
    case LengthDistribution::kUniform:
      len = o.prompt_len * (0.5 + uniform01(rng));
      break;
    case LengthDistribution::kLognormal: {
      // NOTE: Box-Muller on our own uniforms keeps the sequence identical across platforms.
      const double u1 = 1.0 - uniform01(rng);  // (0, 1]
      const double u2 = uniform01(rng);
      const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
      len = o.prompt_len * std::exp(0.5 * z);
      break;
    }
  }
  return std::max(1, static_cast<int>(std::lround(len)));
}

// Sentences of `source` drawn until the segment reaches `target_len` estimated tokens, after
// `lead`, cut at that length.
std::string draw_segment(const std::string& source, const std::string& lead, int target_len,
                         std::mt19937_64& rng) {
  const auto sentences = source == "zh" ? chinese_sentences() : english_sentences();
  std::string segment = lead;
  while (estimate_tokens(segment) < target_len) {
    if (!segment.empty() && segment != lead) segment += source == "zh" ? "" : " ";
    segment += sentences[rng() % sentences.size()];
  }
  return truncate_to_tokens(segment, target_len);
}

// "Ref. N: " / "编号N：": makes a segment distinct once the sentence combinations run out.
std::string reference_lead(const std::string& source, std::size_t n) {
  return source == "zh" ? fmt::format("编号{}：", n + 1) : fmt::format("Ref. {}: ", n + 1);
}

}  // namespace

LengthDistribution parse_length_distribution(std::string_view name) {
  if (name == "fixed") return LengthDistribution::kFixed;
  if (name == "uniform") return LengthDistribution::kUniform;
  if (name == "lognormal") return LengthDistribution::kLognormal;
  fail(ErrorKind::kInvalidInput, "length distribution '{}' is not one of fixed, uniform, lognormal",
       name);
}

const char* length_distribution_name(LengthDistribution d) {
  switch (d) {
    case LengthDistribution::kFixed:
      return "fixed";
    case LengthDistribution::kUniform:
      return "uniform";
    case LengthDistribution::kLognormal:
      return "lognormal";
  }
  return "?";
}

double uniform01(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);  // 2^-53
}

int estimate_tokens(std::string_view text) {
  int cjk = 0;
  std::size_t other = 0;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t len = utf8_length(static_cast<unsigned char>(text[i]));
    if (len >= 3) {
      ++cjk;
    } else {
      other += len;
    }
    i += len;
  }
  const int total = cjk + static_cast<int>((other + 3) / 4);
  return text.empty() ? 0 : std::max(1, total);
}

std::vector<Prompt> make_translation_workload(const WorkloadOptions& o, std::size_t count) {
  if (o.prompt_len < 1)
    fail(ErrorKind::kInvalidInput, "--prompt-len {} must be >= 1", o.prompt_len);
  if (o.source_lang != "zh" && o.source_lang != "en" && o.source_lang != "mixed") {
    fail(ErrorKind::kInvalidInput, "--source-lang '{}' is not one of zh, en, mixed", o.source_lang);
  }
  if (!(o.repeat_share >= 0 && o.repeat_share <= kMaxRepeatShare)) {
    fail(ErrorKind::kInvalidInput, "--repeat-share {} must be in [0, {}]", o.repeat_share,
         kMaxRepeatShare);
  }
  std::mt19937_64 rng(o.seed);
  std::vector<Prompt> prompts;
  prompts.reserve(count);
  std::vector<std::size_t> distinct;  // indices of the prompts that are not repeats
  std::unordered_set<std::string> segments;
  for (std::size_t i = 0; i < count; ++i) {
    const auto repeats_due = [&](std::size_t n) {
      // (the epsilon keeps floor(1000 * 0.3) at 300 despite 0.3 being stored below 0.3)
      return static_cast<std::size_t>(std::floor(static_cast<double>(n) * o.repeat_share + 1e-9));
    };
    if (!distinct.empty() && repeats_due(i + 1) > repeats_due(i)) {
      prompts.push_back(prompts[distinct[rng() % distinct.size()]]);
      continue;
    }
    std::string source = o.source_lang;
    if (source == "mixed") source = (rng() & 1) ? "zh" : "en";
    const int target_len = draw_length(o, rng);
    std::string segment;
    for (int attempt = 0; attempt <= kRedraws; ++attempt) {
      const std::string lead =
          attempt < kRedraws ? std::string() : reference_lead(source, segments.size());
      segment = draw_segment(source, lead, target_len, rng);
      if (!segments.contains(segment)) break;
    }
    if (!segments.insert(segment).second) {
      fail(ErrorKind::kInvalidInput,
           "--prompt-len {} is too short for {} distinct segments; raise it, or model repeats "
           "on purpose with --repeat-share",
           o.prompt_len, count);
    }
    Prompt p;
    p.source_lang = source;
    p.target_lang = source == "zh" ? "en" : "zh";
    if (o.api == Api::kTranslate) {
      p.text = std::move(segment);
    } else {
      p.text = std::string(translation_instruction(source)) + segment;
    }
    distinct.push_back(prompts.size());
    prompts.push_back(std::move(p));
  }
  return prompts;
}

std::vector<Prompt> load_jsonl_workload(const std::string& path, Api api) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::kNotFound, "workload file '{}' cannot be opened", path);
  std::vector<Prompt> prompts;
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      fail(ErrorKind::kBadFile, "{}:{}: not a JSON object", path, line_no);
    }
    Prompt p;
    const auto text_field = [&](const char* key) -> bool {
      const auto it = j.find(key);
      if (it == j.end()) return false;
      if (!it->is_string())
        fail(ErrorKind::kBadFile, "{}:{}: \"{}\" must be a string", path, line_no, key);
      p.text = it->get<std::string>();
      return true;
    };
    const bool has_text = text_field("prompt") || text_field("text");
    if (const auto m = j.find("messages"); m != j.end()) {
      if (!m->is_array())
        fail(ErrorKind::kBadFile, "{}:{}: \"messages\" must be an array", path, line_no);
      if (api != Api::kChat) {
        fail(ErrorKind::kBadFile, "{}:{}: \"messages\" needs --api chat", path, line_no);
      }
      p.messages_json = m->dump();
    } else if (!has_text) {
      fail(ErrorKind::kBadFile, "{}:{}: needs \"prompt\", \"text\" or \"messages\"", path, line_no);
    }
    for (const auto* key : {"source_lang", "target_lang"}) {
      if (const auto it = j.find(key); it != j.end()) {
        if (!it->is_string())
          fail(ErrorKind::kBadFile, "{}:{}: \"{}\" must be a string", path, line_no, key);
        (std::string_view(key) == "source_lang" ? p.source_lang : p.target_lang) =
            it->get<std::string>();
      }
    }
    if (const auto it = j.find("max_tokens"); it != j.end()) {
      if (!it->is_number_integer() || it->get<std::int64_t>() < 1 ||
          it->get<std::int64_t>() > 1000000) {
        fail(ErrorKind::kBadFile, "{}:{}: \"max_tokens\" must be an integer in 1..1000000", path,
             line_no);
      }
      p.max_tokens = it->get<int>();
    }
    prompts.push_back(std::move(p));
  }
  if (prompts.empty()) fail(ErrorKind::kBadFile, "workload file '{}' has no prompts", path);
  return prompts;
}

}  // namespace dsinfer::client
