#!/usr/bin/env bash
# `dsinfer bench` and `bench sweep` against a real `dsinfer serve` (demo preset, random weights):
# every API answers, the reports are complete, the sweep writes its curve and chart, and a
# translate sweep of the built-in workload measures compute, not the translation cache.
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

# The built-in workload's segments are distinct (issue 22): no level of a translate sweep is
# answered from the translation cache, the client's count of cached segments is the server's own
# counter, and the capacity is compute capacity.
hits() { curl -sf "$url/metrics" | awk '/^inference_translation_cache_hits_total / { print $2 }'; }
tsweep() {  # $1 = output prefix, then extra flags
  local out=$1; shift
  # no --max-tokens: the server's default length, whose results its translation cache keeps
  "$DSINFER_BIN" bench sweep --url "$url" --api translate --concurrency 1,2,4 --requests 6 \
    --prompt-len 16 --slo-p95 30 --slo-max-error-rate 0.5 --out "$out" "$@" \
    > "$out.txt" 2>&1 || { cat "$out.txt"; exit 1; }
}
before=$(hits)
tsweep "$tmp/distinct" --seed 21
after=$(hits)
python3 - "$tmp/distinct.json" "$before" "$after" <<'PY'
import json, sys
curve = json.load(open(sys.argv[1]))
delta = float(sys.argv[3]) - float(sys.argv[2])
assert curve["run"]["workload"]["repeat_share"] == 0, curve["run"]["workload"]
cached = 0
for level in curve["levels"]:
    t = level["cache"]["translation"]
    assert t is not None and t["responses"] == level["requests"]["ok"], level["cache"]
    assert not level["cache"]["cache_dominated"], f"level {level['offered_load']}: {t}"
    cached += t["cached_segments"]
assert delta == 0 and cached == 0, f"distinct segments hit the cache: server {delta}, client {cached}"
assert curve["slo"]["capacity"]["basis"] == "compute", curve["slo"]["capacity"]
print("translate sweep of distinct segments: no cache hit, compute capacity")
PY
# The same sweep again (same seed): every segment is one the server has seen. Whatever the
# server could cache it answers from the cache; the client's count must equal the server's, and
# a level answered mostly from the cache must be flagged and its capacity not called compute.
before=$(hits)
tsweep "$tmp/again" --seed 21
after=$(hits)
python3 - "$tmp/again.json" "$before" "$after" "$tmp/again.txt" <<'PY'
import json, sys
curve = json.load(open(sys.argv[1]))
delta = float(sys.argv[3]) - float(sys.argv[2])
warmup = curve["run"]["warmup_requests"]
cached = sum(l["cache"]["translation"]["cached_segments"] for l in curve["levels"])
# the warm-up requests are not measured: the server's counter may exceed the levels' sum by them
assert cached <= delta <= cached + warmup, f"client counted {cached}, server {delta}"
assert delta > 0, "a repeated sweep found nothing in the translation cache"
text = open(sys.argv[4]).read()
for level in curve["levels"]:
    share = level["cache"]["translation"]["answer_share"]
    assert level["cache"]["cache_dominated"] == (share > 0.5), level["cache"]
if any(l["cache"]["cache_dominated"] for l in curve["levels"]):
    assert "measures the cache, not compute" in text and "another --seed" in text, text
    cap = curve["slo"]["capacity"]
    if cap and any(l["cache"]["cache_dominated"] for l in curve["levels"][: cap["level_index"] + 1]):
        assert cap["basis"] == "cache" and "NOT compute capacity" in text, (cap, text)
print(f"repeated sweep: {cached} cached segments counted, server counted {delta:g}")
PY
# Repeats on purpose: the run records the share asked for.
"$DSINFER_BIN" bench --url "$url" --api translate --concurrency 2 --requests 10 \
  --prompt-len 20 --seed 33 --repeat-share 0.5 --json "$tmp/repeat.json" > "$tmp/repeat.txt"
python3 - "$tmp/repeat.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["run"]["workload"]["repeat_share"] == 0.5, r["run"]["workload"]
assert r["summary"]["cache"]["translation"]["responses"] == 10, r["summary"]["cache"]
print("repeat share recorded:", r["summary"]["cache"]["translation"])
PY
