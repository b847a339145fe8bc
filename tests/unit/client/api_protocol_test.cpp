// Client layer: request bodies per API and the reading of streamed events / whole bodies.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "client/api_protocol.h"
#include "client/http_url.h"

namespace dsinfer::client {
namespace {

using nlohmann::json;

TEST(RequestBody, ChatHasModelMessagesIgnoreEosAndUsage) {
  RequestOptions o;
  o.api = Api::kChat;
  o.model = "m";
  o.max_tokens = 7;
  Prompt p;
  p.text = "你好";
  const json j = json::parse(build_request_body(o, p));
  EXPECT_EQ(j["model"], "m");
  EXPECT_EQ(j["messages"][0]["role"], "user");
  EXPECT_EQ(j["messages"][0]["content"], "你好");
  EXPECT_EQ(j["max_tokens"], 7);
  EXPECT_EQ(j["ignore_eos"], true);
  EXPECT_EQ(j["stream"], true);
  EXPECT_EQ(j["stream_options"]["include_usage"], true);
  p.max_tokens = 3;
  o.ignore_eos = false;
  o.stream = false;
  const json k = json::parse(build_request_body(o, p));
  EXPECT_EQ(k["max_tokens"], 3);
  EXPECT_FALSE(k.contains("ignore_eos"));
  EXPECT_FALSE(k.contains("stream_options"));
}

TEST(RequestBody, TranslateAndCompletionsAndMessages) {
  RequestOptions o;
  o.api = Api::kTranslate;
  Prompt p;
  p.text = "hello";
  p.source_lang = "en";
  p.target_lang = "zh";
  json j = json::parse(build_request_body(o, p));
  EXPECT_EQ(j["text"], "hello");
  EXPECT_EQ(j["target_lang"], "zh");
  EXPECT_FALSE(j.contains("ignore_eos"));
  EXPECT_EQ(j["max_tokens"], 64);
  o.max_tokens = std::nullopt;  // the server's default length (what dsinfer's cache stores)
  EXPECT_FALSE(json::parse(build_request_body(o, p)).contains("max_tokens"));
  p.max_tokens = 5;  // a JSONL line's own value is still sent
  EXPECT_EQ(json::parse(build_request_body(o, p))["max_tokens"], 5);
  p.max_tokens.reset();
  o.api = Api::kCompletions;
  j = json::parse(build_request_body(o, p));
  EXPECT_EQ(j["prompt"], "hello");
  o.api = Api::kChat;
  p.messages_json = R"([{"role":"system","content":"s"},{"role":"user","content":"u"}])";
  j = json::parse(build_request_body(o, p));
  EXPECT_EQ(j["messages"].size(), 2u);
  p.messages_json = "{}";
  EXPECT_THROW(build_request_body(o, p), Error);
}

TEST(StreamEvent, ChatRoleChunkIsNotOutputButContentAndReasoningAre) {
  EXPECT_EQ(interpret_stream_event(Api::kChat,
                                   R"({"choices":[{"delta":{"role":"assistant","content":""}}]})")
                .content_bytes,
            0u);
  EXPECT_EQ(interpret_stream_event(Api::kChat, R"({"choices":[{"delta":{"content":"abc"}}]})")
                .content_bytes,
            3u);
  EXPECT_EQ(
      interpret_stream_event(Api::kChat, R"({"choices":[{"delta":{"reasoning_content":"hm"}}]})")
          .content_bytes,
      2u);
  const auto u = interpret_stream_event(
      Api::kChat, R"({"choices":[],"usage":{"prompt_tokens":11,"completion_tokens":5}})");
  EXPECT_EQ(u.prompt_tokens, 11);
  EXPECT_EQ(u.completion_tokens, 5);
  EXPECT_TRUE(interpret_stream_event(Api::kChat, "[DONE]").done);
}

TEST(StreamEvent, CompletionsTranslateErrorsAndGarbage) {
  EXPECT_EQ(
      interpret_stream_event(Api::kCompletions, R"({"choices":[{"text":"xy"}]})").content_bytes,
      2u);
  EXPECT_EQ(
      interpret_stream_event(Api::kTranslate, R"({"index":0,"translation":"Hi"})").content_bytes,
      2u);
  EXPECT_EQ(interpret_stream_event(Api::kTranslate,
                                   R"({"usage":{"completion_tokens":9},"cached_segments":0})")
                .completion_tokens,
            9);
  EXPECT_EQ(*interpret_stream_event(Api::kChat, R"({"error":{"message":"boom"}})").error, "boom");
  EXPECT_TRUE(interpret_stream_event(Api::kChat, "not json").error.has_value());
  EXPECT_TRUE(interpret_stream_event(Api::kChat, "[1,2]").error.has_value());
  EXPECT_FALSE(
      interpret_stream_event(Api::kChat, R"({"choices":[{"delta":null}]})").error.has_value());
}

TEST(StreamEvent, CacheCountsOfTranslateAndChat) {
  const auto t = interpret_stream_event(
      Api::kTranslate,
      R"({"usage":{"prompt_tokens":40,"completion_tokens":0,)"
      R"("prompt_tokens_details":{"cached_tokens":16}},"cached_segments":3,"segments":3})");
  EXPECT_EQ(t.cached_segments, 3);
  EXPECT_EQ(t.segments, 3);
  EXPECT_EQ(t.cached_prompt_tokens, 16);
  const auto older = interpret_response_body(
      Api::kTranslate, R"({"translation":"Hi","usage":{"prompt_tokens":9},"cached_segments":1})");
  EXPECT_EQ(older.cached_segments, 1);
  EXPECT_FALSE(older.segments.has_value());
  EXPECT_FALSE(older.cached_prompt_tokens.has_value());
  const auto chat = interpret_stream_event(
      Api::kChat,
      R"({"choices":[],"usage":{"prompt_tokens":90,"prompt_tokens_details":{"cached_tokens":32}}})");
  EXPECT_EQ(chat.cached_prompt_tokens, 32);
  EXPECT_FALSE(chat.cached_segments.has_value());
  EXPECT_FALSE(interpret_stream_event(
                   Api::kChat, R"({"usage":{"prompt_tokens_details":{"cached_tokens":"x"}}})")
                   .cached_prompt_tokens.has_value());
}

TEST(ResponseBody, WholeResponses) {
  EXPECT_EQ(interpret_response_body(Api::kChat, R"({"choices":[{"message":{"content":"abcd"}}]})")
                .content_bytes,
            4u);
  EXPECT_EQ(
      interpret_response_body(Api::kTranslate, R"({"translations":["ab","c"]})").content_bytes, 3u);
  EXPECT_EQ(error_message_of(R"({"error":{"message":"queue full"}})"), "queue full");
  EXPECT_EQ(error_message_of("plain"), "plain");
  EXPECT_EQ(error_message_of(std::string(300, 'x'), 10), "xxxxxxxxxx...");
}

TEST(HttpUrl, ParsesAndRejects) {
  auto u = parse_http_url("http://127.0.0.1:8080");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, "8080");
  EXPECT_EQ(u.path_prefix, "");
  u = parse_http_url("HTTP://example.com/api/");
  EXPECT_EQ(u.port, "80");
  EXPECT_EQ(u.path_prefix, "/api");
  EXPECT_EQ(u.with_route("/v1/models"), "http://example.com/api/v1/models");
  u = parse_http_url("http://[::1]:9000");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.host_header(), "[::1]:9000");
  for (const char* bad : {"127.0.0.1:8080", "http://", "http://h:0", "http://h:99999",
                          "http://h:8x", "http://u:p@h", "http://h/x?y", "http://[::1"}) {
    EXPECT_THROW(parse_http_url(bad), Error) << bad;
  }
  try {
    parse_http_url("https://h");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
  }
  EXPECT_THROW(parse_api("grpc"), Error);
  EXPECT_EQ(parse_api("translate"), Api::kTranslate);
}

}  // namespace
}  // namespace dsinfer::client
