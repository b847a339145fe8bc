#!/usr/bin/env bash
# Device check of the Vulkan backend on a lent GPU machine (no network there).
#   scripts/gpu_check.sh pack DIR   here: DIR gets the Vulkan op tests, the golden tests, the
#                                   matmul benchmark, the dsinfer binary, the shared libraries ldd
#                                   lists (libc aside), the Vulkan loader, the Khronos validation
#                                   layer and the golden fixtures (llama, qwen2, deepseek2; ~45 MB)
#   scripts/gpu_check.sh run DIR    there: lists the Vulkan devices, picks the first that is not a
#                                   CPU (DSINFER_GPU_CHECK_DEVICE=N overrides), runs every op test
#                                   and the golden logits (golden.VulkanModelGolden) on it with
#                                   validation on, the matmul benchmark, then makes models with
#                                   `dsinfer make-model` and runs `bench-model --device vulkan:N`
#                                   on them (batch 1 and 8); results in DIR/results (and $OUT when
#                                   set). Sized for well under 8 minutes on a GPU.
#   DSINFER_GPU_CHECK_BENCH="PRESET:TYPE[:ARCH] ..." replaces the bench-model list (default
#   "r1-distill-qwen-1.5b:q4_k r1-distill-qwen-1.5b:q8_0 deepseek-v2-lite:q4_k"; for a lavapipe
#   dry run DSINFER_GPU_CHECK_BENCH=tiny:q8_0:qwen2 DSINFER_GPU_CHECK_PROMPT=32
#   DSINFER_GPU_CHECK_GEN=8).
# The GPU's own Vulkan driver (ICD) must be installed there: NVIDIA's driver ships it (in
# containers only with NVIDIA_DRIVER_CAPABILITIES including "graphics").
set -euo pipefail
mode=${1:-}; dir=${2:-}
[ -n "$mode" ] && [ -n "$dir" ] || { echo "usage: $0 pack|run DIR" >&2; exit 2; }

pack() {
  if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then echo "$dir must be new or empty" >&2; exit 2; fi
  mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
  cd "$(dirname "$0")/.."
  local b=build/release
  local bins=("$b/tests/unit_vulkan" "$b/tests/golden_tests" "$b/bench/bench_vulkan_matmul"
    "$b/src/cli/dsinfer")
  for f in "${bins[@]}"; do
    [ -x "$f" ] || { echo "missing $f: bash scripts/build.sh release unit_vulkan golden_tests bench_vulkan_matmul dsinfer" >&2; exit 1; }
  done
  # The golden cases: manifest, model files, logits (read-only copies).
  local fx=${DSINFER_FIXTURES:-../shared/fixtures}
  [ -f "$fx/golden/manifest.json" ] || { echo "missing $fx/golden/manifest.json (../shared/fixtures)" >&2; exit 1; }
  mkdir -p "$dir/fixtures/golden"
  cp "$fx/golden/manifest.json" "$dir/fixtures/golden/"
  jq -r '.cases[] | .model_file, .logits_file, .gen_logits_file' "$fx/golden/manifest.json" \
    | sort -u \
    | while read -r f; do
        mkdir -p "$dir/fixtures/golden/$(dirname "$f")"
        cp "$fx/golden/$f" "$dir/fixtures/golden/$f"
      done
  mkdir -p "$dir/bin" "$dir/lib" "$dir/layers"
  cp "${bins[@]}" "$dir/bin/"
  # Every library the binaries load, except the C runtime (it must match the machine's kernel).
  ldd "${bins[@]}" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u | while read -r lib; do
    case "$(basename "$lib")" in
      libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|ld-linux*) ;;
      *) cp -L "$lib" "$dir/lib/" ;;
    esac
  done
  local layer=/usr/lib/x86_64-linux-gnu/libVkLayer_khronos_validation.so
  local json=/usr/share/vulkan/explicit_layer.d/VkLayer_khronos_validation.json
  [ -f "$layer" ] || { echo "missing $layer (apt-get install vulkan-validationlayers)" >&2; exit 1; }
  cp "$layer" "$dir/layers/"
  sed 's#"library_path": *"[^"]*"#"library_path": "./libVkLayer_khronos_validation.so"#' "$json" \
    > "$dir/layers/VkLayer_khronos_validation.json"
  cp scripts/gpu_check.sh "$dir/"
  echo "packed $(du -sh "$dir" | cut -f1) into $dir"
}

run() {
  dir=$(cd "$dir" && pwd)
  export LD_LIBRARY_PATH="$dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export VK_ADD_LAYER_PATH="$dir/layers"
  local results="$dir/results"; mkdir -p "$results"
  "$dir/bin/dsinfer" --version | tee "$results/version.txt"
  local device=${DSINFER_GPU_CHECK_DEVICE:-}
  if [ -z "$device" ]; then
    device=$(awk '/^  vulkan:[0-9]+ / && !/\[CPU,/ {sub("vulkan:", "", $1); print $1; exit}' \
      "$results/version.txt")
  fi
  if [ -z "$device" ]; then
    echo "NO GPU: no Vulkan device other than a CPU one; is the GPU's Vulkan driver installed?" >&2
    exit 1
  fi
  echo "device: vulkan:$device"
  local rc=0
  DSINFER_VULKAN_TEST_DEVICE=$device CI=true timeout 300 "$dir/bin/unit_vulkan" \
    --gtest_output="json:$results/unit_vulkan.json" 2>&1 | tee "$results/unit_vulkan.txt" || rc=1
  DSINFER_VULKAN_TEST_DEVICE=$device DSINFER_FIXTURES="$dir/fixtures" CI=true timeout 300 \
    "$dir/bin/golden_tests" --gtest_filter='VulkanModelGolden.*' \
    --gtest_output="json:$results/golden_vulkan.json" 2>&1 | tee "$results/golden_vulkan.txt" || rc=1
  DSINFER_VULKAN_BENCH_DEVICE=$device timeout 180 "$dir/bin/bench_vulkan_matmul" \
    --benchmark_min_time=0.5 --benchmark_out="$results/bench_vulkan_matmul.json" \
    --benchmark_out_format=json 2>&1 | tee "$results/bench_vulkan_matmul.txt" || rc=1
  local spec preset type arch model
  for spec in ${DSINFER_GPU_CHECK_BENCH:-r1-distill-qwen-1.5b:q4_k r1-distill-qwen-1.5b:q8_0 deepseek-v2-lite:q4_k}; do
    IFS=: read -r preset type arch <<< "$spec"
    model="$dir/models/$preset-$type${arch:+-$arch}.gguf"
    mkdir -p "$dir/models"
    [ -f "$model" ] || timeout 300 "$dir/bin/dsinfer" make-model --preset "$preset" --type "$type" \
      ${arch:+--arch "$arch"} --out "$model" > /dev/null || { rc=1; continue; }
    for batch in 1 8; do
      timeout 240 "$dir/bin/dsinfer" bench-model --model "$model" --device "vulkan:$device" \
        --prompt-len "${DSINFER_GPU_CHECK_PROMPT:-512}" --gen-len "${DSINFER_GPU_CHECK_GEN:-128}" \
        --batch "$batch" --reps 1 --json 2>> "$results/bench_model.log" \
        | tee -a "$results/bench_model.jsonl" || rc=1
    done
  done
  if [ -n "${OUT:-}" ]; then cp -r "$results" "$OUT/"; fi
  exit $rc
}

case "$mode" in
  pack) pack ;;
  run) run ;;
  *) echo "usage: $0 pack|run DIR" >&2; exit 2 ;;
esac
