// Translation prompts, the LRU cache and the repetition guard.
#include <gtest/gtest.h>

#include "base/error.h"
#include "translate/prompt.h"
#include "translate/repetition_guard.h"
#include "translate/translation_cache.h"

namespace dsinfer::translate {
namespace {

TranslationTask make_task(std::string source, std::string target,
                          std::map<std::string, std::string> glossary) {
  TranslationTask task;
  task.source_lang = std::move(source);
  task.target_lang = std::move(target);
  task.glossary = std::move(glossary);
  return task;
}

TEST(Prompt, InstructionIsSharedAcrossSegments) {
  TranslationTask task = make_task("zh", "en", {{"术语", "term"}});
  const auto a = translation_messages(task, "第一句。");
  const auto b = translation_messages(task, "第二句。");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].content, b[0].content);  // identical prefix → prefix cache hit
  EXPECT_NE(a[0].content.find("from Chinese into English"), std::string::npos);
  EXPECT_NE(a[0].content.find("术语 => term"), std::string::npos);
  EXPECT_EQ(a[1].content, "第一句。");
}

TEST(Prompt, UnknownLanguageListsSupported) {
  try {
    language_name("xx");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find("zh"), std::string::npos);
  }
}

TEST(Prompt, RegionalVariantsFormalityPlaceholdersAndContext) {
  EXPECT_EQ(canonical_language("EN-us"), "en-US");
  EXPECT_EQ(canonical_language("ZH-HANS"), "zh-Hans");
  EXPECT_EQ(base_language("pt-BR"), "pt");
  EXPECT_EQ(language_name("pt-br"), "Brazilian Portuguese");
  TranslationTask task = make_task("", "de", {});
  const std::string plain = translation_messages(task, "x")[0].content;
  task.formality = Formality::kMore;
  task.placeholders = true;
  task.context = "A letter to a customer.";
  const std::string rich = translation_messages(task, "x")[0].content;
  EXPECT_NE(rich.find("formal"), std::string::npos);
  EXPECT_NE(rich.find("<xN/>"), std::string::npos);
  EXPECT_NE(rich.find("A letter to a customer."), std::string::npos);
  EXPECT_EQ(plain.find("formal"), std::string::npos);
  EXPECT_NE(TranslationCache::key("m", task, "x"),
            TranslationCache::key("m", make_task("", "de", {}), "x"));
}

TEST(TranslationCache, EvictsLeastRecentlyUsed) {
  TranslationTask task = make_task("zh", "en", {});
  const auto k1 = TranslationCache::key("m", task, "a");
  const auto k2 = TranslationCache::key("m", task, "b");
  const auto k3 = TranslationCache::key("m", task, "c");
  // Room for two entries of this size, not three.
  TranslationCache cache(2 * (k1.size() + 1 + TranslationCache::kEntryOverhead) + 1);
  cache.put(k1, "A");
  cache.put(k2, "B");
  EXPECT_EQ(cache.get(k1).value_or(""), "A");  // k1 now most recent
  cache.put(k3, "C");                          // evicts k2
  EXPECT_FALSE(cache.get(k2).has_value());
  EXPECT_TRUE(cache.get(k1).has_value());
  EXPECT_TRUE(cache.get(k3).has_value());
}

TEST(TranslationCache, BoundedInBytesNotEntries) {
  TranslationTask task = make_task("zh", "en", {});
  const size_t budget = 64 * 1024;
  TranslationCache cache(budget);
  const std::string big(10000, 'x');
  for (int i = 0; i < 100; ++i) {
    cache.put(TranslationCache::key("m", task, std::to_string(i)), big);
    EXPECT_LE(cache.bytes(), budget);
  }
  const size_t key_size = TranslationCache::key("m", task, "99").size();
  EXPECT_EQ(cache.size(), budget / (big.size() + TranslationCache::kEntryOverhead + key_size));
  cache.put(TranslationCache::key("m", task, "huge"), std::string(budget, 'y'));  // never fits
  EXPECT_FALSE(cache.get(TranslationCache::key("m", task, "huge")).has_value());
  EXPECT_LE(cache.bytes(), budget);
  // Many small entries fit where few big ones did.
  for (int i = 0; i < 200; ++i)
    cache.put(TranslationCache::key("m", task, "s" + std::to_string(i)), "t");
  EXPECT_GT(cache.size(), 100u);
  EXPECT_LE(cache.bytes(), budget);
  TranslationCache off(0);
  off.put(TranslationCache::key("m", task, "a"), "A");
  EXPECT_EQ(off.size(), 0u);
}

TEST(TranslationCache, KeySeparatesFields) {
  TranslationTask t1 = make_task("zh", "en", {});
  TranslationTask t2 = make_task("zh", "en", {{"a", "b"}});
  EXPECT_NE(TranslationCache::key("m", t1, "x"), TranslationCache::key("m", t2, "x"));
  EXPECT_NE(TranslationCache::key("m1", t1, "x"), TranslationCache::key("m", t1, "1x"));
}

TEST(RepetitionGuard, FlagsLoopsNotProse) {
  RepetitionGuard prose;
  EXPECT_FALSE(prose.push("The weather is nice today, and we will meet at the station at nine."));
  RepetitionGuard loop;
  bool fired = false;
  for (int i = 0; i < 20 && !fired; ++i) fired = loop.push("the cat ");
  EXPECT_TRUE(fired);
  RepetitionGuard cjk;
  fired = false;
  for (int i = 0; i < 40 && !fired; ++i) fired = cjk.push("。");
  EXPECT_TRUE(fired);
}

}  // namespace
}  // namespace dsinfer::translate
