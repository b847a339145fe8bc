#!/usr/bin/env bash
# The main job: installs what is missing, builds, creates the default demo model if absent,
# starts `dsinfer serve`, waits until it is ready, shows a translation round trip with curl,
# then keeps serving until Ctrl-C (or exits at once with --once).
# usage: scripts/run.sh [--once] [MODEL.gguf]
set -euo pipefail
cd "$(dirname "$0")/.."
once=0
if [ "${1:-}" = --once ]; then once=1; shift; fi
bash scripts/deps.sh build
command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl; }
bash scripts/build.sh release dsinfer
bin=build/release/src/cli/dsinfer
model=${1:-${DSINFER_MODEL:-models/demo.gguf}}
port=${DSINFER_PORT:-8080}
if [ ! -f "$model" ]; then
  mkdir -p "$(dirname "$model")"
  echo "creating the demo model (random weights: its output is not meaningful) at $model"
  "$bin" make-model --preset demo --type q8_0 --out "$model"
fi
"$bin" --version
"$bin" serve --model "$model" --port "$port" --host 127.0.0.1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null' EXIT
for _ in $(seq 1 600); do
  curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break
  kill -0 $server 2>/dev/null || { echo "dsinfer serve exited"; exit 1; }
  sleep 0.5
done
request='{"text": "今天天气很好。我们早上九点在车站见面！", "source_lang": "zh", "target_lang": "en", "max_tokens": 16}'
echo
echo "\$ curl -s http://127.0.0.1:$port/v1/translate -d '$request'"
curl -sS "http://127.0.0.1:$port/v1/translate" -H 'Content-Type: application/json' -d "$request"
echo
echo
[ $once = 1 ] && exit 0
echo "dsinfer is serving $model at http://127.0.0.1:$port (Ctrl-C to stop)"
wait $server
