// Markup round trip: the skeleton of every output equals the input's, whatever the model says.
#include <gtest/gtest.h>

#include <random>

#include "translate/markup.h"

namespace dsinfer::translate {
namespace {

MarkupOptions html() { return {}; }
MarkupOptions xml() {
  MarkupOptions o;
  o.kind = MarkupKind::kXml;
  return o;
}

// Translates every unit by upper-casing its text (ASCII), keeping the placeholders.
std::string upper(std::string s) {
  bool in_tag = false;
  for (char& c : s) {
    if (c == '<') in_tag = true;
    if (!in_tag && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c == '>') in_tag = false;
  }
  return s;
}

TEST(Markup, ParseThenRenderIsTheInput) {
  const std::string docs[] = {
      "",
      "plain text, no markup",
      "<p>Hello <b>world</b> &amp; friends&nbsp;&#8212;</p>",
      "<!DOCTYPE html><html><head><style>p > b { color: red }</style></head>\n<body>"
      "<!-- a comment with <b>tags</b> --><p title=\"a > b\" data-x='it''s'>Text</p>"
      "<script>if (a < b) { document.write('<p>x</p>') }</script></body></html>",
      "<?xml version=\"1.0\"?><doc><![CDATA[raw <b>bytes</b> & stuff]]><t>x &lt; y</t></doc>",
      "broken <b unterminated tag",
      "a < b and c > d & e",
      "<!-- unterminated comment",
  };
  for (const auto& d : docs) {
    EXPECT_EQ(MarkupDocument::parse(d, html()).render(), d);
    EXPECT_EQ(MarkupDocument::parse(d, xml()).render(), d);
  }
}

TEST(Markup, InlineTagsBecomePlaceholdersAndComeBack) {
  const std::string in = "<p>Hello <b class=\"x\">big <i>bold</i></b> world<br/>again</p>";
  auto doc = MarkupDocument::parse(in, html());
  ASSERT_EQ(doc.unit_count(), 1u);
  EXPECT_EQ(doc.unit_source(0), "Hello <g1>big <g2>bold</g2></g1> world<x3/>again");
  ASSERT_TRUE(doc.fill(0, upper(doc.unit_source(0))));
  EXPECT_EQ(doc.render(), "<p>HELLO <b class=\"x\">BIG <i>BOLD</i></b> WORLD<br/>AGAIN</p>");
}

TEST(Markup, EdgeTagsStayOutsideTheUnit) {
  auto doc = MarkupDocument::parse("<li><a href=\"/home\">Home</a></li>\n<li>Next</li>", html());
  ASSERT_EQ(doc.unit_count(), 2u);
  EXPECT_EQ(doc.unit_source(0), "Home");
  EXPECT_FALSE(doc.unit_has_placeholders(0));
  EXPECT_EQ(doc.unit_source(1), "Next");
}

TEST(Markup, AttributesWithQuotesAndEntitiesAreKeptByteForByte) {
  const std::string in =
      "<p>Say <a href=\"/q?a=1&amp;b=2\" title='he said \"hi\" > there'>hi</a> &copy; 2024 "
      "Tom &amp; Jerry</p>";
  auto doc = MarkupDocument::parse(in, html());
  ASSERT_EQ(doc.unit_count(), 1u);
  // &amp; is a character (decoded for the model); &copy; is kept as written (a placeholder).
  EXPECT_EQ(doc.unit_source(0), "Say <g1>hi</g1> <x2/> 2024 Tom & Jerry");
  ASSERT_TRUE(doc.fill(0, "Sag <g1>hallo</g1> <x2/> 2024 Tom & Jerry <3"));
  EXPECT_EQ(doc.render(),
            "<p>Sag <a href=\"/q?a=1&amp;b=2\" title='he said \"hi\" > there'>hallo</a> &copy; "
            "2024 Tom &amp; Jerry &lt;3</p>");
}

TEST(Markup, CdataCommentsAndIgnoredTagsAreNotTranslated) {
  MarkupOptions o = xml();
  o.ignore_tags = {"code"};
  o.non_splitting_tags = {"em"};
  const std::string in =
      "<doc><para>Run <em>this</em> now<!-- note --></para><code>keep me</code>"
      "<![CDATA[<raw> & text]]><para>More</para></doc>";
  auto doc = MarkupDocument::parse(in, o);
  ASSERT_EQ(doc.unit_count(), 2u);
  EXPECT_EQ(doc.unit_source(0), "Run <g1>this</g1> now");
  EXPECT_EQ(doc.unit_source(1), "More");
  ASSERT_TRUE(doc.fill(0, "Lance <g1>ceci</g1> maintenant"));
  ASSERT_TRUE(doc.fill(1, "Plus"));
  EXPECT_EQ(doc.render(),
            "<doc><para>Lance <em>ceci</em> maintenant<!-- note --></para><code>keep me</code>"
            "<![CDATA[<raw> & text]]><para>Plus</para></doc>");
}

TEST(Markup, HtmlTranslateNoAndInlineIgnoredElementsAreAtoms) {
  auto doc = MarkupDocument::parse(
      "<p>Call <span translate=\"no\">Acme <b>Corp</b></span> today</p>", html());
  ASSERT_EQ(doc.unit_count(), 1u);
  EXPECT_EQ(doc.unit_source(0), "Call <x1/> today");
}

TEST(Markup, DroppedOrReorderedPlaceholdersAreRefusedAndRepairedFromRuns) {
  const std::string in = "<p>one <b>two</b> three <i>four</i> five</p>";
  const std::string bad[] = {
      "ONE TWO THREE <g2>FOUR</g2> FIVE",           // dropped
      "ONE <g2>FOUR</g2> THREE <g1>TWO</g1> FIVE",  // reordered
      "ONE <g1>TWO</g1> <g1>X</g1> <g2>FOUR</g2>",  // duplicated
      "ONE <g1>TWO THREE <g2>FOUR</g1></g2> FIVE",  // crossed
      "",                                           // nothing
  };
  for (const auto& out : bad) {
    auto doc = MarkupDocument::parse(in, html());
    EXPECT_FALSE(doc.fill(0, out)) << out;
    const auto runs = doc.unit_runs(0);
    ASSERT_EQ(runs, (std::vector<std::string>{"one ", "two", " three ", "four", " five"}));
    std::vector<std::string> tr;
    for (const auto& r : runs) tr.push_back(upper(r));
    doc.fill_runs(0, tr);
    EXPECT_EQ(doc.render(), "<p>ONE <b>TWO</b> THREE <i>FOUR</i> FIVE</p>");
  }
}

TEST(Markup, SkeletonSurvivesRandomModelOutput) {
  // Whatever bytes come back (random weights), the skeleton is the input's.
  const std::string in =
      "<div><h1>Title &amp; <em>sub</em></h1><p>A <a href=\"x\">link</a>, <b>bold <i>nested</i>"
      "</b>&nbsp;text<br>line</p><ul><li>one</li><li><code>two</code> items</li></ul></div>";
  const auto want = MarkupDocument::skeleton(in, html());
  std::mt19937 rng(7);
  const std::string alphabet = "ab <>/gx123&;\n\"'";
  for (int round = 0; round < 500; ++round) {
    auto doc = MarkupDocument::parse(in, html());
    for (size_t u = 0; u < doc.unit_count(); ++u) {
      std::string out;
      const size_t len = rng() % 40;
      for (size_t k = 0; k < len; ++k) out += alphabet[rng() % alphabet.size()];
      if (round % 3 == 0) out = doc.unit_source(u);  // sometimes a faithful echo
      if (!doc.fill(u, out)) {
        std::vector<std::string> tr;
        for (size_t r = 0; r < doc.unit_runs(u).size(); ++r) tr.push_back(out);
        doc.fill_runs(u, tr);
      }
    }
    ASSERT_EQ(MarkupDocument::skeleton(doc.render(), html()), want) << doc.render();
  }
}

TEST(Markup, UnclosedAndStrayInlineTagsAreLonePlaceholders) {
  auto doc = MarkupDocument::parse("<p>a <b>b </i>c</p>", html());
  ASSERT_EQ(doc.unit_count(), 1u);
  EXPECT_EQ(doc.unit_source(0), "a <x1/>b <x2/>c");
}

}  // namespace
}  // namespace dsinfer::translate
