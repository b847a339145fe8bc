// Hostile chat templates (the template comes from the model file): every limit of
// jinja_limits.h ends parsing or rendering with a TemplateLimitError, never a crash or a hang.
#include <gtest/gtest.h>

#include <string>

#include "tokenizer/chat_template.h"
#include "tokenizer/jinja_limits.h"

namespace dsinfer::tokenizer {
namespace {

using jinja::TemplateLimitError;

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// Expects `source` to be refused (at parse or at the probe render) naming `what`.
void expect_limit(const std::string& source, const std::string& what) {
  try {
    ChatTemplate::from_string(source, "<s>", "</s>");
    ADD_FAILURE() << "accepted: " << source.substr(0, 80);
  } catch (const TemplateLimitError& e) {
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

TEST(TemplateLimits, LongOperatorChainsAreRefused) {
  expect_limit("{{ x" + repeat(" ~ x", 30000) + " }}", "nested deeper than 128");
  expect_limit("{{ 1" + repeat(" + 1", 200) + " }}", "nested deeper than 128");
  expect_limit("{{ 'a'" + repeat("|e", 40000) + " }}", "nested deeper than 128");
  expect_limit("{{ x" + repeat(".a", 40000) + " }}", "nested deeper than 128");
  expect_limit("{{ x" + repeat("[0]", 40000) + " }}", "nested deeper than 128");
  expect_limit("{{ f" + repeat("()", 40000) + " }}", "nested deeper than 128");
  expect_limit("{{ x" + repeat(" is defined", 40000) + " }}", "nested deeper than 128");
  expect_limit("{{ " + repeat("not ", 40000) + "x }}", "nested deeper than");
  expect_limit("{{ " + repeat("(", 40000) + "x" + repeat(")", 40000) + " }}", "nested deeper than");
  expect_limit("{{ " + repeat("[", 40000) + repeat("]", 40000) + " }}", "nested deeper than");
  expect_limit("{% if a %}" + repeat("{% elif a %}", 5000) + "{% endif %}", "nested deeper than");
  expect_limit(repeat("{% if a %}", 5000) + repeat("{% endif %}", 5000), "nested deeper than");
  // Real templates are far from the limit.
  EXPECT_NO_THROW(ChatTemplate::from_string("{{ 1" + repeat(" + 1", 100) + " }}", "", ""));
}

TEST(TemplateLimits, SelfReferencingNamespaceIsRefused) {
  expect_limit("{% set ns = namespace(a=1) %}{% set ns.self = ns %}{{ ns }}",
               "a namespace cannot hold a namespace");
  expect_limit("{% set ns = namespace(a=1) %}{% set ns.items = [1, [ns]] %}{{ ns|tojson }}",
               "a namespace cannot hold a namespace");
}

TEST(TemplateLimits, LoopsAndWorkAreBounded) {
  expect_limit("{% for i in range(1000000) %}{% for j in range(1000000) %}{% endfor %}{% endfor %}",
               "range() of");
  expect_limit("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
               "loop iterations");
  // Doubling a string: the string limit, long before memory runs out.
  expect_limit(
      "{% set ns = namespace(s='ab') %}{% for i in range(64) %}"
      "{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
      "bytes");
  // Doubling an array.
  expect_limit(
      "{% set ns = namespace(a=[1]) %}{% for i in range(64) %}"
      "{% set ns.a = ns.a + ns.a %}{% endfor %}",
      "items");
  // Deep values.
  expect_limit(
      "{% set ns = namespace(a=1) %}{% for i in range(1000) %}"
      "{% set ns.a = [ns.a] %}{% endfor %}{{ ns.a }}",
      "nested deeper than 64");
  // Shared sub-arrays printed 2^40 times.
  expect_limit(
      "{% set ns = namespace(a='xxxxxxxx') %}{% for i in range(40) %}"
      "{% set ns.a = [ns.a, ns.a] %}{% endfor %}{{ ns.a }}",
      "bytes");
  // Output size.
  expect_limit("{% for i in range(100000) %}" + repeat("x", 100) + "{% endfor %}", "bytes");
  // join and replace amplification.
  expect_limit("{{ range(100000)|join('" + repeat("y", 1000) + "') }}", "bytes");
  expect_limit("{% set s = '" + repeat("z", 10000) + "' %}{{ s.replace('', s) }}", "bytes");
  // Many small steps: every loop iteration re-reads a large string.
  expect_limit("{% set s = '" + repeat("w", 100000) +
                   "' %}{% for i in range(100000) %}"
                   "{% if s %}{% endif %}{% endfor %}",
               "work");
}

TEST(TemplateLimits, RequestTimeLimitsAreInvalidInput) {
  // A fine template with a conversation too large for it: a per-request 400, not a crash.
  const auto t = ChatTemplate::from_string(
      "{% for m in messages %}{% for n in messages %}{% for o in messages %}.{% endfor %}"
      "{% endfor %}{% endfor %}",
      "", "");
  std::vector<ChatMessage> many(200, ChatMessage{"user", "x"});
  try {
    t.render(many, false);
    FAIL() << "expected a limit error";
  } catch (const TemplateLimitError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
  }
}

TEST(TemplateLimits, DeepJsonMessagesAreRefused) {
  const auto t = ChatTemplate::from_string("{{ messages }}", "", "");
  const std::string deep = "[" + repeat("[", 5000) + repeat("]", 5000) + "]";
  EXPECT_THROW(t.render_json(deep, false), TemplateLimitError);
}

}  // namespace
}  // namespace dsinfer::tokenizer
