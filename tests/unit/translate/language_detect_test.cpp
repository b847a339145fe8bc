// Language identification on the assembled sentence set (tests/unit/translate/data): >= 95 %
// per language for zh, ja, ko, en, de, fr, es, ru on sentences of >= 30 code points.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "support/fixtures.h"
#include "translate/language_detect.h"

namespace dsinfer::translate {
namespace {

size_t code_points(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

TEST(LanguageDetect, SentenceSetAccuracyPerLanguage) {
  const std::string path =
      dsinfer::test::source_dir() + "/tests/unit/translate/data/detect_sentences.tsv";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot open " << path;
  std::map<std::string, std::pair<int, int>> score;  // lang -> (correct, total)
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << line;
    const std::string lang = line.substr(0, tab);
    const std::string sentence = line.substr(tab + 1);
    ASSERT_GE(code_points(sentence), 30u) << sentence;
    const std::string got = detect_language(sentence);
    auto& [ok, total] = score[lang];
    ++total;
    // Chinese in simplified script: CLD2 says "zh"; "zh-Hant" would be a miss here.
    if (got == lang) {
      ++ok;
    } else {
      std::printf("miss: %s detected as '%s': %s\n", lang.c_str(), got.c_str(), sentence.c_str());
    }
  }
  std::printf("| lang | correct | total | accuracy |\n|---|---|---|---|\n");
  for (const auto& [lang, s] : score) {
    std::printf("| %s | %d | %d | %.1f %% |\n", lang.c_str(), s.first, s.second,
                100.0 * s.first / s.second);
  }
  for (const char* lang : {"zh", "ja", "ko", "en", "de", "fr", "es", "ru"}) {
    ASSERT_TRUE(score.count(lang)) << lang;
    const auto [ok, total] = score[lang];
    EXPECT_GE(total, 25) << lang;
    EXPECT_GE(100.0 * ok / total, 95.0) << lang;
  }
}

TEST(LanguageDetect, TraditionalChineseAndCandidates) {
  EXPECT_EQ(detect_language("這是一個關於臺灣歷史與文化的簡短介紹，歡迎大家閱讀與討論。"),
            "zh-Hant");
  const auto found =
      detect_languages("Bonjour tout le monde, nous sommes très heureux de vous voir ici ce soir.");
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].code, "fr");
  EXPECT_TRUE(found[0].reliable);
  EXPECT_GT(found[0].confidence, 0.5);
  EXPECT_LE(found[0].confidence, 1.0);
}

TEST(LanguageDetect, NothingToDetect) {
  EXPECT_TRUE(detect_languages("").empty());
  EXPECT_TRUE(detect_languages("12345 !!! ...").empty());
  EXPECT_TRUE(detect_languages("bad \xff\xfe utf-8 text in here").empty());
}

}  // namespace
}  // namespace dsinfer::translate
