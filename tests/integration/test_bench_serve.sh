#!/usr/bin/env bash
# `dsinfer bench` and `bench sweep` against a real `dsinfer serve` (demo preset, random weights):
# every API answers, the reports are complete, the sweep writes its curve and chart.
set -euo pipefail
: "${DSINFER_BIN:?DSINFER_BIN must point at the dsinfer binary}"
tmp=$(mktemp -d "${DSINFER_TEST_TMP:-/tmp}/bench-serve.XXXXXX")
model="$tmp/demo.gguf"
"$DSINFER_BIN" make-model --preset demo --type q8_0 --out "$model" 2>/dev/null
"$DSINFER_BIN" serve --model "$model" --host 127.0.0.1 --port 0 --kv-cache-mem 64MiB \
  --warmup-requests 1 2> "$tmp/serve.log" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true; rm -rf "$tmp"' EXIT
port=""
for _ in $(seq 1 300); do
  port=$(grep -o '"event":"listening","host":"[^"]*","port":[0-9]*' "$tmp/serve.log" | grep -o '[0-9]*$' || true)
  [ -n "$port" ] && curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break
  sleep 0.2
done
[ -n "$port" ] || { echo "server did not start"; cat "$tmp/serve.log"; exit 1; }
url="http://127.0.0.1:$port"
for api in chat completions translate; do
  "$DSINFER_BIN" bench --url "$url" --api "$api" --concurrency 2 --requests 6 --max-tokens 8 \
    --prompt-len 24 --json "$tmp/$api.json" > "$tmp/$api.txt"
  python3 - "$tmp/$api.json" "$api" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
assert s["requests"]["ok"] == 6 and s["requests"]["total"] == 6, s["requests"]
assert s["error_rate"] == 0, s
assert s["throughput"]["output_tokens"] > 0 and s["throughput"]["output_tokens_per_s"] > 0
# A one-segment translation streams one event: no inter-token figures for it.
for key in ("ttft", "e2e") if sys.argv[2] == "translate" else ("ttft", "e2e", "tpot", "itl"):
    assert s["latency_s"][key]["count"] > 0 and s["latency_s"][key]["p95"] >= s["latency_s"][key]["p50"]
assert s["replica"]["cpu_cores"] > 0, "server CPU read from /metrics"
print(f"bench {sys.argv[2]}: ok")
PY
done
"$DSINFER_BIN" bench sweep --url "$url" --api chat --concurrency 1,2 --requests 4 --max-tokens 8 \
  --prompt-len 16 --slo-p95 30 --out "$tmp/sweep" > "$tmp/sweep.txt" 2>&1 || {
  cat "$tmp/sweep.txt"; exit 1; }
python3 - "$tmp/sweep" <<'PY'
import json, sys, xml.dom.minidom
prefix = sys.argv[1]
xml.dom.minidom.parse(prefix + ".svg")
curve = json.load(open(prefix + ".json"))
text = json.dumps(curve)
assert text.count('"offered_load"') >= 2, text[:300]
assert open(prefix + ".csv").read().count("\n") >= 3
print("sweep: curve (JSON, CSV) and chart written")
PY
