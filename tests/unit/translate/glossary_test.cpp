// Glossary files (TSV/CSV as DeepL accepts them), the directory store and term checks.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "support/fixtures.h"
#include "translate/glossary.h"

namespace dsinfer::translate {
namespace {

using Entries = std::map<std::string, std::string>;

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Glossary, ParsesTsvAndCsv) {
  EXPECT_EQ(
      parse_glossary_entries("\xEF\xBB\xBFhello\thallo\r\n\nworld\tWelt\n", "tsv", "g", "en", "de"),
      (Entries{{"hello", "hallo"}, {"world", "Welt"}}));
  EXPECT_EQ(parse_glossary_entries(
                "\"Acme, Inc.\",\"Acme AG\"\nsay \"\"hi\"\"?,x\n\"q \"\"z\"\"\",y,EN,de\n", "csv",
                "g", "en", "de"),
            (Entries{{"Acme, Inc.", "Acme AG"}, {"say \"\"hi\"\"?", "x"}, {"q \"z\"", "y"}}));
}

TEST(Glossary, RejectsBadEntriesWithFileAndLine) {
  EXPECT_NE(error_of([] {
              parse_glossary_entries("a\tb\na\tc\n", "tsv", "f.tsv", "en", "de");
            }).find("f.tsv:2: duplicate source term 'a'"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              parse_glossary_entries("a\t\n", "tsv", "f.tsv", "en", "de");
            }).find("f.tsv:1: empty term"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              parse_glossary_entries("a \tb\n", "tsv", "f", "en", "de");
            }).find("whitespace"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              parse_glossary_entries("a\tb\tc\n", "tsv", "f", "en", "de");
            }).find("expected 2 fields"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              parse_glossary_entries("a,b,en,fr\n", "csv", "f", "en", "de");
            }).find("differ from the file's pair"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              parse_glossary_entries("\"a,b\n", "csv", "f", "en", "de");
            }).find("unterminated"),
            std::string::npos);
  EXPECT_NE(
      error_of([] { parse_glossary_entries("a\xff\tb\n", "tsv", "f", "en", "de"); }).find("UTF-8"),
      std::string::npos);
}

TEST(Glossary, StoreLoadsADirectoryLikeAConfigMap) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(dsinfer::test::temp_dir()) / "glossary_store_test";
  fs::remove_all(dir);
  fs::create_directories(dir / "..2026_data");
  std::ofstream(dir / "acme.en-de.tsv") << "Acme\tAkme\nwidget\tBauteil\n";
  std::ofstream(dir / "legal.EN-fr.csv") << "contract,contrat\n";
  std::ofstream(dir / "README") << "not a glossary\n";
  const auto store = GlossaryStore::load(dir.string());
  ASSERT_EQ(store.all().size(), 2u);
  const Glossary* g = store.find("acme.en-de");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->name, "acme");
  EXPECT_EQ(g->source_lang, "en");
  EXPECT_EQ(g->target_lang, "de");
  EXPECT_EQ(g->entries.size(), 2u);
  EXPECT_EQ(store.find("legal.EN-fr")->target_lang, "fr");
  EXPECT_EQ(store.find("nope"), nullptr);
  EXPECT_EQ(store.language_pairs(),
            (std::vector<std::pair<std::string, std::string>>{{"en", "de"}, {"en", "fr"}}));

  std::ofstream(dir / "bad.tsv") << "a\tb\n";
  EXPECT_NE(error_of([&] { GlossaryStore::load(dir.string()); }).find("bad.tsv"),
            std::string::npos);
  fs::remove(dir / "bad.tsv");
  std::ofstream(dir / "x.en-xx.tsv") << "a\tb\n";
  EXPECT_NE(error_of([&] { GlossaryStore::load(dir.string()); }).find("unsupported language"),
            std::string::npos);
  fs::remove_all(dir);
  EXPECT_NE(error_of([&] { GlossaryStore::load(dir.string()); }).find("not a directory"),
            std::string::npos);
}

TEST(Glossary, TermsInTextAndMisses) {
  const Entries terms{{"Acme", "Akme"}, {"widget", "Bauteil"}, {"unused", "nie"}};
  EXPECT_EQ(glossary_terms_in(terms, "The ACME widget."),
            (Entries{{"Acme", "Akme"}, {"widget", "Bauteil"}}));
  const auto misses = glossary_misses(terms, "The Acme widget.", "Das akme Teil.");
  ASSERT_EQ(misses.size(), 1u);
  EXPECT_EQ(misses[0].source, "widget");
  EXPECT_EQ(misses[0].target, "Bauteil");
}

}  // namespace
}  // namespace dsinfer::translate
