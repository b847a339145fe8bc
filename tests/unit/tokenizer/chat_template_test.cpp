// Unit tests of the chat-template renderer (Jinja subset) and the built-in templates.
#include "tokenizer/chat_template.h"

#include <gtest/gtest.h>

#include "base/error.h"

namespace dsinfer::tokenizer {
namespace {

std::string render(const std::string& source, const std::vector<ChatMessage>& messages,
                   bool gen = true) {
  return ChatTemplate::from_string(source, "<s>", "</s>").render(messages, gen);
}

const std::vector<ChatMessage> kConversation = {
    {"system", "Sys"}, {"user", "Hi"}, {"assistant", "Hello"}, {"user", "Bye"}};

TEST(ChatTemplate, LoopsConditionsAndLoopVariables) {
  const std::string t =
      "{% for m in messages %}{% if loop.first %}[{% endif %}{{ m['role'] }}"
      "{% if not loop.last %},{% elif loop.last %}]{% endif %}{% endfor %}";
  EXPECT_EQ(render(t, kConversation), "[system,user,assistant,user]");
}

TEST(ChatTemplate, NamespaceSetAndFilters) {
  const std::string t =
      "{% set ns = namespace(n=0, s='') %}{% for m in messages %}{% set ns.n = ns.n + 1 %}"
      "{% set ns.s = ns.s ~ m.content|trim %}{% endfor %}{{ ns.n }}:{{ ns.s }}:"
      "{{ messages|length }}:{{ 'a b'.split(' ')[-1] }}:{{ 'xyz'[1:] }}:{{ none is none }}";
  EXPECT_EQ(render(t, {{"user", " a "}, {"user", "b"}}), "2:ab:2:b:yz:true");
}

TEST(ChatTemplate, WhitespaceControlAndBlockTrimming) {
  const std::string t = "A  {%- if true -%}  B  {%- endif %}\n  {% if true %}\nC{% endif %}\n";
  EXPECT_EQ(render(t, {}), "ABC");  // as @huggingface/jinja renders it
  EXPECT_EQ(render("X{% if true %}\n  Y\n{% endif %}\nZ", {}), "X  Y\nZ");
}

TEST(ChatTemplate, RaiseExceptionIsAnError) {
  const std::string t =
      "{% for m in messages %}{% if m.role == 'tool' %}{{ raise_exception('no tools') }}"
      "{% endif %}{{ m.content }}{% endfor %}";
  const auto tmpl = ChatTemplate::from_string(t, "", "");
  try {
    tmpl.render({{"tool", "x"}}, false);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no tools"), std::string::npos);
  }
}

TEST(ChatTemplate, UnsupportedOrBrokenTemplatesAreErrors) {
  EXPECT_THROW(ChatTemplate::from_string("{% macro m() %}{% endmacro %}", "", ""), Error);
  EXPECT_THROW(ChatTemplate::from_string("{% if x %}", "", ""), Error);
  EXPECT_THROW(ChatTemplate::from_string("{{ 'a' - 1 }}", "", ""), Error);
}

TEST(ChatTemplate, BuiltinFamilies) {
  const auto llm = ChatTemplate::from_string(
      std::string(builtin_chat_template(ChatFamily::kDeepseekLlm)), "<s>", "</s>");
  EXPECT_TRUE(llm.template_emits_bos());
  EXPECT_EQ(llm.render(kConversation, true),
            "<s>Sys\n\nUser: Hi\n\nAssistant: Hello</s>User: Bye\n\nAssistant:");
  const auto r1 = ChatTemplate::from_string(
      std::string(builtin_chat_template(ChatFamily::kDeepseekR1)), "<s>", "</s>");
  EXPECT_EQ(r1.render({{"user", "Q"}, {"assistant", "<think>x</think>A"}, {"user", "R"}}, true),
            "<s><\xEF\xBD\x9CUser\xEF\xBD\x9C>Q<\xEF\xBD\x9C"
            "Assistant\xEF\xBD\x9C>A"
            "<\xEF\xBD\x9C"
            "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>"
            "<\xEF\xBD\x9CUser\xEF\xBD\x9C>R<\xEF\xBD\x9C"
            "Assistant\xEF\xBD\x9C><think>\n");
  const auto chatml = ChatTemplate::from_string(
      std::string(builtin_chat_template(ChatFamily::kChatml)), "", "<|im_end|>");
  EXPECT_FALSE(chatml.template_emits_bos());
  EXPECT_EQ(chatml.render({{"user", "Hi"}}, true),
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplate, RenderJsonKeepsExtraFields) {
  const auto t = ChatTemplate::from_string(
      "{% for m in messages %}{{ m.role }}={{ m.content }}{{ m.name|default('-') }};"
      "{% endfor %}",
      "", "");
  EXPECT_EQ(
      t.render_json(R"([{"role":"user","content":"a","name":"bob"},{"role":"x","content":null}])",
                    false),
      "user=abob;x=-;");
  EXPECT_THROW(t.render_json("{not json", false), Error);
}

}  // namespace
}  // namespace dsinfer::tokenizer
