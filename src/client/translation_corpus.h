// The built-in translation workload's source material: original Chinese and English sentences
// (written for dsinfer) and the fixed instruction that prefixes chat/completions prompts.
#pragma once

#include <span>
#include <string_view>

namespace dsinfer::client {

std::span<const std::string_view> chinese_sentences();
std::span<const std::string_view> english_sentences();

// The fixed instruction (shared prefix of every prompt, so prefix caches can serve it) for a
// translation from `source` ("zh" or "en") into the other language.
std::string_view translation_instruction(std::string_view source);

}  // namespace dsinfer::client
