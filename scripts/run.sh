#!/usr/bin/env bash
# The main job: installs what is missing, builds, creates the default demo model if absent,
# then shows what dsinfer does with it. usage: scripts/run.sh [MODEL.gguf]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh build
bash scripts/build.sh release dsinfer
bin=build/release/src/cli/dsinfer
model=${1:-${DSINFER_MODEL:-models/demo.gguf}}
if [ ! -f "$model" ]; then
  mkdir -p "$(dirname "$model")"
  echo "creating the demo model (random weights) at $model"
  "$bin" make-model --arch qwen2 --preset demo --type q8_0 --out "$model"
fi
"$bin" --version
"$bin" inspect "$model"
