// spdlog configuration for text and JSON-lines logs.
#include "base/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "base/error.h"

namespace dsinfer {
namespace {

// %J: a message that is a JSON object ("{...}") is merged into the line as its fields;
// any other message becomes an escaped "msg" field. Keeps every line valid JSON.
class JsonPayloadFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string text(msg.payload.data(), msg.payload.size());
    std::string out;
    if (text.size() >= 2 && text.front() == '{' && text.back() == '}') {
      if (text.size() > 2) out = "," + text.substr(1, text.size() - 2);
    } else {
      out = ",\"msg\":\"" + json_escape(text) + "\"";
    }
    dest.append(out.data(), out.data() + out.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonPayloadFlag>();
  }
};

}  // namespace

void setup_logging(LogFormat format, const std::string& level) {
  spdlog::drop("dsinfer");
  auto logger = spdlog::stderr_logger_mt("dsinfer");
  if (format == LogFormat::kJson) {
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<JsonPayloadFlag>('J').set_pattern(
        R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l"%J})");
    logger->set_formatter(std::move(formatter));
  } else {
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  }
  const auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off") {
    fail(ErrorKind::kInvalidInput,
         "--log-level: unknown level '{}' (trace|debug|info|warn|error|off)", level);
  }
  logger->set_level(lvl);
  spdlog::set_default_logger(logger);
}

}  // namespace dsinfer
