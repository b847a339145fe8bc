#!/usr/bin/env bash
# deploy/monitoring checked by promtool: recording + alert rules load (`check rules`), every
# alert's firing and non-firing unit tests pass (`test rules`), every Grafana dashboard query and
# prometheus-adapter query parses (written as recording rules, then `check rules`), and the
# structure checks of deploy/tests/check_monitoring.mjs (>= 15 alerts, runbooks, ConfigMap = JSON).
set -euo pipefail
src=${DSINFER_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../../deploy/tests/tools.sh
source "$src/deploy/tests/tools.sh"
command -v promtool >/dev/null || skip_or_fail "promtool missing (Debian package prometheus)"
deploy_tools
mon="$src/deploy/monitoring"
tmp=$(mktemp -d "${DSINFER_TEST_TMP:-/tmp}/monitoring_rules.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
promtool --version 2>&1 | head -1

promtool check rules "$mon/recording-rules.yaml" "$mon/alerts.yaml"
promtool test rules "$mon/tests/alerts_test.yaml"
node "$src/deploy/tests/check_monitoring.mjs" "$src" "$tmp/queries.yaml"
promtool check rules "$tmp/queries.yaml"

# A broken alert expression or a wrong expectation must make promtool fail (the tests bite).
sed 's/pool:inference_latency_seconds:p95_rate5m > 2$/pool:inference_latency_seconds:p95_rate5m > 20/' \
  "$mon/alerts.yaml" > "$tmp/alerts.yaml"
cp "$mon/recording-rules.yaml" "$tmp/"
mkdir -p "$tmp/tests" && cp "$mon/tests/alerts_test.yaml" "$tmp/tests/"
if promtool test rules "$tmp/tests/alerts_test.yaml" > "$tmp/out" 2>&1; then
  echo "FAIL: promtool accepted an alert whose threshold was changed"; exit 1
fi
echo "mutated alert threshold caught by promtool test rules"
echo "PASS test_monitoring_rules in $(( $(date +%s) - start ))s"
