// Fuzz target: arbitrary bytes as one client connection of `dsinfer serve` — HTTP parser,
// session (pipelining, chunked bodies, limits), router and every JSON handler — against a fake
// engine (toy model, small real tokenizer, a real chat template). The client sends the bytes
// and half-closes; the connection must end (no hang), without a crash or sanitizer report, and
// every answer must be a well-formed HTTP status line.
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>

#include "../unit/engine/fake_model.h"
#include "../unit/tokenizer/test_vocab.h"
#include "engine/engine.h"
#include "engine/tokenizer_codec.h"
#include "server/http_session.h"
#include "server/router.h"
#include "server/server_context.h"

namespace {

namespace net = boost::asio;
using namespace dsinfer;

// One in-process server: context, engine on a toy model, an I/O thread.
struct FakeServer {
  server::ServerContext ctx;
  net::io_context ioc;
  std::thread io;
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};

  FakeServer() {
    ctx.config.model_path = "fake";
    ctx.config.max_body_bytes = 8192;
    ctx.config.max_translation_segments = 16;
    ctx.model_name = "fake";
    auto tok = std::make_shared<const tokenizer::Tokenizer>(tokenizer::test::make_chat_vocab(),
                                                            "deepseek-llm");
    ctx.loaded = std::make_unique<engine::LoadedEngine>();
    ctx.loaded->tokenizer = tok;
    ctx.loaded->model = std::make_unique<engine::test::FakeModel>(258, 16, 256, 512);
    engine::EngineConfig ec;
    ec.max_waiting = 8;
    ctx.loaded->engine = std::make_unique<engine::Engine>(
        *ctx.loaded->model, engine::make_tokenizer_codec(tok), ec, 512);
    ctx.chat_template =
        std::make_shared<tokenizer::ChatTemplate>(tokenizer::ChatTemplate::from_string(
            "{{ bos_token }}{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}{% endfor %}"
            "{% if add_generation_prompt %}<assistant>{% endif %}",
            "<s>", "</s>"));
    ctx.translation_cache = std::make_unique<translate::TranslationCache>(1 << 16);
    ctx.translator = std::make_unique<translate::Translator>(
        *ctx.loaded->engine, tok, ctx.chat_template, *ctx.translation_cache, "fake",
        translate::TranslatorConfig{32, true, 16, 4});
    ctx.glossaries = std::make_shared<const translate::GlossaryStore>();
    ctx.documents =
        std::make_unique<translate::DocumentTranslator>(*ctx.translator, ctx.glossaries);
    ctx.metrics = std::make_unique<metrics::ServerMetrics>(metrics::BuildLabels{"0", "0", "x"});
    ctx.work_pool = std::make_unique<net::thread_pool>(1);
    ctx.loaded_ok = true;
    ctx.phase = server::Phase::kReady;
    io = std::thread([this] { ioc.run(); });
  }
};

FakeServer& fake_server() {
  static auto* s = new FakeServer();  // lives for the process (libFuzzer never returns)
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& srv = fake_server();
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) std::abort();
  std::mutex mu;
  std::condition_variable cv;
  bool closed = false;
  {
    net::ip::tcp::socket sock(net::make_strand(srv.ioc));
    boost::system::error_code ec;
    sock.assign(net::ip::tcp::v4(), fds[0], ec);
    if (ec) std::abort();
    server::HttpLimits limits;
    limits.max_body_bytes = srv.ctx.config.max_body_bytes;
    limits.header_timeout_s = 2;
    limits.body_timeout_s = 2;
    limits.keepalive_timeout_s = 2;
    std::make_shared<server::HttpSession>(
        std::move(sock), limits,
        [&srv](std::shared_ptr<server::Exchange> ex) {
          server::route_request(srv.ctx, ex, nullptr);
        },
        [](const server::Exchange&) {}, [] { return false; },
        [&] {
          std::lock_guard lock(mu);
          closed = true;
          cv.notify_all();
        })
        ->start();
  }
  // The client: send everything (the server may stop reading early), half-close, read to EOF.
  std::thread writer([&] {
    size_t off = 0;
    while (off < size) {
      const ssize_t n = send(fds[1], data + off, size - off, MSG_NOSIGNAL);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    shutdown(fds[1], SHUT_WR);
  });
  std::string reply;
  char buf[65536];
  for (;;) {
    const ssize_t n = read(fds[1], buf, sizeof buf);
    if (n <= 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  writer.join();
  close(fds[1]);
  {
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, std::chrono::seconds(30), [&] { return closed; })) {
      std::abort();  // the session never ended: a leaked connection slot
    }
  }
  if (!reply.empty() && reply.rfind("HTTP/1.1 ", 0) != 0) std::abort();
  return 0;
}
