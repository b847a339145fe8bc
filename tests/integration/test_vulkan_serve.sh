#!/usr/bin/env bash
# dsinfer serve --device vulkan (lavapipe in CI): /health reports the device (name, driver,
# memory used <= total), /metrics exports inference_device_memory_used_bytes / _total_bytes for
# it, greedy completions equal the CPU server's, and --device errors at start-up are clear.
# Without a Vulkan device: skip loudly, fail under CI=true.
set -euo pipefail
source "$(dirname "$0")/common.sh"
for tool in curl jq python3; do
  command -v "$tool" > /dev/null || skip_or_fail "$tool not installed (scripts/deps.sh test)"
done
model="$fixtures/golden/models/tiny-r1qwen-qwen2-Q8_0.gguf"
[ -f "$model" ] || skip_or_fail "fixture model missing: $model"
"$bin" --version | grep -q '^ *vulkan:0 ' \
  || skip_or_fail "no Vulkan device ($("$bin" --version | grep -i vulkan | head -1))"

tmp=$(mktemp -d "${DSINFER_TEST_TMP:-/tmp}/vulkan_serve.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2> /dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_ready() {  # PORT PID LOG
  for _ in $(seq 1 480); do
    curl -fsS "http://127.0.0.1:$1/health/ready" > /dev/null 2>&1 && return 0
    kill -0 "$2" 2> /dev/null || { tail -20 "$3"; return 1; }
    sleep 0.25
  done
  return 1
}
complete() {  # PORT PROMPT -> the completion text
  curl -fsS "http://127.0.0.1:$1/v1/completions" -H 'Content-Type: application/json' \
    -d "$(jq -nc --arg p "$2" '{model: "tiny", prompt: $p, max_tokens: 8, temperature: 0}')" \
    | jq -r '.choices[0].text'
}

# 1. Start-up errors: exit non-zero with the reason, before serving.
if "$bin" serve --model "$model" --host 127.0.0.1 --port "$(free_port)" --device vulkan:99 > "$tmp/bad.log" 2>&1; then
  fail "--device vulkan:99 started"
fi
grep -q "does not exist" "$tmp/bad.log" || { cat "$tmp/bad.log"; fail "no reason for vulkan:99"; }
if DSINFER_DEVICE=gpu "$bin" serve --model "$model" --host 127.0.0.1 --port "$(free_port)" > "$tmp/bad.log" 2>&1; then
  fail "DSINFER_DEVICE=gpu started"
fi
grep -q "is not a device" "$tmp/bad.log" || { cat "$tmp/bad.log"; fail "no reason for gpu"; }

# 2. The same model on the CPU and on the device.
cpu_port=$(free_port)
"$bin" serve --model "$model" --host 127.0.0.1 --port "$cpu_port" --model-name tiny \
  --kv-cache-mem 64MiB > "$tmp/cpu.log" 2>&1 &
pids+=($!)
vk_port=$(free_port)
DSINFER_DEVICE=vulkan "$bin" serve --model "$model" --host 127.0.0.1 --port "$vk_port" \
  --model-name tiny --kv-cache-mem 64MiB > "$tmp/vk.log" 2>&1 &
pids+=($!)
wait_ready "$cpu_port" "${pids[0]}" "$tmp/cpu.log" || fail "the CPU server never became ready"
wait_ready "$vk_port" "${pids[1]}" "$tmp/vk.log" || fail "the Vulkan server never became ready"

# 3. /health: the device block.
curl -fsS "http://127.0.0.1:$vk_port/health" > "$tmp/health.json"
jq -e '.device.type == "vulkan" and .device.selected == "vulkan" and .device.index == 0
       and (.device.name | length > 0) and (.device.driver | length > 0)
       and .device.memory_used_bytes > 0
       and .device.memory_used_bytes <= .device.memory_total_bytes' "$tmp/health.json" > /dev/null \
  || { cat "$tmp/health.json"; fail "/health lacks the Vulkan device"; }
curl -fsS "http://127.0.0.1:$cpu_port/health" | jq -e '.device.type == "cpu"
  and (.device | has("memory_used_bytes") | not)' > /dev/null || fail "CPU /health shows a device"

# 4. Greedy completions equal (several prompts, sent concurrently to exercise batching).
clients=()
for i in 1 2 3; do
  complete "$vk_port" "Translate to German: good morning $i" > "$tmp/vk.$i" &
  clients+=($!)
done
for p in "${clients[@]}"; do wait "$p" || fail "a Vulkan completion request failed"; done
for i in 1 2 3; do
  complete "$cpu_port" "Translate to German: good morning $i" > "$tmp/cpu.$i"
  [ -s "$tmp/vk.$i" ] || fail "empty Vulkan completion $i"
  cmp -s "$tmp/cpu.$i" "$tmp/vk.$i" \
    || fail "completion $i differs: cpu '$(cat "$tmp/cpu.$i")' vulkan '$(cat "$tmp/vk.$i")'"
done

# 5. /metrics: the device memory gauges on the device, none on the CPU.
curl -fsS "http://127.0.0.1:$vk_port/metrics" > "$tmp/metrics.txt"
used=$(sed -n 's/^inference_device_memory_used_bytes{device="vulkan:0"} //p' "$tmp/metrics.txt")
total=$(sed -n 's/^inference_device_memory_total_bytes{device="vulkan:0"} //p' "$tmp/metrics.txt")
[ -n "$used" ] && [ -n "$total" ] || { grep device "$tmp/metrics.txt"; fail "device gauges missing"; }
python3 -c "import sys; u, t = float('$used'), float('$total'); sys.exit(0 if 0 < u <= t else 1)" \
  || fail "device memory used $used of $total"
if curl -fsS "http://127.0.0.1:$cpu_port/metrics" | grep -q '^inference_device_memory_used_bytes{'; then
  fail "the CPU server exports device memory"
fi
echo "vulkan serve: ok (device memory $used of $total bytes)"
