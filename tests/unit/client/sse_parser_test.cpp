// Client layer: SSE parsing with arbitrary splits, CRLF/CR line ends, comments, multi-line data.
#include <gtest/gtest.h>

#include "client/sse_parser.h"

namespace dsinfer::client {
namespace {

std::vector<SseEvent> parse_in_pieces(const std::string& body, std::size_t piece) {
  std::vector<SseEvent> events;
  SseParser p([&](const SseEvent& e) { events.push_back(e); });
  for (std::size_t i = 0; i < body.size(); i += piece)
    p.feed(std::string_view(body).substr(i, piece));
  return events;
}

TEST(SseParser, EventsSurviveEverySplit) {
  const std::string body =
      ": keep-alive\n\ndata: {\"a\":1}\n\ndata:{\"b\":2}\r\n\r\nevent: x\ndata: one\ndata: "
      "two\r\rdata: [DONE]\n\n";
  for (std::size_t piece = 1; piece <= body.size(); ++piece) {
    const auto events = parse_in_pieces(body, piece);
    ASSERT_EQ(events.size(), 4u) << "piece " << piece;
    EXPECT_EQ(events[0].data, "{\"a\":1}");
    EXPECT_EQ(events[1].data, "{\"b\":2}");
    EXPECT_EQ(events[2].event, "x");
    EXPECT_EQ(events[2].data, "one\ntwo");
    EXPECT_EQ(events[3].data, "[DONE]");
  }
}

TEST(SseParser, CommentsCountedAndIncompleteEventDiscarded) {
  std::vector<SseEvent> events;
  SseParser p([&](const SseEvent& e) { events.push_back(e); });
  p.feed(":ping\n\n: pong\n\nid: 3\nretry: 10\n\ndata: partial");
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(p.comments(), 2u);
  EXPECT_TRUE(p.finish());
  EXPECT_TRUE(events.empty());
}

}  // namespace
}  // namespace dsinfer::client
