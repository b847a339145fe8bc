#!/usr/bin/env bash
# The served figure: `dsinfer bench` against llama.cpp's `llama-server` and against
# `dsinfer serve`, one server at a time, same file, same client flags (completions API, closed
# loop at --concurrency C, 64 output tokens, ignore_eos, temperature 0), alternating the two
# servers (L D, D L, ...: N pairs, a fresh server per run). Prints every run's output tok/s and
# e2e p95, the medians and the median of the per-pair ratios dsinfer / llama.cpp.
# Needs an existing llama.cpp build with llama-server (this script never builds it) and jq.
#
#   bench/vs_llama_served.sh LLAMA_BIN_DIR DSINFER N MODEL [CONCURRENCY] [REQUESTS] [OUT_DIR]
#   bench/vs_llama_served.sh ~/llama.cpp/build/bin build/release/src/cli/dsinfer 2 r1q-1.5b-q4_k.gguf 8 32
set -euo pipefail

if [[ $# -lt 4 || ! "$3" =~ ^[1-9][0-9]*$ ]]; then
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
llama_server=$1/llama-server dsinfer=$2 pairs=$3 model=$4
concurrency=${5:-8} requests=${6:-32} out_dir=${7:-$(mktemp -d)}
threads=2 port=${VS_LLAMA_PORT:-18431}
for bin in "$llama_server" "$dsinfer"; do
  [[ -x "$bin" ]] || { echo "vs_llama_served: not an executable: $bin" >&2; exit 2; }
done
[[ -r "$model" ]] || { echo "vs_llama_served: cannot read $model" >&2; exit 2; }
mkdir -p "$out_dir"

server_pid=
stop_server() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
trap stop_server EXIT

# Starts one server, waits until it answers its readiness URL (at most 600 s: V2-Lite loads slowly).
start_server() {
  local name=$1 ready_url
  if [[ $name == llama ]]; then
    # -np slots share -c: 8 x 1024 tokens, far above prompt (~100) + 64.
    "$llama_server" -m "$model" --host 127.0.0.1 --port "$port" -np "$concurrency" -t "$threads" \
      -c $((concurrency * 1024)) >"$out_dir/$name.server.log" 2>&1 &
    ready_url=http://127.0.0.1:$port/health
  else
    "$dsinfer" serve --model "$model" --host 127.0.0.1 --port "$port" --threads "$threads" \
      --kv-cache-mem 2GiB >"$out_dir/$name.server.log" 2>&1 &
    ready_url=http://127.0.0.1:$port/health/ready
  fi
  server_pid=$!
  for ((t = 0; t < 1200; ++t)); do
    curl -sf -o /dev/null "$ready_url" && return 0
    kill -0 "$server_pid" 2>/dev/null || { echo "vs_llama_served: $name server exited; see $out_dir/$name.server.log" >&2; exit 1; }
    sleep 0.5
  done
  echo "vs_llama_served: $name server not ready after 600 s" >&2
  exit 1
}

# One measured run: "output_tok_s e2e_p95_s" (a fresh server, so neither side has a warm cache
# of these prompts; both get the same --seed, i.e. the same prompts in the same order).
run_one() {
  local name=$1 run=$2
  start_server "$name"
  "$dsinfer" bench --url "http://127.0.0.1:$port" --api completions --concurrency "$concurrency" \
    --requests "$requests" --warmup 2 --max-tokens 64 --ignore-eos --temperature 0 --seed 1 \
    --json "$out_dir/$name.$run.json" >"$out_dir/$name.$run.txt" 2>&1
  stop_server
  local failed
  failed=$(jq -r ".summary.requests.failed" "$out_dir/$name.$run.json")
  [[ $failed == 0 ]] || echo "vs_llama_served: $name run $run: $failed requests failed" >&2
  jq -r '.summary | "\(.throughput.output_tokens_per_s) \(.latency_s.e2e.p95)"' "$out_dir/$name.$run.json"
}

rows=()
for ((i = 1; i <= pairs; ++i)); do
  if ((i % 2)); then
    l=$(run_one llama "$i")
    d=$(run_one dsinfer "$i")
    order="llama.cpp first"
  else
    d=$(run_one dsinfer "$i")
    l=$(run_one llama "$i")
    order="dsinfer first"
  fi
  echo "pair $i ($order): output tok/s, e2e p95 s: dsinfer $d | llama.cpp $l" >&2
  rows+=("$d $l")
done
echo "reports: $out_dir" >&2

printf '%s\n' "${rows[@]}" | awk -v model="$(basename "$model")" -v c="$concurrency" '
  function median(v, n,   i, j, t) {
    for (i = 2; i <= n; ++i) for (j = i; j > 1 && v[j - 1] > v[j]; --j) {
      t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
    }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  { dt[NR] = $1; dp[NR] = $2; lt[NR] = $3; lp[NR] = $4; rt[NR] = $1 / $3; rp[NR] = $2 / $4 }
  END {
    printf "%s concurrency %d output tok/s: dsinfer %.1f, llama.cpp %.1f, pair-ratio median %.2f\n",
      model, c, median(dt, NR), median(lt, NR), median(rt, NR)
    printf "%s concurrency %d e2e p95 s: dsinfer %.2f, llama.cpp %.2f, pair-ratio median %.2f\n",
      model, c, median(dp, NR), median(lp, NR), median(rp, NR)
  }'
