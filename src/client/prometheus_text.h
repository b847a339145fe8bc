// Reading one sample family out of a Prometheus text exposition (the server's /metrics), e.g.
// process_cpu_seconds_total for the per-replica CPU of a load level.
#pragma once

#include <optional>
#include <string_view>

namespace dsinfer::client {

// The sum of every sample named exactly `name` (any labels) in `text`, or nullopt when none
// is present. Comment lines and malformed lines are skipped; never throws.
std::optional<double> prometheus_sample_sum(std::string_view text, std::string_view name);

}  // namespace dsinfer::client
