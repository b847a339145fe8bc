// HttpSession / Exchange / submit_exchange on real loopback sockets with a fake engine: slots
// return on every path, refusals are real statuses (also for streams), a vanished client cancels
// its work once and is observed as 499, chunked framing counts against the body limit.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/limit_error.h"
#include "engine/engine.h"
#include "server/api_error.h"
#include "server/exchange_submission.h"
#include "server/server_context.h"
#include "test_server.h"

namespace dsinfer::server {
namespace {

using namespace std::chrono_literals;
using test::TestServer;

const std::string kGet = "GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";

// The shape that leaked before: route state holds the exchange and the exchange's disconnect
// action holds the route state. Completion must break the cycle and return the slot.
TEST(ExchangeOwnership, SelfReferencingRouteStateReturnsTheSlot) {
  struct State {
    std::shared_ptr<Exchange> ex;
  };
  std::mutex mu;
  std::vector<std::thread> engine_threads;  // answer from another thread, as engine sinks do
  {
    TestServer srv([&](std::shared_ptr<Exchange> ex) {
      auto st = std::make_shared<State>();
      st->ex = ex;
      ex->set_on_disconnect([st] { st->ex->abandon(); });
      std::lock_guard lock(mu);
      engine_threads.emplace_back([st] { st->ex->respond(200, "{}"); });
    });
    for (int i = 0; i < 12; ++i) {  // 3 x max_connections
      const std::string reply = srv.exchange_bytes(kGet);
      EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << "request " << i << ": " << reply;
    }
    {
      std::lock_guard lock(mu);
      for (auto& t : engine_threads) t.join();
    }
    EXPECT_TRUE(srv.wait_connections(0)) << srv.connections() << " connections still held";
  }
}

TEST(SubmitExchange, OverloadIsA429BeforeAnyStreamByte) {
  ServerContext ctx;
  for (const bool stream : {false, true}) {
    TestServer srv([&ctx, stream](std::shared_ptr<Exchange> ex) {
      submit_exchange(ctx, ex, stream, []() -> Cancel {
        throw engine::OverloadedError("overloaded: test", std::chrono::milliseconds(1500));
      });
    });
    const std::string reply = srv.exchange_bytes(kGet);
    EXPECT_EQ(reply.rfind("HTTP/1.1 429", 0), 0u) << reply;
    EXPECT_NE(reply.find("Retry-After: 2"), std::string::npos) << reply;
    EXPECT_EQ(reply.find("text/event-stream"), std::string::npos) << reply;
    EXPECT_TRUE(srv.wait_connections(0));
  }
}

TEST(SubmitExchange, ValidationErrorIsA400ForAStream) {
  ServerContext ctx;
  TestServer srv([&ctx](std::shared_ptr<Exchange> ex) {
    submit_exchange(ctx, ex, true, []() -> Cancel {
      throw Error(ErrorKind::kInvalidInput, "prompt exceeds the context size");
    });
  });
  const std::string reply = srv.exchange_bytes(kGet);
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply;
  EXPECT_NE(reply.find("context size"), std::string::npos);
}

// A route's error shape: every refusal before a response byte (429, 413, 400 naming the field,
// other errors) is answered with the route's body, the status and Retry-After unchanged.
TEST(SubmitExchange, RefusalsUseTheRoutesErrorShape) {
  ServerContext ctx;
  const ErrorBody shape = [](int status, ErrorKind, const std::string& message,
                             const std::string& field) {
    return "{\"message\":\"" + std::to_string(status) + " " + message + " [" + field + "]\"}";
  };
  const std::vector<std::pair<std::function<void()>, std::string>> cases = {
      {[] { throw engine::OverloadedError("queue full", std::chrono::milliseconds(10)); },
       "HTTP/1.1 429"},
      {[] { throw LimitError("too many segments"); }, "HTTP/1.1 413"},
      {[] { throw FieldError("target_lang", "bad language"); }, "HTTP/1.1 400"},
      {[] { throw Error(ErrorKind::kTimeout, "late"); }, "HTTP/1.1 504"},
  };
  const std::vector<std::string> bodies = {
      R"({"message":"429 queue full []"})", R"({"message":"413 too many segments []"})",
      R"({"message":"400 bad language [target_lang]"})", R"({"message":"504 late []"})"};
  for (size_t i = 0; i < cases.size(); ++i) {
    for (const bool stream : {false, true}) {
      TestServer srv([&, i, stream](std::shared_ptr<Exchange> ex) {
        submit_exchange(
            ctx, ex, stream,
            [&, i]() -> Cancel {
              cases[i].first();
              return {};
            },
            shape);
      });
      const std::string reply = srv.exchange_bytes(kGet);
      EXPECT_EQ(reply.rfind(cases[i].second, 0), 0u) << reply;
      EXPECT_NE(reply.find(bodies[i]), std::string::npos) << reply;
      EXPECT_EQ(reply.find("text/event-stream"), std::string::npos) << reply;
      if (i == 0) {
        EXPECT_NE(reply.find("Retry-After: 1"), std::string::npos) << reply;
      }
    }
  }
}

// The fake engine answers from its own thread, even before submit returns: the 200 head still
// comes first and the events follow in order.
TEST(SubmitExchange, EventsBeforeSubmitReturnsFollowTheHead) {
  ServerContext ctx;
  TestServer srv([&ctx](std::shared_ptr<Exchange> ex) {
    submit_exchange(ctx, ex, true, [ex]() -> Cancel {
      std::thread engine([ex] {
        for (int i = 0; i < 5; ++i) ex->send("data: " + std::to_string(i) + "\n\n");
        ex->finish_stream();
      });
      engine.join();
      return [] {};
    });
  });
  const std::string reply = srv.exchange_bytes(kGet);
  ASSERT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
  size_t pos = 0;
  for (int i = 0; i < 5; ++i) {
    const size_t at = reply.find("data: " + std::to_string(i), pos);
    ASSERT_NE(at, std::string::npos) << reply;
    pos = at;
  }
  EXPECT_NE(reply.find("0\r\n\r\n", pos), std::string::npos);
}

TEST(SubmitExchange, VanishedClientCancelsOnceAndIsA499) {
  ServerContext ctx;
  std::atomic<int> cancels{0};
  std::shared_ptr<Exchange> held;
  std::mutex mu;
  TestServer srv([&](std::shared_ptr<Exchange> ex) {
    submit_exchange(ctx, ex, true, [&]() -> Cancel {
      std::lock_guard lock(mu);
      held = ex;  // the fake engine keeps the exchange, as a sink would
      return [&cancels] { ++cancels; };
    });
  });
  srv.exchange_bytes(kGet, /*close_after_send=*/true);  // the socket closes at once
  // The client is gone; the server notices at its next write (a fully closed peer) — an event.
  for (int i = 0; i < 200 && cancels.load() == 0; ++i) {
    {
      std::lock_guard lock(mu);
      if (held) held->send("data: tick\n\n");
    }
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(cancels.load(), 1);
  const auto statuses = srv.wait_statuses(1);
  ASSERT_EQ(statuses.size(), 1u);
  EXPECT_EQ(statuses[0], kClientClosedStatus);
  {
    std::lock_guard lock(mu);
    held->send("data: late\n\n");  // ignored, no crash
    held->finish_stream();
    held.reset();
  }
  EXPECT_TRUE(srv.wait_connections(0));
}

TEST(HttpSession, ChunkFramingCountsAgainstTheBodyLimit) {
  HttpLimits limits;
  limits.max_body_bytes = 2048;
  TestServer srv([](std::shared_ptr<Exchange> ex) { ex->respond(200, "{}"); }, limits);
  std::string req = "POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 40; ++i) req += "1;e=" + std::string(100, 'x') + "\r\na\r\n";
  req += "0\r\n\r\n";
  const std::string reply = srv.exchange_bytes(req);
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply.substr(0, 80);
  // Under the limit, framing included: served.
  const std::string small =
      "POST /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
      "1;e=x\r\na\r\n0\r\n\r\n";
  EXPECT_EQ(srv.exchange_bytes(small).rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_TRUE(srv.wait_connections(0));
}

}  // namespace
}  // namespace dsinfer::server
